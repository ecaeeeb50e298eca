package baseline

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/blevesearch/bleve/v2/mapping"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/corpus"
)

var articles = []corpus.Article{
	{ID: "a", Title: "Bắt giữ đối tượng buôn ma túy", Summary: "Công an tỉnh Lạng Sơn vừa bắt giữ.", Source: "VOV.VN",
		Paragraphs: []string{"Đối tượng vận chuyển ma túy đá qua biên giới.", "Tang vật gồm heroin."}},
	{ID: "b", Title: "Giá xăng giảm", Summary: "Giá xăng giảm mạnh từ chiều nay.", Source: "Báo Thử",
		Paragraphs: []string{"Liên bộ Công Thương - Tài chính điều chỉnh giá xăng dầu."}},
	{ID: "c", Title: "Mưa lớn ở Hà Nội", Summary: "Nhiều tuyến phố ngập.",
		Paragraphs: []string{"Hà Nội mưa lớn từ sáng, giao thông ùn tắc."}},
}

func TestStaticIndex(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "static")
	ix, err := CreateStatic(dir)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := ix.AddStream(ctx, slices.Values(articles), 2); err != nil || n != 3 {
		t.Fatalf("added %d: %v", n, err)
	}
	m := ix.bleve.Mapping().(*mapping.IndexMappingImpl)
	if m.ScoringModel != bleveindex.BM25Scoring || m.DefaultMapping.Dynamic {
		t.Errorf("scoring %q, dynamic %v: want BM25 and a static mapping", m.ScoringModel, m.DefaultMapping.Dynamic)
	}
	for _, f := range StaticFields {
		fm := m.DefaultMapping.Properties[f].Fields[0]
		if fm.IncludeInAll || !fm.Store || !fm.IncludeTermVectors || !fm.DocValues || fm.Analyzer != "standard" {
			t.Errorf("%s: %+v, want Bleve's text defaults, the standard analyzer, out of _all", f, fm)
		}
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	// Reopened, the index still matches in its fields (it has no _all).
	ix, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	tests := []struct {
		query, want string
	}{
		{"buôn", "a"},     // title
		{"Lạng", "a"},     // summary
		{"heroin", "a"},   // a paragraph
		{"dầu", "b"},      // a paragraph
		{"Baó", ""},       // no such word
		{"VOV.VN", ""},    // the outlet is not mapped
		{"ngập", "c"},     // summary
		{"ùn tắc", "c"},   // a paragraph, two words
		{"Hà Nội", "c"},   // title and paragraph
		{"xăng dầu", "b"}, // either word
	}
	for _, tt := range tests {
		ids, err := ix.Search(ctx, tt.query, 10, false)
		if err != nil {
			t.Fatal(err)
		}
		if (tt.want == "" && len(ids) > 0) || (tt.want != "" && (len(ids) == 0 || ids[0] != tt.want)) {
			t.Errorf("%q: %v, want %q first", tt.query, ids, tt.want)
		}
	}
	page, err := ix.SearchPage(ctx, "ma túy", 10)
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 1 || page.Hits[0].Title != articles[0].Title || len(page.Hits[0].Fragments) == 0 ||
		!strings.Contains(page.Hits[0].Fragments[0], "<mark>ma</mark>") || page.TookMS <= 0 {
		t.Errorf("%+v", page)
	}

	// A few more articles in one batch are found at once.
	more := []corpus.Article{{ID: "d", Title: "Tin mới nhất", Paragraphs: []string{"Một tin nữa về bóng đá."}}}
	if err := ix.Add(ctx, more); err != nil {
		t.Fatal(err)
	}
	if ids, _ := ix.Search(ctx, "bóng", 10, false); !slices.Equal(ids, []string{"d"}) {
		t.Errorf("after Add: %v", ids)
	}
}
