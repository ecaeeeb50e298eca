package index

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
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

// TestFrequenciesFromTheFile: the second pass reads how often candidates
// hold a syllable, plain and marked, from the segment file; it counts what
// Bleve's postings iterator counts, for every document and every form,
// deleted documents left out.
func TestFrequenciesFromTheFile(t *testing.T) {
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	forms := []string{"ma", "má", "mà", "mả", "mã", "mạ"}
	var articles []corpus.Article
	for i := range 3000 {
		var words []string
		for j := range i%7 + 1 {
			words = append(words, forms[(i*j+i/3)%len(forms)], "tin", fmt.Sprint(i%13))
		}
		articles = append(articles, corpus.Article{ID: fmt.Sprintf("d%d", i), Title: "Bài " + fmt.Sprint(i), Paragraphs: []string{strings.Join(words, " ")}})
	}
	addArticles(t, ix, articles...)
	if err := ix.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Delete(context.Background(), "d5", "d77", "d2999"); err != nil {
		t.Fatal(err)
	}
	snap, err := ix.snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer snap.close()
	r := &ranker{snap: snap}
	read := 0
	for _, sv := range snap.segs {
		if sv.file == nil {
			continue
		}
		var docs []*candidate
		it := sv.live().Iterator()
		for it.HasNext() {
			if d := uint64(it.Next()); d%3 != 1 { // not every document
				docs = append(docs, &candidate{doc: d})
			}
		}
		bleve := &segView{seg: sv.seg, deleted: sv.deleted, id: sv.id, offset: sv.offset} // no file: through Bleve
		for _, f := range []struct {
			field string
			terms []string
		}{{fieldBodyFolded, []string{"ma"}}, {fieldBodyExact, forms[1:]}, {fieldBodyExact, []string{"ma", "mã"}}} {
			fromFile, err := r.frequencies(sv, f.field, f.terms, docs)
			if err != nil {
				t.Fatal(err)
			}
			fromBleve, err := r.frequencies(bleve, f.field, f.terms, docs)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(fromFile, fromBleve) {
				t.Errorf("%s %v: the file reads other frequencies than Bleve", f.field, f.terms)
			}
			for _, n := range fromFile {
				read += int(n)
			}
		}
	}
	if read == 0 {
		t.Fatal("no frequency read from a segment file")
	}
}
