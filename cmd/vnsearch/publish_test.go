package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// startNATS runs one NATS server with JetStream on a free loopback port.
func startNATS(t testing.TB) *natsserver.Server {
	t.Helper()
	s := natstest.Start(t)
	return s
}

// clusterNode joins an index of its own to the cluster at url and applies
// the log until the test ends.
func clusterNode(t testing.TB, url string) (*cluster.Node, *index.Index) {
	t.Helper()
	ix, err := index.Create(filepath.Join(t.TempDir(), "node"))
	if err != nil {
		t.Fatal(err)
	}
	node, err := cluster.Join(context.Background(), cluster.Config{URLs: url}, ix)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
		node.Close()
		ix.Close()
	})
	return node, ix
}

var summaryRE = regexp.MustCompile(`published (\d+) articles in \S+: (\d+) new, (\d+) duplicates, (\d+) failed; (\d+) problems; last seq (\d+)`)

// publishSummary reads the figures of the summary line of index --nats.
func publishSummary(t *testing.T, out string) (total, fresh, dups, failed, problems int, last uint64) {
	t.Helper()
	m := summaryRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary line in %q", out)
	}
	n := make([]int, 6)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return n[0], n[1], n[2], n[3], n[4], uint64(n[5])
}

func TestIndexNATSPublishesOnceAndNodesApply(t *testing.T) {
	ns := startNATS(t)
	node, ix := clusterNode(t, ns.ClientURL())
	seeds := seedDir(t)
	// A JSON Lines file beside the pages: its records are named by their
	// number in the file.
	jsonl := filepath.Join(t.TempDir(), "more.jsonl")
	var lines strings.Builder
	for i := range 30 {
		lines.WriteString(`{"id":"bulk-` + strconv.Itoa(i) + `","title":"Giá xăng kỳ điều chỉnh ` + strconv.Itoa(i) + `","paragraphs":["Liên bộ Công Thương – Tài chính điều chỉnh giá xăng dầu."]}` + "\n")
	}
	if err := os.WriteFile(jsonl, []byte(lines.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// No --index: the command must not open or create a local index.
	env := map[string]string{"HOME": t.TempDir(), "XDG_DATA_HOME": t.TempDir()}
	r := mustRun(t, env, "index", "--nats", ns.ClientURL(), "--window", "8", seeds, jsonl)
	total, fresh, dups, failed, problems, last := publishSummary(t, r.stdout)
	if total != 35 || fresh != 35 || dups != 0 || failed != 0 || problems != 0 || last != 35 {
		t.Fatalf("first run: %s", r.stdout)
	}
	if strings.Contains(r.stderr, "created a new index") {
		t.Errorf("index --nats created a local index: %s", r.stderr)
	}
	if err := node.WaitApplied(context.Background(), last, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := ix.Stats(ctx)
	if err != nil || st.Articles != 35 {
		t.Fatalf("the node holds %d articles (%v), want 35", st.Articles, err)
	}
	for art, err := range corpus.Articles(ctx, seeds, jsonl) {
		if err != nil {
			t.Fatal(err)
		}
		got, err := ix.Get(ctx, art.ID)
		if err != nil || got.Title != art.Title {
			t.Errorf("%s on the node: %q, %v", art.ID, got.Title, err)
		}
	}
	res, err := ix.Search(ctx, index.Request{Query: "giá xăng", Size: 50})
	if err != nil || res.Total != 30 {
		t.Errorf("giá xăng: %d hits, %v; want 30", res.Total, err)
	}

	// The same load again: every article is a duplicate, nothing appended.
	r = mustRun(t, env, "index", "--nats", ns.ClientURL(), seeds, jsonl)
	total, fresh, dups, failed, _, again := publishSummary(t, r.stdout)
	if total != 35 || fresh != 0 || dups != 35 || failed != 0 || again != last {
		t.Fatalf("second run: %s", r.stdout)
	}
	// A changed record is a new change; the others still duplicates.
	changed := strings.Replace(lines.String(), "điều chỉnh 7", "điều chỉnh bảy", 1)
	if err := os.WriteFile(jsonl, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	r = mustRun(t, env, "index", "--nats", ns.ClientURL(), jsonl)
	if _, fresh, dups, _, _, seq := publishSummary(t, r.stdout); fresh != 1 || dups != 29 || seq != last+1 {
		t.Fatalf("run after a change: %s", r.stdout)
	}
	if err := node.WaitApplied(ctx, last+1, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if got, err := ix.Get(ctx, "bulk-7"); err != nil || !strings.Contains(got.Title, "bảy") {
		t.Errorf("bulk-7 after the change: %q, %v", got.Title, err)
	}
}

func TestIndexNATSFailsWithoutServer(t *testing.T) {
	ns := startNATS(t)
	url := ns.ClientURL()
	ns.Shutdown()
	r := runCLI(t, nil, "index", "--nats", url, seedDir(t))
	if r.code != exitFailure || !strings.Contains(r.stderr, "connect") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	r = runCLI(t, nil, "index", "--nats", url, "--prune", seedDir(t))
	if r.code != exitUsage {
		t.Errorf("--nats --prune: exit %d, stderr %q", r.code, r.stderr)
	}
}

// BenchmarkIndexNATSBaomoi publishes the first 20,000 baomoi articles to
// a loopback NATS server with index --nats, one load per iteration on a
// fresh stream. Skipped without the corpus (never committed).
func BenchmarkIndexNATSBaomoi(b *testing.B) {
	const corpusPath = "/work/shared/corpus/baomoi-35k.jsonl.gz"
	if _, err := os.Stat(corpusPath); err != nil {
		b.Skipf("no corpus at %s", corpusPath)
	}
	const n = 20000
	file := filepath.Join(b.TempDir(), "baomoi-20k.jsonl")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	enc := json.NewEncoder(f)
	i := 0
	for art, err := range corpus.Articles(context.Background(), corpusPath) {
		if err != nil {
			b.Fatal(err)
		}
		if err := enc.Encode(art); err != nil {
			b.Fatal(err)
		}
		if i++; i == n {
			break
		}
	}
	f.Close()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		ns := startNATS(b)
		b.StartTimer()
		var stdout, stderr bytes.Buffer
		a := &app{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		if code := run(context.Background(), []string{"index", "--nats", ns.ClientURL(), file}, a); code != 0 {
			b.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
		}
		b.StopTimer()
		b.Log(strings.TrimSpace(stdout.String()))
		ns.Shutdown()
		b.StartTimer()
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "articles/s")
}

// TestIndexNATSFailedPublishes publishes to a NATS server whose JetStream
// storage holds only a few articles: the rest are refused, counted as
// failed, and the exit code is 1.
func TestIndexNATSFailedPublishes(t *testing.T) {
	s := natstest.Start(t, func(o *natsserver.Options) { o.JetStreamMaxStore = 4 << 10 })
	r := runCLI(t, nil, "index", "--nats", s.ClientURL(), seedDir(t))
	total, fresh, _, failed, _, _ := publishSummary(t, r.stdout)
	if r.code != exitFailure || failed == 0 || fresh+failed != 5 || total != fresh || !strings.Contains(r.stderr, "publishes failed") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
}
