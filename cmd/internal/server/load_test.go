package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// The load test: the same queries from several clients while a writer
// posts, against one node without a cluster and against three nodes of a
// cluster on a 3-server NATS cluster, all on loopback in this process.

// loadWords are the vocabulary of the synthetic articles and queries.
var loadWords = strings.Fields(`giá vàng thị trường chứng khoán ngân hàng lãi suất bất động sản
xuất khẩu gạo cà phê du lịch bóng đá đội tuyển huấn luyện viên học sinh giáo dục bệnh viện
y tế bão lũ miền trung giao thông tai nạn cao tốc điện mặt trời xăng dầu doanh nghiệp
thuế nhà đầu tư hà nội thành phố hồ chí minh đà nẵng cần thơ quốc hội chính phủ bộ trưởng`)

// loadArticles makes n articles, the same for the same n.
func loadArticles(n int) []corpus.Article {
	rng := rand.New(rand.NewPCG(1, 2))
	words := func(k int) string {
		w := make([]string, k)
		for i := range w {
			w[i] = loadWords[rng.IntN(len(loadWords))]
		}
		return strings.Join(w, " ")
	}
	out := make([]corpus.Article, n)
	for i := range out {
		out[i] = corpus.Article{
			ID:         fmt.Sprintf("load-%05d", i),
			Source:     []string{"VNEXPRESS.NET", "VOV.VN", "TUOITRE.VN"}[i%3],
			Title:      words(8),
			Paragraphs: []string{words(40) + ".", words(40) + ".", words(30) + "."},
		}
	}
	return out
}

// loadQueries are two-word queries over loadWords.
func loadQueries(n int) []string {
	rng := rand.New(rand.NewPCG(3, 4))
	out := make([]string, n)
	for i := range out {
		out[i] = loadWords[rng.IntN(len(loadWords))] + " " + loadWords[rng.IntN(len(loadWords))]
	}
	return out
}

// serveLoopback serves cfg on a loopback port as vnsearch serve does and
// returns its URL.
func serveLoopback(tb testing.TB, cfg Config) string {
	tb.Helper()
	srv := New(cfg)
	ts := httptest.NewUnstartedServer(srv)
	ts.Config = HTTPServer(srv, context.Background(), log.New(io.Discard, "", 0))
	ts.Start()
	tb.Cleanup(func() { ts.Close(); srv.Close() })
	return ts.URL
}

// joinCluster joins a node over a new index to the NATS cluster at urls,
// retrying while JetStream elects its leaders, and applies the log
// until the test ends.
func joinCluster(tb testing.TB, urls, dir string) (*cluster.Node, *index.Index) {
	tb.Helper()
	ix, err := index.Create(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var node *cluster.Node
	deadline := time.Now().Add(30 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		node, err = cluster.Join(ctx, cluster.Config{URLs: urls, Replicas: 3}, ix)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			tb.Fatalf("joining the cluster: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- node.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		<-done
		node.Close()
		ix.Close()
	})
	return node, ix
}

// loadResult is what one load run measured.
type loadResult struct {
	queries, queryErrors int
	writes, writeErrors  int
	lastSeq              uint64 // of the cluster's writes
	elapsed              time.Duration
	p50, p99             time.Duration
	firstError           string
}

func (r loadResult) qps() float64 { return float64(r.queries) / r.elapsed.Seconds() }

func (r loadResult) String() string {
	return fmt.Sprintf("%6.0f queries/s, p50 %5.1f ms, p99 %5.1f ms, %d queries, %d errors; %d writes, %d errors",
		r.qps(), float64(r.p50.Microseconds())/1000, float64(r.p99.Microseconds())/1000,
		r.queries, r.queryErrors, r.writes, r.writeErrors)
}

// runLoad sends clients concurrent searches, spread over nodes, for
// duration, while one writer posts an article to the nodes in turn every
// writeEvery.
func runLoad(nodes []string, clients int, duration, writeEvery time.Duration, queries []string, articles []corpus.Article) loadResult {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients + 1}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	var (
		res      loadResult
		mu       sync.Mutex
		lats     []time.Duration
		stop     atomic.Bool
		wg       sync.WaitGroup
		firstErr atomic.Value
	)
	fail := func(format string, args ...any) { firstErr.CompareAndSwap(nil, fmt.Sprintf(format, args...)) }
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			errs := 0
			for i := c; !stop.Load(); i += clients {
				q := queries[i%len(queries)]
				node := nodes[i%len(nodes)]
				t0 := time.Now()
				resp, err := client.Get(node + "/search?size=10&q=" + url.QueryEscape(q))
				if err != nil {
					errs++
					fail("search %q: %v", q, err)
					continue
				}
				var r index.Result
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || err != nil {
					errs++
					fail("search %q: %d, %v", q, resp.StatusCode, err)
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lats = append(lats, mine...)
			res.queryErrors += errs
			mu.Unlock()
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(writeEvery)
		defer tick.Stop()
		for i := 0; !stop.Load(); i++ {
			<-tick.C
			a := articles[i%len(articles)]
			a.Title += fmt.Sprintf(" (cập nhật %d)", i)
			body, _ := json.Marshal(a)
			req, _ := http.NewRequest("POST", nodes[i%len(nodes)]+"/articles", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				res.writeErrors++
				fail("write: %v", err)
				continue
			}
			var w loggedWrite
			json.NewDecoder(resp.Body).Decode(&w)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusAccepted {
				res.writeErrors++
				fail("write: status %d", resp.StatusCode)
				continue
			}
			res.writes++
			res.lastSeq = max(res.lastSeq, w.Seq)
		}
	}()
	time.Sleep(duration)
	stop.Store(true)
	wg.Wait()
	res.elapsed = time.Since(start)
	res.queries = len(lats)
	slices.Sort(lats)
	if n := len(lats); n > 0 {
		res.p50, res.p99 = lats[n/2], lats[min(n-1, n*99/100)]
	}
	if v := firstErr.Load(); v != nil {
		res.firstError = v.(string)
	}
	return res
}

// loadSetup is the two systems under the same load: one node, and three
// nodes of a cluster, each over n articles.
type loadSetup struct {
	single   []string
	cluster  []string
	nodes    []*cluster.Node
	articles []corpus.Article
	queries  []string
}

func newLoadSetup(tb testing.TB, n int) *loadSetup {
	tb.Helper()
	ctx := context.Background()
	s := &loadSetup{articles: loadArticles(n), queries: loadQueries(500)}
	ix, err := index.Create(filepath.Join(tb.TempDir(), "single"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	if _, err := ix.Add(ctx, s.articles); err != nil {
		tb.Fatal(err)
	}
	s.single = []string{serveLoopback(tb, Config{Index: ix, Token: token})}

	urls := natstest.URLs(natstest.StartCluster(tb, "vnsearch-load"))
	var ixs []*index.Index
	for i := range 3 {
		node, nix := joinCluster(tb, urls, filepath.Join(tb.TempDir(), fmt.Sprint("node", i)))
		s.nodes = append(s.nodes, node)
		ixs = append(ixs, nix)
	}
	bulk, err := s.nodes[0].Bulk(0)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range s.articles {
		if err := bulk.Add(ctx, cluster.Change{Article: &s.articles[i]}, cluster.MsgID("", 0)); err != nil {
			tb.Fatal(err)
		}
	}
	st := bulk.Wait()
	if st.Failed > 0 {
		tb.Fatalf("loading the cluster: %v", st.FirstErr)
	}
	for i, node := range s.nodes {
		if err := node.WaitApplied(ctx, st.LastSeq, 60*time.Second); err != nil {
			tb.Fatalf("node %d: %v", i, err)
		}
		s.cluster = append(s.cluster, serveLoopback(tb, Config{Index: ixs[i], Token: token, Log: node}))
	}
	return s
}

// checkApplied fails unless every cluster node applied the writes of r.
func (s *loadSetup) checkApplied(tb testing.TB, r loadResult) {
	tb.Helper()
	for i, node := range s.nodes {
		if err := node.WaitApplied(context.Background(), r.lastSeq, 20*time.Second); err != nil {
			tb.Errorf("node %d after the load: %v", i, err)
		}
	}
}

// TestClusterLoadNoErrors runs a short load on both setups: no query or
// write may fail, and every node applies every write.
func TestClusterLoadNoErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	s := newLoadSetup(t, 500)
	for _, sys := range []struct {
		name  string
		nodes []string
	}{{"single", s.single}, {"cluster", s.cluster}} {
		r := runLoad(sys.nodes, 4, 1500*time.Millisecond, 20*time.Millisecond, s.queries, s.articles)
		t.Logf("%-7s %v", sys.name, r)
		if r.queryErrors+r.writeErrors > 0 || r.queries == 0 || r.writes == 0 {
			t.Errorf("%s: %v; first error: %s", sys.name, r, r.firstError)
		}
		if sys.name == "cluster" {
			s.checkApplied(t, r)
		}
	}
}

// BenchmarkClusterLoad reports queries a second and p50/p99 latency of
// 8 clients searching while a writer posts 50 articles a second, for
// one node alone and for three cluster nodes (R3 stream on three NATS
// servers), 6 s each on 5,000 articles; all on this machine's loopback.
func BenchmarkClusterLoad(b *testing.B) {
	s := newLoadSetup(b, 5000)
	b.ResetTimer()
	var single, clustered loadResult
	for range b.N {
		single = runLoad(s.single, 8, 6*time.Second, 20*time.Millisecond, s.queries, s.articles)
		clustered = runLoad(s.cluster, 8, 6*time.Second, 20*time.Millisecond, s.queries, s.articles)
	}
	b.StopTimer()
	b.Logf("single  %v", single)
	b.Logf("cluster %v", clustered)
	for name, r := range map[string]loadResult{"single": single, "cluster": clustered} {
		if r.queryErrors+r.writeErrors > 0 {
			b.Errorf("%s: %v; first error: %s", name, r, r.firstError)
		}
	}
	s.checkApplied(b, clustered)
	b.ReportMetric(single.qps(), "single-qps")
	b.ReportMetric(float64(single.p50.Microseconds())/1000, "single-p50-ms")
	b.ReportMetric(float64(single.p99.Microseconds())/1000, "single-p99-ms")
	b.ReportMetric(clustered.qps(), "cluster-qps")
	b.ReportMetric(float64(clustered.p50.Microseconds())/1000, "cluster-p50-ms")
	b.ReportMetric(float64(clustered.p99.Microseconds())/1000, "cluster-p99-ms")
}
