package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// serving is a vnsearch serve running in-process.
type serving struct {
	url    string
	stderr *syncBuffer
	cancel context.CancelFunc
	code   chan int
}

var listeningRE = regexp.MustCompile(`listening on (http://\S+)`)

// startServeInProcess runs vnsearch serve with args in-process until stop.
func startServeInProcess(t *testing.T, args ...string) *serving {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &serving{stderr: &syncBuffer{}, cancel: cancel, code: make(chan int, 1)}
	a := &app{stdout: &syncBuffer{}, stderr: s.stderr, getenv: func(string) string { return "" }}
	go func() { s.code <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), a) }()
	deadline := time.Now().Add(45 * time.Second) // past serve's 30 s of waiting for JetStream
	for {
		if m := listeningRE.FindStringSubmatch(s.stderr.String()); m != nil {
			s.url = m[1]
			return s
		}
		select {
		case code := <-s.code:
			cancel()
			t.Fatalf("serve exited %d: %s", code, s.stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve not listening: %s", s.stderr.String())
		}
	}
}

func (s *serving) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	if code := <-s.code; code != 0 {
		t.Errorf("serve exited %d: %s", code, s.stderr.String())
	}
}

func (s *serving) getJSON(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d: %s\nserve said:\n%s", path, resp.StatusCode, body, s.stderr.String())
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

// TestServeNATSRestoresSnapshot starts serve --nats on a wiped index
// directory and on one behind the purged stream: both restore the newest
// snapshot, replay what follows it, and serve all the articles.
func TestServeNATSRestoresSnapshot(t *testing.T) {
	ctx := context.Background()
	ns := startNATS(t)
	url := ns.ClientURL()
	seeds := seedDir(t)
	mustRun(t, nil, "index", "--nats", url, seeds)
	node, _ := clusterNode(t, url)
	if err := node.WaitApplied(ctx, 5, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if snap, err := node.Snapshot(ctx); err != nil || snap.Seq != 5 {
		t.Fatalf("snapshot %+v, %v", snap, err)
	}
	more := filepath.Join(t.TempDir(), "more.jsonl")
	err := os.WriteFile(more, []byte(`{"id":"m1","title":"Giá xăng giảm","paragraphs":["Xăng giảm 300 đồng."]}
{"id":"m2","title":"Giá xăng tăng","paragraphs":["Xăng tăng 200 đồng."]}
{"id":"m3","title":"Giá dầu giữ nguyên","paragraphs":["Dầu không đổi."]}
`), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	mustRun(t, nil, "index", "--nats", url, more)

	// A node that had applied up to seq 2 before the purge.
	lagging := filepath.Join(t.TempDir(), "lagging")
	ix, err := index.Create(lagging)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Apply(ctx, index.Ops{Meta: map[string][]byte{cluster.SeqKey: []byte("2")}}); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	wiped := filepath.Join(t.TempDir(), "wiped")

	for _, dir := range []string{wiped, lagging} {
		s := startServeInProcess(t, "--index", dir, "--nats", url, "--snapshot-every", "0")
		var h struct {
			AppliedSeq  uint64 `json:"applied_seq"`
			Lag         uint64 `json:"lag"`
			SnapshotSeq uint64 `json:"snapshot_seq"`
		}
		deadline := time.Now().Add(10 * time.Second)
		for s.getJSON(t, "/healthz", &h); h.AppliedSeq < 8; s.getJSON(t, "/healthz", &h) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: applied %d, want 8", dir, h.AppliedSeq)
			}
			time.Sleep(20 * time.Millisecond)
		}
		if h.AppliedSeq != 8 || h.Lag != 0 || h.SnapshotSeq != 5 {
			t.Errorf("%s: healthz %+v", dir, h)
		}
		var seeds index.Result
		var stats index.Stats
		s.getJSON(t, "/search?q=ma+t%C3%BAy&size=10", &seeds)
		s.getJSON(t, "/stats", &stats)
		var m3 struct{ Title string }
		s.getJSON(t, "/articles/m3", &m3)
		if seeds.Total != 5 || stats.Articles != 8 || m3.Title != "Giá dầu giữ nguyên" {
			t.Errorf("%s: %d seeds found, %d articles, m3 %q; want 5, 8 and m3", dir, seeds.Total, stats.Articles, m3.Title)
		}
		s.stop(t)
		log := s.stderr.String()
		if !strings.Contains(log, "restored the snapshot at seq 5") {
			t.Errorf("%s: serve did not say it restored the snapshot:\n%s", dir, log)
		}
		if moved := strings.Contains(log, "had applied the log up to seq 2, but the stream was purged past it"); moved != (dir == lagging) {
			t.Errorf("%s: moved aside %v:\n%s", dir, moved, log)
		}
	}
	if aside, _ := filepath.Glob(lagging + ".behind-*"); len(aside) != 1 {
		t.Errorf("the lagging index moved aside to %v", aside)
	}
}

// TestServeNATSWaitsForJetStream starts serve --nats while one of three
// NATS servers of a cluster is up, JetStream without a leader: it tries
// again until the others come and it can create the stream.
func TestServeNATSWaitsForJetStream(t *testing.T) {
	servers := natstest.NewCluster(t, "vnsearch-wait")
	servers[0].Start()
	natstest.Ready(t, servers[0])
	go func() {
		time.Sleep(6 * time.Second) // past one JetStream timeout (5 s)
		servers[1].Start()
		servers[2].Start()
	}()
	s := startServeInProcess(t, "--index", filepath.Join(t.TempDir(), "idx"), "--nats", servers[0].ClientURL())
	s.stop(t)
	if log := s.stderr.String(); !strings.Contains(log, "trying again") || !strings.Contains(log, "joined the cluster") {
		t.Errorf("serve did not wait for JetStream:\n%s", log)
	}
}

// TestServeNATSShardsRestoreSnapshots runs a node of both shards of a
// cluster of two that snapshots each shard, then starts another on an
// empty --index: it restores each shard's newest snapshot into
// DIR/shard-K, replays what follows, and serves every article.
func TestServeNATSShardsRestoreSnapshots(t *testing.T) {
	ns := startNATS(t)
	url := ns.ClientURL()
	a := startServeInProcess(t, "--index", filepath.Join(t.TempDir(), "a"), "--nats", url, "--shards", "2", "--snapshot-every", "1")
	more := filepath.Join(t.TempDir(), "more.jsonl")
	var lines strings.Builder
	shardOf := map[int]bool{}
	for i := range 6 {
		id := fmt.Sprintf("m%d", i)
		shardOf[cluster.ShardOf(id, 2)] = true
		fmt.Fprintf(&lines, `{"id":%q,"title":"Giá xăng kỳ %d","paragraphs":["Xăng đổi giá lần %d."]}`+"\n", id, i, i)
	}
	if len(shardOf) != 2 {
		t.Fatal("the articles m0…m5 are all of one shard")
	}
	if err := os.WriteFile(more, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, nil, "index", "--nats", url, seedDir(t))
	mustRun(t, nil, "index", "--nats", url, more)
	const total = 11

	type health struct {
		AppliedSeq  uint64                `json:"applied_seq"`
		ShardHealth []cluster.ShardHealth `json:"shard_health"`
	}
	var h health
	deadline := time.Now().Add(15 * time.Second)
	for {
		a.getJSON(t, "/healthz", &h)
		snapshotted := len(h.ShardHealth) == 2
		for _, sh := range h.ShardHealth {
			snapshotted = snapshotted && sh.SnapshotSeq > 0 && sh.PurgedSeq > 0
		}
		if h.AppliedSeq >= total && snapshotted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("node a: healthz %+v", h)
		}
		time.Sleep(20 * time.Millisecond)
	}
	a.stop(t)

	dir := filepath.Join(t.TempDir(), "b")
	b := startServeInProcess(t, "--index", dir, "--nats", url, "--snapshot-every", "0")
	deadline = time.Now().Add(10 * time.Second)
	for b.getJSON(t, "/healthz", &h); h.AppliedSeq < total; b.getJSON(t, "/healthz", &h) {
		if time.Now().After(deadline) {
			t.Fatalf("node b: healthz %+v", h)
		}
		time.Sleep(20 * time.Millisecond)
	}
	var stats index.Stats
	b.getJSON(t, "/stats", &stats)
	var m5 struct{ Title string }
	b.getJSON(t, "/articles/m5", &m5)
	if stats.Articles != total || m5.Title != "Giá xăng kỳ 5" {
		t.Errorf("node b: %d articles, m5 %q; want %d and m5", stats.Articles, m5.Title, total)
	}
	// Its shards, restored, understand a query as one index does: typed
	// without diacritics, restored and offered; and they complete titles.
	var found index.Result
	b.getJSON(t, "/search?q=ma+tuy", &found)
	if found.DidYouMean != "ma túy" || len(found.Hits) == 0 || found.Shards == nil || found.Shards.Answered != 2 {
		t.Errorf("node b: ma tuy: did you mean %q, %d hits, shards %+v", found.DidYouMean, len(found.Hits), found.Shards)
	}
	var completed struct {
		Suggestions []index.Suggestion `json:"suggestions"`
	}
	b.getJSON(t, "/suggest?q=gia+x", &completed)
	if len(completed.Suggestions) == 0 || !strings.HasPrefix(completed.Suggestions[0].Text, "Giá xăng") {
		t.Errorf("node b: suggest gia x: %+v", completed.Suggestions)
	}
	b.stop(t)
	log := b.stderr.String()
	for k := range 2 {
		if !strings.Contains(log, "into "+filepath.Join(dir, fmt.Sprint("shard-", k))+";") {
			t.Errorf("node b did not say it restored shard %d's snapshot:\n%s", k, log)
		}
	}
}
