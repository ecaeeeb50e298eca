package index

import (
	"cmp"
	"slices"

	"golang.org/x/sync/errgroup"
)

// occurrence is where a query syllable stands in a document's body.
type occurrence struct {
	unit int // index of the unit in the layout; -1 when none holds it
	pos  int // position in the body field
}

// evidence is what the second pass reads of one document.
type evidence struct {
	at      [][]occurrence // per query syllable: where it stands, folded
	exact   []bool         // per marked syllable: held as typed
	plain   []bool         // per plain syllable: held as typed; nil until read (readPlain)
	layout  *layout
	passage passage // the best paragraph as a passage; para -2 when none
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

// exactCount is the number of syllables held as typed: the marked ones
// held with their diacritics, the plain ones held plain.
func (e *evidence) exactCount() int {
	n := 0
	for _, ok := range e.exact {
		if ok {
			n++
		}
	}
	for _, ok := range e.plain {
		if ok {
			n++
		}
	}
	return n
}

// adjacent reports whether syllable b stands right after syllable a.
// Units are a position apart, so no pair spans two.
func (e *evidence) adjacent(a, b int) bool {
	for _, x := range e.at[a] {
		for _, y := range e.at[b] {
			if y.pos == x.pos+1 {
				return true
			}
		}
	}
	return false
}

// gather reads the evidence of the candidates that lack it: their layout;
// for every query syllable, its folded postings with positions; and for
// every syllable typed with diacritics, whether the exact form is there —
// at those documents only, one segment at a time, each segment's
// documents in index order. Segments are read on every core.
func (r *ranker) gather(cands []candidate) error {
	bySeg := map[int][]*candidate{}
	pending := 0
	for i := range cands {
		c := &cands[i]
		if c.ev == nil {
			bySeg[c.seg] = append(bySeg[c.seg], c)
			pending++
		}
	}
	// Pieces of a segment's candidates, so that every core reads even
	// when one segment holds them all.
	piece := max(minGatherPiece, (pending+maxParallel()-1)/maxParallel())
	g, ctx := errgroup.WithContext(r.snap.ctx)
	g.SetLimit(maxParallel())
	for seg, docs := range bySeg {
		slices.SortFunc(docs, func(a, b *candidate) int { return cmp.Compare(a.doc, b.doc) })
		for len(docs) > 0 {
			n := min(len(docs), piece)
			part := docs[:n]
			docs = docs[n:]
			g.Go(func() error {
				if err := ctx.Err(); err != nil {
					return err
				}
				return r.gatherSegment(seg, part)
			})
		}
	}
	return g.Wait()
}

// minGatherPiece is the fewest candidates read by a goroutine of their own.
const minGatherPiece = 16

func (r *ranker) gatherSegment(seg int, docs []*candidate) error {
	sv := r.snap.segs[seg]
	terms := make([]string, len(r.q.syllables))
	for i, t := range r.q.syllables {
		terms[i] = t.folded
	}
	for _, c := range docs {
		err := r.snap.withLayout(seg, c.doc, func(l *layout) {
			// Only the units outlive the read buffer.
			c.layout = &layout{units: l.units, published: l.published}
			c.ev = &evidence{at: make([][]occurrence, len(r.q.syllables)), exact: make([]bool, len(r.q.marked)), layout: c.layout}
			for i, positions := range l.occurrences(terms) {
				for _, pos := range positions {
					c.ev.at[i] = append(c.ev.at[i], occurrence{unit: l.unitAt(pos), pos: pos})
				}
			}
		})
		if err != nil {
			return err
		}
		c.ev.passage = passage{para: ParagraphTitle}
		if best, ok := r.bestPassage(c.ev); ok {
			c.ev.passage = best
		}
	}
	for j, i := range r.q.marked {
		bm, err := sv.bitmap(fieldBodyExact, r.q.syllables[i].exact)
		if err != nil {
			return err
		}
		if bm == nil {
			continue
		}
		for _, c := range docs {
			c.ev.exact[j] = bm.Contains(uint32(c.doc))
		}
	}
	return nil
}
