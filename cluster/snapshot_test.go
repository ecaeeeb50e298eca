package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vnsearch/vnsearch/index"
)

// fingerprint is the article count of ix and a hash of every article
// stored under the IDs of articles 0…n-1 (or of its absence).
func fingerprint(t *testing.T, ix *index.Index, n int) (uint64, string) {
	t.Helper()
	ctx := context.Background()
	st, err := ix.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for i := range n {
		a, err := ix.Get(ctx, article(i).ID)
		switch {
		case errors.Is(err, index.ErrNotFound):
			h.Write([]byte("absent\n"))
		case err != nil:
			t.Fatal(err)
		default:
			b, _ := json.Marshal(a)
			h.Write(append(b, '\n'))
		}
	}
	return st.Articles, hex.EncodeToString(h.Sum(nil))
}

// publishRange publishes articles from…to-1, each with its own message
// ID, their titles edited by round so that a later round replaces them,
// and returns the last sequence.
func publishRange(t *testing.T, log *Log, from, to int, round string) uint64 {
	t.Helper()
	var seq uint64
	for i := from; i < to; i++ {
		a := article(i)
		a.Title += round
		s, err := log.Publish(context.Background(), Change{Article: &a}, MsgID("", 0))
		if err != nil {
			t.Fatal(err)
		}
		seq = s
	}
	return seq
}

func streamFirst(t *testing.T, nc *nats.Conn) uint64 {
	t.Helper()
	js, _ := jetstream.New(nc)
	st, err := js.Stream(context.Background(), Stream)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().State.FirstSeq
}

func snapshotSeqs(t *testing.T, nc *nats.Conn) []uint64 {
	t.Helper()
	have, err := Snapshots(context.Background(), nc)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []uint64
	for _, s := range have {
		seqs = append(seqs, s.Seq)
	}
	return seqs
}

func TestSnapshotRestoresWipedAndLaggingNodes(t *testing.T) {
	ctx := context.Background()
	_, nc, log := openTestLog(t, 0)
	base := t.TempDir()
	a := startNode(t, nc, filepath.Join(base, "a"))
	b := startNode(t, nc, filepath.Join(base, "b"))
	lagging := startNode(t, nc, filepath.Join(base, "lagging"))

	seq := publishRange(t, log, 0, 10, "")
	if err := lagging.rep.WaitApplied(ctx, seq, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	lagging.stop(t) // it stays at seq 10 while the stream moves on

	// 40 articles, some replaced and deleted, snapshotted three times by
	// two nodes: the bucket keeps the newest two, the stream starts right
	// after the older of them.
	publishRange(t, log, 10, 40, "")
	seq = publishRange(t, log, 0, 5, " (sửa)")
	if _, err := log.PublishDelete(ctx, "", article(7).ID); err != nil {
		t.Fatal(err)
	}
	seq++
	mustSnapshot := func(n *node, want uint64) {
		t.Helper()
		if err := n.rep.WaitApplied(ctx, want, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		snap, err := n.rep.Snapshot(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if snap.Seq != want || snap.Size == 0 || n.rep.SnapshotSeq() != want {
			t.Fatalf("snapshot %+v (node knows %d), want seq %d", snap, n.rep.SnapshotSeq(), want)
		}
	}
	mustSnapshot(a, seq) // 46
	first := seq
	if got := streamFirst(t, nc); got != first+1 {
		t.Fatalf("after one snapshot at %d the stream starts at %d", first, got)
	}
	seq = publishRange(t, log, 20, 30, " (lần 2)")
	mustSnapshot(b, seq) // 56
	second := seq
	seq = publishRange(t, log, 40, 45, "")
	mustSnapshot(a, seq) // 61
	if got := snapshotSeqs(t, nc); !slices.Equal(got, []uint64{second, seq}) {
		t.Fatalf("snapshots %v, want %d and %d", got, second, seq)
	}
	if got := streamFirst(t, nc); got != second+1 {
		t.Fatalf("the stream starts at %d, want %d (after the oldest snapshot kept)", got, second+1)
	}
	// Written after the last snapshot: restored nodes replay them.
	publishRange(t, log, 45, 50, "")
	if _, err := log.PublishDelete(ctx, "", article(41).ID); err != nil {
		t.Fatal(err)
	}
	last := seq + 6

	// A wiped node (an empty directory) restores the newest snapshot,
	// then replays from the seq after it.
	wiped := filepath.Join(base, "wiped")
	if err := os.Mkdir(wiped, 0o755); err != nil {
		t.Fatal(err)
	}
	p, err := Prepare(ctx, nc, wiped)
	if err != nil {
		t.Fatal(err)
	}
	if p.Restored.Seq != seq || p.Applied != seq || p.MovedAside != "" {
		t.Fatalf("wiped node prepared: %+v, want snapshot %d restored", p, seq)
	}
	c := startNode(t, nc, wiped)

	// The lagging node, started as it is, refuses to skip what was purged.
	ix, err := index.Open(lagging.dir, index.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewReplica(nc, ix)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	err = rep.Run(runCtx)
	cancel()
	ix.Close()
	if !errors.Is(err, ErrBehind) {
		t.Fatalf("a node behind the purged stream ran: %v, want ErrBehind", err)
	}
	// Prepared, it moves its index aside and restores the newest snapshot.
	p, err = Prepare(ctx, nc, lagging.dir)
	if err != nil {
		t.Fatal(err)
	}
	if p.Restored.Seq != seq || p.MovedAside == "" || !index.Exists(p.MovedAside) {
		t.Fatalf("lagging node prepared: %+v", p)
	}
	d := startNode(t, nc, lagging.dir)

	var want string
	for i, n := range []*node{a, b, c, d} {
		if err := n.rep.WaitApplied(ctx, last, 10*time.Second); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		count, hash := fingerprint(t, n.ix, 50)
		if count != 48 {
			t.Errorf("node %d holds %d articles, want 48", i, count)
		}
		if i == 0 {
			want = hash
		} else if hash != want {
			t.Errorf("node %d holds other articles than node 0", i)
		}
		n.stop(t)
	}
	// Prepared again, a node up to date is left alone.
	if p, err := Prepare(ctx, nc, wiped); err != nil || p.Restored.Seq != 0 || p.MovedAside != "" || p.Applied != last {
		t.Errorf("up-to-date node prepared: %+v, %v", p, err)
	}
}

func TestPrepareRefusesWhatItCannotRecover(t *testing.T) {
	ctx := context.Background()
	_, nc, log := openTestLog(t, 0)
	// A new node of a stream never purged replays it all.
	dir := filepath.Join(t.TempDir(), "ix")
	if p, err := Prepare(ctx, nc, dir); err != nil || p != (Prepared{}) {
		t.Fatalf("new node: %+v, %v", p, err)
	}
	ix, err := index.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	ix.Close()
	publishRange(t, log, 0, 5, "")
	// Purged without a snapshot: nothing to restore, the index stays.
	js, _ := jetstream.New(nc)
	st, _ := js.Stream(ctx, Stream)
	if err := st.Purge(ctx, jetstream.WithPurgeSequence(4)); err != nil {
		t.Fatal(err)
	}
	if _, err := Prepare(ctx, nc, dir); !errors.Is(err, ErrBehind) || !index.Exists(dir) {
		t.Fatalf("behind without a snapshot: %v; index kept: %v", err, index.Exists(dir))
	}
}

func TestPeriodicSnapshotBoundsTheStream(t *testing.T) {
	ctx := context.Background()
	_, nc, log := openTestLog(t, 0)
	ix, err := index.Create(filepath.Join(t.TempDir(), "ix"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	rep, err := NewReplica(nc, ix)
	if err != nil {
		t.Fatal(err)
	}
	rep.SetSnapshots(20, nil)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- rep.Run(runCtx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	// Three rounds of 25 writes, each waited for and followed by its
	// snapshot: every round crosses the mark once.
	// A round's snapshot is taken at 20 or more past the previous one,
	// which is at most 25 before the round's end: one a round, no more.
	var seqs []uint64
	var prev uint64
	for round := range 3 {
		seq := publishRange(t, log, round*25, round*25+25, "")
		if err := rep.WaitApplied(ctx, seq, 10*time.Second); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		for rep.SnapshotSeq() == prev {
			if time.Now().After(deadline) {
				t.Fatalf("round %d: no snapshot after applying %d (newest %d)", round, seq, prev)
			}
			time.Sleep(20 * time.Millisecond)
		}
		got := rep.SnapshotSeq()
		if got < prev+20 || got > seq {
			t.Fatalf("round %d: snapshot at %d, previous %d, applied %d", round, got, prev, seq)
		}
		seqs = append(seqs, got)
		prev = got
	}
	// The snapshot runs after its upload's trim; wait for the replica's
	// background work to end before reading the bucket.
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	got := snapshotSeqs(t, nc)
	if len(got) != KeepSnapshots || got[1] != seqs[2] || got[0] != seqs[1] {
		t.Fatalf("bucket holds %v, snapshots taken at %v", got, seqs)
	}
	if first := streamFirst(t, nc); first != got[0]+1 {
		t.Fatalf("stream starts at %d, oldest snapshot kept %d", first, got[0])
	}
}
