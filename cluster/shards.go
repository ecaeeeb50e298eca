package cluster

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// # Shards
//
// A cluster created with several shards splits its articles by ShardOf
// their IDs: each shard's changes travel on a subject of their own, and a
// node keeps an index for each shard it serves, applied by a Replica that
// reads that subject only. Every replica of shard k answers requests on
// shardSubject(k) in one queue group, so that NATS hands each request to
// one live replica of the shard (a replica that stopped has left the
// group).
//
// Sharded, on any node, answers a search as one index holding every
// article would (see index/shard.go): it asks every shard for what its
// lexicon counts of the query, and understands the query from those
// counts added up and the abbreviations every shard mined (see
// index/understand.go): restored, with the alternatives of its synonyms;
// asks every shard for its statistics of what it ranks and adds them up; asks every shard for its
// first-pass candidates scored with those statistics, and finds the rescore
// cut in their merged order; asks every shard for its best hits with the
// statistics and the cut, and merges them. A shard that does not answer a
// step (no replica, or too slow) is left out of the later ones, and the
// answer says so in Result.Shards.

// shardSubject is the subject the replicas of shard answer on.
func shardSubject(shard int) string { return "vnsearch.shard." + strconv.Itoa(shard) }

// The operations a shard answers.
const (
	opLexicon    = "lexicon"     // Index.LexiconPart
	opMined      = "mined"       // Index.Mined
	opSuggest    = "suggest"     // Index.SuggestPart
	opQueryStats = "query-stats" // Index.QueryStats
	opCandidates = "candidates"  // Index.Candidates
	opSearch     = "search"      // Index.SearchLists
	opGet        = "get"         // Index.Get
	opStoryKeys  = "story-keys"  // Index.StoryKeys
	opStats      = "stats"       // Index.Stats
	opWait       = "wait"        // nothing, once MinSeq is applied
)

// shardRequest is a request to one shard.
type shardRequest struct {
	Op string `json:"op"`
	// MinSeq, when set, is a stream sequence the replica must have
	// applied before it answers (see WithMinSeq).
	MinSeq uint64 `json:"min_seq,omitempty"`
	// WaitMS bounds the wait for MinSeq, in milliseconds: maxShardWait
	// when 0, and never more.
	WaitMS  int64          `json:"wait_ms,omitempty"`
	Request *index.Request `json:"request,omitempty"`
	Hits    int            `json:"hits,omitempty"` // opSearch: how many, best first
	ID      string         `json:"id,omitempty"`
	IDs     []string       `json:"ids,omitempty"`
	Prefix  string         `json:"prefix,omitempty"` // opSuggest
	// to, when set, is the replica to ask first: the one that answered
	// the search's first step, so that every step of one search reads
	// the same index while writes go on.
	to string
}

// shardHit is a hit with what merging needs of its place.
type shardHit struct {
	index.Hit
	Rescored bool `json:"rescored,omitempty"`
	Tier     int  `json:"tier,omitempty"`
}

// Kinds of failure a shard answers with.
const (
	kindBadQuery   = "bad-query"
	kindNotFound   = "not-found"
	kindNotApplied = "not-applied"
)

// shardResponse is a shard's answer; Error is set when it failed.
type shardResponse struct {
	Error      string                 `json:"error,omitempty"`
	Kind       string                 `json:"kind,omitempty"`
	Lexicon    *index.LexiconPart     `json:"lexicon,omitempty"`
	Mined      []index.Abbreviation   `json:"mined,omitempty"`
	Suggest    *index.SuggestPart     `json:"suggest,omitempty"`
	QueryStats *index.CollectionStats `json:"query_stats,omitempty"`
	Cuts       [][]index.Cut          `json:"cuts,omitempty"`
	Result     *index.Result          `json:"result,omitempty"` // without its hits: see Lists
	Lists      [][]shardHit           `json:"lists,omitempty"`
	Article    *corpus.Article        `json:"article,omitempty"`
	Stats      *index.Stats           `json:"stats,omitempty"`
	Keys       [][]byte               `json:"keys,omitempty"`
	// Replica names the replica that answered (see replicaSubject).
	Replica string `json:"replica,omitempty"`
}

// replicaSubject is where one replica of shard, named id, answers by
// itself: the later steps of a search ask the replica of the first.
func replicaSubject(shard int, id string) string { return shardSubject(shard) + ".r." + id }

// Sharded searches a cluster's shards over NATS, as one index holding
// every article would. It has the reading methods of *index.Index.
type Sharded struct {
	nc     *nats.Conn
	shards int
	// Timeout bounds each request to a shard, which is asked once more
	// when it has not answered by then (the replica asked may have died),
	// and then left out of the answer.
	Timeout time.Duration
	// Synonyms are the user's synonyms, those every node is given.
	Synonyms *index.Synonyms

	mu           sync.Mutex
	understander *index.Understander // of the abbreviations the shards mined
	minedAt      time.Time
}

// minedRefresh is how long Sharded uses the abbreviations its shards
// mined before it asks for them again (they change when a shard compacts).
const minedRefresh = 30 * time.Second

// DefaultShardTimeout is Sharded's Timeout unless set.
const DefaultShardTimeout = time.Second

// NewSharded returns a Sharded for a cluster of shards shards.
func NewSharded(nc *nats.Conn, shards int) *Sharded {
	return &Sharded{nc: nc, shards: shards, Timeout: DefaultShardTimeout}
}

type minSeqKey struct{}

// WithMinSeq returns a context under which Sharded's requests are
// answered only by replicas that have applied seq (see min_seq).
func WithMinSeq(ctx context.Context, seq uint64) context.Context {
	return context.WithValue(ctx, minSeqKey{}, seq)
}

func minSeqOf(ctx context.Context) uint64 {
	seq, _ := ctx.Value(minSeqKey{}).(uint64)
	return seq
}

// ask sends req to every shard in shards at once and returns the answers
// of those that answered. A shard without a live replica, or slower than
// Timeout, or failing, is not among them; a bad query or a sequence not
// applied fails the whole request, as does no answer at all.
func (s *Sharded) ask(ctx context.Context, shards []int, req func(shard int) shardRequest) (map[int]*shardResponse, error) {
	type answer struct {
		shard int
		resp  *shardResponse
		err   error
	}
	answers := make(chan answer, len(shards))
	seq := minSeqOf(ctx)
	for _, k := range shards {
		go func() {
			r := req(k)
			r.MinSeq = seq
			resp, err := s.request(ctx, k, r)
			answers <- answer{k, resp, err}
		}()
	}
	out := map[int]*shardResponse{}
	var fatal, other error
	for range shards {
		a := <-answers
		switch {
		case a.err == nil:
			out[a.shard] = a.resp
		case errors.Is(a.err, index.ErrBadQuery), errors.Is(a.err, ErrNotApplied):
			fatal = cmp.Or(fatal, a.err)
		default:
			other = cmp.Or(other, a.err)
		}
	}
	if fatal != nil {
		return nil, fatal
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 && len(shards) > 0 {
		return nil, fmt.Errorf("%w: no shard answered: %w", index.ErrUnavailable, other)
	}
	return out, nil
}

// request sends one request to one replica of shard.
func (s *Sharded) request(ctx context.Context, shard int, req shardRequest) (*shardResponse, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("cluster: shard request: %w", err)
	}
	timeout := s.timeout()
	if req.MinSeq > 0 {
		wait := maxShardWait
		if req.WaitMS > 0 {
			wait = min(wait, time.Duration(req.WaitMS)*time.Millisecond)
		}
		timeout = max(timeout, wait+time.Second)
	}
	// A replica that died with the request in hand never answers: ask
	// again, and the queue group picks one among the others still there.
	// The replica asked for by name, gone, leaves the shard to the group.
	group := shardSubject(shard)
	subjects := []string{group, group}
	if req.to != "" {
		subjects = []string{replicaSubject(shard, req.to), group, group}
	}
	var msg *nats.Msg
	for _, subj := range subjects {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		msg, err = s.nc.RequestWithContext(rctx, subj, data)
		cancel()
		if err == nil || ctx.Err() != nil ||
			!errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, nats.ErrNoResponders) ||
			subj == group && errors.Is(err, nats.ErrNoResponders) {
			break
		}
	}
	if err != nil {
		return nil, fmt.Errorf("shard %d: %w", shard, err)
	}
	var resp shardResponse
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return nil, fmt.Errorf("shard %d: answer: %w", shard, err)
	}
	if resp.Error != "" {
		switch resp.Kind {
		case kindBadQuery:
			return nil, fmt.Errorf("%w: %s", index.ErrBadQuery, strings.TrimPrefix(resp.Error, index.ErrBadQuery.Error()+": "))
		case kindNotFound:
			return nil, fmt.Errorf("shard %d: %w", shard, index.ErrNotFound)
		case kindNotApplied:
			return nil, fmt.Errorf("%w: %w: %s", index.ErrUnavailable, ErrNotApplied, resp.Error)
		}
		return nil, fmt.Errorf("shard %d: %s", shard, resp.Error)
	}
	return &resp, nil
}

// timeout is Timeout, or its default.
func (s *Sharded) timeout() time.Duration {
	if s.Timeout <= 0 {
		return DefaultShardTimeout
	}
	return s.Timeout
}

func (s *Sharded) all() []int {
	out := make([]int, s.shards)
	for i := range out {
		out[i] = i
	}
	return out
}

// answered lists the shards of m, in order.
func answered(m map[int]*shardResponse) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Search answers r over every shard, as Index.Search does over one index:
// the same hits in the same order (up to ties), the same totals and facets.
func (s *Sharded) Search(ctx context.Context, r index.Request) (*index.Result, error) {
	start := time.Now()
	var (
		res  *index.Result
		err  error
		hits []index.Hit
	)
	switch r.Group {
	case "":
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if res, hits, err = s.best(ctx, r, r.From+r.Size); err != nil {
			return nil, err
		}
		res.Hits = append([]index.Hit{}, hits[min(r.From, len(hits)):]...)
	case index.GroupStory:
		r.Group = ""
		if err := r.Validate(); err != nil {
			return nil, err
		}
		if res, hits, err = s.best(ctx, r, index.StoryWindowOf(r.From, r.Size)); err != nil {
			return nil, err
		}
		keys, err := s.storyKeys(ctx, hits)
		if err != nil {
			return nil, err
		}
		res.Hits = index.GroupStories(hits, keys, r.From, r.Size)
	default:
		return nil, fmt.Errorf("%w: group %q: want %q or nothing", index.ErrBadQuery, r.Group, index.GroupStory)
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

// best returns the n best hits of r over every shard, merged, with the
// totals and facets of every match, and the restored query to offer.
func (s *Sharded) best(ctx context.Context, r index.Request, n int) (*index.Result, []index.Hit, error) {
	live := s.all()
	replicas := map[int]string{}
	pinned := func(k int, r shardRequest) shardRequest {
		r.to = replicas[k]
		return r
	}
	// 0. What the query is understood as, from what every shard holds.
	didYouMean := ""
	if !r.AsTyped {
		und, err := s.getUnderstander(ctx)
		if err != nil {
			return nil, nil, err
		}
		parts, err := s.ask(ctx, live, func(int) shardRequest { return shardRequest{Op: opLexicon, Request: &r} })
		if err != nil {
			return nil, nil, err
		}
		live = answered(parts)
		var list []index.LexiconPart
		for _, k := range live {
			replicas[k] = parts[k].Replica
			if p := parts[k].Lexicon; p != nil {
				list = append(list, *p)
			}
		}
		u, dym, err := und.Understand(r, list)
		if err != nil {
			return nil, nil, err
		}
		r.Understood, didYouMean = &u, dym
	}
	// 1. The collection's statistics for what it ranks.
	stats, err := s.ask(ctx, live, func(k int) shardRequest { return pinned(k, shardRequest{Op: opQueryStats, Request: &r}) })
	if err != nil {
		return nil, nil, err
	}
	live = answered(stats)
	var sum index.CollectionStats
	for i, k := range live {
		if replicas[k] == "" {
			replicas[k] = stats[k].Replica
		}
		if st := stats[k].QueryStats; st != nil {
			if i == 0 {
				sum = *st
			} else {
				sum = sum.Plus(*st)
			}
		}
	}
	r.Stats = &sum
	// 2. Where the second pass stops, for each list ranked: the candidate
	// at the rescore depth in the order of every shard's.
	if r.Sort == index.ByRelevance {
		cands, err := s.ask(ctx, live, func(k int) shardRequest {
			return pinned(k, shardRequest{Op: opCandidates, Request: &r})
		})
		if err != nil {
			return nil, nil, err
		}
		live = answered(cands)
		var all [][][]index.Cut
		for _, k := range live {
			all = append(all, cands[k].Cuts)
		}
		r.RescoreCut, r.AlternativeCuts = index.RescoreCuts(r, all)
	}
	// 3. Every shard's best n of each list, merged.
	r.AllFacetValues = true
	found, err := s.ask(ctx, live, func(k int) shardRequest {
		return pinned(k, shardRequest{Op: opSearch, Request: &r, Hits: n})
	})
	if err != nil {
		return nil, nil, err
	}
	live = answered(found)
	out := &index.Result{Query: r.Query, Hits: []index.Hit{}, Shards: &index.ShardsAnswered{Total: s.shards, Answered: len(live)},
		DidYouMean: didYouMean}
	var lists [][]index.Hit
	facets := map[string]map[string]uint64{}
	for _, k := range live {
		res := found[k].Result
		if res == nil {
			continue
		}
		out.Total += res.Total
		out.TotalIsLowerBound = out.TotalIsLowerBound || res.TotalIsLowerBound
		for l, list := range found[k].Lists {
			for len(lists) <= l {
				lists = append(lists, nil)
			}
			for _, h := range list {
				hit := h.Hit
				hit.Rescored, hit.Tier = h.Rescored, h.Tier
				lists[l] = append(lists[l], hit)
			}
		}
		for name, counts := range res.Facets {
			if facets[name] == nil {
				facets[name] = map[string]uint64{}
			}
			for _, c := range counts {
				facets[name][c.Value] += c.Count
			}
		}
	}
	for l := range lists {
		if r.Sort == index.ByDate {
			slices.SortFunc(lists[l], newerFirst)
		} else {
			slices.SortFunc(lists[l], func(a, b index.Hit) int {
				switch {
				case index.Before(a, b):
					return -1
				case index.Before(b, a):
					return 1
				}
				return 0
			})
		}
		lists[l] = lists[l][:min(len(lists[l]), n)]
	}
	params := index.DefaultParams()
	if r.Params != nil {
		params = *r.Params
	}
	hits := []index.Hit{}
	if len(lists) > 0 {
		hits = index.MergeLists(lists, params)
	}
	if len(r.Facets) > 0 {
		out.Facets = map[string][]index.FacetCount{}
		for _, name := range r.Facets {
			list := []index.FacetCount{}
			for v, c := range facets[name] {
				list = append(list, index.FacetCount{Value: v, Count: c})
			}
			out.Facets[name] = index.SortFacet(name, list, false)
		}
	}
	return out, hits[:min(len(hits), n)], nil
}

// Suggest completes prefix with up to n phrases of the titles of every
// shard that answers (see index.MergeSuggestions).
func (s *Sharded) Suggest(ctx context.Context, prefix string, n int) ([]index.Suggestion, error) {
	if n <= 0 {
		return nil, nil
	}
	got, err := s.ask(ctx, s.all(), func(int) shardRequest { return shardRequest{Op: opSuggest, Prefix: prefix} })
	if err != nil {
		return nil, err
	}
	var parts []index.SuggestPart
	for _, k := range answered(got) {
		if p := got[k].Suggest; p != nil {
			parts = append(parts, *p)
		}
	}
	return index.MergeSuggestions(prefix, parts, n), nil
}

// Expansions returns the alternatives a search for query runs in the
// cluster: those of the built-in synonyms, the nodes' and what every
// shard mined.
func (s *Sharded) Expansions(query string) ([]index.Expansion, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*s.timeout())
	defer cancel()
	und, err := s.getUnderstander(ctx)
	if err != nil {
		return nil, err
	}
	return und.Expansions(query)
}

// getUnderstander returns an Understander of the abbreviations the shards
// mined, asking them again after minedRefresh; the last one while no
// shard answers.
func (s *Sharded) getUnderstander(ctx context.Context) (*index.Understander, error) {
	s.mu.Lock()
	und, at := s.understander, s.minedAt
	s.mu.Unlock()
	if und != nil && time.Since(at) < minedRefresh {
		return und, nil
	}
	got, err := s.ask(ctx, s.all(), func(int) shardRequest { return shardRequest{Op: opMined} })
	if err != nil {
		if und != nil && ctx.Err() == nil {
			return und, nil
		}
		return nil, err
	}
	var mined [][]index.Abbreviation
	for _, k := range answered(got) {
		mined = append(mined, got[k].Mined)
	}
	und = index.NewUnderstander(s.Synonyms, mined...)
	s.mu.Lock()
	s.understander, s.minedAt = und, time.Now()
	s.mu.Unlock()
	return und, nil
}

// newerFirst orders hits as a search by date does: by publication day,
// newest first, then by time; undated last; ties by ID (one index breaks
// them by its own order).
func newerFirst(a, b index.Hit) int {
	if az, bz := a.Published.IsZero(), b.Published.IsZero(); az != bz {
		if az {
			return 1
		}
		return -1
	}
	if !a.Published.IsZero() {
		if c := cmp.Compare(b.Published.Time.Format("20060102"), a.Published.Time.Format("20060102")); c != 0 {
			return c
		}
		if c := cmp.Compare(b.Published.Time.Unix(), a.Published.Time.Unix()); c != 0 {
			return c
		}
	}
	return strings.Compare(a.ID, b.ID)
}

// storyKeys asks the shards of hits for their story keys.
func (s *Sharded) storyKeys(ctx context.Context, hits []index.Hit) ([][]byte, error) {
	ids := map[int][]string{}
	for _, h := range hits {
		k := ShardOf(h.ID, s.shards)
		ids[k] = append(ids[k], h.ID)
	}
	var shards []int
	for k := range ids {
		shards = append(shards, k)
	}
	got, err := s.ask(ctx, shards, func(k int) shardRequest { return shardRequest{Op: opStoryKeys, IDs: ids[k]} })
	if err != nil && len(hits) > 0 {
		return nil, err
	}
	byID := map[string][]byte{}
	for k, resp := range got {
		for i, key := range resp.Keys {
			if i < len(ids[k]) {
				byID[ids[k][i]] = key
			}
		}
	}
	keys := make([][]byte, len(hits))
	for i, h := range hits {
		keys[i] = byID[h.ID]
	}
	return keys, nil
}

// WaitApplied waits until a replica of every shard that answers has
// applied seq, at most timeout. A shard without a live replica is not
// waited for: searches then say that it did not answer.
func (s *Sharded) WaitApplied(ctx context.Context, seq uint64, timeout time.Duration) error {
	ctx = WithMinSeq(ctx, seq)
	ms := max(1, timeout.Milliseconds())
	_, err := s.ask(ctx, s.all(), func(int) shardRequest { return shardRequest{Op: opWait, WaitMS: ms} })
	if errors.Is(err, index.ErrUnavailable) && !errors.Is(err, ErrNotApplied) {
		return nil // no shard is up: the search will say so
	}
	return err
}

// Get returns the article with ID id from its shard.
func (s *Sharded) Get(ctx context.Context, id string) (corpus.Article, error) {
	k := ShardOf(id, s.shards)
	resp, err := s.request(ctx, k, shardRequest{Op: opGet, ID: id, MinSeq: minSeqOf(ctx)})
	switch {
	case err == nil:
		return *resp.Article, nil
	case errors.Is(err, index.ErrNotFound):
		return corpus.Article{}, fmt.Errorf("%w: %q", index.ErrNotFound, id)
	case ctx.Err() != nil:
		return corpus.Article{}, ctx.Err()
	}
	return corpus.Article{}, fmt.Errorf("%w: shard %d of article %q: %w", index.ErrUnavailable, k, id, err)
}

// maxStatsSources is how many outlets Stats lists, as Index.Stats does.
const maxStatsSources = 50

// Stats adds up the statistics of every shard that answers.
func (s *Sharded) Stats(ctx context.Context) (index.Stats, error) {
	got, err := s.ask(ctx, s.all(), func(int) shardRequest { return shardRequest{Op: opStats} })
	if err != nil {
		return index.Stats{Version: index.MappingVersion}, err
	}
	out := index.Stats{Version: index.MappingVersion, Sources: []index.SourceCount{}}
	sources := map[string]int{}
	for _, k := range answered(got) {
		st := got[k].Stats
		if st == nil {
			continue
		}
		out.Articles += st.Articles
		out.SizeBytes += st.SizeBytes
		for _, sc := range st.Sources {
			sources[sc.Source] += sc.Articles
		}
		if !st.Oldest.IsZero() && (out.Oldest.IsZero() || st.Oldest.Time.Before(out.Oldest.Time)) {
			out.Oldest = st.Oldest
		}
		if !st.Newest.IsZero() && (out.Newest.IsZero() || st.Newest.Time.After(out.Newest.Time)) {
			out.Newest = st.Newest
		}
	}
	for src, n := range sources {
		out.Sources = append(out.Sources, index.SourceCount{Source: src, Articles: n})
	}
	slices.SortFunc(out.Sources, func(a, b index.SourceCount) int {
		if a.Articles != b.Articles {
			return cmp.Compare(b.Articles, a.Articles)
		}
		return cmp.Compare(a.Source, b.Source)
	})
	out.Sources = out.Sources[:min(len(out.Sources), maxStatsSources)]
	return out, nil
}
