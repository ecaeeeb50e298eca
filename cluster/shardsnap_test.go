package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vnsearch/vnsearch/index"
)

// startShardNode is startNode for the replica of shard of shards.
func startShardNode(t *testing.T, nc *nats.Conn, dir string, shard, shards int) *node {
	t.Helper()
	ix, err := index.OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewShardReplica(nc, ix, shard, shards)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{dir: dir, ix: ix, rep: rep, cancel: cancel, done: make(chan error, 1)}
	go func() { n.done <- rep.Run(ctx) }()
	return n
}

// shardLog publishes to a cluster of shards and remembers the sequence of
// every change of each shard.
type shardLog struct {
	t      *testing.T
	log    *Log
	shards int
	seqs   [][]uint64 // of each shard, ascending
	last   uint64
}

func (l *shardLog) publish(c Change) {
	l.t.Helper()
	seq, err := l.log.Publish(context.Background(), c, MsgID("", 0))
	if err != nil {
		l.t.Fatal(err)
	}
	k := ShardOf(c.target(), l.shards)
	l.seqs[k] = append(l.seqs[k], seq)
	l.last = seq
}

// articles publishes articles from…to-1, their titles edited by round.
func (l *shardLog) articles(from, to int, round string) {
	l.t.Helper()
	for i := from; i < to; i++ {
		a := article(i)
		a.Title += round
		l.publish(Change{Article: &a})
	}
}

// after is the first sequence of shard's changes past seq; 0 when none.
func (l *shardLog) after(shard int, seq uint64) uint64 {
	for _, s := range l.seqs[shard] {
		if s > seq {
			return s
		}
	}
	return 0
}

// heldAfter counts the changes of shard past seq.
func (l *shardLog) heldAfter(shard int, seq uint64) int {
	n := 0
	for _, s := range l.seqs[shard] {
		if s > seq {
			n++
		}
	}
	return n
}

// subjectState is how many messages the stream holds of shard's subject,
// and the first of them (0 when none).
func subjectState(t *testing.T, nc *nats.Conn, shard int) (uint64, uint64) {
	t.Helper()
	ctx := context.Background()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(ctx, Stream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(subject(shard)))
	if err != nil {
		t.Fatal(err)
	}
	count := info.State.Subjects[subject(shard)]
	if count == 0 {
		return 0, 0
	}
	msg, err := st.GetMsg(ctx, 1, jetstream.WithGetMsgSubject(subject(shard)))
	if err != nil {
		t.Fatal(err)
	}
	return count, msg.Sequence
}

func streamMsgs(t *testing.T, nc *nats.Conn) uint64 {
	t.Helper()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), Stream)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().State.Msgs
}

func shardSnapshotSeqs(t *testing.T, nc *nats.Conn, shard, shards int) []uint64 {
	t.Helper()
	have, err := ShardSnapshots(context.Background(), nc, shard, shards)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, s := range have {
		if want := fmt.Sprintf("shard-%d/", shard); !strings.HasPrefix(s.Name, want) {
			t.Errorf("snapshot %s of shard %d: not named %s…", s.Name, shard, want)
		}
		seqs = append(seqs, s.Seq)
	}
	return seqs
}

// TestShardSnapshotsRestoreWipedAndLaggingReplicas snapshots each shard of
// a cluster of two, checks that each shard's subject is purged up to its
// older snapshot kept and no further, and none of the other shard's, and
// that a wiped replica restores its shard's snapshot, a replica behind its
// shard's purge is moved aside and restored, and a replica behind the
// other shard's purge only replays, each ending with its peer's articles.
func TestShardSnapshotsRestoreWipedAndLaggingReplicas(t *testing.T) {
	ctx := context.Background()
	const shards = 2
	_, nc, log := openTestLog(t, shards)
	pub := &shardLog{t: t, log: log, shards: shards, seqs: make([][]uint64, shards)}
	base := t.TempDir()
	dir := func(name string) string { return filepath.Join(base, name) }
	a0 := startShardNode(t, nc, dir("a0"), 0, shards)
	b0 := startShardNode(t, nc, dir("b0"), 0, shards)
	a1 := startShardNode(t, nc, dir("a1"), 1, shards)
	lagging0 := startShardNode(t, nc, dir("lagging0"), 0, shards)
	lagging1 := startShardNode(t, nc, dir("lagging1"), 1, shards)

	pub.articles(0, 10, "")
	if err := lagging0.rep.WaitApplied(ctx, pub.last, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	lagging0.stop(t) // it stays at seq 10 while the stream moves on
	if len(pub.seqs[0]) == 0 || len(pub.seqs[1]) == 0 {
		t.Fatalf("articles 0…9 all of one shard: %v", pub.seqs)
	}

	pub.articles(10, 40, "")
	pub.articles(0, 5, " (sửa)")
	pub.publish(Change{Delete: article(7).ID})
	total := uint64(len(pub.seqs[0]) + len(pub.seqs[1]))

	mustSnapshot := func(n *node) uint64 {
		t.Helper()
		if err := n.rep.WaitApplied(ctx, pub.last, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		k := n.rep.Shard()
		want := pub.seqs[k][len(pub.seqs[k])-1] // its shard's last change
		snap, err := n.rep.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Seq != want || snap.Size == 0 || n.rep.SnapshotSeq() != want || !strings.HasPrefix(snap.Name, fmt.Sprintf("shard-%d/", k)) {
			t.Fatalf("shard %d: snapshot %+v (node knows %d), want seq %d", k, snap, n.rep.SnapshotSeq(), want)
		}
		return snap.Seq
	}
	// checkSubject checks that the stream holds shard's changes past
	// purged, all of them, and no other.
	checkSubject := func(shard int, purged uint64) {
		t.Helper()
		count, first := subjectState(t, nc, shard)
		if want := pub.heldAfter(shard, purged); count != uint64(want) || first != pub.after(shard, purged) {
			t.Fatalf("shard %d: the stream holds %d of its changes from seq %d; want %d from %d (purged up to %d)",
				shard, count, first, want, pub.after(shard, purged), purged)
		}
		js, _ := jetstream.New(nc)
		if got, err := shardPurged(ctx, js, shard); err != nil || got != purged {
			t.Fatalf("shard %d: recorded purged up to %d (%v), want %d", shard, got, err, purged)
		}
	}

	// Shard 0's snapshot purges shard 0's subject only.
	snap0 := mustSnapshot(a0)
	checkSubject(0, snap0)
	checkSubject(1, 0)
	if got := streamMsgs(t, nc); got != total-uint64(len(pub.seqs[0])-pub.heldAfter(0, snap0)) {
		t.Fatalf("the stream holds %d messages of %d, after shard 0 purged up to %d", got, total, snap0)
	}
	snap1 := mustSnapshot(a1)
	checkSubject(1, snap1)
	// The lagging replica of shard 1 stays at shard 1's purge, with the
	// next change one of shard 0's, which shard 0 purges next.
	if err := lagging1.rep.WaitApplied(ctx, pub.last, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	lagging1.stop(t)
	for i := range 50 {
		if a := article(i); ShardOf(a.ID, shards) == 0 {
			a.Title += " (lần 3)"
			pub.publish(Change{Article: &a})
			break
		}
	}
	if got, err := Snapshots(ctx, nc); err != nil || got != nil {
		t.Fatalf("snapshots of a cluster of one shard listed: %v, %v", got, err)
	}

	// Shard 0 snapshotted twice more, by two replicas: it keeps its newest
	// two, and its subject is held from right after the older. Shard 1's
	// is left as it was.
	pub.articles(20, 30, " (lần 2)")
	second0 := mustSnapshot(b0)
	pub.articles(40, 45, "")
	newest0 := mustSnapshot(a0)
	if got := shardSnapshotSeqs(t, nc, 0, shards); !slices.Equal(got, []uint64{second0, newest0}) {
		t.Fatalf("shard 0's snapshots %v, want %d and %d", got, second0, newest0)
	}
	if got := shardSnapshotSeqs(t, nc, 1, shards); !slices.Equal(got, []uint64{snap1}) {
		t.Fatalf("shard 1's snapshots %v, want %d", got, snap1)
	}
	checkSubject(0, second0)
	checkSubject(1, snap1)
	total = uint64(len(pub.seqs[0]) + len(pub.seqs[1]))
	if got, want := streamMsgs(t, nc), uint64(pub.heldAfter(0, second0)+pub.heldAfter(1, snap1)); got != want || got >= total {
		t.Fatalf("the stream holds %d messages, want %d of the %d published", got, want, total)
	}
	if lagging1.rep.lastApplied() != snap1 {
		t.Fatalf("the lagging replica of shard 1 applied up to %d, want its shard's purge at %d", lagging1.rep.lastApplied(), snap1)
	}
	// Written after the last snapshots: restored replicas replay them.
	pub.articles(45, 50, "")
	pub.publish(Change{Delete: article(41).ID})
	last := pub.last

	// A wiped replica of each shard restores its shard's newest snapshot.
	restored := map[int]uint64{0: newest0, 1: snap1}
	var wiped []*node
	for k := range shards {
		d := dir(fmt.Sprint("wiped", k))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		p, err := PrepareShard(ctx, nc, d, k, shards)
		if err != nil {
			t.Fatal(err)
		}
		if p.Restored.Seq != restored[k] || p.Applied != restored[k] || p.MovedAside != "" {
			t.Fatalf("wiped replica of shard %d prepared: %+v, want snapshot %d restored", k, p, restored[k])
		}
		wiped = append(wiped, startShardNode(t, nc, d, k, shards))
	}

	// The lagging replica of shard 0, started as it is, refuses to skip
	// what its shard's purge removed.
	ix, err := index.Open(lagging0.dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewShardReplica(nc, ix, 0, shards)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = rep.Run(runCtx)
	cancel()
	ix.Close()
	if !errors.Is(err, ErrBehind) {
		t.Fatalf("a replica behind its shard's purge ran: %v, want ErrBehind", err)
	}
	// Prepared, it moves its index aside and restores the newest snapshot.
	p, err := PrepareShard(ctx, nc, lagging0.dir, 0, shards)
	if err != nil {
		t.Fatal(err)
	}
	if p.Restored.Seq != newest0 || p.MovedAside == "" || !index.Exists(p.MovedAside) {
		t.Fatalf("lagging replica of shard 0 prepared: %+v", p)
	}
	c0 := startShardNode(t, nc, lagging0.dir, 0, shards)

	// The lagging replica of shard 1 is behind shard 0's purge and the
	// stream's first sequence, not its own shard's: it is left as it is,
	// and replays.
	p, err = PrepareShard(ctx, nc, lagging1.dir, 1, shards)
	if err != nil || p.Restored.Seq != 0 || p.MovedAside != "" {
		t.Fatalf("lagging replica of shard 1 prepared: %+v, %v", p, err)
	}
	if first := streamFirst(t, nc); p.Applied+1 >= first {
		t.Fatalf("the lagging replica of shard 1 applied up to %d, the stream starts at %d: not behind it", p.Applied, first)
	}
	c1 := startShardNode(t, nc, lagging1.dir, 1, shards)

	byShard := map[int][]*node{0: {a0, b0, wiped[0], c0}, 1: {a1, wiped[1], c1}}
	var held uint64
	for k := range shards {
		var want string
		var wantCount uint64
		for i, n := range byShard[k] {
			if err := n.rep.WaitApplied(ctx, last, 10*time.Second); err != nil {
				t.Fatalf("shard %d, replica %d: %v", k, i, err)
			}
			count, hash := fingerprint(t, n.ix, 50)
			if i == 0 {
				want, wantCount = hash, count
				continue
			}
			if count != wantCount || hash != want {
				t.Errorf("shard %d, replica %d holds %d articles, other than replica 0's %d", k, i, count, wantCount)
			}
		}
		for _, n := range byShard[k] {
			n.stop(t) // a replica that stopped with an error fails here
		}
		held += wantCount
	}
	if held != 48 {
		t.Errorf("the shards hold %d articles in all, want 48", held)
	}
}

// TestShardSnapshotsTakenPerShard runs a node of both shards of a cluster
// of two, snapshotting every 10 changes: each shard's replica counts the
// changes of its shard, not the stream's sequences, which count both.
func TestShardSnapshotsTakenPerShard(t *testing.T) {
	ctx := context.Background()
	s := startNATS(t)
	const shards = 2
	base := t.TempDir()
	var opened []*index.Index
	sn, err := JoinShards(ctx, Config{URLs: s.ClientURL(), Shards: shards, SnapshotEvery: 10},
		func(shard int) (*index.Index, error) {
			ix, err := index.Create(filepath.Join(base, fmt.Sprint("shard-", shard)))
			if err == nil {
				opened = append(opened, ix)
			}
			return ix, err
		})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- sn.Run(runCtx) }()
	defer func() {
		for _, ix := range opened {
			ix.Close()
		}
	}()
	defer sn.Close()

	// 15 changes of each shard, in turns: one snapshot of each, taken
	// once its replica applied 10 or more of them.
	pub := &shardLog{t: t, log: sn.Log, shards: shards, seqs: make([][]uint64, shards)}
	for i := 0; len(pub.seqs[0]) < 15 || len(pub.seqs[1]) < 15; i++ {
		a := article(i)
		if k := ShardOf(a.ID, shards); len(pub.seqs[k]) < 15 {
			pub.publish(Change{Article: &a})
		}
	}
	for _, rep := range sn.Replicas() {
		if err := rep.WaitApplied(ctx, pub.last, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for rep.SnapshotSeq() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("shard %d: no snapshot", rep.Shard())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	h, err := sn.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Shards) != shards {
		t.Fatalf("health of %d shards: %+v", len(h.Shards), h)
	}
	for k := range shards {
		seqs := shardSnapshotSeqs(t, sn.nc, k, shards)
		if len(seqs) != 1 {
			t.Fatalf("shard %d: snapshots %v, want one", k, seqs)
		}
		applied := len(pub.seqs[k]) - pub.heldAfter(k, seqs[0])
		if applied < 10 {
			t.Errorf("shard %d: snapshot at %d, after %d of its changes, want 10 or more", k, seqs[0], applied)
		}
		if sh := h.Shards[k]; sh.Shard != k || sh.SnapshotSeq != seqs[0] || sh.PurgedSeq != seqs[0] || sh.AppliedSeq < pub.last {
			t.Errorf("shard %d: health %+v, snapshot %d, last seq %d", k, sh, seqs[0], pub.last)
		}
		count, first := subjectState(t, sn.nc, k)
		if count != uint64(pub.heldAfter(k, seqs[0])) || (count > 0 && first != pub.after(k, seqs[0])) {
			t.Errorf("shard %d: the stream holds %d of its changes from %d, snapshot at %d", k, count, first, seqs[0])
		}
	}
}

// TestBehindPurge: a shard's replica that wants next and got seq after it
// lost a change only when its shard's last purged change lies between.
func TestBehindPurge(t *testing.T) {
	for _, c := range []struct {
		purged, next, seq uint64
		behind            bool
	}{
		{0, 1, 0, false},    // never purged
		{10, 11, 0, false},  // purged up to what it applied
		{10, 10, 0, true},   // purged its next change
		{10, 5, 12, true},   // the purged change 10 lies in the gap 5…11
		{10, 11, 15, false}, // the gap 11…14 is other shards' changes
		{20, 5, 12, false},  // purged after 12 was fetched: the next fetch tells
	} {
		if got := behindPurge(c.purged, c.next, c.seq); got != c.behind {
			t.Errorf("purged %d, next %d, got %d: behind %v, want %v", c.purged, c.next, c.seq, got, c.behind)
		}
	}
}
