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

// BenchmarkPostingsConjunction intersects pairs of postings lists of one
// 40,000-document segment, reading frequencies and lengths as a scored
// conjunction does: through zap's iterator (which walks every posting it
// advances past) and from the file (which jumps), in one run.
func BenchmarkPostingsConjunction(b *testing.B) {
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "idx")
	ix, err := Create(path)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	vocab := strings.Fields("ma túy bắt giữ công an tỉnh hà giang người dân xe khách lật đèo mưa lũ giá vàng tăng điện nước trường học")
	for batch := range 8 {
		var as []corpus.Article
		for i := range 5000 {
			w := make([]string, 20+rng.IntN(200))
			for j := range w {
				w[j] = vocab[min(len(vocab)-1, int(rng.ExpFloat64()*3))]
			}
			as = append(as, corpus.Article{ID: fmt.Sprint("b", batch*5000+i), Title: "tin", Paragraphs: []string{strings.Join(w, " ")}})
		}
		if _, err := ix.Add(ctx, as); err != nil {
			b.Fatal(err)
		}
	}
	if err := ix.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	_, snap := reopenSnapshot(b, ix, path)
	sv := snap.segs[0]
	pairs := [][2]string{{"ma", "tuy"}, {"ha", "giang"}, {"gia", "vang"}, {"ma", "hoc"}}
	for _, how := range []string{"bleve", "file"} {
		b.Run(how, func(b *testing.B) {
			matched := 0
			for b.Loop() {
				for _, pair := range pairs {
					var cs [2]*cursor
					for k, term := range pair {
						pl, err := sv.postings(fieldBodyFolded, foldedKey(term))
						if err != nil || pl == nil {
							b.Fatal(term, err)
						}
						c := &cursor{doc: noDoc - 1}
						if how == "file" {
							if c.fp, err = sv.filePostings(fieldBodyFolded, foldedKey(term)); err != nil {
								b.Fatal(err)
							}
						} else {
							c.it = pl.Iterator(true, true, false, nil)
						}
						cs[k] = c
					}
					// The rarer leads, the other jumps to it.
					lead, other := cs[0], cs[1]
					if err := lead.next(); err != nil {
						b.Fatal(err)
					}
					for lead.doc != noDoc {
						if err := other.advance(lead.doc); err != nil {
							b.Fatal(err)
						}
						if other.doc == noDoc {
							break
						}
						if other.doc == lead.doc {
							matched++
							if err := lead.next(); err != nil {
								b.Fatal(err)
							}
							continue
						}
						if err := lead.advance(other.doc); err != nil {
							b.Fatal(err)
						}
					}
				}
			}
			b.ReportMetric(float64(matched)/float64(b.N), "matches/op")
		})
	}
}
