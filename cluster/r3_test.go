package cluster

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// publishRetrying publishes c, retrying while the cluster elects leaders:
// a retry of an acknowledged write is de-duplicated by its message ID.
func publishRetrying(t *testing.T, log *Log, c Change) uint64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	id := MsgID("", 0) // one write: every retry carries its ID
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		seq, err := log.Publish(ctx, c, id)
		cancel()
		if err == nil {
			return seq
		}
		if time.Now().After(deadline) {
			t.Fatalf("publish: %v", err)
		}
		time.Sleep(50 * time.Millisecond) // back off before the retry
	}
}

func TestR3ClusterSurvivesLostServerAndNode(t *testing.T) {
	ctx := context.Background()
	servers := natstest.StartCluster(t, "vnsearch-test")
	nc, err := nats.Connect(natstest.URLs(servers), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The JetStream meta leader takes a moment to be elected.
	var log *Log
	deadline := time.Now().Add(30 * time.Second)
	for {
		octx, cancel := context.WithTimeout(ctx, 3*time.Second)
		log, err = Open(octx, nc, 3)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("creating the R3 stream: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // back off before the retry
	}
	js, _ := jetstream.New(nc)
	info, err := js.Stream(ctx, Stream)
	if err != nil || info.CachedInfo().Config.Replicas != 3 {
		t.Fatalf("stream: %v", err)
	}

	dirs := []string{t.TempDir() + "/a", t.TempDir() + "/b"}
	nodes := []*node{startNode(t, nc, dirs[0]), startNode(t, nc, dirs[1])}
	var seq uint64
	for i := range 20 {
		a := article(i)
		seq = publishRetrying(t, log, Change{Article: &a})
	}
	if seq != 20 {
		t.Fatalf("20 writes acknowledged up to seq %d", seq)
	}
	// Node b stops mid-stream; one NATS server goes away during writes.
	nodes[1].stop(t)
	for i := 20; i < 60; i++ {
		if i == 30 {
			servers[2].Shutdown()
		}
		a := article(i)
		next := publishRetrying(t, log, Change{Article: &a})
		if next != seq+1 {
			t.Fatalf("write %d acknowledged as seq %d after %d: lost or doubled", i, next, seq)
		}
		seq = next
	}
	seq = publishRetrying(t, log, Change{Delete: "a001"})
	nodes[1] = startNode(t, nc, dirs[1])
	for i, n := range nodes {
		if err := n.rep.WaitApplied(ctx, seq, 20*time.Second); err != nil {
			t.Fatalf("node %d: %v", i, err)
		}
		st, err := n.ix.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Articles != 59 {
			t.Errorf("node %d holds %d articles, want 59", i, st.Articles)
		}
		for j := range 60 {
			got, err := n.ix.Get(ctx, article(j).ID)
			if j == 1 {
				if !errors.Is(err, index.ErrNotFound) {
					t.Errorf("node %d: deleted a001: %v", i, err)
				}
				continue
			}
			if err != nil || got.Title != article(j).Title || got.Paragraphs[0] != article(j).Paragraphs[0] {
				t.Errorf("node %d: %s: %+v, %v", i, article(j).ID, got, err)
			}
		}
		n.stop(t)
	}
}
