// Package cluster puts vnsearch nodes on a NATS JetStream stream: writes
// are published to a replicated, ordered log and every node applies that
// log in order to its own index, recording the last applied stream
// sequence in the same atomic batch as the changes.
package cluster

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// Stream is the JetStream stream that holds the article log.
const Stream = "VNSEARCH_ARTICLES"

// subject carries the writes of one shard: the articles whose IDs
// ShardOf gives it, and their deletes. A cluster of one shard uses
// subject(0) only.
func subject(shard int) string { return "vnsearch.articles." + strconv.Itoa(shard) }

// ShardOf is the shard of n that holds the article with ID id: FNV-1a
// (32 bits) of the ID, modulo n.
func ShardOf(id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % uint32(n))
}

// SeqKey is the index meta key under which a replica records the last
// stream sequence it applied.
const SeqKey = "cluster.seq"

// Change is one write as it travels in the log: an article to add or
// replace, or the ID of one to delete.
type Change struct {
	Article *corpus.Article `json:"article,omitempty"`
	Delete  string          `json:"delete,omitempty"`
}

// target is the ID of the article the change adds or deletes.
func (c Change) target() string {
	if c.Article != nil {
		return c.Article.ID
	}
	return c.Delete
}

// Log publishes changes to the stream.
type Log struct {
	js     jetstream.JetStream
	nc     *nats.Conn
	shards int
}

// Open makes sure the stream exists (with replicas copies, at least one)
// and returns a Log that publishes to it. A new cluster has one shard; an
// existing one keeps the shards it was created with.
func Open(ctx context.Context, nc *nats.Conn, replicas int) (*Log, error) {
	return OpenShards(ctx, nc, replicas, 0)
}

// Bucket is the JetStream key-value bucket that holds the cluster's
// settings fixed at its creation: ShardsKey, its number of shards.
const (
	Bucket    = "VNSEARCH_CLUSTER"
	ShardsKey = "shards"
)

// MaxShards bounds the shards of a cluster.
const MaxShards = 1024

// OpenShards is Open for a cluster of shards shards: a new cluster is
// created with that many (one when shards is 0), and an existing one must
// have been created with as many, or shards must be 0 to take its number.
// The number is kept in the key-value bucket Bucket; a stream created
// before shards existed has one.
func OpenShards(ctx context.Context, nc *nats.Conn, replicas, shards int) (*Log, error) {
	if shards < 0 || shards > MaxShards {
		return nil, fmt.Errorf("cluster: %d shards: want 1 to %d", shards, MaxShards)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	if replicas < 1 {
		replicas = 1
	}
	// A stream that exists without the bucket's key was made by a
	// vnsearch of one shard: it has one.
	existing := 0
	if info, err := js.Stream(ctx, Stream); err == nil {
		if c := info.CachedInfo(); c != nil && c.State.Msgs > 0 {
			existing = 1
		}
	}
	kv, err := js.KeyValue(ctx, Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, jetstream.KeyValueConfig{
			Bucket: Bucket, Description: "vnsearch cluster settings", Storage: jetstream.FileStorage, Replicas: replicas,
		})
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, Bucket)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: key-value bucket %s: %w", Bucket, err)
	}
	have, err := clusterShards(ctx, kv)
	if err != nil {
		return nil, err
	}
	if have == 0 {
		want := shards
		if existing > 0 {
			want = existing
		}
		if want == 0 {
			want = 1
		}
		if _, err := kv.Create(ctx, ShardsKey, []byte(strconv.Itoa(want))); err != nil && !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("cluster: record %d shards: %w", want, err)
		}
		// Another node may have created the cluster at the same moment:
		// its number stands.
		if have, err = clusterShards(ctx, kv); err != nil {
			return nil, err
		}
	}
	if shards != 0 && shards != have {
		return nil, fmt.Errorf("cluster: the cluster was created with %d shards, not %d: the number of shards is fixed "+
			"when the cluster is created (drop --shards to join it)", have, shards)
	}
	_, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       Stream,
		Subjects:   []string{"vnsearch.articles.>"},
		Storage:    jetstream.FileStorage,
		Replicas:   replicas,
		Duplicates: DuplicateWindow,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: create stream %s: %w", Stream, err)
	}
	return &Log{js: js, nc: nc, shards: have}, nil
}

// clusterShards reads the number of shards recorded; 0 when none is.
func clusterShards(ctx context.Context, kv jetstream.KeyValue) (int, error) {
	e, err := kv.Get(ctx, ShardsKey)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cluster: read %s.%s: %w", Bucket, ShardsKey, err)
	}
	n, err := strconv.Atoi(string(e.Value()))
	if err != nil || n < 1 || n > MaxShards {
		return 0, fmt.Errorf("cluster: %s.%s = %q: not a number of shards", Bucket, ShardsKey, e.Value())
	}
	return n, nil
}

// Shards is the cluster's number of shards.
func (l *Log) Shards() int { return l.shards }

// DuplicateWindow is how long JetStream remembers a message ID: a write
// retried with the same ID within it is appended once.
const DuplicateWindow = 2 * time.Minute

// MsgID names the i-th change of a write that its client called key (an
// Idempotency-Key): the same write retried names the same changes, which
// JetStream then appends once. Without a key, every publish is new.
func MsgID(key string, i int) string {
	if key == "" {
		var b [16]byte
		rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}
	sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(i)))
	return hex.EncodeToString(sum[:16])
}

// Publish appends c to the log under the message ID id and returns its
// stream sequence once JetStream acknowledged it. A change published
// again under the same id within DuplicateWindow is not appended twice:
// the sequence of the first is answered. The id names one attempt at a
// write, not its content: the same article added, deleted and added
// again is three changes.
func (l *Log) Publish(ctx context.Context, c Change, id string) (uint64, error) {
	if (c.Article == nil) == (c.Delete == "") {
		return 0, errors.New("cluster: publish: a change is an article or an ID to delete, exactly one")
	}
	if c.Article != nil {
		if err := corpus.CheckID(c.Article.ID); err != nil {
			return 0, fmt.Errorf("cluster: publish: %w", err)
		}
	}
	body, err := json.Marshal(c)
	if err != nil {
		return 0, fmt.Errorf("cluster: publish: encode: %w", err)
	}
	if id == "" {
		return 0, errors.New("cluster: publish: no message ID")
	}
	ack, err := l.js.Publish(ctx, subject(ShardOf(c.target(), l.shards)), body, jetstream.WithMsgID(id))
	if err != nil {
		return 0, fmt.Errorf("cluster: publish: %w", err)
	}
	return ack.Sequence, nil
}

// Replica applies the log, in order, to a local index.
type Replica struct {
	js jetstream.JetStream
	ix *index.Index
	// shard of shards is the part of the log the replica applies: the
	// messages of subject(shard) only, when shards > 1.
	shard, shards int

	mu      sync.Mutex
	applied uint64
	// caughtUp, for a shard's replica, is a stream sequence up to which
	// it has applied every message of its shard, though the last of them
	// may be older: stream sequences count the messages of every shard.
	caughtUp uint64
	changed  chan struct{} // closed and replaced when applied grows

	snapshots snapshotter
}

// NewReplica reads the last applied sequence from ix.
func NewReplica(nc *nats.Conn, ix *index.Index) (*Replica, error) {
	return NewShardReplica(nc, ix, 0, 1)
}

// NewShardReplica is NewReplica for the replica of shard of a cluster of
// shards: it applies the changes of that shard only.
func NewShardReplica(nc *nats.Conn, ix *index.Index, shard, shards int) (*Replica, error) {
	if shards < 1 || shard < 0 || shard >= shards {
		return nil, fmt.Errorf("cluster: replica of shard %d of %d: no such shard", shard, shards)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	v, err := ix.Meta(SeqKey)
	if err != nil {
		return nil, fmt.Errorf("cluster: replica: %w", err)
	}
	var seq uint64
	if v != nil {
		if seq, err = strconv.ParseUint(string(v), 10, 64); err != nil {
			return nil, fmt.Errorf("cluster: replica: index meta %s = %q: %w", SeqKey, v, err)
		}
	}
	return &Replica{js: js, ix: ix, shard: shard, shards: shards, applied: seq, changed: make(chan struct{})}, nil
}

// Shard is the shard the replica applies.
func (r *Replica) Shard() int { return r.shard }

// Index is the index the replica applies the log to.
func (r *Replica) Index() *index.Index { return r.ix }

// Applied returns the last stream sequence applied to the index: for the
// replica of one shard of several, the sequence up to which it has every
// change of its shard (see caughtUp).
func (r *Replica) Applied() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return max(r.applied, r.caughtUp)
}

// lastApplied is the sequence of the last message the index applied.
func (r *Replica) lastApplied() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied
}

// ErrNotApplied is returned by WaitApplied when the sequence was not
// applied in time.
var ErrNotApplied = errors.New("cluster: sequence not applied yet")

// WaitApplied waits until seq is applied, at most timeout.
func (r *Replica) WaitApplied(ctx context.Context, seq uint64, timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		r.mu.Lock()
		applied, ch := max(r.applied, r.caughtUp), r.changed
		r.mu.Unlock()
		if applied >= seq {
			return nil
		}
		select {
		case <-ch:
		case <-t.C:
			return fmt.Errorf("%w: want %d, applied %d after %s", ErrNotApplied, seq, applied, timeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Run applies the log until ctx ends, from the sequence after the last
// applied one, each fetched batch in one atomic Apply with its sequence.
func (r *Replica) Run(ctx context.Context) error {
	defer r.snapshots.wait()
	for ctx.Err() == nil {
		err := r.follow(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrBehind) {
			return err // replaying cannot catch up: see Prepare
		}
		if err != nil {
			// The stream may be electing a leader: try again shortly.
			select {
			case <-ctx.Done():
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
	return nil
}

// stallAfter is how long a replica's consumer may deliver nothing before
// the replica asks whether changes are pending.
const stallAfter = 2 * time.Second

func (r *Replica) follow(ctx context.Context) error {
	cfg := jetstream.OrderedConsumerConfig{
		DeliverPolicy: jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:   r.lastApplied() + 1,
	}
	if r.shards > 1 {
		cfg.FilterSubjects = []string{subject(r.shard)}
	}
	cons, err := r.js.OrderedConsumer(ctx, Stream, cfg)
	if err != nil {
		return fmt.Errorf("cluster: consumer: %w", err)
	}
	if err := r.checkBehind(ctx, r.Applied()+1, 0); err != nil {
		return err
	}
	progress := time.Now()
	for ctx.Err() == nil {
		batch, err := cons.Fetch(256, jetstream.FetchMaxWait(500*time.Millisecond))
		if err != nil {
			return fmt.Errorf("cluster: fetch: %w", err)
		}
		var ops []index.Op
		var last uint64
		var gaps [][2]uint64 // of a shard's replica: next wanted, seq got
		for msg := range batch.Messages() {
			md, err := msg.Metadata()
			if err != nil {
				return fmt.Errorf("cluster: message metadata: %w", err)
			}
			seq := md.Sequence.Stream
			if seq <= r.lastApplied() || seq <= last {
				continue
			}
			if next := max(last, r.Applied()) + 1; seq > next {
				// A gap: purged, or another shard's. Purged is an error.
				// The replica of one shard of several sees gaps all the
				// time: it asks once a batch, after it.
				if r.shards > 1 {
					gaps = append(gaps, [2]uint64{next, seq})
				} else if err := r.checkBehind(ctx, next, seq); err != nil {
					return err
				}
			}
			var c Change
			if err := json.Unmarshal(msg.Data(), &c); err != nil {
				return fmt.Errorf("cluster: message %d: %w", seq, err)
			}
			switch {
			case c.Article != nil:
				ops = append(ops, index.Op{Article: c.Article})
			case c.Delete != "":
				ops = append(ops, index.Op{Delete: c.Delete})
			}
			last = seq
		}
		if err := batch.Error(); err != nil && !errors.Is(err, nats.ErrTimeout) {
			return fmt.Errorf("cluster: fetch: %w", err)
		}
		if len(gaps) > 0 {
			if err := r.checkGaps(ctx, gaps); err != nil {
				return err
			}
		}
		if last == 0 {
			if r.shards > 1 {
				if err := r.catchUp(ctx, cons); err != nil {
					return err
				}
			}
			// An ordered consumer whose server went away can stay quiet
			// with messages pending: seen under the race detector when a
			// NATS server of three stopped. Quiet for a while with
			// something pending, or unable to say, it is made anew.
			if time.Since(progress) > stallAfter {
				if info, err := cons.Info(ctx); err != nil || info.NumPending > 0 {
					return fmt.Errorf("cluster: consumer quiet for %s with changes pending (%v): starting another", stallAfter, err)
				}
				progress = time.Now()
			}
			continue
		}
		progress = time.Now()
		meta := map[string][]byte{SeqKey: []byte(strconv.FormatUint(last, 10))}
		if _, err := r.ix.Apply(ctx, index.Ops{Ops: ops, Meta: meta}); err != nil {
			return fmt.Errorf("cluster: apply up to %d: %w", last, err)
		}
		r.mu.Lock()
		r.applied = last
		close(r.changed)
		r.changed = make(chan struct{})
		r.mu.Unlock()
		r.noteApplied(len(ops))
		r.maybeSnapshot(ctx, last)
	}
	return nil
}

// catchUp, when the replica of a shard has nothing left to fetch, notes
// that it has every change of its shard up to the stream's last sequence:
// the last sequence is read first, then the consumer's pending count; if
// none is pending then, every message of the shard up to that sequence has
// been delivered, and applied, unless the shard's subject was purged past
// the replica before they were: that is ErrBehind. Other errors leave
// caughtUp as it was, and are not returned.
func (r *Replica) catchUp(ctx context.Context, cons jetstream.Consumer) error {
	st, err := r.js.Stream(ctx, Stream)
	if err != nil {
		return nil
	}
	last := st.CachedInfo().State.LastSeq
	ci, err := cons.Info(ctx)
	if err != nil || ci.NumPending != 0 {
		return nil
	}
	purged, err := shardPurged(ctx, r.js, r.shard)
	if err != nil {
		return nil
	}
	if behindPurge(purged, r.Applied()+1, 0) {
		return fmt.Errorf("%w: shard %d applied up to %d, its messages purged up to %d", ErrBehind, r.shard, r.Applied(), purged)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if last > max(r.applied, r.caughtUp) {
		r.caughtUp = last
		close(r.changed)
		r.changed = make(chan struct{})
	}
	return nil
}

// PublishArticles publishes each article as one change and returns the
// sequence of the last. The articles are the changes first, first+1, … of
// the write its client called key (see MsgID).
func (l *Log) PublishArticles(ctx context.Context, key string, first int, articles []corpus.Article) (uint64, error) {
	var seq uint64
	for i := range articles {
		s, err := l.Publish(ctx, Change{Article: &articles[i]}, MsgID(key, first+i))
		if err != nil {
			return seq, err
		}
		seq = s
	}
	return seq, nil
}

// PublishDelete publishes the delete of id, the write its client called
// key (see MsgID).
func (l *Log) PublishDelete(ctx context.Context, key, id string) (uint64, error) {
	return l.Publish(ctx, Change{Delete: id}, MsgID(key, 0))
}

// Node is one vnsearch node of a cluster: it publishes writes to the log
// and reads from its replica.
type Node struct {
	*Log
	*Replica
	nc *nats.Conn
}
