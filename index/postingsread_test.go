package index

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

// posting is one document of a postings list as a search reads it.
type posting struct{ doc, freq, length uint64 }

// TestPostingsFromFile checks that postings read from the segment files
// are exactly Bleve's — documents, frequencies, lengths; read in order and
// by jumps — over segments of several chunks, with deleted documents, and
// for lists of every length from one document to most of them.
func TestPostingsFromFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(3, 5))
	vocab := strings.Fields("ma túy bắt giữ công an tỉnh hà giang người dân xe khách lật đèo mưa lũ giá vàng tăng điện nước trường học")
	word := func() string {
		// Zipf-like: the first words in most documents, the last in few.
		return vocab[min(len(vocab)-1, int(rng.ExpFloat64()*4))]
	}
	text := func(n int) string {
		w := make([]string, n)
		for i := range w {
			w[i] = word()
		}
		return strings.Join(w, " ")
	}
	var rare []string
	for batch := range 3 {
		var as []corpus.Article
		for i := range 1500 {
			id := batch*1500 + i
			a := corpus.Article{ID: fmt.Sprint("p", id), Title: text(3 + rng.IntN(5)), Paragraphs: []string{text(5 + rng.IntN(120))}}
			if id%97 == 0 {
				// A few words held by few documents.
				w := fmt.Sprintf("hiếm%d", id%5)
				a.Paragraphs = append(a.Paragraphs, w+" "+w)
				rare = append(rare, w)
			}
			as = append(as, a)
		}
		addArticles(t, ix, as...)
	}
	var gone []string
	for i := 0; i < 4500; i += 11 {
		gone = append(gone, fmt.Sprint("p", i))
	}
	if _, err := ix.Delete(ctx, gone...); err != nil {
		t.Fatal(err)
	}
	ix, snap := reopenSnapshot(t, ix, path)

	terms := map[string]bool{"hiếm0": true, "hiem0": true}
	for _, w := range append(vocab, rare...) {
		terms[foldedKey(w)] = true
	}
	compared, chunked := 0, 0
	for _, sv := range snap.segs {
		if sv.file == nil {
			t.Fatal("a segment of a reopened index has no file")
		}
		for term := range terms {
			pl, err := sv.postings(fieldBodyFolded, term)
			if err != nil {
				t.Fatal(err)
			}
			fp, err := sv.filePostings(fieldBodyFolded, term)
			if pl == nil {
				continue
			}
			if err != nil {
				if pl.Count() > 1 {
					t.Errorf("%q: %d documents, not read from the file: %v", term, pl.Count(), err)
				}
				continue
			}
			var want []posting
			it := pl.Iterator(true, true, false, nil)
			for {
				p, err := it.Next()
				if err != nil {
					t.Fatal(err)
				}
				if p == nil {
					break
				}
				want = append(want, posting{p.Number(), p.Frequency(), normLength(p)})
			}
			// In order.
			var got []posting
			for {
				d, f, l, ok, err := fp.next()
				if err != nil {
					t.Fatalf("%q: %v", term, err)
				}
				if !ok {
					break
				}
				got = append(got, posting{d, f, l})
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("%q: read from the file %v\nBleve %v", term, got[:min(10, len(got))], want[:min(10, len(want))])
			}
			if len(fp.fn.ends) > 1 {
				chunked++
			}
			// By jumps of every size, from fresh readers.
			for round := range 20 {
				fp, _ := sv.filePostings(fieldBodyFolded, term)
				i := -1 // where in want the reader is
				for step := 0; ; step++ {
					var target uint64
					switch {
					case round%2 == 0 && step%3 == 0:
						target = uint64(rng.IntN(int(sv.seg.Count()) + 2))
					case i+1 < len(want):
						target = want[min(len(want)-1, i+1+rng.IntN(1+round*5))].doc
					default:
						target = uint64(sv.seg.Count()) + 1
					}
					if i >= 0 && target <= want[i].doc {
						target = want[i].doc + 1
					}
					d, f, l, ok, err := fp.advance(target)
					if err != nil {
						t.Fatalf("%q: advance to %d: %v", term, target, err)
					}
					// What Bleve's list has at or after target.
					j := i + 1
					for j < len(want) && want[j].doc < target {
						j++
					}
					if j == len(want) {
						if ok {
							t.Fatalf("%q: advance to %d: %d, Bleve has none", term, target, d)
						}
						break
					}
					if !ok || (posting{d, f, l}) != want[j] {
						t.Fatalf("%q: advance to %d: %v %v, Bleve %v", term, target, posting{d, f, l}, ok, want[j])
					}
					i = j
					compared++
				}
			}
		}
	}
	if compared < 1000 || chunked == 0 {
		t.Errorf("compared %d jumps, %d lists of several chunks: the test wants more", compared, chunked)
	}
	// Searches read scored postings from the files.
	res, err := ix.Search(ctx, Request{Query: "ma túy giá vàng", Size: 10})
	if err != nil || len(res.Hits) == 0 {
		t.Fatalf("search: %v, %v", res, err)
	}
}

// reopenSnapshot closes ix and opens it again read-only, every segment
// persisted, and returns it and a snapshot of it, both closed when the
// test ends.
func reopenSnapshot(tb testing.TB, ix *Index, path string) (*Index, *snapshot) {
	tb.Helper()
	if err := ix.Close(); err != nil {
		tb.Fatal(err)
	}
	ix, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ix.Close() })
	snap, err := ix.snapshot(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { snap.close() })
	return ix, snap
}
