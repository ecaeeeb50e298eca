//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// baomoiPath is the shared corpus beside the repository: 34,752 real
// articles, never committed.
const baomoiPath = "../../../shared/corpus/baomoi-35k.jsonl.gz"

// The load of BenchmarkServeMemory: searchClients clients sending
// queriesPerClient queries each, while one writer posts bodies of
// writeBatch new articles (at most maxWrites of them) until they are done.
const (
	searchClients    = 12
	queriesPerClient = 400
	writeBatch       = 1000
	maxWrites        = 6
)

// BenchmarkServeMemory measures the peak memory of a real `vnsearch serve`
// on the baomoi index (built once into a temporary directory, copied for
// every run) under 12 search clients and a writer posting articles. It
// reports VmHWM, the peaks of anonymous memory (the Go heap and stacks)
// and of mapped index pages, and the clients' query latency.
//
// Sub-benchmarks: "current" is this vnsearch as it serves by default;
// "current/no-memory-limit" the same with GOMEMLIMIT=off;
// "current/gogc100" with Go's default collector target instead of serve's;
// "current/read-only" without the writer; "baseline" and
// "baseline/read-only" an older binary named by $VNSEARCH_BASELINE_BIN,
// when set, under the same loads in the same run. $VNSEARCH_BENCH_INDEX
// names a baomoi index to copy instead of building one.
//
//	go test -run='^$' -bench=ServeMemory -benchtime=1x -count=3 ./cmd/vnsearch
func BenchmarkServeMemory(b *testing.B) {
	if _, err := os.Stat(baomoiPath); err != nil {
		b.Skipf("%s absent: this benchmark needs the shared baomoi corpus", baomoiPath)
	}
	articles := loadArticles(b)
	queries := loadQueries(articles)
	bodies := writeBodies(b, articles)
	built := baomoiIndex(b)

	type run struct {
		name   string
		bin    string
		env    []string
		writes bool
	}
	runs := []run{
		{"current", binary(b), nil, true},
		{"current/no-memory-limit", binary(b), []string{"GOMEMLIMIT=off"}, true},
		{"current/read-only", binary(b), nil, false},
		{"current/gogc100", binary(b), []string{"GOGC=100"}, true},
	}
	if base := os.Getenv("VNSEARCH_BASELINE_BIN"); base != "" {
		runs = append(runs, run{"baseline", base, nil, true}, run{"baseline/read-only", base, nil, false})
	}
	for _, run := range runs {
		b.Run(run.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				dir := filepath.Join(b.TempDir(), "idx")
				copyDir(b, built, dir)
				b.StartTimer()
				writes := bodies
				if !run.writes {
					writes = nil
				}
				m := serveUnderLoad(b, run.bin, childEnv(b, run.env...), dir, queries, writes)
				b.ReportMetric(m.hwm, "MB-VmHWM")
				b.ReportMetric(m.anon, "MB-anon-peak")
				b.ReportMetric(m.file, "MB-file-peak")
				b.ReportMetric(m.p50, "ms-p50")
				b.ReportMetric(m.p99, "ms-p99")
				b.ReportMetric(float64(m.written), "articles-written")
				b.ReportMetric(float64(m.timeouts), "searches-503")
			}
		})
	}
}

// loadMeasure is what one run under load measured.
type loadMeasure struct {
	hwm, anon, file float64 // MB
	p50, p99        float64 // ms
	written         int
	timeouts        int // searches answered 503
}

// serveUnderLoad starts bin serve on dir and runs the load against it.
func serveUnderLoad(b *testing.B, bin string, env []string, dir string, queries []string, bodies [][]byte) loadMeasure {
	const token = "bench-token-0123456789"
	srv := startServeBinary(b, bin, env, "--index", dir, "--token", token)
	defer srv.stop(b)
	pid := srv.cmd.Process.Pid

	var (
		mu        sync.Mutex
		anon, fil float64
	)
	sample := func() {
		st := procStatus(b, pid)
		mu.Lock()
		anon, fil = max(anon, st["RssAnon"]), max(fil, st["RssFile"]+st["RssShmem"])
		mu.Unlock()
	}
	ctx, cancel := context.WithCancel(context.Background())
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()

	client := &http.Client{Timeout: time.Minute}
	var (
		wg        sync.WaitGroup
		latencies = make([][]time.Duration, searchClients)
		failures  = make(chan string, searchClients+1)
		written   int
		timeouts  atomic.Int64
	)
	searching, doneSearching := context.WithCancel(context.Background())
	for c := range searchClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queriesPerClient {
				q := queries[(c*queriesPerClient+i)%len(queries)]
				start := time.Now()
				resp, err := client.Get(srv.url + "/search?q=" + url.QueryEscape(q))
				if err != nil {
					failures <- err.Error()
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case http.StatusOK:
				case http.StatusServiceUnavailable:
					// Past the search deadline: the server sheds load as
					// it should, but the run counts it.
					timeouts.Add(1)
				default:
					failures <- fmt.Sprintf("search %q: %s", q, resp.Status)
					return
				}
				latencies[c] = append(latencies[c], time.Since(start))
			}
		}()
	}
	var writer sync.WaitGroup
	writer.Add(1)
	go func() {
		defer writer.Done()
		for _, body := range bodies {
			if searching.Err() != nil {
				return
			}
			req, _ := http.NewRequest("POST", srv.url+"/articles", bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := client.Do(req)
			if err != nil {
				failures <- err.Error()
				return
			}
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				failures <- fmt.Sprintf("POST: %s %s", resp.Status, data)
				return
			}
			written += writeBatch
		}
	}()
	wg.Wait()
	doneSearching()
	writer.Wait()
	cancel()
	<-sampled
	close(failures)
	for f := range failures {
		b.Fatal(f)
	}
	st := procStatus(b, pid)
	all := slices.Concat(latencies...)
	slices.Sort(all)
	ms := func(q float64) float64 {
		return float64(all[int(q*float64(len(all)-1))]) / float64(time.Millisecond)
	}
	return loadMeasure{hwm: st["VmHWM"], anon: anon, file: fil, p50: ms(0.5), p99: ms(0.99), written: written, timeouts: int(timeouts.Load())}
}

// procStatus reads the sizes of /proc/PID/status, in MB.
func procStatus(b *testing.B, pid int) map[string]float64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	out := map[string]float64{}
	for line := range strings.Lines(string(data)) {
		name, value, ok := strings.Cut(line, ":")
		fields := strings.Fields(value)
		if !ok || len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseFloat(fields[0], 64)
		if err == nil {
			out[name] = kb * 1024 / 1e6
		}
	}
	return out
}

var benchCorpus struct {
	once     sync.Once
	articles []corpus.Article
}

func loadArticles(b *testing.B) []corpus.Article {
	benchCorpus.once.Do(func() {
		for a, err := range corpus.Articles(context.Background(), baomoiPath) {
			if err == nil {
				benchCorpus.articles = append(benchCorpus.articles, a)
			}
		}
	})
	if len(benchCorpus.articles) == 0 {
		b.Fatalf("no articles read from %s", baomoiPath)
	}
	return benchCorpus.articles
}

// loadQueries derives queries from titles as readers type them: runs of
// one to three syllables, and every fifth query a whole headline.
func loadQueries(articles []corpus.Article) []string {
	var out []string
	for i := 0; i < len(articles); i += 7 {
		title := articles[i].Title
		if i%5 == 0 {
			out = append(out, title)
			continue
		}
		var words []analyzer.Syllable
		for _, s := range analyzer.Syllables(title) {
			if !s.Whole && isLetters(s.Exact) {
				words = append(words, s)
			}
		}
		if len(words) == 0 {
			continue
		}
		n := 1 + i%3
		start := (i / 3) % len(words)
		end := min(start+n, len(words))
		out = append(out, title[words[start].Start:words[end-1].End])
	}
	return out
}

func isLetters(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

// writeBodies makes the writer's POST bodies: JSON Lines of corpus
// articles under new IDs, so that each body adds writeBatch articles.
func writeBodies(b *testing.B, articles []corpus.Article) [][]byte {
	var bodies [][]byte
	for w := range maxWrites {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		for i := range writeBatch {
			a := articles[(w*writeBatch+i)%len(articles)]
			a.ID = fmt.Sprintf("bench-%d-%s", w, a.ID)
			a.Hash = ""
			if err := enc.Encode(a); err != nil {
				b.Fatal(err)
			}
		}
		bodies = append(bodies, buf.Bytes())
	}
	return bodies
}

var benchIndex struct {
	once sync.Once
	dir  string
	err  error
}

// baomoiIndex returns a compacted baomoi index: $VNSEARCH_BENCH_INDEX, or
// one built once per test binary by the vnsearch being tested.
func baomoiIndex(b *testing.B) string {
	if dir := os.Getenv("VNSEARCH_BENCH_INDEX"); dir != "" {
		return dir
	}
	benchIndex.once.Do(func() {
		benchIndex.dir = filepath.Join(e2e.dir, "baomoi-index")
		cmd := exec.Command(binary(b), "--index", benchIndex.dir, "index", baomoiPath)
		cmd.Env = childEnv(b)
		if out, err := cmd.CombinedOutput(); err != nil {
			benchIndex.err = fmt.Errorf("building the baomoi index: %v\n%s", err, out)
		}
	})
	if benchIndex.err != nil {
		b.Fatal(benchIndex.err)
	}
	return benchIndex.dir
}

// copyDir copies the regular files of the tree src into dst.
func copyDir(b *testing.B, src, dst string) {
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		in, err := os.Open(p)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(target)
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		b.Fatal(err)
	}
}
