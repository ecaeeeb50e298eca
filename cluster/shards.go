package cluster

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
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
// article would (see index/shard.go): it asks every shard for its
// statistics of the query and adds them up; asks every shard for its
// first-pass candidates scored with those statistics, and finds the rescore
// cut in their merged order; asks every shard for its best hits with the
// statistics and the cut, and merges them. A shard that does not answer a
// step (no replica, or too slow) is left out of the later ones, and the
// answer says so in Result.Shards.

// shardSubject is the subject the replicas of shard answer on.
func shardSubject(shard int) string { return "vnsearch.shard." + strconv.Itoa(shard) }

// The operations a shard answers.
const (
	opQueryStats = "query-stats" // Index.QueryStats
	opCandidates = "candidates"  // Index.Candidates
	opSearch     = "search"      // Index.Search, the best Hits
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
	QueryStats *index.CollectionStats `json:"query_stats,omitempty"`
	Cuts       []index.Cut            `json:"cuts,omitempty"`
	Result     *index.Result          `json:"result,omitempty"` // without its hits: see Hits
	Hits       []shardHit             `json:"hits,omitempty"`
	Article    *corpus.Article        `json:"article,omitempty"`
	Stats      *index.Stats           `json:"stats,omitempty"`
	Keys       [][]byte               `json:"keys,omitempty"`
	// Replica names the replica that answered (see replicaSubject).
	Replica string `json:"replica,omitempty"`
}

// replicaSubject is where one replica of shard, named id, answers by
// itself: the later steps of a search ask the replica of the first.
func replicaSubject(shard int, id string) string { return shardSubject(shard) + ".r." + id }

// shardServer answers the requests to one shard from a replica's index.
type shardServer struct {
	nc   *nats.Conn
	rep  *Replica
	id   string        // names the replica in replicaSubject
	busy chan struct{} // a token for each request being answered
	wg   sync.WaitGroup
}

// maxShardWait bounds how long a shard answers a request, min_seq
// waiting included.
const maxShardWait = 10 * time.Second

// serve answers shard requests until ctx ends, once the replica has
// caught up with the log as it was when serve started (a replica still
// replaying the log would answer for an older index); it returns once the
// requests being answered are.
func (s *shardServer) serve(ctx context.Context) error {
	if st, err := s.rep.js.Stream(ctx, Stream); err == nil {
		if last := st.CachedInfo().State.LastSeq; last > 0 {
			for s.rep.WaitApplied(ctx, last, time.Minute) != nil {
				if ctx.Err() != nil {
					return nil
				}
			}
		}
	}
	var (
		mu      sync.Mutex
		stopped bool
	)
	handler := func(msg *nats.Msg) {
		mu.Lock()
		if stopped {
			mu.Unlock()
			return
		}
		s.wg.Add(1)
		mu.Unlock()
		select {
		case s.busy <- struct{}{}:
		case <-ctx.Done():
			s.wg.Done()
			return
		}
		go func() {
			defer s.wg.Done()
			defer func() { <-s.busy }()
			s.handle(ctx, msg)
		}()
	}
	if s.id == "" {
		var b [8]byte
		rand.Read(b[:])
		s.id = hex.EncodeToString(b[:])
	}
	sub, err := s.nc.QueueSubscribe(shardSubject(s.rep.shard), shardSubject(s.rep.shard), handler)
	if err != nil {
		return fmt.Errorf("cluster: answer for shard %d: %w", s.rep.shard, err)
	}
	direct, err := s.nc.Subscribe(replicaSubject(s.rep.shard, s.id), handler)
	if err != nil {
		_ = sub.Unsubscribe()
		return fmt.Errorf("cluster: answer for shard %d: %w", s.rep.shard, err)
	}
	<-ctx.Done()
	err = errors.Join(sub.Unsubscribe(), direct.Unsubscribe())
	if err == nil {
		// Once the server has the unsubscription, it hands the shard's
		// requests to the other replicas only.
		_ = s.nc.FlushTimeout(time.Second)
	}
	mu.Lock()
	stopped = true
	mu.Unlock()
	s.wg.Wait()
	if err != nil && !errors.Is(err, nats.ErrConnectionClosed) && !errors.Is(err, nats.ErrBadSubscription) {
		return fmt.Errorf("cluster: stop answering for shard %d: %w", s.rep.shard, err)
	}
	return nil
}

func (s *shardServer) handle(ctx context.Context, msg *nats.Msg) {
	ctx, cancel := context.WithTimeout(ctx, maxShardWait)
	defer cancel()
	var req shardRequest
	var resp shardResponse
	if err := json.Unmarshal(msg.Data, &req); err != nil {
		resp = shardResponse{Error: "cluster: shard request: " + err.Error()}
	} else {
		resp = s.answer(ctx, req)
	}
	resp.Replica = s.id
	data, err := json.Marshal(resp)
	if err == nil && int64(len(data)) > s.nc.MaxPayload() {
		data, err = json.Marshal(shardResponse{Kind: kindBadQuery, Error: fmt.Sprintf(
			"the answer of shard %d is %d bytes, more than NATS carries (%d): ask for fewer hits",
			s.rep.shard, len(data), s.nc.MaxPayload())})
	}
	if err != nil {
		data, _ = json.Marshal(shardResponse{Error: err.Error()})
	}
	_ = msg.Respond(data) // the asker may be gone: nothing to do
}

func failed(err error) shardResponse {
	r := shardResponse{Error: err.Error()}
	switch {
	case errors.Is(err, index.ErrBadQuery):
		r.Kind = kindBadQuery
	case errors.Is(err, index.ErrNotFound):
		r.Kind = kindNotFound
	case errors.Is(err, ErrNotApplied):
		r.Kind = kindNotApplied
	}
	return r
}

func (s *shardServer) answer(ctx context.Context, req shardRequest) shardResponse {
	if req.MinSeq > 0 {
		wait := maxShardWait
		if req.WaitMS > 0 {
			wait = min(wait, time.Duration(req.WaitMS)*time.Millisecond)
		}
		if err := s.rep.WaitApplied(ctx, req.MinSeq, wait); err != nil {
			return failed(fmt.Errorf("shard %d: %w", s.rep.shard, err))
		}
	}
	ix := s.rep.ix
	needRequest := req.Op == opQueryStats || req.Op == opCandidates || req.Op == opSearch
	if needRequest && req.Request == nil {
		return failed(fmt.Errorf("cluster: shard request %s without a search", req.Op))
	}
	switch req.Op {
	case opQueryStats:
		st, err := ix.QueryStats(ctx, *req.Request)
		if err != nil {
			return failed(err)
		}
		return shardResponse{QueryStats: &st}
	case opCandidates:
		cuts, err := ix.Candidates(ctx, *req.Request)
		if err != nil {
			return failed(err)
		}
		return shardResponse{Cuts: cuts}
	case opSearch:
		return s.search(ctx, *req.Request, req.Hits)
	case opGet:
		a, err := ix.Get(ctx, req.ID)
		if err != nil {
			return failed(err)
		}
		return shardResponse{Article: &a}
	case opStoryKeys:
		keys, err := ix.StoryKeys(ctx, req.IDs)
		if err != nil {
			return failed(err)
		}
		return shardResponse{Keys: keys}
	case opWait:
		return shardResponse{}
	case opStats:
		st, err := ix.Stats(ctx)
		if err != nil {
			return failed(err)
		}
		return shardResponse{Stats: &st}
	}
	return failed(fmt.Errorf("cluster: shard request: unknown operation %q", req.Op))
}

// search answers the best n hits of r, in pages of at most
// index.MaxSize, the facets with the first.
func (s *shardServer) search(ctx context.Context, r index.Request, n int) shardResponse {
	var out shardResponse
	hits := []shardHit{}
	for from := 0; from == 0 || from < n; {
		page := r
		page.From, page.Size = from, max(1, min(index.MaxSize, n-from))
		if from > 0 {
			page.Facets = nil
		}
		res, err := s.rep.ix.Search(ctx, page)
		if err != nil {
			return failed(err)
		}
		for _, h := range res.Hits {
			hits = append(hits, shardHit{Hit: h, Rescored: h.Rescored, Tier: h.Tier})
		}
		if out.Result == nil {
			out.Result = res
		}
		if len(res.Hits) < page.Size {
			break
		}
		from += len(res.Hits)
	}
	out.Result.Hits = nil
	out.Hits = hits[:min(len(hits), max(n, 0))]
	return out
}

// Sharded searches a cluster's shards over NATS, as one index holding
// every article would. It has the reading methods of *index.Index.
type Sharded struct {
	nc     *nats.Conn
	shards int
	// Timeout bounds each request to a shard, which is asked once more
	// when it has not answered by then (the replica asked may have died),
	// and then left out of the answer.
	Timeout time.Duration
}

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
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultShardTimeout
	}
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
// totals and facets of every match.
func (s *Sharded) best(ctx context.Context, r index.Request, n int) (*index.Result, []index.Hit, error) {
	// 1. The collection's statistics for the query.
	stats, err := s.ask(ctx, s.all(), func(int) shardRequest { return shardRequest{Op: opQueryStats, Request: &r} })
	if err != nil {
		return nil, nil, err
	}
	live := answered(stats)
	pinned := func(k int, r shardRequest) shardRequest {
		r.to = stats[k].Replica
		return r
	}
	var sum index.CollectionStats
	for i, k := range live {
		if st := stats[k].QueryStats; st != nil {
			if i == 0 {
				sum = *st
			} else {
				sum = sum.Plus(*st)
			}
		}
	}
	r.Stats = &sum
	// 2. Where the second pass stops: the candidate at the rescore depth
	// in the order of every shard's.
	if r.Sort == index.ByRelevance {
		cands, err := s.ask(ctx, live, func(k int) shardRequest {
			return pinned(k, shardRequest{Op: opCandidates, Request: &r})
		})
		if err != nil {
			return nil, nil, err
		}
		live = answered(cands)
		var all []index.Cut
		for _, k := range live {
			all = append(all, cands[k].Cuts...)
		}
		slices.SortStableFunc(all, func(a, b index.Cut) int {
			if a.Tier != b.Tier {
				return cmp.Compare(b.Tier, a.Tier)
			}
			return cmp.Compare(b.Score, a.Score)
		})
		depth := index.DefaultParams().RescoreDepth
		if r.Params != nil {
			depth = r.Params.RescoreDepth
		}
		if len(all) > 0 && depth > 0 {
			cut := all[min(depth, len(all))-1]
			r.RescoreCut = &cut
		}
	}
	// 3. Every shard's best n, merged.
	r.AllFacetValues = true
	found, err := s.ask(ctx, live, func(k int) shardRequest {
		return pinned(k, shardRequest{Op: opSearch, Request: &r, Hits: n})
	})
	if err != nil {
		return nil, nil, err
	}
	live = answered(found)
	out := &index.Result{Query: r.Query, Hits: []index.Hit{}, Shards: &index.ShardsAnswered{Total: s.shards, Answered: len(live)}}
	var hits []index.Hit
	facets := map[string]map[string]uint64{}
	for _, k := range live {
		res := found[k].Result
		if res == nil {
			continue
		}
		out.Total += res.Total
		out.TotalIsLowerBound = out.TotalIsLowerBound || res.TotalIsLowerBound
		for _, h := range found[k].Hits {
			hit := h.Hit
			hit.Rescored, hit.Tier = h.Rescored, h.Tier
			hits = append(hits, hit)
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
	if r.Sort == index.ByDate {
		slices.SortFunc(hits, newerFirst)
	} else {
		slices.SortFunc(hits, func(a, b index.Hit) int {
			switch {
			case index.Before(a, b):
				return -1
			case index.Before(b, a):
				return 1
			}
			return 0
		})
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

// ShardNode is a node of a cluster of several shards: it publishes writes
// to the log, applies the shards it serves each to its own index, answers
// for them, and searches every shard through Sharded.
type ShardNode struct {
	*Log
	nc       *nats.Conn
	replicas []*Replica
	sharded  *Sharded
}

// JoinShards joins the cluster of cfg as Join does, for the shards of
// cfg.ServeShards (all when none): open opens, or creates, the index of
// one shard; the caller closes the indexes after the node's Run returned
// and Close.
func JoinShards(ctx context.Context, cfg Config, open func(shard int) (*index.Index, error)) (*ShardNode, error) {
	node, err := Join(ctx, cfg, nil)
	if err != nil {
		return nil, err
	}
	return node.ServeShards(cfg.ServeShards, open)
}

// ServeShards makes a node that Join connected without an index (see
// JoinShards) the node of the shards serve (all when none), whose indexes
// open opens. The ShardNode takes the node's connection over; on an error
// it is closed.
func (node *Node) ServeShards(serve []int, open func(shard int) (*index.Index, error)) (*ShardNode, error) {
	n := &ShardNode{Log: node.Log, nc: node.nc, sharded: NewSharded(node.nc, node.Shards())}
	serve, err := shardList(serve, node.Shards())
	if err != nil {
		node.Close()
		return nil, err
	}
	for _, k := range serve {
		ix, err := open(k)
		if err != nil {
			node.Close()
			return nil, err
		}
		rep, err := NewShardReplica(node.nc, ix, k, node.Shards())
		if err != nil {
			node.Close()
			return nil, err
		}
		n.replicas = append(n.replicas, rep)
	}
	return n, nil
}

// shardList checks the shards to serve of a cluster of n: all when none.
func shardList(serve []int, n int) ([]int, error) {
	if len(serve) == 0 {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	out := slices.Clone(serve)
	slices.Sort(out)
	out = slices.Compact(out)
	for _, k := range out {
		if k < 0 || k >= n {
			return nil, fmt.Errorf("cluster: shard %d: the cluster has shards 0 to %d", k, n-1)
		}
	}
	return out, nil
}

// Replicas are the node's replicas, one for each shard it serves.
func (n *ShardNode) Replicas() []*Replica { return n.replicas }

// Sharded searches every shard of the cluster.
func (n *ShardNode) Sharded() *Sharded { return n.sharded }

// Run applies the log to the node's shards and answers for them until ctx
// ends.
func (n *ShardNode) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, 2*len(n.replicas))
	for _, rep := range n.replicas {
		srv := &shardServer{nc: n.nc, rep: rep, busy: make(chan struct{}, 2*runtime.GOMAXPROCS(0))}
		go func() { errs <- rep.Run(ctx) }()
		go func() { errs <- srv.serve(ctx) }()
	}
	var first error
	for range 2 * len(n.replicas) {
		if err := <-errs; err != nil && first == nil {
			first = err
			cancel()
		}
	}
	return first
}

// Applied is the least sequence the node's shards have applied.
func (n *ShardNode) Applied() uint64 {
	var least uint64
	for i, rep := range n.replicas {
		if a := rep.Applied(); i == 0 || a < least {
			least = a
		}
	}
	return least
}

// WaitApplied waits until a replica of every shard of the cluster has
// applied seq, at most timeout (see Sharded.WaitApplied).
func (n *ShardNode) WaitApplied(ctx context.Context, seq uint64, timeout time.Duration) error {
	return n.sharded.WaitApplied(ctx, seq, timeout)
}

// ReadAfter waits as WaitApplied does, and returns a context under which
// the node's searches are answered only by replicas that have applied
// seq: another replica of a shard than the one waited for may answer.
func (n *ShardNode) ReadAfter(ctx context.Context, seq uint64, timeout time.Duration) (context.Context, error) {
	if err := n.WaitApplied(ctx, seq, timeout); err != nil {
		return ctx, err
	}
	return WithMinSeq(ctx, seq), nil
}

// Close closes the node's connection (Run stops with its context).
func (n *ShardNode) Close() {
	if n.nc != nil {
		n.nc.Close()
	}
}
