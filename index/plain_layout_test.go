package index

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

// TestRankingIgnoresSegments checks, on real news, that results do not
// depend on how the index is cut into segments: 3,000 baomoi articles
// added at once and 100 at a time answer alike, scores included, for
// queries mixing syllables typed with and without diacritics (whether an
// article holds the plain ones as typed is read segment by segment).
// It needs the shared corpus and skips without it.
func TestRankingIgnoresSegments(t *testing.T) {
	if testing.Short() {
		t.Skip("short: indexes 3,000 real articles twice")
	}
	if _, err := os.Stat(baomoiPath); err != nil {
		t.Skipf("%s absent: this test needs the shared baomoi corpus", baomoiPath)
	}
	ctx := context.Background()
	var articles []corpus.Article
	for a, err := range corpus.Articles(ctx, baomoiPath) {
		if err != nil {
			continue
		}
		if articles = append(articles, a); len(articles) == 3000 {
			break
		}
	}
	whole, err := Create(filepath.Join(t.TempDir(), "whole"))
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	addArticles(t, whole, articles...)
	cut, err := Create(filepath.Join(t.TempDir(), "cut"))
	if err != nil {
		t.Fatal(err)
	}
	defer cut.Close()
	for i := 0; i < len(articles); i += 100 {
		addArticles(t, cut, articles[i:i+100]...)
	}
	for _, q := range []string{"Hai xe máy đâm", "Mỹ sẽ mua", "Tin mới", "Cách làm cá kho", "Thành viên Ban", "Chiều mai, Chủ tịch"} {
		a, err := whole.Search(ctx, Request{Query: q, Size: 10, AsTyped: true})
		if err != nil {
			t.Fatal(err)
		}
		b, err := cut.Search(ctx, Request{Query: q, Size: 10, AsTyped: true})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := scored(b.Hits), scored(a.Hits); got != want {
			t.Errorf("%q: in %d-article segments\n%s\nin one\n%s", q, 100, got, want)
		}
	}
}

func scored(hits []Hit) string {
	var b strings.Builder
	for _, h := range hits {
		fmt.Fprintf(&b, "%s:%.4f ", h.ID, h.Score)
	}
	return b.String()
}
