package bench

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/internal/mix"
)

// Paragraph counts of a generated article: the count of a real article
// drawn at random, kept within these bounds so that generated articles
// are the size of real news.
const (
	MinParagraphs = 3
	MaxParagraphs = 15
)

// A generated article's paragraphs are runs of consecutive passages of
// one source article, each run at most maxRun passages long, from as many
// source articles as it takes.
const maxRun = 4

// Generated dates are spread evenly over ten years from genEpoch, at any
// time of day, in Vietnam's time zone.
var (
	genEpoch = time.Date(2015, 1, 1, 0, 0, 0, 0, vietnam)
	genDays  = int(genEpoch.AddDate(10, 0, 0).Sub(genEpoch).Hours() / 24)
	vietnam  = time.FixedZone("+07", 7*3600)
)

// Pool holds what generated articles are made of: the titles, summaries,
// passages, outlets and categories of a real corpus.
type Pool struct {
	titles    []string
	summaries []string
	passages  []string
	// runs[i] is the first passage of source article i in passages;
	// runs[len(runs)-1] is len(passages).
	runs []int32
	// counts are the source articles' passage counts, clamped to
	// [MinParagraphs, MaxParagraphs]; drawing one draws a size.
	counts []uint8
	// sources and categories hold one entry per source article (an
	// index into names), so drawing one draws an outlet in proportion
	// to how often it occurs; -1 is none.
	sources, categories []int32
	names               []string

	// Problems counts the records of the corpus that could not be read.
	Problems int
}

// LoadPool reads the articles under paths (as corpus.Articles does) into
// a pool. Paragraphs are cut into passages with corpus.SplitPassages, so a
// body without paragraph breaks still gives many. Unreadable records are
// counted in Problems and skipped; a corpus without titles or passages is
// an error.
func LoadPool(ctx context.Context, paths ...string) (*Pool, error) {
	p := &Pool{}
	nameIndex := map[string]int32{}
	name := func(s string) int32 {
		if s == "" {
			return -1
		}
		i, ok := nameIndex[s]
		if !ok {
			i = int32(len(p.names))
			nameIndex[s] = i
			p.names = append(p.names, s)
		}
		return i
	}
	for a, err := range corpus.Articles(ctx, paths...) {
		if err != nil {
			var prob *corpus.Problem
			if errors.As(err, &prob) {
				p.Problems++
				continue
			}
			return nil, fmt.Errorf("bench: reading the corpus: %w", err)
		}
		if a.Title != "" {
			p.titles = append(p.titles, a.Title)
		}
		if a.Summary != "" {
			p.summaries = append(p.summaries, a.Summary)
		}
		first := len(p.passages)
		for _, para := range a.Paragraphs {
			p.passages = append(p.passages, corpus.SplitPassages(para)...)
		}
		if n := len(p.passages) - first; n > 0 {
			p.runs = append(p.runs, int32(first))
			p.counts = append(p.counts, uint8(min(max(n, MinParagraphs), MaxParagraphs)))
		}
		p.sources = append(p.sources, name(a.Source))
		p.categories = append(p.categories, name(a.Category))
	}
	p.runs = append(p.runs, int32(len(p.passages)))
	if len(p.titles) == 0 || len(p.passages) == 0 {
		return nil, fmt.Errorf("bench: %s: no titles or no paragraphs to generate articles from (%d problems)",
			strings.Join(paths, ", "), p.Problems)
	}
	return p, nil
}

// Titles returns the titles of the pool's source articles, in corpus
// order. The caller must not modify them.
func (p *Pool) Titles() []string { return p.titles }

// Generator makes articles from a pool. Article i depends only on the
// pool, the seed and i, so any range of articles can be made in any order,
// in parallel, with the same result.
type Generator struct {
	pool *Pool
	seed uint64
	// prefix starts every ID: "g<seed>-" unless set otherwise.
	prefix string
	// chunk is how many articles a worker encodes at a time (chunkSize).
	chunk int
}

// NewGenerator returns a generator of articles with IDs "g<seed>-<i>".
func NewGenerator(p *Pool, seed uint64) *Generator {
	return &Generator{pool: p, seed: seed, prefix: "g" + strconv.FormatUint(seed, 10) + "-", chunk: chunkSize}
}

// WithPrefix returns a generator like g whose IDs start with prefix and
// whose articles are drawn independently of g's.
func (g *Generator) WithPrefix(prefix string) *Generator {
	h := mix.FNV1a(prefix)
	return &Generator{pool: g.pool, seed: g.seed ^ h, prefix: prefix, chunk: g.chunk}
}

// record is a generated article as written: JSON Lines that `vnsearch
// index` reads, with the fields in a fixed order.
type record struct {
	ID         string   `json:"id"`
	URL        string   `json:"url"`
	Source     string   `json:"source,omitempty"`
	Title      string   `json:"title"`
	Summary    string   `json:"summary,omitempty"`
	Published  string   `json:"published"`
	Category   string   `json:"category,omitempty"`
	Paragraphs []string `json:"paragraphs"`
}

func (g *Generator) record(i int) record {
	p := g.pool
	r := rand.New(rand.NewPCG(mix.SplitMix64(g.seed), mix.SplitMix64(g.seed^mix.SplitMix64(uint64(i)))))
	id := g.prefix + strconv.Itoa(i)
	rec := record{
		ID:    id,
		URL:   "https://bench.invalid/a/" + id,
		Title: p.titles[r.IntN(len(p.titles))],
	}
	if len(p.summaries) > 0 {
		rec.Summary = p.summaries[r.IntN(len(p.summaries))]
	}
	if s := p.sources[r.IntN(len(p.sources))]; s >= 0 {
		rec.Source = p.names[s]
	}
	if c := p.categories[r.IntN(len(p.categories))]; c >= 0 {
		rec.Category = p.names[c]
	}
	at := genEpoch.AddDate(0, 0, r.IntN(genDays)).Add(time.Duration(r.IntN(24*3600)) * time.Second)
	rec.Published = at.Format(time.RFC3339)
	want := int(p.counts[r.IntN(len(p.counts))])
	rec.Paragraphs = make([]string, 0, want)
	for len(rec.Paragraphs) < want {
		src := r.IntN(len(p.runs) - 1)
		lo, hi := int(p.runs[src]), int(p.runs[src+1])
		start := lo + r.IntN(hi-lo)
		n := min(1+r.IntN(maxRun), hi-start, want-len(rec.Paragraphs))
		rec.Paragraphs = append(rec.Paragraphs, p.passages[start:start+n]...)
	}
	return rec
}

// Article returns generated article i.
func (g *Generator) Article(i int) corpus.Article {
	rec := g.record(i)
	a := corpus.Article{
		ID: rec.ID, URL: rec.URL, Source: rec.Source, Title: rec.Title, Summary: rec.Summary,
		Category: rec.Category, Paragraphs: rec.Paragraphs,
	}
	a.Published, _ = corpus.ParseDate(rec.Published)
	a.Hash = a.ContentHash()
	return a
}

// GenStats describes a generated corpus.
type GenStats struct {
	Path      string        `json:"path,omitempty"`
	Articles  int           `json:"articles"`
	Bytes     int64         `json:"bytes"`      // written, compressed if gzipped
	TextBytes int64         `json:"text_bytes"` // title, summary and paragraphs
	Elapsed   time.Duration `json:"elapsed_ns"`
}

// MBPerSecond is the rate at which article text was generated, in
// megabytes (10⁶) a second.
func (s GenStats) MBPerSecond() float64 { return float64(s.TextBytes) / 1e6 / s.Elapsed.Seconds() }

// chunkSize is how many articles a worker encodes at a time; with gzip,
// each chunk is one gzip member, so that the output depends on the chunk
// size but not on how many workers there are.
const chunkSize = 1024

// Write writes articles [0, n) as JSON Lines to w, gzipped (as
// concatenated gzip members, which every gzip reader reads as one stream)
// when gz is set. The bytes depend only on the pool, the seed, n and gz.
func (g *Generator) Write(ctx context.Context, w io.Writer, n int, gz bool) (GenStats, error) {
	start := time.Now()
	type chunk struct {
		lo, hi int
		buf    bytes.Buffer
		text   int64
		err    error
		done   chan struct{}
	}
	workers := max(1, runtime.GOMAXPROCS(0))
	jobs := make(chan *chunk, 2*workers)
	order := make(chan *chunk, 2*workers)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	encode := func(c *chunk) {
		defer close(c.done)
		var out io.Writer = &c.buf
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(&c.buf)
			out = zw
		}
		enc := json.NewEncoder(out)
		enc.SetEscapeHTML(false)
		for i := c.lo; i < c.hi; i++ {
			rec := g.record(i)
			c.text += int64(len(rec.Title) + len(rec.Summary))
			for _, p := range rec.Paragraphs {
				c.text += int64(len(p))
			}
			if err := enc.Encode(rec); err != nil {
				c.err = err
				return
			}
		}
		if zw != nil {
			c.err = zw.Close()
		}
	}
	for range workers {
		go func() {
			for c := range jobs {
				encode(c)
			}
		}()
	}
	go func() {
		defer close(order)
		defer close(jobs)
		for lo := 0; lo < n; lo += g.chunk {
			c := &chunk{lo: lo, hi: min(lo+g.chunk, n), done: make(chan struct{})}
			select {
			case order <- c:
			case <-ctx.Done():
				return
			}
			jobs <- c
		}
	}()

	stats := GenStats{Articles: n}
	var werr error
	for c := range order {
		<-c.done
		if werr != nil {
			continue // drain, so that the producer and workers finish
		}
		if c.err != nil {
			werr = fmt.Errorf("bench: encoding articles %d–%d: %w", c.lo, c.hi-1, c.err)
			cancel()
			continue
		}
		m, err := w.Write(c.buf.Bytes())
		stats.Bytes += int64(m)
		stats.TextBytes += c.text
		if err != nil {
			werr = fmt.Errorf("bench: writing the corpus: %w", err)
			cancel()
		}
	}
	if werr == nil {
		werr = ctx.Err()
	}
	stats.Elapsed = time.Since(start)
	return stats, werr
}

// FileName is the name GenerateFile gives a corpus of n articles.
func FileName(n int, seed uint64, gz bool) string {
	name := fmt.Sprintf("gen-%d-seed%d.jsonl", n, seed)
	if gz {
		name += ".gz"
	}
	return name
}

// GenerateFile writes articles [0, n) into dir (created if need be) under
// FileName, gzipped when gz is set, and returns its stats. A file of that
// name already there is replaced; a partial file is removed on error.
func (g *Generator) GenerateFile(ctx context.Context, dir string, n int, gz bool) (GenStats, error) {
	if n < 0 {
		return GenStats{}, fmt.Errorf("bench: %d articles: want zero or more", n)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return GenStats{}, fmt.Errorf("bench: %w", err)
	}
	path := filepath.Join(dir, FileName(n, g.seed, gz))
	f, err := os.Create(path)
	if err != nil {
		return GenStats{}, fmt.Errorf("bench: %w", err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	stats, err := g.Write(ctx, bw, n, gz)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return GenStats{}, fmt.Errorf("bench: %s: %w", path, err)
	}
	stats.Path = path
	return stats, nil
}
