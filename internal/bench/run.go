package bench

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/index/baseline"
)

// Config is a whole measurement run: `vnsearch bench run`.
type Config struct {
	Binary Binary
	// Corpus is the real corpus: built and measured as it is, and the
	// source of the generated corpora and of the queries.
	Corpus []string
	// Work holds the generated corpora and the indexes; "" means a
	// temporary directory, removed at the end.
	Work    string
	Engines []string // Vnsearch and/or Peer
	// Sizes are the generated corpora to build and query (growth); the
	// largest one also takes the incremental adds.
	Sizes []int
	// SkipReal measures only the generated corpora (growth).
	SkipReal bool
	Seed     uint64
	Gzip     bool // generate .jsonl.gz rather than .jsonl
	// PerSet queries in each set; Warmup queries before measuring.
	PerSet, Warmup int
	// The load test: Clients for Duration, HeadlineShare of the queries
	// whole headlines; no load test when Duration is 0.
	Clients       int
	Duration      time.Duration
	HeadlineShare float64
	// IncBatches batches of IncSize articles are added to the largest
	// index; none when IncBatches is 0.
	IncBatches, IncSize int
	// Log receives a line as each step starts.
	Log io.Writer
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
	}
}

// Run measures everything cfg asks for, in one run: builds of the real
// corpus and of each generated size by every engine, latency on each
// index, the load test on the real corpus's index, and incremental adds
// to the largest index.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	rep := &Report{Date: time.Now(), Machine: ThisMachine()}
	work := cfg.Work
	if work == "" {
		dir, err := os.MkdirTemp("", "vnsearch-bench-")
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer os.RemoveAll(dir)
		work = dir
	}
	cfg.logf("reading %v", cfg.Corpus)
	pool, err := LoadPool(ctx, cfg.Corpus...)
	if err != nil {
		return nil, err
	}
	sets := Queries(pool.Titles(), cfg.PerSet, cfg.Seed)

	// The real corpus: build, latency, load.
	var (
		last     map[string]string
		lastInfo CorpusInfo
	)
	if !cfg.SkipReal {
		info, err := ReadCorpusInfo(ctx, cfg.Corpus...)
		if err != nil {
			return nil, err
		}
		dirs, err := cfg.buildAll(ctx, rep, info, filepath.Join(work, "real"))
		if err != nil {
			return rep, err
		}
		if err := cfg.query(ctx, rep, info, dirs, sets, cfg.Duration > 0); err != nil {
			return rep, err
		}
		last, lastInfo = dirs, info
	}

	// Generated corpora: build and latency at each size.
	gen := NewGenerator(pool, cfg.Seed)
	for i, n := range cfg.Sizes {
		cfg.logf("generating %d articles", n)
		g, err := gen.GenerateFile(ctx, filepath.Join(work, "corpora"), n, cfg.Gzip)
		if err != nil {
			return rep, err
		}
		rep.Generated = append(rep.Generated, g)
		ginfo, err := ReadCorpusInfo(ctx, g.Path)
		if err != nil {
			return rep, err
		}
		gdirs, err := cfg.buildAll(ctx, rep, ginfo, filepath.Join(work, "gen-"+strconv.Itoa(n)))
		if err != nil {
			return rep, err
		}
		if err := cfg.query(ctx, rep, ginfo, gdirs, sets, false); err != nil {
			return rep, err
		}
		if i < len(cfg.Sizes)-1 {
			// Only the largest is kept, for the incremental adds.
			os.RemoveAll(filepath.Join(work, "gen-"+strconv.Itoa(n)))
			os.Remove(g.Path)
		}
		last, lastInfo = gdirs, ginfo
	}

	if cfg.IncBatches > 0 && last != nil {
		if err := cfg.incremental(ctx, rep, gen, last, lastInfo); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// buildAll builds the corpus with every engine into dir/ENGINE.
func (cfg *Config) buildAll(ctx context.Context, rep *Report, info CorpusInfo, dir string) (map[string]string, error) {
	dirs := map[string]string{}
	for _, engine := range cfg.Engines {
		d := filepath.Join(dir, engine)
		cfg.logf("building %s: %s articles with %s", corpusName(info.Paths), thousands(int64(info.Articles)), engine)
		b, err := cfg.Binary.Build(ctx, engine, info, d)
		if err != nil {
			return nil, err
		}
		rep.Build = append(rep.Build, b)
		dirs[engine] = d
	}
	return dirs, nil
}

// query serves each index and measures latency, then the load test if
// load is set.
func (cfg *Config) query(ctx context.Context, rep *Report, info CorpusInfo, dirs map[string]string, sets []QuerySet, load bool) error {
	servers, err := cfg.Binary.ServeAll(ctx, cfg.Engines, dirs)
	if err != nil {
		return err
	}
	defer StopAll(servers)
	client := NewHTTPClient(max(1, cfg.Clients))
	var targets []Target
	for _, s := range servers {
		targets = append(targets, HTTPTarget(s.Engine, s.URL, client))
	}
	cfg.logf("latency on %s", corpusName(info.Paths))
	rows, err := Latency(ctx, targets, sets, cfg.Warmup)
	if err != nil {
		return err
	}
	sec := LatencySection{Corpus: corpusName(info.Paths), Articles: info.Articles, Rows: rows, PeakRSS: map[string]int64{}}
	if load {
		mix, err := NewMix(sets, cfg.HeadlineShare)
		if err != nil {
			return err
		}
		for i, s := range servers {
			cfg.logf("load on %s: %d clients for %s", s.Engine, cfg.Clients, cfg.Duration)
			l := Load(ctx, targets[i], mix, cfg.Clients, cfg.Duration, cfg.Seed)
			l.PeakRSS = s.PeakRSS()
			rep.Load = append(rep.Load, l)
		}
	}
	for _, s := range servers {
		sec.PeakRSS[s.Engine] = s.PeakRSS()
	}
	rep.Latency = append(rep.Latency, sec)
	return ctx.Err()
}

// ServeAll starts a server on each engine's index, in the order of
// engines.
func (b Binary) ServeAll(ctx context.Context, engines []string, dirs map[string]string) ([]*Server, error) {
	var servers []*Server
	for _, engine := range engines {
		s, err := b.Serve(ctx, engine, dirs[engine], "")
		if err != nil {
			StopAll(servers)
			return nil, err
		}
		servers = append(servers, s)
	}
	return servers, nil
}

// StopAll stops servers, returning the first error.
func StopAll(servers []*Server) error {
	var errs []error
	for _, s := range servers {
		errs = append(errs, s.Stop())
	}
	return errors.Join(errs...)
}

// NewToken returns a random bearer token.
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// incremental adds batches to the indexes in dirs: vnsearch through the
// library, then through a server; the peer through its library.
func (cfg *Config) incremental(ctx context.Context, rep *Report, gen *Generator, dirs map[string]string, info CorpusInfo) error {
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	for _, engine := range cfg.Engines {
		switch engine {
		case Vnsearch:
			cfg.logf("incremental adds to %s with vnsearch", corpusName(info.Paths))
			r, err := IncrementalLibrary(ctx, dirs[engine], gen.WithPrefix("inc"+run+"l-"), cfg.IncBatches, cfg.IncSize)
			if err != nil {
				return err
			}
			r.IndexArticles = info.Articles
			rep.Incremental = append(rep.Incremental, r)
			r, err = cfg.Binary.IncrementalHTTP(ctx, dirs[engine], gen.WithPrefix("inc"+run+"h-"), cfg.IncBatches, cfg.IncSize)
			if err != nil {
				return err
			}
			r.IndexArticles = info.Articles
			rep.Incremental = append(rep.Incremental, r)
		case Peer:
			cfg.logf("incremental adds to %s with %s", corpusName(info.Paths), Peer)
			r, err := IncrementalPeer(ctx, dirs[engine], gen.WithPrefix("inc"+run+"p-"), cfg.IncBatches, cfg.IncSize)
			if err != nil {
				return err
			}
			r.IndexArticles = info.Articles
			rep.Incremental = append(rep.Incremental, r)
		}
	}
	return nil
}

// IncrementalLibrary opens the vnsearch index at dir in this process and
// adds batches with index.Add.
func IncrementalLibrary(ctx context.Context, dir string, gen *Generator, batches, size int) (IncrementalResult, error) {
	ix, err := index.Open(dir, index.Options{})
	if err != nil {
		return IncrementalResult{}, err
	}
	r, err := Incremental(ctx, LibraryAdder(ix), gen, batches, size)
	if cerr := ix.Close(); err == nil {
		err = cerr
	}
	return r, err
}

// IncrementalHTTP serves the vnsearch index at dir with a token and adds
// batches with POST /articles.
func (b Binary) IncrementalHTTP(ctx context.Context, dir string, gen *Generator, batches, size int) (IncrementalResult, error) {
	token := NewToken()
	s, err := b.Serve(ctx, Vnsearch, dir, token)
	if err != nil {
		return IncrementalResult{}, err
	}
	r, err := Incremental(ctx, HTTPAdder(s.URL, token, NewHTTPClient(1)), gen, batches, size)
	if serr := s.Stop(); err == nil {
		err = serr
	}
	return r, err
}

// IncrementalPeer opens the stock Bleve index at dir in this process and
// adds batches, one Bleve batch each.
func IncrementalPeer(ctx context.Context, dir string, gen *Generator, batches, size int) (IncrementalResult, error) {
	ix, err := baseline.Open(dir)
	if err != nil {
		return IncrementalResult{}, err
	}
	r, err := Incremental(ctx, PeerAdder(ix), gen, batches, size)
	if cerr := ix.Close(); err == nil {
		err = cerr
	}
	return r, err
}
