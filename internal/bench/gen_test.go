package bench

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
)

func loadSynthPool(t *testing.T, n int) (*Pool, []synthArticle) {
	t.Helper()
	path, arts := writeSynthCorpus(t, t.TempDir(), n)
	pool, err := LoadPool(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	return pool, arts
}

func generate(t *testing.T, g *Generator, n int, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	stats, err := g.Write(context.Background(), &buf, n, gz)
	if err != nil {
		t.Fatal(err)
	}
	if stats.Articles != n || stats.Bytes != int64(buf.Len()) {
		t.Errorf("stats %+v for %d articles, %d bytes", stats, n, buf.Len())
	}
	return buf.Bytes()
}

func TestGenerateIsDeterministic(t *testing.T) {
	pool, _ := loadSynthPool(t, 30)
	// Small chunks: several are encoded in parallel, and finish in any
	// order.
	small := func(seed uint64) *Generator {
		g := NewGenerator(pool, seed)
		g.chunk = 7
		return g
	}
	const n = 100
	a := generate(t, small(1), n, false)
	b := generate(t, small(1), n, false)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed gave different corpora")
	}
	if c := generate(t, small(2), n, false); bytes.Equal(a, c) {
		t.Error("seeds 1 and 2 gave the same corpus")
	}
	// Article i depends on neither the chunks nor how many articles come
	// after it.
	if whole := generate(t, NewGenerator(pool, 1), n, false); !bytes.Equal(a, whole) {
		t.Error("chunks of 7 and of 1,024 articles gave different corpora")
	}
	if short := generate(t, small(1), 60, false); !bytes.HasPrefix(a, short) {
		t.Error("the first 60 articles of a longer corpus differ from a corpus of 60")
	}
	// Gzipped: the same bytes, compressed, and the same compressed bytes
	// each time.
	gz := generate(t, small(1), n, true)
	if !bytes.Equal(gz, generate(t, small(1), n, true)) {
		t.Error("the same seed gave different gzipped corpora")
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, a) {
		t.Error("the gzipped corpus is not the plain one")
	}
}

func TestGeneratedArticles(t *testing.T) {
	pool, src := loadSynthPool(t, 40)
	titles, summaries, passages, sources := map[string]bool{}, map[string]bool{}, map[string]int{}, map[string]bool{}
	srcIDs := map[string]bool{}
	for i, a := range src {
		titles[a.Title] = true
		summaries[a.Summary] = true
		sources[a.Source] = true
		srcIDs[a.ID] = true
		for _, p := range corpus.SplitPassages(a.Body) {
			passages[p] = i
		}
	}
	const n = 500
	data := generate(t, NewGenerator(pool, 1), n, false)
	seen := map[string]bool{}
	mixed := 0 // articles with paragraphs from several source articles
	var oldest, newest time.Time
	for a, err := range corpus.ReadJSON(bytes.NewReader(data), "gen") {
		if err != nil {
			t.Fatalf("generated corpus does not read back: %v", err)
		}
		if seen[a.ID] || srcIDs[a.ID] || !strings.HasPrefix(a.ID, "g1-") {
			t.Errorf("ID %q: repeated, or not a fresh g1- ID", a.ID)
		}
		seen[a.ID] = true
		if !titles[a.Title] || !summaries[a.Summary] || !sources[a.Source] {
			t.Errorf("%s: title, summary or outlet not from the corpus: %q / %q / %q", a.ID, a.Title, a.Summary, a.Source)
		}
		if k := len(a.Paragraphs); k < MinParagraphs || k > MaxParagraphs {
			t.Errorf("%s: %d paragraphs, want %d to %d", a.ID, k, MinParagraphs, MaxParagraphs)
		}
		from := map[int]bool{}
		for _, p := range a.Paragraphs {
			i, ok := passages[p]
			if !ok {
				t.Fatalf("%s: paragraph is no passage of the corpus: %q", a.ID, p)
			}
			from[i] = true
		}
		if len(from) > 1 {
			mixed++
		}
		if a.Published.Precision != corpus.Instant {
			t.Fatalf("%s: published %v, want a date and time", a.ID, a.Published)
		}
		if at := a.Published.Time; oldest.IsZero() || at.Before(oldest) {
			oldest = at
		}
		if at := a.Published.Time; at.After(newest) {
			newest = at
		}
	}
	if len(seen) != n {
		t.Fatalf("%d articles read back, want %d", len(seen), n)
	}
	if mixed < n/2 {
		t.Errorf("only %d of %d articles draw paragraphs from several articles", mixed, n)
	}
	if oldest.Year() != 2015 || newest.Year() != 2024 {
		t.Errorf("dates from %v to %v, want them spread over 2015–2024", oldest, newest)
	}
}

func TestGenerateFile(t *testing.T) {
	pool, _ := loadSynthPool(t, 20)
	dir := filepath.Join(t.TempDir(), "out")
	for _, gz := range []bool{false, true} {
		stats, err := NewGenerator(pool, 3).GenerateFile(context.Background(), dir, 50, gz)
		if err != nil {
			t.Fatal(err)
		}
		if filepath.Base(stats.Path) != FileName(50, 3, gz) {
			t.Errorf("path %s", stats.Path)
		}
		info, err := ReadCorpusInfo(context.Background(), stats.Path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Articles != 50 || info.Problems != 0 || info.TextBytes != stats.TextBytes {
			t.Errorf("gzip %v: read back %+v, generated %+v", gz, info, stats)
		}
	}
}

func TestLoadPoolProblems(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.jsonl")
	os.WriteFile(empty, []byte("{not json}\n"), 0o644)
	if _, err := LoadPool(context.Background(), empty); err == nil || !strings.Contains(err.Error(), "empty.jsonl") {
		t.Errorf("a corpus without articles: %v", err)
	}
	mixed := filepath.Join(dir, "mixed.jsonl")
	os.WriteFile(mixed, []byte("{not json}\n"+`{"id":"a","title":"Giá xăng giảm","body":"Giá xăng giảm mạnh."}`+"\n"), 0o644)
	pool, err := LoadPool(context.Background(), mixed)
	if err != nil {
		t.Fatal(err)
	}
	if pool.Problems != 1 || len(pool.Titles()) != 1 {
		t.Errorf("problems %d, titles %q", pool.Problems, pool.Titles())
	}
}
