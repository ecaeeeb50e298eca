package bench

// The benchmarks of issue 16, each beside the stock Bleve peer in the same
// run. They need the shared baomoi corpus (VNSEARCH_BENCH_CORPUS, else
// ../shared/corpus/baomoi-35k.jsonl.gz beside the repository) and skip
// without it; the 1M variants also need VNSEARCH_BENCH_1M=1. Indexes are
// built by child processes running a vnsearch binary built once with go
// build; queries go to child servers over loopback HTTP, except in
// BenchmarkLatencyInProcess, which is the one to profile.
//
//	go test -run='^$' -bench='Build/corpus=35k' -benchtime=1x ./internal/bench
//	go test -run='^$' -bench='Latency/corpus=35k' -benchtime=1x ./internal/bench
//	VNSEARCH_BENCH_1M=1 go test -run='^$' -bench='/corpus=1M' -benchtime=1x -timeout=6h ./internal/bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/index"
)

var engines = []string{Vnsearch, Peer}

// fixtures are what the benchmarks of one test binary share, built on
// first use: the binary, the corpora, the built indexes.
var fixtures struct {
	mu      sync.Mutex
	dir     string
	bin     string
	pool    *Pool
	sets    []QuerySet
	corpora map[string]CorpusInfo
	built   map[string]map[string]string // corpus → engine → index dir
}

func fixtureDir(b *testing.B) string {
	if fixtures.dir == "" {
		dir, err := os.MkdirTemp("", "vnsearch-bench-")
		if err != nil {
			b.Fatal(err)
		}
		fixtures.dir = dir
	}
	return fixtures.dir
}

// removeFixtures deletes what the benchmarks generated and built.
func removeFixtures() {
	if fixtures.dir != "" {
		os.RemoveAll(fixtures.dir)
	}
}

func baomoiPath() string {
	if p := os.Getenv("VNSEARCH_BENCH_CORPUS"); p != "" {
		return p
	}
	return "../../../shared/corpus/baomoi-35k.jsonl.gz"
}

// binary builds vnsearch once per test binary.
func binary(b *testing.B) Binary {
	fixtures.mu.Lock()
	defer fixtures.mu.Unlock()
	if fixtures.bin == "" {
		bin := filepath.Join(fixtureDir(b), "vnsearch")
		out, err := exec.Command("go", "build", "-o", bin, "github.com/vnsearch/vnsearch/cmd/vnsearch").CombinedOutput()
		if err != nil {
			b.Fatalf("go build: %v\n%s", err, out)
		}
		fixtures.bin = bin
	}
	return Binary{Path: fixtures.bin}
}

// sizes of the corpora: "35k" is baomoi as it is; the others are
// generated from it with seed 1.
var sizes = map[string]int{"35k": 0, "gen35k": 35_000, "gen250k": 250_000, "1M": 1_000_000}

// corpusFixture returns the corpus of a size, generating it on first use,
// or skips.
func corpusFixture(b *testing.B, size string) CorpusInfo {
	path := baomoiPath()
	if _, err := os.Stat(path); err != nil {
		b.Skipf("%s absent: the harness benchmarks need the shared baomoi corpus (or VNSEARCH_BENCH_CORPUS)", path)
	}
	if size == "1M" && os.Getenv("VNSEARCH_BENCH_1M") != "1" {
		b.Skip("the 1M benchmarks run only with VNSEARCH_BENCH_1M=1 (hours on 2 cores, ~25 GB of disk)")
	}
	fixtures.mu.Lock()
	defer fixtures.mu.Unlock()
	ctx := context.Background()
	if fixtures.pool == nil {
		pool, err := LoadPool(ctx, path)
		if err != nil {
			b.Fatal(err)
		}
		fixtures.pool = pool
		fixtures.sets = Queries(pool.Titles(), 200, 1)
		fixtures.corpora = map[string]CorpusInfo{}
		fixtures.built = map[string]map[string]string{}
	}
	if info, ok := fixtures.corpora[size]; ok {
		return info
	}
	paths := []string{path}
	if n := sizes[size]; n > 0 {
		g, err := NewGenerator(fixtures.pool, 1).GenerateFile(ctx, filepath.Join(fixtureDir(b), "corpora"), n, false)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("generated %d articles in %s (%.0f MB/s)", n, g.Elapsed.Round(time.Second), g.MBPerSecond())
		paths = []string{g.Path}
	}
	info, err := ReadCorpusInfo(ctx, paths...)
	if err != nil {
		b.Fatal(err)
	}
	fixtures.corpora[size] = info
	return info
}

// builtIndexes returns an index of the corpus of a size for each engine,
// built on first use (or left by BenchmarkBuild).
func builtIndexes(b *testing.B, size string) map[string]string {
	info := corpusFixture(b, size)
	bin := binary(b)
	fixtures.mu.Lock()
	defer fixtures.mu.Unlock()
	if dirs, ok := fixtures.built[size]; ok {
		return dirs
	}
	dirs := map[string]string{}
	for _, engine := range engines {
		dir := filepath.Join(fixtureDir(b), "indexes", size, engine)
		if _, err := bin.RunBuild(context.Background(), engine, info, dir); err != nil {
			b.Fatal(err)
		}
		dirs[engine] = dir
	}
	fixtures.built[size] = dirs
	return dirs
}

// BenchmarkBuild builds a fresh index with `vnsearch index` and with the
// peer, each a child process, on baomoi (corpus=35k) and on the generated
// million (corpus=1M). The timer covers the child only. Metrics:
// articles/s, MB/s of article text, peakRSS-MB (VmHWM of the child),
// disk-x (index on disk over the raw text).
func BenchmarkBuild(b *testing.B) {
	for _, size := range []string{"35k", "1M"} {
		for _, engine := range engines {
			b.Run("corpus="+size+"/engine="+engine, func(b *testing.B) {
				info := corpusFixture(b, size)
				bin := binary(b)
				var wall time.Duration
				var peak int64
				var disk float64
				i := 0
				b.ResetTimer()
				for b.Loop() {
					b.StopTimer()
					dir := filepath.Join(fixtureDir(b), "build", fmt.Sprintf("%s-%s-%d", size, engine, i))
					i++
					b.StartTimer()
					r, err := bin.RunBuild(context.Background(), engine, info, dir)
					b.StopTimer()
					if err != nil {
						b.Fatal(err)
					}
					if err := r.MeasureDisk(); err != nil {
						b.Fatal(err)
					}
					wall += r.Wall
					peak = max(peak, r.PeakRSS)
					disk = r.DiskX()
					keepOrRemove(size, engine, dir)
					b.StartTimer()
				}
				n := float64(i)
				b.ReportMetric(float64(info.Articles)*n/wall.Seconds(), "articles/s")
				b.ReportMetric(float64(info.TextBytes)/1e6*n/wall.Seconds(), "MB/s")
				b.ReportMetric(float64(peak)/1e6, "peakRSS-MB")
				b.ReportMetric(disk, "disk-x")
			})
		}
	}
}

// keepOrRemove keeps the first index built of a corpus for the other
// benchmarks, which would otherwise build it again.
func keepOrRemove(size, engine, dir string) {
	fixtures.mu.Lock()
	defer fixtures.mu.Unlock()
	dirs := fixtures.built[size]
	if dirs == nil {
		dirs = map[string]string{}
		fixtures.built[size] = dirs
	}
	if _, ok := dirs[engine]; ok || len(dirs) == len(engines) {
		os.RemoveAll(dir)
		return
	}
	dirs[engine] = dir
}

// serve starts a server on each engine's index for the benchmark.
func serve(b *testing.B, dirs map[string]string) map[string]Target {
	servers, err := binary(b).ServeAll(context.Background(), engines, dirs)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { StopAll(servers) })
	targets := map[string]Target{}
	client := NewHTTPClient(16)
	for _, s := range servers {
		targets[s.Engine] = HTTPTarget(s.Engine, s.URL, client)
	}
	return targets
}

// measureSets runs each query set on each target as a sub-benchmark; an
// iteration runs every query of the set once. Metrics: p50-ms, p95-ms,
// p99-ms of the client's time (HTTP included), took-p50-ms, took-p99-ms
// of the server's, and found, the share of queries with a match.
func measureSets(b *testing.B, prefix string, targets map[string]Target) {
	for _, set := range fixtures.sets {
		for _, engine := range engines {
			t, ok := targets[engine]
			if !ok {
				continue
			}
			b.Run(prefix+"set="+strings.ReplaceAll(set.Name, "/", "-")+"/engine="+engine, func(b *testing.B) {
				ctx := context.Background()
				for _, q := range set.Queries[:20] { // warm up
					t.Search(ctx, q)
				}
				var client, server []time.Duration
				found := 0
				for b.Loop() {
					for _, q := range set.Queries {
						sm, err := t.Search(ctx, q)
						if err != nil {
							b.Fatal(err)
						}
						client = append(client, sm.Client)
						server = append(server, sm.Server)
						if sm.Total > 0 {
							found++
						}
					}
				}
				c, s := percentiles(client), percentiles(server)
				b.ReportMetric(c.P50, "p50-ms")
				b.ReportMetric(c.P95, "p95-ms")
				b.ReportMetric(c.P99, "p99-ms")
				b.ReportMetric(s.P50, "took-p50-ms")
				b.ReportMetric(s.P99, "took-p99-ms")
				b.ReportMetric(float64(found)/float64(len(client)), "found")
			})
		}
	}
}

// BenchmarkLatency queries `vnsearch serve` and the peer's server over
// HTTP, one query at a time, 10 hits with snippets: 200 queries of each
// set (1, 2, 3 syllables of baomoi titles, as written and folded, and
// whole headlines).
func BenchmarkLatency(b *testing.B) {
	for _, size := range []string{"35k", "1M"} {
		b.Run("corpus="+size, func(b *testing.B) {
			measureSets(b, "", serve(b, builtIndexes(b, size)))
		})
	}
}

// BenchmarkGrowth is BenchmarkLatency on generated corpora of 35k, 250k
// and 1M articles, so that growth reads across sizes.
func BenchmarkGrowth(b *testing.B) {
	for _, size := range []string{"35k", "250k", "1M"} {
		corpus := "gen" + size
		if size == "1M" {
			corpus = "1M" // the same corpus as the other 1M benchmarks
		}
		b.Run("size="+size, func(b *testing.B) {
			measureSets(b, "", serve(b, builtIndexes(b, corpus)))
		})
	}
}

// BenchmarkLatencyInProcess searches the vnsearch index of baomoi in this
// process with index.Search, as the server does: the benchmark to run
// with -cpuprofile.
func BenchmarkLatencyInProcess(b *testing.B) {
	dirs := builtIndexes(b, "35k")
	ix, err := index.Open(dirs[Vnsearch], index.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	measureSets(b, "corpus=35k/", map[string]Target{Vnsearch: InProcessTarget(ix)})
}

// BenchmarkLoad runs 16 concurrent clients (b.RunParallel) against each
// server on baomoi, 80% 1–3 syllable queries and 20% whole headlines;
// -benchtime=60s is issue 16's run. Metrics: qps, p50-ms, p99-ms of the
// client's time, errors.
func BenchmarkLoad(b *testing.B) {
	const clients = 16
	b.Run("corpus=35k", func(b *testing.B) {
		targets := serve(b, builtIndexes(b, "35k"))
		mix, err := NewMix(fixtures.sets, 0.2)
		if err != nil {
			b.Fatal(err)
		}
		for _, engine := range engines {
			b.Run("engine="+engine, func(b *testing.B) {
				t := targets[engine]
				var (
					mu        sync.Mutex
					latencies []time.Duration
					errs      atomic.Int64
					seed      atomic.Uint64
				)
				procs := runtime.GOMAXPROCS(0)
				b.SetParallelism((clients + procs - 1) / procs)
				start := time.Now()
				b.RunParallel(func(pb *testing.PB) {
					r := rand.New(rand.NewPCG(1, seed.Add(1)))
					var mine []time.Duration
					for pb.Next() {
						q, _ := mix.Next(r)
						sm, err := t.Search(context.Background(), q)
						if err != nil {
							errs.Add(1)
							continue
						}
						mine = append(mine, sm.Client)
					}
					mu.Lock()
					latencies = append(latencies, mine...)
					mu.Unlock()
				})
				elapsed := time.Since(start)
				p := percentiles(latencies)
				b.ReportMetric(float64(len(latencies))/elapsed.Seconds(), "qps")
				b.ReportMetric(p.P50, "p50-ms")
				b.ReportMetric(p.P99, "p99-ms")
				b.ReportMetric(float64(errs.Load()), "errors")
				b.ReportMetric(float64((clients+procs-1)/procs*procs), "clients")
			})
		}
	})
}

// BenchmarkIncremental adds batches of 10 new articles to the built
// index, one batch an iteration (-benchtime=100x: 100 batches): vnsearch
// through the library (index.Add) and through POST /articles, the peer
// through its library. Metrics: p50-ms, p99-ms until acknowledged;
// searchable, the share of batches a search found whole right after. It
// runs last, as it adds to the indexes the other benchmarks share (by a
// thousandth of the 1M corpus for 100 batches).
func BenchmarkIncremental(b *testing.B) {
	for _, size := range []string{"35k", "1M"} {
		b.Run("corpus="+size, func(b *testing.B) {
			built := builtIndexes(b, size)
			gen := NewGenerator(fixtures.pool, 1)
			for _, via := range []string{"library", "http", "peer-library"} {
				b.Run("via="+via, func(b *testing.B) {
					var (
						res IncrementalResult
						err error
						g   = gen.WithPrefix(fmt.Sprintf("inc-%s-%d-", via, time.Now().UnixNano()))
					)
					switch via {
					case "library":
						res, err = IncrementalLibrary(context.Background(), built[Vnsearch], g, b.N, 10)
					case "http":
						res, err = binary(b).IncrementalHTTP(context.Background(), built[Vnsearch], g, b.N, 10)
					default:
						res, err = IncrementalPeer(context.Background(), built[Peer], g, b.N, 10)
					}
					if err != nil {
						b.Fatal(err)
					}
					b.ReportMetric(res.Ack.P50, "p50-ms")
					b.ReportMetric(res.Ack.P99, "p99-ms")
					b.ReportMetric(float64(res.Searchable)/float64(res.Batches), "searchable")
				})
			}
		})
	}
}

// BenchmarkReadCorpus reads a generated corpus of 35,000 articles as
// `vnsearch index` does (corpus.Articles), as plain JSON Lines and
// gzipped: which one the builds should be given. Metrics: MB/s of
// article text, articles/s.
func BenchmarkReadCorpus(b *testing.B) {
	corpusFixture(b, "35k") // skips without baomoi
	for _, gz := range []bool{false, true} {
		name := "format=jsonl"
		if gz {
			name += ".gz"
		}
		b.Run(name, func(b *testing.B) {
			dir := filepath.Join(fixtureDir(b), "read")
			g, err := NewGenerator(fixtures.pool, 1).GenerateFile(context.Background(), dir, 35_000, gz)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { os.Remove(g.Path) })
			b.ResetTimer()
			for b.Loop() {
				info, err := ReadCorpusInfo(context.Background(), g.Path)
				if err != nil || info.Articles != 35_000 {
					b.Fatalf("%+v %v", info, err)
				}
			}
			b.ReportMetric(float64(g.TextBytes)/1e6*float64(b.N)/b.Elapsed().Seconds(), "MB/s")
			b.ReportMetric(35_000*float64(b.N)/b.Elapsed().Seconds(), "articles/s")
			b.ReportMetric(float64(g.Bytes)/1e6, "file-MB")
		})
	}
}
