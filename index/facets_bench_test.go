package index

import (
	"context"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
)

// facetIndex is the baomoi corpus indexed once per test binary with
// facet fields filled in: baomoi has one outlet, no categories and no
// dates, which would make every facet one term and cost nothing. Each
// article gets one of 12 outlets, 10 categories and a day over 2015–2024
// (120 months), drawn from a hash of its ID.
var facetIndex struct {
	once sync.Once
	dir  string
	ix   *Index
	err  error
}

func openFacetIndex(b *testing.B) (*Index, []corpus.Article) {
	b.Helper()
	articles, _ := loadBaomoi(b)
	facetIndex.once.Do(func() {
		ctx := context.Background()
		outlets := []string{"VnExpress", "Tuổi Trẻ", "Thanh Niên", "VOV.VN", "ANTV", "Dân Trí", "Người Lao Động", "VietNamNet", "Znews", "Lao Động", "CAND", "Tiền Phong"}
		categories := []string{"Thời sự", "Pháp luật", "Kinh tế", "Thế giới", "Thể thao", "Giải trí", "Giáo dục", "Sức khỏe", "Công nghệ", "Đời sống"}
		filled := make([]corpus.Article, len(articles))
		for i, a := range articles {
			h := fnv.New64a()
			_, _ = h.Write([]byte(a.ID))
			x := h.Sum64()
			a.Source = outlets[x%12]
			a.Category = categories[(x/12)%10]
			a.Published, _ = corpus.ParseDate(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int((x/120)%3650)).Format(time.DateOnly))
			filled[i] = a
		}
		if facetIndex.dir, facetIndex.err = os.MkdirTemp("", "vnsearch-facets"); facetIndex.err != nil {
			return
		}
		if facetIndex.ix, facetIndex.err = Create(filepath.Join(facetIndex.dir, "vn")); facetIndex.err != nil {
			return
		}
		if _, facetIndex.err = facetIndex.ix.AddStream(ctx, slices.Values(filled), StreamOptions{}); facetIndex.err != nil {
			return
		}
		facetIndex.err = facetIndex.ix.Compact(ctx)
	})
	if facetIndex.err != nil {
		b.Fatal(facetIndex.err)
	}
	return facetIndex.ix, articles
}

// BenchmarkFacetsAndStories measures what counting facets and grouping
// stories cost a search on the baomoi index: each query is run as is,
// with the three facets, grouped by story, and with both, one after the
// other (each way first in turn), so that the machine's other work and
// the page cache weigh on all alike. Metrics:
// the server's took_ms at p50 and p95 of each way, and each way's total
// over the plain searches' (the target: facets ≤ 1.5×).
//
//	go test -run='^$' -bench=FacetsAndStories -benchtime=1x ./index
func BenchmarkFacetsAndStories(b *testing.B) {
	ix, articles := openFacetIndex(b)
	ctx := context.Background()
	sets := querySets(articles)
	var queries []string
	names := make([]string, 0, len(sets))
	for name := range sets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		queries = append(queries, sets[name][:min(len(sets[name]), 100)]...)
	}
	ways := []struct {
		name string
		req  func(q string) Request
	}{
		{"plain", func(q string) Request { return Request{Query: q} }},
		{"facets", func(q string) Request { return Request{Query: q, Facets: []string{"source", "category", "month"}} }},
		{"stories", func(q string) Request { return Request{Query: q, Group: GroupStory} }},
		{"facets+stories", func(q string) Request {
			return Request{Query: q, Group: GroupStory, Facets: []string{"source", "category", "month"}}
		}},
	}
	took := make([][]float64, len(ways))
	for b.Loop() {
		for k, q := range queries {
			// Each way goes first as often as the others: the first
			// search of a query warms the pages the others then find.
			for j := range ways {
				i := (k + j) % len(ways)
				w := ways[i]
				res, err := ix.Search(ctx, w.req(q))
				if err != nil {
					b.Fatal(err)
				}
				took[i] = append(took[i], res.TookMS)
			}
		}
	}
	sum := func(xs []float64) float64 {
		s := 0.0
		for _, x := range xs {
			s += x
		}
		return s
	}
	for i, w := range ways {
		xs := slices.Clone(took[i])
		slices.Sort(xs)
		b.ReportMetric(xs[len(xs)/2], w.name+"-p50-ms")
		b.ReportMetric(xs[len(xs)*95/100], w.name+"-p95-ms")
		if i > 0 {
			b.ReportMetric(sum(took[i])/sum(took[0]), w.name+"/plain")
		}
	}
	b.ReportMetric(float64(len(queries)), "queries")
	fmt.Fprintf(os.Stderr, "%d queries, %d articles\n", len(queries), len(articles))
}

// BenchmarkStorySignature measures what the story key adds to indexing:
// the analysis of an article, which indexing does anyway, and then its
// signature, on the first 2,000 baomoi articles. Metrics: microseconds
// per article of each.
func BenchmarkStorySignature(b *testing.B) {
	articles, _ := loadBaomoi(b)
	articles = articles[:min(len(articles), 2000)]
	var analyze, sign time.Duration
	for b.Loop() {
		for i := range articles {
			start := time.Now()
			d := analyzeArticle(&articles[i])
			mid := time.Now()
			_ = storySignature(&d.layout)
			sign += time.Since(mid)
			analyze += mid.Sub(start)
		}
	}
	n := float64(b.N * len(articles))
	b.ReportMetric(float64(analyze.Microseconds())/n, "analyze-µs/article")
	b.ReportMetric(float64(sign.Microseconds())/n, "signature-µs/article")
}
