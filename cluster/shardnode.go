package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vnsearch/vnsearch/index"
)

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
	needRequest := req.Op == opQueryStats || req.Op == opCandidates || req.Op == opSearch || req.Op == opLexicon
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
	case opLexicon:
		part := ix.LexiconPart(req.Request.Query)
		return shardResponse{Lexicon: &part}
	case opMined:
		return shardResponse{Mined: ix.Mined()}
	case opSuggest:
		part, err := ix.SuggestPart(ctx, req.Prefix)
		if err != nil {
			return failed(err)
		}
		return shardResponse{Suggest: &part}
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

// search answers the shard's part of a search: its totals and facets, and
// the best n hits of each list the search ranks (index.SearchLists).
func (s *shardServer) search(ctx context.Context, r index.Request, n int) shardResponse {
	res, lists, err := s.rep.ix.SearchLists(ctx, r, n)
	if err != nil {
		return failed(err)
	}
	out := shardResponse{Result: res, Lists: make([][]shardHit, len(lists))}
	for k, list := range lists {
		out.Lists[k] = make([]shardHit, len(list))
		for i, h := range list {
			out.Lists[k][i] = shardHit{Hit: h, Rescored: h.Rescored, Tier: h.Tier}
		}
	}
	return out
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
	n, err := node.ServeShards(cfg.ServeShards, open)
	if err != nil {
		return nil, err
	}
	n.SetSnapshots(ctx, cfg.SnapshotEvery, cfg.Logger)
	return n, nil
}

// SetSnapshots makes each of the node's replicas snapshot its shard's
// index once it has applied every changes of its shard past the newest
// snapshot of the shard (see Replica.SetSnapshots); 0 takes none. Each
// learns of the newest snapshot of its shard in the bucket, if it can be
// read. Call it before Run.
func (n *ShardNode) SetSnapshots(ctx context.Context, every int, logger *slog.Logger) {
	for _, rep := range n.replicas {
		l := logger
		if l == nil {
			l = slog.Default()
		}
		rep.SetSnapshots(every, l.With("shard", rep.shard))
		if have, err := ShardSnapshots(ctx, n.nc, rep.shard, rep.shards); err == nil && len(have) > 0 {
			rep.noteSnapshot(have[len(have)-1].Seq)
		}
	}
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
		n.sharded.Synonyms = ix.UserSynonyms()
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

// Health is the health of the node's replica furthest behind the stream,
// with each replica's in Shards.
func (n *ShardNode) Health(ctx context.Context) (Health, error) {
	var worst Health
	var firstErr error
	var each []ShardHealth
	for i, rep := range n.replicas {
		h, err := rep.Health(ctx)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		sh := ShardHealth{Shard: rep.shard, AppliedSeq: h.AppliedSeq, Lag: h.Lag, SnapshotSeq: h.SnapshotSeq}
		if err == nil {
			sh.PurgedSeq, err = shardPurged(ctx, rep.js, rep.shard)
			if err != nil && firstErr == nil {
				firstErr = err
			}
		}
		each = append(each, sh)
		if i == 0 || h.AppliedSeq < worst.AppliedSeq {
			worst = h
		}
	}
	worst.Shards = each
	return worst, firstErr
}

// ServedShards lists the shards the node serves, of Shards.
func (n *ShardNode) ServedShards() []int {
	out := make([]int, len(n.replicas))
	for i, rep := range n.replicas {
		out[i] = rep.shard
	}
	return out
}
