package bench

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// BenchmarkLexicon counts the lexicon of diacritic restoration (see
// index/lexicon.go) over the real baomoi articles and over articles
// generated from them, and reports its size in memory and on disk:
//
//	go test -run='^$' -bench=Lexicon -benchtime=1x -timeout=1h ./internal/bench
//
// The 1M variant needs VNSEARCH_BENCH_1M=1. Generated articles recombine
// the passages of the real ones, so their lexicon holds no form and few
// pairs the real articles lack: past 35k articles, it shows what the
// counts cost, not how a real corpus's vocabulary grows.
func BenchmarkLexicon(b *testing.B) {
	if _, err := os.Stat(baomoiPath()); err != nil {
		b.Skipf("%s absent: the lexicon benchmark needs the shared baomoi corpus", baomoiPath())
	}
	b.Run("corpus=35k", func(b *testing.B) {
		var articles []corpus.Article
		for a, err := range corpus.Articles(context.Background(), baomoiPath()) {
			if err == nil {
				articles = append(articles, a)
			}
		}
		// The vocabulary's growth: the lexicon of the first eighth,
		// quarter and half, then of all.
		for _, n := range []int{len(articles) / 8, len(articles) / 4, len(articles) / 2} {
			c := index.NewLexiconCounter()
			for i := range articles[:n] {
				c.Add(&articles[i])
			}
			s := c.Stats()
			b.Logf("first %d articles: %d forms, %d pairs", n, s.Forms, s.Pairs)
		}
		measureLexicon(b, len(articles), func(i int) corpus.Article { return articles[i] })
	})
	b.Run("corpus=1M", func(b *testing.B) {
		if os.Getenv("VNSEARCH_BENCH_1M") == "" {
			b.Skip("set VNSEARCH_BENCH_1M=1 to count a million generated articles")
		}
		pool, err := LoadPool(context.Background(), baomoiPath())
		if err != nil {
			b.Fatal(err)
		}
		g := NewGenerator(pool, 1)
		measureLexicon(b, 1_000_000, g.Article)
	})
}

func measureLexicon(b *testing.B, n int, article func(int) corpus.Article) {
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		c := index.NewLexiconCounter()
		for i := range n {
			a := article(i)
			c.Add(&a)
		}
		s := c.Stats()
		elapsed := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		path := filepath.Join(b.TempDir(), "lexicon.gob")
		saveStart := time.Now()
		if err := c.Save(path); err != nil {
			b.Fatal(err)
		}
		saved := time.Since(saveStart)
		fi, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		runtime.KeepAlive(c)
		heap := int64(after.HeapAlloc) - int64(before.HeapAlloc)
		b.Logf("%d articles: %d forms (%d folded), %d pairs, %d syllables; heap %.1f MB (its estimate %.1f MB); file %.1f MB; counted in %s, saved in %s",
			n, s.Forms, s.Folded, s.Pairs, s.Tokens, float64(heap)/1e6, float64(s.Bytes)/1e6, float64(fi.Size())/1e6,
			elapsed.Round(time.Millisecond), saved.Round(time.Millisecond))
		b.ReportMetric(float64(s.Forms), "forms")
		b.ReportMetric(float64(s.Pairs), "pairs")
		b.ReportMetric(float64(heap)/1e6, "heap-MB")
		b.ReportMetric(float64(fi.Size())/1e6, "file-MB")
	}
}
