package index

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// TestFacetsCountEveryMatch checks facet counts against a count of every
// hit, paged through, by the values the articles hold.
func TestFacetsCountEveryMatch(t *testing.T) {
	ctx := context.Background()
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	sources := []string{"VOV.VN", "Tuổi Trẻ", "ANTV"}
	categories := []string{"Pháp luật", "Thể thao", ""}
	words := []string{"ma túy", "bóng đá", "mưa lũ", "giá vàng"}
	var as []corpus.Article
	for i := range 240 {
		a := article(fmt.Sprintf("f%03d", i), "Tin "+words[i%4], "Bài viết về "+words[(i/4)%4]+" và "+words[i%3]+".")
		a.Source, a.Category = sources[i%3], categories[(i/3)%3]
		if i%5 != 0 {
			a.Published, _ = corpus.ParseDate(fmt.Sprintf("2023-%02d-%02d", 1+i%12, 1+i%28))
		}
		as = append(as, a)
		if len(as) == 60 { // four segments
			addArticles(t, ix, as...)
			as = nil
		}
	}
	if _, err := ix.Delete(ctx, "f007", "f100"); err != nil {
		t.Fatal(err)
	}
	// Paging through every hit must see one order: no merge may renumber
	// the documents between pages.
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"ma túy", "mua lu", "tin", `"bóng đá" -vàng`, "-giá"} {
		res, err := ix.Search(ctx, Request{Query: q, Size: 1, Facets: []string{"source", "category", "month"}})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		want := map[string]map[string]uint64{"source": {}, "category": {}, "month": {}}
		var seen uint64
		for from := 0; from < int(res.Total); from += MaxSize {
			page, err := ix.Search(ctx, Request{Query: q, From: from, Size: MaxSize})
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range page.Hits {
				seen++
				a, err := ix.Get(ctx, h.ID)
				if err != nil {
					t.Fatal(err)
				}
				if a.Source != "" {
					want["source"][analyzer.Normalize(a.Source)]++
				}
				if a.Category != "" {
					want["category"][analyzer.Normalize(a.Category)]++
				}
				if m := monthTerm(a.Published); m != "" {
					want["month"][m]++
				}
			}
		}
		if seen != res.Total || seen == 0 {
			t.Fatalf("%s: paged through %d hits, total %d", q, seen, res.Total)
		}
		for name, counts := range want {
			got := map[string]uint64{}
			for _, fc := range res.Facets[name] {
				got[fc.Value] = fc.Count
			}
			if fmt.Sprint(got) != fmt.Sprint(counts) {
				t.Errorf("%s: facet %s = %v, counted %v", q, name, got, counts)
			}
		}
		if months := res.Facets["month"]; len(months) > 1 && months[0].Value > months[1].Value {
			t.Errorf("%s: months not oldest first: %v", q, months)
		}
	}
	if _, err := ix.Search(ctx, Request{Query: "x", Facets: []string{"author"}}); err == nil {
		t.Error("an unknown facet was accepted")
	}
}
