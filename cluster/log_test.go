package cluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// startNATS runs one NATS server with JetStream on a free loopback port.
func startNATS(t testing.TB) *server.Server {
	t.Helper()
	s := natstest.Start(t)
	return s
}

// openTestLog starts a NATS server and opens a log on it, of shards
// shards (0: one log without shards), one replica.
func openTestLog(t testing.TB, shards int) (*server.Server, *nats.Conn, *Log) {
	t.Helper()
	s := startNATS(t)
	nc := connect(t, s)
	log, err := OpenShards(context.Background(), nc, 1, shards)
	if err != nil {
		t.Fatal(err)
	}
	return s, nc, log
}

func connect(t testing.TB, s *server.Server) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc
}

func article(i int) corpus.Article {
	return corpus.Article{
		ID:         fmt.Sprintf("a%03d", i),
		Title:      fmt.Sprintf("Bài báo số %d về kinh tế", i),
		Paragraphs: []string{fmt.Sprintf("Đoạn văn %d nói về giá vàng và thị trường chứng khoán.", i)},
	}
}

// node is a replica running on its own index directory.
type node struct {
	dir    string
	ix     *index.Index
	rep    *Replica
	cancel context.CancelFunc
	done   chan error
}

func startNode(t *testing.T, nc *nats.Conn, dir string) *node {
	t.Helper()
	ix, err := index.OpenOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := NewReplica(nc, ix)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &node{dir: dir, ix: ix, rep: rep, cancel: cancel, done: make(chan error, 1)}
	go func() { n.done <- rep.Run(ctx) }()
	return n
}

func (n *node) stop(t *testing.T) {
	t.Helper()
	n.cancel()
	if err := <-n.done; err != nil {
		t.Fatal(err)
	}
	if err := n.ix.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestLogAppliedInOrderAndResumed(t *testing.T) {
	ctx := context.Background()
	_, nc, log := openTestLog(t, 0)
	dir := filepath.Join(t.TempDir(), "ix")
	n := startNode(t, nc, dir)

	var last uint64
	for i := range 20 {
		a := article(i)
		seq, err := log.Publish(ctx, Change{Article: &a}, MsgID("write", i))
		if err != nil {
			t.Fatal(err)
		}
		if seq <= last {
			t.Fatalf("sequence %d after %d", seq, last)
		}
		last = seq
	}
	// A retried publish of the same write is not appended twice.
	a := article(19)
	again, err := log.Publish(ctx, Change{Article: &a}, MsgID("write", 19))
	if err != nil || again != last {
		t.Fatalf("retried publish: seq %d, %v; want %d", again, err, last)
	}
	seq, err := log.PublishDelete(ctx, "", "a003")
	if err != nil {
		t.Fatal(err)
	}
	if err := n.rep.WaitApplied(ctx, seq, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := n.ix.Get(ctx, "a003"); !errors.Is(err, index.ErrNotFound) {
		t.Fatalf("deleted article: %v", err)
	}
	got, err := n.ix.Get(ctx, "a007")
	if err != nil || got.Title != article(7).Title {
		t.Fatalf("a007: %+v, %v", got, err)
	}
	// Waiting for a sequence not yet written times out with ErrNotApplied.
	if err := n.rep.WaitApplied(ctx, seq+1, 50*time.Millisecond); !errors.Is(err, ErrNotApplied) {
		t.Fatalf("wait for unwritten sequence: %v", err)
	}

	// Stopped, then more written, then restarted: it resumes after the
	// last applied sequence, recorded in the index with the changes.
	n.stop(t)
	for i := 20; i < 30; i++ {
		a := article(i)
		next, err := log.Publish(ctx, Change{Article: &a}, MsgID("", 0))
		if err != nil || next != seq+1 {
			t.Fatalf("write %d: seq %d after %d, %v", i, next, seq, err)
		}
		seq = next
	}
	if seq, err = log.PublishDelete(ctx, "", "a010"); err != nil {
		t.Fatal(err)
	}
	n = startNode(t, nc, dir)
	if got := n.rep.Applied(); got != seq-11 {
		t.Fatalf("restarted at %d, want %d", got, seq-11)
	}
	if err := n.rep.WaitApplied(ctx, seq, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := range 30 {
		_, err := n.ix.Get(ctx, article(i).ID)
		deleted := i == 3 || i == 10
		if deleted != errors.Is(err, index.ErrNotFound) || (!deleted && err != nil) {
			t.Errorf("%s after restart: %v", article(i).ID, err)
		}
	}
	n.stop(t)
}

func TestPublishRefusesEmptyChange(t *testing.T) {
	ctx := context.Background()
	s := startNATS(t)
	log, err := Open(ctx, connect(t, s), 1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := log.Publish(ctx, Change{}, MsgID("", 0)); err == nil {
		t.Fatal("empty change published")
	}
}
