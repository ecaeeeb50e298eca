package index

import (
	"context"
	"fmt"
	"runtime"
	"slices"

	bleveindex "github.com/blevesearch/bleve_index_api"
	"golang.org/x/sync/errgroup"
)

// occurrence is where a query syllable stands in a document's body.
type occurrence struct {
	value uint64 // which value of the body: title, summary, a paragraph
	pos   uint64 // position within that value
}

// evidence is what the second pass reads of one document.
type evidence struct {
	at    [][]occurrence // per query syllable: where it stands, folded
	exact []bool         // per marked syllable: held as typed
}

func (e *evidence) held() int {
	n := 0
	for _, occ := range e.at {
		if len(occ) > 0 {
			n++
		}
	}
	return n
}

func (e *evidence) exactCount() int {
	n := 0
	for _, ok := range e.exact {
		if ok {
			n++
		}
	}
	return n
}

// adjacent reports whether syllable b stands right after syllable a in
// the same value of the body.
func (e *evidence) adjacent(a, b int) bool {
	for _, x := range e.at[a] {
		for _, y := range e.at[b] {
			if x.value == y.value && y.pos == x.pos+1 {
				return true
			}
		}
	}
	return false
}

// gather reads the evidence of the candidates that lack it: for every query
// syllable, its folded postings with positions, and for every syllable
// typed with diacritics, its exact postings — at those documents only.
func (r *ranker) gather(cands []candidate) error {
	var docs []*candidate
	for i := range cands {
		if cands[i].ev == nil {
			cands[i].ev = &evidence{at: make([][]occurrence, len(r.q.syllables)), exact: make([]bool, len(r.q.marked))}
			docs = append(docs, &cands[i])
		}
	}
	if len(docs) == 0 {
		return nil
	}
	// Postings are read forward, so visit the documents in index order.
	slices.SortFunc(docs, func(a, b *candidate) int { return a.internal.Compare(b.internal) })
	// One walk a term, spread over the cores: each writes only its own
	// syllable's slots of the evidence.
	g, ctx := errgroup.WithContext(r.snap.ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, t := range r.q.syllables {
		g.Go(func() error {
			return r.snap.walk(ctx, t.folded, fieldBodyFolded, true, docs, func(c *candidate, doc *bleveindex.TermFieldDoc) {
				for _, v := range doc.Vectors {
					var value uint64
					if len(v.ArrayPositions) > 0 {
						value = v.ArrayPositions[0]
					}
					c.ev.at[i] = append(c.ev.at[i], occurrence{value: value, pos: v.Pos})
				}
			})
		})
	}
	for j, i := range r.q.marked {
		g.Go(func() error {
			return r.snap.walk(ctx, r.q.syllables[i].exact, fieldBodyExact, false, docs, func(c *candidate, _ *bleveindex.TermFieldDoc) {
				c.ev.exact[j] = true
			})
		})
	}
	return g.Wait()
}

// walk calls found for each of docs (in index order) holding term in
// field.
func (s *snapshot) walk(ctx context.Context, term, field string, positions bool, docs []*candidate, found func(*candidate, *bleveindex.TermFieldDoc)) error {
	tfr, err := s.reader.TermFieldReader(ctx, []byte(term), field, false, false, positions)
	if err != nil {
		return fmt.Errorf("read %s:%s: %w", field, term, err)
	}
	defer tfr.Close()
	if tfr.Count() == 0 {
		return nil
	}
	var doc *bleveindex.TermFieldDoc
	for n, c := range docs {
		if n%64 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// Advance only forward: a reader sought backwards starts over.
		if doc == nil || doc.ID.Compare(c.internal) < 0 {
			if doc, err = tfr.Advance(c.internal, doc); err != nil {
				return err
			}
			if doc == nil {
				return nil // no more documents hold the term
			}
		}
		if doc.ID.Equals(c.internal) {
			found(c, doc)
		}
	}
	return nil
}
