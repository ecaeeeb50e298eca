package index

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index/baseline"
)

// baomoiPath is the shared corpus beside the repository: 34,752 real
// articles, never committed.
const baomoiPath = "../../shared/corpus/baomoi-35k.jsonl.gz"

var baomoi struct {
	once     sync.Once
	articles []corpus.Article
	bytes    int64
	err      error
}

// loadBaomoi reads the shared corpus once per test binary, or skips.
func loadBaomoi(b testing.TB) ([]corpus.Article, int64) {
	b.Helper()
	if _, err := os.Stat(baomoiPath); err != nil {
		b.Skipf("%s absent: the index benchmarks need the shared baomoi corpus", baomoiPath)
	}
	baomoi.once.Do(func() {
		for a, err := range corpus.Articles(context.Background(), baomoiPath) {
			if err != nil {
				continue // problems are the corpus package's to test
			}
			baomoi.articles = append(baomoi.articles, a)
			baomoi.bytes += int64(len(a.Title) + len(a.Summary))
			for _, p := range a.Paragraphs {
				baomoi.bytes += int64(len(p))
			}
		}
		if len(baomoi.articles) == 0 {
			baomoi.err = fmt.Errorf("no articles read from %s", baomoiPath)
		}
	})
	if baomoi.err != nil {
		b.Fatal(baomoi.err)
	}
	return baomoi.articles, baomoi.bytes
}

func dirSize(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkBuild builds the whole baomoi index with vnsearch and with stock
// Bleve (standard analyzer, default mapping) in the same run, in this
// process; the timer and the rates cover the build only, not the index's
// size, measured after. Metrics: articles/s, MB/s of article text, and
// disk-x, the index's size on disk over the raw text. internal/bench's
// BenchmarkBuild measures `vnsearch index` as a child process, with its
// peak RSS, beside the static-mapping peer of issue 16.
func BenchmarkBuild(b *testing.B) {
	articles, raw := loadBaomoi(b)
	ctx := context.Background()
	report := func(b *testing.B, elapsed time.Duration, size int64) {
		b.SetBytes(raw)
		b.ReportMetric(float64(len(articles))*float64(b.N)/elapsed.Seconds(), "articles/s")
		b.ReportMetric(float64(size)/float64(raw), "disk-x")
	}
	b.Run("vnsearch", func(b *testing.B) {
		var size int64
		var elapsed time.Duration
		for b.Loop() {
			b.StopTimer()
			dir := filepath.Join(b.TempDir(), "idx")
			b.StartTimer()
			start := time.Now()
			ix, err := Create(dir)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ix.AddStream(ctx, slices.Values(articles), StreamOptions{}); err != nil {
				b.Fatal(err)
			}
			if err := ix.Compact(ctx); err != nil {
				b.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(start)
			b.StopTimer()
			size = dirSize(b, dir)
			b.StartTimer()
		}
		report(b, elapsed, size)
	})
	b.Run("bleve-standard", func(b *testing.B) {
		var size int64
		var elapsed time.Duration
		for b.Loop() {
			b.StopTimer()
			dir := filepath.Join(b.TempDir(), "idx")
			b.StartTimer()
			start := time.Now()
			ix, err := baseline.Create(dir)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := ix.AddStream(ctx, slices.Values(articles), 1000); err != nil {
				b.Fatal(err)
			}
			if err := ix.Close(); err != nil {
				b.Fatal(err)
			}
			elapsed += time.Since(start)
			b.StopTimer()
			size = dirSize(b, dir)
			b.StartTimer()
		}
		report(b, elapsed, size)
	})
}

// querySets derives search queries from the corpus as readers type them:
// one, two and three adjacent syllables of article titles, as written and
// without diacritics. Every 61st title gives one query per set.
func querySets(articles []corpus.Article) map[string][]string {
	sets := map[string][]string{}
	for i := 0; i < len(articles); i += 61 {
		title := articles[i].Title
		var words []analyzer.Syllable
		for _, s := range analyzer.Syllables(title) {
			if s.Whole || !isWord(s.Exact) {
				continue
			}
			if len(words) > 0 && !s.Joined {
				if len(words) >= 3 {
					break
				}
				words = words[:0]
			}
			words = append(words, s)
		}
		for n := 1; n <= 3 && n <= len(words); n++ {
			mid := (len(words) - n) / 2
			text := title[words[mid].Start:words[mid+n-1].End]
			sets[fmt.Sprintf("%d-syllable/accented", n)] = append(sets[fmt.Sprintf("%d-syllable/accented", n)], text)
			sets[fmt.Sprintf("%d-syllable/folded", n)] = append(sets[fmt.Sprintf("%d-syllable/folded", n)], analyzer.Fold(text))
		}
	}
	return sets
}

func isWord(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

var searchIndexes struct {
	once  sync.Once
	dir   string
	vn    *Index
	stock *baseline.Index
	err   error
}

// openSearchIndexes builds both indexes of baomoi once per test binary.
func openSearchIndexes(b *testing.B) (*Index, *baseline.Index) {
	articles, _ := loadBaomoi(b)
	s := &searchIndexes
	s.once.Do(func() {
		ctx := context.Background()
		if s.dir, s.err = os.MkdirTemp("", "vnsearch-bench"); s.err != nil {
			return
		}
		if s.vn, s.err = Create(filepath.Join(s.dir, "vn")); s.err != nil {
			return
		}
		if _, s.err = s.vn.AddStream(ctx, slices.Values(articles), StreamOptions{}); s.err != nil {
			return
		}
		if s.err = s.vn.Compact(ctx); s.err != nil {
			return
		}
		if s.stock, s.err = baseline.Create(filepath.Join(s.dir, "stock")); s.err != nil {
			return
		}
		_, s.err = s.stock.AddStream(ctx, slices.Values(articles), 1000)
	})
	if s.err != nil {
		b.Fatal(s.err)
	}
	return s.vn, s.stock
}

// BenchmarkSearch measures search latency on the baomoi index, snippets
// included, for one-, two- and three-syllable queries with and without
// diacritics, and stock Bleve's on the same queries (with its highlighter).
// Metrics: p50-ms, p95-ms, p99-ms over every query run.
func BenchmarkSearch(b *testing.B) {
	articles, _ := loadBaomoi(b)
	vn, stock := openSearchIndexes(b)
	ctx := context.Background()
	sets := querySets(articles)
	names := make([]string, 0, len(sets))
	for name := range sets {
		names = append(names, name)
	}
	sort.Strings(names)
	measure := func(b *testing.B, queries []string, run func(q string) error) {
		var latencies []time.Duration
		for b.Loop() {
			for _, q := range queries {
				start := time.Now()
				if err := run(q); err != nil {
					b.Fatal(err)
				}
				latencies = append(latencies, time.Since(start))
			}
		}
		slices.Sort(latencies)
		pct := func(p float64) float64 {
			return float64(latencies[int(p*float64(len(latencies)-1))]) / 1e6
		}
		b.ReportMetric(pct(0.50), "p50-ms")
		b.ReportMetric(pct(0.95), "p95-ms")
		b.ReportMetric(pct(0.99), "p99-ms")
		b.ReportMetric(float64(len(queries)), "queries")
	}
	for _, name := range names {
		queries := sets[name]
		b.Run("vnsearch/"+name, func(b *testing.B) {
			measure(b, queries, func(q string) error {
				_, err := vn.Search(ctx, Request{Query: q})
				return err
			})
		})
		b.Run("bleve-standard/"+name, func(b *testing.B) {
			measure(b, queries, func(q string) error {
				_, err := stock.Search(ctx, q, 10, true)
				return err
			})
		})
	}
}
