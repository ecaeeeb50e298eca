package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/cmd/internal/server"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/index/baseline"
	"github.com/vnsearch/vnsearch/internal/bench"
)

func newBenchCommand(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure build, latency, load and incremental adds beside stock Bleve",
		Long: `Measure vnsearch as users meet it, beside stock Bleve 2.6.1 set up as a Go
developer would (a static mapping of title, summary and paragraphs with the
standard analyzer, BM25, batches of 1,000) in the same run: indexes are
built by child processes (` + "`vnsearch index`" + ` for vnsearch), queries go over
loopback HTTP to ` + "`vnsearch serve`" + ` and to a server of the stock index.

The machine's other work moves single times; read every figure beside the
peer's from the same run.

  bench run          everything below, in one run, on a corpus and on
                     generated corpora of several sizes
  bench gen          generate a corpus of any size from a real one
  bench build        build indexes and report time, memory and size
  bench latency      query latency percentiles, one query at a time
  bench load         throughput and latency under concurrent clients
  bench growth       build and latency at several generated sizes
  bench incremental  small batches added to a built index`,
	}
	cmd.AddCommand(
		newBenchRunCommand(a), newBenchGenCommand(a), newBenchBuildCommand(a), newBenchLatencyCommand(a),
		newBenchLoadCommand(a), newBenchGrowthCommand(a), newBenchIncrementalCommand(a),
		newBenchBleveBuildCommand(a), newBenchBleveServeCommand(a),
	)
	return cmd
}

// benchFlags are the flags the bench subcommands share.
type benchFlags struct {
	corpus   []string
	work     string
	engines  []string
	seed     uint64
	gzip     bool
	perSet   int
	warmup   int
	clients  int
	duration time.Duration
	headline float64
	batches  int
	size     int
	jsonOut  bool
	sizes    []string
}

func (f *benchFlags) addCorpus(cmd *cobra.Command, usage string) {
	cmd.Flags().StringSliceVar(&f.corpus, "corpus", nil, usage)
}

func (f *benchFlags) addQueries(cmd *cobra.Command) {
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "seed of the generated corpora and of the queries drawn")
	cmd.Flags().IntVar(&f.perSet, "per-set", 200, "queries in each set (1, 2, 3 syllables written and folded, headlines)")
	cmd.Flags().IntVar(&f.warmup, "warmup", 50, "queries run on each server first, not counted")
}

func (f *benchFlags) addLoad(cmd *cobra.Command, duration time.Duration) {
	cmd.Flags().IntVar(&f.clients, "clients", 16, "concurrent clients of the load test")
	cmd.Flags().DurationVar(&f.duration, "duration", duration, "length of the load test (0: none)")
	cmd.Flags().Float64Var(&f.headline, "headlines", 0.2, "share of whole-headline queries in the load test")
}

func (f *benchFlags) addEngines(cmd *cobra.Command) {
	cmd.Flags().StringSliceVar(&f.engines, "engines", []string{bench.Vnsearch, bench.Peer}, "engines to measure: vnsearch, bleve-static")
}

func (f *benchFlags) addIncremental(cmd *cobra.Command, batches int) {
	cmd.Flags().IntVar(&f.batches, "batches", batches, "incremental batches added (0: none)")
	cmd.Flags().IntVar(&f.size, "batch-size", 10, "articles in each incremental batch")
}

func (f *benchFlags) addSizes(cmd *cobra.Command, sizes []string) {
	cmd.Flags().StringSliceVar(&f.sizes, "sizes", sizes, "sizes of the generated corpora (35k, 250k, 1M or plain numbers)")
	cmd.Flags().BoolVar(&f.gzip, "gzip", false, "generate .jsonl.gz (smaller, slower to read) rather than .jsonl")
}

func (f *benchFlags) check(cmd *cobra.Command) error {
	for _, e := range f.engines {
		if e != bench.Vnsearch && e != bench.Peer {
			return usagef("--engines: unknown engine %q: want %s or %s", e, bench.Vnsearch, bench.Peer)
		}
	}
	if cmd.Flags().Lookup("per-set") != nil && f.perSet < 1 {
		return usagef("--per-set %d: want a positive number", f.perSet)
	}
	if f.duration > 0 && f.clients < 1 {
		return usagef("--clients %d: want a positive number", f.clients)
	}
	if f.headline < 0 || f.headline > 1 {
		return usagef("--headlines %g: want a share from 0 to 1", f.headline)
	}
	if cmd.Flags().Lookup("batches") != nil && (f.batches < 0 || f.size < 1) {
		return usagef("--batches %d --batch-size %d: want zero or more batches of at least one article", f.batches, f.size)
	}
	return nil
}

func (f *benchFlags) parsedSizes() ([]int, error) {
	var out []int
	for _, s := range f.sizes {
		n, err := parseCount(s)
		if err != nil {
			return nil, usagef("--sizes: %v", err)
		}
		out = append(out, n)
	}
	return out, nil
}

// parseCount reads 1000, 35k or 1M.
func parseCount(s string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := 1
	switch {
	case strings.HasSuffix(t, "k"):
		mult, t = 1000, strings.TrimSuffix(t, "k")
	case strings.HasSuffix(t, "m"):
		mult, t = 1_000_000, strings.TrimSuffix(t, "m")
	}
	n, err := strconv.Atoi(t)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("%q: want a positive count such as 1000, 35k or 1M", s)
	}
	return n * mult, nil
}

func (f *benchFlags) config(a *app) (bench.Config, error) {
	bin, err := os.Executable()
	if err != nil {
		return bench.Config{}, fmt.Errorf("finding the vnsearch binary to run: %w", err)
	}
	return bench.Config{
		Binary: bench.Binary{Path: bin}, Corpus: f.corpus, Work: f.work, Engines: f.engines, Seed: f.seed,
		Gzip: f.gzip, PerSet: f.perSet, Warmup: f.warmup, Clients: f.clients, Duration: f.duration,
		HeadlineShare: f.headline, IncBatches: f.batches, IncSize: f.size, Log: a.stderr,
	}, nil
}

// printReport prints rep as tables, or as JSON.
func (f *benchFlags) printReport(a *app, rep *bench.Report) error {
	if f.jsonOut {
		return api.WriteJSON(a.stdout, rep, true)
	}
	return rep.Print(a.stdout)
}

func newBenchRunCommand(a *app) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "run --corpus FILE",
		Short: "Measure everything, beside stock Bleve, in one run",
		Long: `Measure everything in one run, for vnsearch and the stock Bleve peer:

  1. on the corpus as it is: build (wall time, articles/s, MB/s of text, peak
     RSS of the building process, size on disk over the raw text), latency of
     1-, 2- and 3-syllable queries drawn from its titles (as written and
     without diacritics) and of whole headlines, and the load test;
  2. on corpora generated from it at each of --sizes: build and latency
     (growth);
  3. incremental adds of small batches to the largest index: vnsearch
     through the library and through POST /articles, the peer through its
     library; acknowledged latency, and whether a search finds each batch at
     once.

Generated corpora and indexes go to --work (or a temporary directory,
removed at the end); only the largest generated index is kept.`,
		Example: `  vnsearch bench run --corpus ../shared/corpus/baomoi-35k.jsonl.gz --sizes 35k,250k,1M
  vnsearch bench run --corpus news.jsonl.gz --sizes 100k --duration 10s --json > report.json`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.corpus) == 0 {
				return usagef("--corpus is needed")
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			cfg, err := f.config(a)
			if err != nil {
				return err
			}
			if cfg.Sizes, err = f.parsedSizes(); err != nil {
				return err
			}
			rep, err := bench.Run(cmd.Context(), cfg)
			if err != nil {
				if rep != nil {
					f.printReport(a, rep) // what was measured before the failure
				}
				return err
			}
			return f.printReport(a, rep)
		},
	}
	f.addCorpus(cmd, "the real corpus: measured as it is, and the source of the generated corpora and the queries")
	cmd.Flags().StringVar(&f.work, "work", "", "directory for the generated corpora and the indexes (default: a temporary one, removed)")
	f.addEngines(cmd)
	f.addSizes(cmd, []string{"35k", "250k", "1M"})
	f.addQueries(cmd)
	f.addLoad(cmd, 60*time.Second)
	f.addIncremental(cmd, 100)
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func newBenchGrowthCommand(a *app) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "growth --corpus FILE",
		Short: "Build and latency on generated corpora of several sizes",
		Long: `Generate a corpus of each of --sizes from --corpus, build it with every
engine, and measure latency on it with the same queries (drawn from the
titles of --corpus), so that cost as the archive grows reads across. The
same as "bench run" without the real corpus, the load test and the
incremental adds.`,
		Example: `  vnsearch bench growth --corpus ../shared/corpus/baomoi-35k.jsonl.gz --sizes 35k,250k,1M`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.corpus) == 0 {
				return usagef("--corpus is needed")
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			cfg, err := f.config(a)
			if err != nil {
				return err
			}
			if cfg.Sizes, err = f.parsedSizes(); err != nil {
				return err
			}
			if len(cfg.Sizes) == 0 {
				return usagef("--sizes: at least one size is needed")
			}
			cfg.SkipReal = true
			rep, err := bench.Run(cmd.Context(), cfg)
			if err != nil {
				if rep != nil {
					f.printReport(a, rep)
				}
				return err
			}
			return f.printReport(a, rep)
		},
	}
	f.addCorpus(cmd, "the real corpus the generated ones are made from, and whose titles give the queries")
	cmd.Flags().StringVar(&f.work, "work", "", "directory for the generated corpora and the indexes (default: a temporary one, removed)")
	f.addEngines(cmd)
	f.addSizes(cmd, []string{"35k", "250k", "1M"})
	f.addQueries(cmd)
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func newBenchGenCommand(a *app) *cobra.Command {
	var (
		f   benchFlags
		n   string
		out string
	)
	cmd := &cobra.Command{
		Use:   "gen --corpus FILE -n N --out DIR",
		Short: "Generate a corpus of N articles from a real one",
		Long: `Generate N articles as JSON Lines from the articles of --corpus, recombined:
each takes its title from one article, its summary from another, and 3 to
15 paragraphs (as many as a real article drawn at random has passages) as
runs of consecutive passages of several articles; outlets and categories
are drawn from the corpus, dates spread over ten years (2015–2024), IDs are
new ("g<seed>-<n>"). The same corpus, N and --seed give the same bytes.
The file is DIR/gen-N-seedS.jsonl (.jsonl.gz with --gzip).`,
		Example: `  vnsearch bench gen --corpus ../shared/corpus/baomoi-35k.jsonl.gz -n 1000000 --out /tmp/gen`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.corpus) == 0 || out == "" || n == "" {
				return usagef("--corpus, -n and --out are all needed")
			}
			count, err := parseCount(n)
			if err != nil {
				return usagef("-n: %v", err)
			}
			ctx := cmd.Context()
			pool, err := bench.LoadPool(ctx, f.corpus...)
			if err != nil {
				return err
			}
			g, err := bench.NewGenerator(pool, f.seed).GenerateFile(ctx, out, count, f.gzip)
			if err != nil {
				return err
			}
			if f.jsonOut {
				return api.WriteJSON(a.stdout, g, false)
			}
			bench.PrintGenerated(a.stdout, []bench.GenStats{g})
			return nil
		},
	}
	f.addCorpus(cmd, "the real corpus to recombine")
	cmd.Flags().StringVarP(&n, "count", "n", "", "articles to generate (1000, 35k, 1M)")
	cmd.Flags().StringVar(&out, "out", "", "directory to write the corpus into")
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "seed: the same seed gives the same corpus")
	cmd.Flags().BoolVar(&f.gzip, "gzip", false, "write .jsonl.gz (smaller, slower to read) rather than .jsonl")
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the statistics as JSON")
	return cmd
}

func newBenchBuildCommand(a *app) *cobra.Command {
	var f benchFlags
	cmd := &cobra.Command{
		Use:   "build [--work DIR] CORPUS...",
		Short: "Build fresh indexes of a corpus with each engine; time, memory, size",
		Long: `Build a fresh index of the CORPUS files with each engine, one after the
other, each in a child process: ` + "`vnsearch index`" + ` for vnsearch, the command
users run. Reports wall time, articles/s, MB/s of article text (titles,
summaries, paragraphs), the child's peak RSS (VmHWM from /proc, polled every
10 ms) and the index's size on disk over the raw text. The indexes are
WORK/vnsearch and WORK/bleve-static, kept when --work is given, for
"bench latency" and "bench load".`,
		Example: `  vnsearch bench build --work /tmp/b ../shared/corpus/baomoi-35k.jsonl.gz`,
		Args:    needArgs("CORPUS"),
		RunE: func(cmd *cobra.Command, paths []string) error {
			if err := f.check(cmd); err != nil {
				return err
			}
			ctx := cmd.Context()
			cfg, err := f.config(a)
			if err != nil {
				return err
			}
			work := f.work
			if work == "" {
				dir, err := os.MkdirTemp("", "vnsearch-bench-")
				if err != nil {
					return err
				}
				defer os.RemoveAll(dir)
				work = dir
			}
			info, err := bench.ReadCorpusInfo(ctx, paths...)
			if err != nil {
				return err
			}
			rep := &bench.Report{Date: time.Now(), Machine: bench.ThisMachine()}
			for _, engine := range f.engines {
				fmt.Fprintf(a.stderr, "vnsearch: building %d articles with %s\n", info.Articles, engine)
				b, err := cfg.Binary.Build(ctx, engine, info, filepath.Join(work, engine))
				if err != nil {
					return err
				}
				rep.Build = append(rep.Build, b)
			}
			return f.printReport(a, rep)
		},
	}
	cmd.Flags().StringVar(&f.work, "work", "", "directory for the indexes, kept (default: a temporary one, removed)")
	f.addEngines(cmd)
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

// servedTargets starts a server on the vnsearch index (--index) and, when
// peerIndex is set, on the peer's, and returns them as targets.
func (a *app) servedTargets(ctx context.Context, peerIndex string, clients int) ([]bench.Target, []*bench.Server, error) {
	loc, err := a.where()
	if err != nil {
		return nil, nil, err
	}
	if !index.Exists(loc.path) {
		return nil, nil, fmt.Errorf("no index at %s: build one with `vnsearch --index DIR index CORPUS` or `vnsearch bench build --work DIR CORPUS`", loc.path)
	}
	bin, err := os.Executable()
	if err != nil {
		return nil, nil, err
	}
	b := bench.Binary{Path: bin}
	engines := []string{bench.Vnsearch}
	dirs := map[string]string{bench.Vnsearch: loc.path}
	if peerIndex != "" {
		engines = append(engines, bench.Peer)
		dirs[bench.Peer] = peerIndex
	}
	servers, err := b.ServeAll(ctx, engines, dirs)
	if err != nil {
		return nil, nil, err
	}
	client := bench.NewHTTPClient(clients)
	targets := make([]bench.Target, len(servers))
	for i, s := range servers {
		targets[i] = bench.HTTPTarget(s.Engine, s.URL, client)
	}
	return targets, servers, nil
}

// querySets draws the query sets from the titles of the corpus.
func querySets(ctx context.Context, f *benchFlags) ([]bench.QuerySet, error) {
	pool, err := bench.LoadPool(ctx, f.corpus...)
	if err != nil {
		return nil, err
	}
	return bench.Queries(pool.Titles(), f.perSet, f.seed), nil
}

func newBenchLatencyCommand(a *app) *cobra.Command {
	var (
		f          benchFlags
		peerIndex  string
		inProcess  bool
		cpuProfile string
	)
	cmd := &cobra.Command{
		Use:   "latency --index DIR --queries-from CORPUS",
		Short: "Query latency percentiles on a built index",
		Long: `Serve the index (--index) with ` + "`vnsearch serve`" + `, and the peer's
(--peer-index) when given, and run each set of queries one at a time:
1, 2 and 3 adjacent syllables of titles of --queries-from, drawn in
proportion to how often they occur, as written and without diacritics, and
whole headlines. Reports p50/p95/p99 of the time the client saw (HTTP
included, 10 hits with snippets) and of the server's took_ms.

With --in-process, searches the index in this process (index.Search)
instead, for a CPU profile (--cpuprofile).`,
		Example: `  vnsearch bench latency --index /tmp/b/vnsearch --peer-index /tmp/b/bleve-static \
      --queries-from ../shared/corpus/baomoi-35k.jsonl.gz`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.corpus) == 0 {
				return usagef("--queries-from is needed")
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			if cpuProfile != "" && !inProcess {
				return usagef("--cpuprofile needs --in-process")
			}
			ctx := cmd.Context()
			sets, err := querySets(ctx, &f)
			if err != nil {
				return err
			}
			loc, err := a.where()
			if err != nil {
				return err
			}
			sec := bench.LatencySection{Corpus: loc.path, PeakRSS: map[string]int64{}}
			var targets []bench.Target
			if inProcess {
				ix, err := a.open(loc, true, false, "stop that process first")
				if err != nil {
					return err
				}
				defer ix.Close()
				st, err := ix.Stats(ctx)
				if err != nil {
					return err
				}
				sec.Articles = int(st.Articles)
				targets = []bench.Target{bench.InProcessTarget(ix)}
				if cpuProfile != "" {
					out, err := os.Create(cpuProfile)
					if err != nil {
						return err
					}
					defer out.Close()
					if err := pprof.StartCPUProfile(out); err != nil {
						return err
					}
					defer pprof.StopCPUProfile()
				}
			} else {
				var servers []*bench.Server
				targets, servers, err = a.servedTargets(ctx, peerIndex, 1)
				if err != nil {
					return err
				}
				defer bench.StopAll(servers)
				if sec.Articles, err = bench.ServedArticles(ctx, servers[0].URL); err != nil {
					return err
				}
				defer func() {
					for _, s := range servers {
						sec.PeakRSS[s.Engine] = s.PeakRSS()
					}
				}()
			}
			rows, err := bench.Latency(ctx, targets, sets, f.warmup)
			if err != nil {
				return err
			}
			sec.Rows = rows
			rep := &bench.Report{Date: time.Now(), Machine: bench.ThisMachine(), Latency: []bench.LatencySection{sec}}
			return f.printReport(a, rep)
		},
	}
	cmd.Flags().StringSliceVar(&f.corpus, "queries-from", nil, "corpus whose titles give the queries")
	cmd.Flags().StringVar(&peerIndex, "peer-index", "", "a stock Bleve index built by `vnsearch bench build`, measured beside")
	cmd.Flags().BoolVar(&inProcess, "in-process", false, "search the index in this process, without HTTP")
	cmd.Flags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the in-process searches to this file")
	f.addQueries(cmd)
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func newBenchLoadCommand(a *app) *cobra.Command {
	var (
		f         benchFlags
		peerIndex string
	)
	cmd := &cobra.Command{
		Use:   "load --index DIR --queries-from CORPUS",
		Short: "Throughput and latency under concurrent clients",
		Long: `Serve the index (--index) with ` + "`vnsearch serve`" + `, and the peer's
(--peer-index) when given, and let --clients concurrent clients query each
for --duration over loopback HTTP, each sending its next query as soon as
the last is answered: whole headlines for --headlines of them, 1 to 3
syllables of titles (written or without diacritics) for the rest. Reports
queries/s, client p50/p99, errors and the server's peak RSS.`,
		Example: `  vnsearch bench load --index /tmp/b/vnsearch --peer-index /tmp/b/bleve-static \
      --queries-from ../shared/corpus/baomoi-35k.jsonl.gz --clients 16 --duration 60s`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.corpus) == 0 {
				return usagef("--queries-from is needed")
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			if f.duration <= 0 {
				return usagef("--duration %s: want a positive duration", f.duration)
			}
			ctx := cmd.Context()
			sets, err := querySets(ctx, &f)
			if err != nil {
				return err
			}
			mix, err := bench.NewMix(sets, f.headline)
			if err != nil {
				return err
			}
			targets, servers, err := a.servedTargets(ctx, peerIndex, f.clients)
			if err != nil {
				return err
			}
			defer bench.StopAll(servers)
			rep := &bench.Report{Date: time.Now(), Machine: bench.ThisMachine()}
			for i, t := range targets {
				fmt.Fprintf(a.stderr, "vnsearch: load on %s: %d clients for %s\n", t.Engine, f.clients, f.duration)
				l := bench.Load(ctx, t, mix, f.clients, f.duration, f.seed)
				l.PeakRSS = servers[i].PeakRSS()
				rep.Load = append(rep.Load, l)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			return f.printReport(a, rep)
		},
	}
	cmd.Flags().StringSliceVar(&f.corpus, "queries-from", nil, "corpus whose titles give the queries")
	cmd.Flags().StringVar(&peerIndex, "peer-index", "", "a stock Bleve index built by `vnsearch bench build`, measured beside")
	f.addQueries(cmd)
	f.addLoad(cmd, 60*time.Second)
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func newBenchIncrementalCommand(a *app) *cobra.Command {
	var (
		f         benchFlags
		peerIndex string
	)
	cmd := &cobra.Command{
		Use:   "incremental --index DIR --corpus CORPUS",
		Short: "Small batches added to a built index: acknowledged latency",
		Long: `Add --batches batches of --batch-size new articles (generated from
--corpus) to the index (--index): first through the library (index.Add), then
through ` + "`vnsearch serve`" + ` and POST /articles with a bearer token; and to the
peer's index (--peer-index), when given, through its library. Reports the
time until each batch is acknowledged (durable, for vnsearch), p50/p99, and
how many batches a search found whole right after. The articles stay in the
indexes.`,
		Example: `  vnsearch bench incremental --index /tmp/b/vnsearch --corpus ../shared/corpus/baomoi-35k.jsonl.gz`,
		Args:    exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(f.corpus) == 0 {
				return usagef("--corpus is needed")
			}
			if err := f.check(cmd); err != nil {
				return err
			}
			if f.batches < 1 {
				return usagef("--batches %d: want a positive number", f.batches)
			}
			ctx := cmd.Context()
			loc, err := a.where()
			if err != nil {
				return err
			}
			if !index.Exists(loc.path) {
				return fmt.Errorf("no index at %s: build one with `vnsearch --index DIR index CORPUS`", loc.path)
			}
			pool, err := bench.LoadPool(ctx, f.corpus...)
			if err != nil {
				return err
			}
			cfg, err := f.config(a)
			if err != nil {
				return err
			}
			run := strconv.FormatInt(time.Now().UnixNano(), 36)
			gen := bench.NewGenerator(pool, f.seed)
			rep := &bench.Report{Date: time.Now(), Machine: bench.ThisMachine()}
			r, err := bench.IncrementalLibrary(ctx, loc.path, gen.WithPrefix("inc"+run+"l-"), f.batches, f.size)
			if err != nil {
				return err
			}
			rep.Incremental = append(rep.Incremental, r)
			r, err = cfg.Binary.IncrementalHTTP(ctx, loc.path, gen.WithPrefix("inc"+run+"h-"), f.batches, f.size)
			if err != nil {
				return err
			}
			rep.Incremental = append(rep.Incremental, r)
			if peerIndex != "" {
				r, err := bench.IncrementalPeer(ctx, peerIndex, gen.WithPrefix("inc"+run+"p-"), f.batches, f.size)
				if err != nil {
					return err
				}
				rep.Incremental = append(rep.Incremental, r)
			}
			return f.printReport(a, rep)
		},
	}
	f.addCorpus(cmd, "the real corpus the new articles are made from")
	cmd.Flags().StringVar(&peerIndex, "peer-index", "", "a stock Bleve index built by `vnsearch bench build`, measured beside")
	cmd.Flags().Uint64Var(&f.seed, "seed", 1, "seed of the generated articles")
	f.addIncremental(cmd, 100)
	cmd.Flags().BoolVar(&f.jsonOut, "json", false, "print the report as JSON")
	return cmd
}

func newBenchBleveBuildCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:    "bleve-build --index DIR SOURCE...",
		Short:  "Build the stock Bleve peer's index (for bench build)",
		Hidden: true,
		Args:   needArgs("SOURCE"),
		RunE: func(cmd *cobra.Command, sources []string) error {
			if a.indexFlag == "" {
				return usagef("--index is needed")
			}
			start := time.Now()
			n, bad, err := bench.BuildPeer(cmd.Context(), a.indexFlag, sources, a.stderr)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "indexed %d articles in %s with stock Bleve; %d problems\n", n, time.Since(start).Round(time.Millisecond), bad)
			return nil
		},
	}
}

func newBenchBleveServeCommand(a *app) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:    "bleve-serve --index DIR",
		Short:  "Serve the stock Bleve peer's index (for bench latency and load)",
		Hidden: true,
		Args:   exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if a.indexFlag == "" {
				return usagef("--index is needed")
			}
			if err := checkLoopback(addr); err != nil {
				return err
			}
			ix, err := baseline.Open(a.indexFlag)
			if err != nil {
				return err
			}
			defer ix.Close()
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return fmt.Errorf("listen: %w", err)
			}
			srv := &http.Server{
				Handler:           bench.PeerHandler(ix),
				ReadHeaderTimeout: server.ReadHeaderTimeout,
				ReadTimeout:       server.ReadTimeout,
				WriteTimeout:      server.WriteTimeout,
				IdleTimeout:       server.IdleTimeout,
			}
			fmt.Fprintf(a.stderr, "vnsearch: serving the stock Bleve index at %s\n", a.indexFlag)
			fmt.Fprintf(a.stderr, "vnsearch: listening on http://%s\n", ln.Addr())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ln) }()
			select {
			case err := <-served:
				return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
			case <-cmd.Context().Done():
			}
			ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
			defer cancel()
			if err := srv.Shutdown(ctx); err != nil {
				srv.Close()
			}
			if err := <-served; !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on")
	return cmd
}

// checkLoopback refuses a non-loopback address: the peer's server is
// for measuring on this machine only.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--addr %s: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("--addr %s: the stock Bleve server listens on loopback only", addr)
	}
	return nil
}
