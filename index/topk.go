package index

import (
	"container/heap"
	"context"
	"math"
	"sync/atomic"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// The first pass finds the top documents by BM25 without scoring every
// match: document-at-a-time over the terms' postings, with the score the
// k-th best document has so far (θ) as the bar. A conjunction skips any
// block of documents whose terms' block maxima add up to no more than θ;
// a disjunction skips, by MaxScore (Turtle & Flood 1995), the terms that
// cannot lift a document over θ on their own, reading them only for the
// documents the other terms found, and skips blocks as the conjunction
// does. The results are exactly those of scoring every match (up to ties
// in score, broken by document order).

const noDoc = math.MaxUint64

// bm25 scores one term: weight (the term's IDF times its boost) times
// BM25's term-frequency part.
type bm25 struct {
	k1, b, avgdl float64
}

func (s bm25) tfPart(freq, length uint64) float64 {
	tf := float64(freq)
	return tf * (s.k1 + 1) / (tf + s.k1*(1-s.b+s.b*float64(length)/s.avgdl))
}

// cursor walks one term's postings (or, with weight 0, a bitmap of the
// documents a filter allows) in one segment.
type cursor struct {
	it     segment.PostingsIterator // nil for a bitmap, or when fp reads
	fp     *filePostings            // the file's postings, when it reads them
	bits   roaring.IntPeekable      // the bitmap's iterator
	cost   uint64                   // documents it holds
	doc    uint64                   // current document; noDoc when done
	freq   uint64
	length uint64
	weight float64     // IDF × boost; 0 for a bitmap
	sc     bm25        // the BM25 of the cursor's field
	blocks *blockMaxes // nil when the list is short
	ub     float64     // the most it scores in this segment
	group  int         // clause group, for the coordination factor
	slot   int         // the query syllable it reads, for what a document holds
}

func (c *cursor) read(p segment.Posting, err error) error {
	if err != nil {
		return err
	}
	if p == nil {
		c.doc = noDoc
		return nil
	}
	c.doc, c.freq, c.length = p.Number(), p.Frequency(), normLength(p)
	return nil
}

func (c *cursor) readFile(doc, freq, length uint64, ok bool, err error) error {
	if err != nil {
		return err
	}
	if !ok {
		c.doc = noDoc
		return nil
	}
	c.doc, c.freq, c.length = doc, freq, length
	return nil
}

func (c *cursor) next() error {
	if c.doc == noDoc {
		return nil
	}
	if c.fp != nil {
		return c.readFile(c.fp.next())
	}
	if c.it == nil {
		if !c.bits.HasNext() {
			c.doc = noDoc
			return nil
		}
		c.doc = uint64(c.bits.Next())
		return nil
	}
	return c.read(c.it.Next())
}

// advance moves to the first document at or after target.
func (c *cursor) advance(target uint64) error {
	if c.doc == noDoc || c.started() && c.doc >= target {
		return nil
	}
	if c.fp != nil {
		return c.readFile(c.fp.advance(target))
	}
	if c.it == nil {
		c.bits.AdvanceIfNeeded(uint32(min(target, math.MaxUint32)))
		if target > math.MaxUint32 || !c.bits.HasNext() {
			c.doc = noDoc
			return nil
		}
		c.doc = uint64(c.bits.Next())
		return nil
	}
	return c.read(c.it.Advance(target))
}

// started reports whether the cursor has read its first document.
func (c *cursor) started() bool { return c.doc != noDoc-1 }

func (c *cursor) score() float64 {
	if c.weight == 0 {
		return 0
	}
	return c.weight * c.sc.tfPart(c.freq, c.length)
}

// blockBound is the most the cursor's term scores in block blk.
func (c *cursor) blockBound(blk uint64) float64 {
	if c.blocks == nil {
		return c.ub
	}
	return c.weight * c.blocks.bound(blk)
}

// ranked is a document in the top results.
type ranked struct {
	score float64
	seg   int    // index of the segment in the search's view
	doc   uint64 // number within the segment
	key   uint64 // the snapshot's number of the document: ties go to the lower
}

// better reports whether a ranks above b.
func (a ranked) better(b ranked) bool {
	return a.score > b.score || a.score == b.score && a.key < b.key
}

// topK keeps the k best documents seen; a min-heap on rank.
type topK struct {
	k    int
	docs []ranked
	// bar, when the search runs on several workers, is shared by their
	// topKs: the highest θ any of them has reached (see below).
	bar *bar
}

func (t *topK) Len() int           { return len(t.docs) }
func (t *topK) Less(i, j int) bool { return t.docs[j].better(t.docs[i]) }
func (t *topK) Swap(i, j int)      { t.docs[i], t.docs[j] = t.docs[j], t.docs[i] }
func (t *topK) Push(x any)         { t.docs = append(t.docs, x.(ranked)) }
func (t *topK) Pop() any {
	last := t.docs[len(t.docs)-1]
	t.docs = t.docs[:len(t.docs)-1]
	return last
}

// threshold returns θ, the score a document must beat, once k are kept.
func (t *topK) threshold() (float64, bool) {
	if len(t.docs) < t.k || t.k == 0 {
		return 0, false
	}
	return t.docs[0].score, true
}

// below reports whether a document scoring at most bound cannot enter
// the search's top k: it does not beat this topK's θ, or it scores less
// than another worker's θ — strictly less, for a tie at another worker's θ
// may still win on its lower key.
func (t *topK) below(bound float64) bool {
	if theta, full := t.threshold(); full && bound <= theta {
		return true
	}
	return t.bar != nil && bound < t.bar.get()
}

// bounded reports whether below can refuse anything yet.
func (t *topK) bounded() bool {
	_, full := t.threshold()
	return full || t.bar != nil && t.bar.get() > 0
}

// competes reports whether a document scoring score could enter.
func (t *topK) competes(score float64) bool {
	return t.k > 0 && !t.below(score)
}

func (t *topK) offer(r ranked) {
	if t.k == 0 {
		return
	}
	switch {
	case len(t.docs) < t.k:
		heap.Push(t, r)
	case r.better(t.docs[0]):
		t.docs[0] = r
		heap.Fix(t, 0)
	default:
		return
	}
	if theta, full := t.threshold(); full && t.bar != nil {
		t.bar.raise(theta)
	}
}

// bar is the highest θ the workers of one search have reached: k documents
// of one worker score at least that, so no document scoring less is among
// the search's k best.
type bar struct{ bits atomic.Uint64 }

// get returns the bar; 0 until a worker has k documents. Scores are never
// negative, so their IEEE bits order as they do.
func (b *bar) get() float64 { return math.Float64frombits(b.bits.Load()) }

func (b *bar) raise(theta float64) {
	nb := math.Float64bits(theta)
	for {
		old := b.bits.Load()
		if nb <= old || b.bits.CompareAndSwap(old, nb) {
			return
		}
	}
}

// best returns the kept documents, best first.
func (t *topK) best() []ranked {
	out := make([]ranked, len(t.docs))
	rest := &topK{k: t.k, docs: append([]ranked(nil), t.docs...)}
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(rest).(ranked)
	}
	return out
}

// checkEvery is how many documents a loop reads between looks at its
// context, so that a canceled search stops promptly.
const checkEvery = 4096

// conjunction offers top every document of the range that all cursors
// hold and accept takes, scored by the sum of the cursors' scores.
// Cursors must not have started; the cheapest leads.
func conjunction(ctx context.Context, shift uint, sp docRange, cs []*cursor, accept func(doc uint64) bool, top *topK) error {
	if len(cs) == 0 {
		return nil
	}
	lead := cs[0]
	for _, c := range cs[1:] {
		if c.cost < lead.cost {
			lead = c
		}
	}
	others := make([]*cursor, 0, len(cs)-1)
	for _, c := range cs {
		if c != lead {
			others = append(others, c)
		}
	}
	prune := false
	for _, c := range cs {
		prune = prune || c.blocks != nil
	}
	if err := lead.advance(sp.lo); err != nil {
		return err
	}
	for n := 0; lead.doc < sp.hi; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d := lead.doc
		if prune && top.bounded() {
			blk := d >> shift
			bound := 0.0
			for _, c := range cs {
				bound += c.blockBound(blk)
			}
			if top.below(bound) {
				if err := lead.advance((blk + 1) << shift); err != nil {
					return err
				}
				continue
			}
		}
		aligned := true
		for _, c := range others {
			if c.doc == noDoc-1 || c.doc < d {
				if err := c.advance(d); err != nil {
					return err
				}
			}
			if c.doc != d {
				aligned = false
				if c.doc == noDoc {
					return nil
				}
				if err := lead.advance(c.doc); err != nil {
					return err
				}
				break
			}
		}
		if !aligned {
			continue
		}
		score := 0.0
		for _, c := range cs {
			score += c.score()
		}
		if top.competes(score) && accept(d) {
			top.offer(ranked{score: score, seg: sp.seg, doc: d, key: sp.offset + d})
		}
		if err := lead.next(); err != nil {
			return err
		}
	}
	return nil
}

// coordination scales the sums of a disjunction's clause groups by the
// share of each group's clauses a document matched, as Bleve's (and
// Lucene's classic) coordination factor does: sum over groups of
// sum_g × matched_g / clauses_g. It is never more than the plain sum, so
// the plain sum bounds it.
type coordination struct {
	clauses []int // per group
}

func (co coordination) apply(sums []float64, matched []int) float64 {
	total := 0.0
	for g, sum := range sums {
		if co.clauses[g] > 0 {
			total += sum * float64(matched[g]) / float64(co.clauses[g])
		}
	}
	return total
}

// disjunction offers top every document of the range that any cursor
// holds, accept takes and skip does not refuse (skip sees the slots of
// the group-0 cursors that matched, as a bit set), scored by co. Cursors must not have
// started. When filter is set, only its documents are considered.
func disjunction(ctx context.Context, shift uint, sp docRange, cs []*cursor, co coordination,
	filter *roaring.Bitmap, skip func(held uint64) bool, accept func(doc uint64) bool, top *topK) error {
	if len(cs) == 0 {
		return nil
	}
	var essentialCost uint64
	for _, c := range cs {
		essentialCost += c.cost
	}
	if filter != nil && filter.GetCardinality()*4 < essentialCost {
		return filtered(ctx, sp, cs, co, filter, skip, accept, top)
	}
	// Cheapest bound first: the non-essential terms are a prefix.
	order := append([]*cursor(nil), cs...)
	sortByBound(order)
	cum := make([]float64, len(order))
	for i, c := range order {
		cum[i] = c.ub
		if i > 0 {
			cum[i] += cum[i-1]
		}
		if err := c.advance(sp.lo); err != nil {
			return err
		}
	}
	essential := 0
	raise := func() {
		for essential < len(order) && top.below(cum[essential]) {
			essential++
		}
	}
	prune := false
	for _, c := range order {
		prune = prune || c.blocks != nil
	}
	groups := len(co.clauses)
	sums, matched := make([]float64, groups), make([]int, groups)
	// The bound of the block last looked at: a block's documents share it.
	boundBlk, blkBound := uint64(math.MaxUint64), 0.0
	blockBound := func(blk uint64) float64 {
		if blk != boundBlk {
			boundBlk, blkBound = blk, 0
			for _, c := range order {
				blkBound += c.blockBound(blk)
			}
		}
		return blkBound
	}
	lastBlk := (sp.hi - 1) >> shift
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		// Another worker may have raised the bar since the last document.
		raise()
		if essential == len(order) {
			return nil
		}
		d := uint64(noDoc)
		for _, c := range order[essential:] {
			d = min(d, c.doc)
		}
		if d >= sp.hi {
			return nil
		}
		if prune && top.bounded() {
			blk := d >> shift
			if top.below(blockBound(blk)) {
				// Past every block that cannot compete either, then
				// the cursors move once.
				for blk < lastBlk && top.below(blockBound(blk+1)) {
					blk++
				}
				for _, c := range order[essential:] {
					if c.doc < (blk+1)<<shift {
						if err := c.advance((blk + 1) << shift); err != nil {
							return err
						}
					}
				}
				continue
			}
		}
		clear(sums)
		clear(matched)
		var held uint64
		raw := 0.0
		for _, c := range order[essential:] {
			if c.doc == d {
				sc := c.score()
				raw += sc
				sums[c.group] += sc
				matched[c.group]++
				held |= slotBit(c)
				if err := c.next(); err != nil {
					return err
				}
			}
		}
		hopeless := false
		for i := essential - 1; i >= 0; i-- {
			if top.below(raw + cum[i]) {
				hopeless = true
				break
			}
			c := order[i]
			if err := c.advance(d); err != nil {
				return err
			}
			if c.doc == d {
				sc := c.score()
				raw += sc
				sums[c.group] += sc
				matched[c.group]++
				held |= slotBit(c)
			}
		}
		if hopeless || (skip != nil && skip(held)) {
			continue
		}
		if filter != nil && !filter.Contains(uint32(d)) {
			continue
		}
		score := co.apply(sums, matched)
		if top.competes(score) && accept(d) {
			top.offer(ranked{score: score, seg: sp.seg, doc: d, key: sp.offset + d})
		}
	}
}

// filtered is disjunction driven by a filter that allows fewer documents
// than the terms hold: each allowed document is looked up in every term.
func filtered(ctx context.Context, sp docRange, cs []*cursor, co coordination,
	filter *roaring.Bitmap, skip func(held uint64) bool, accept func(doc uint64) bool, top *topK) error {
	groups := len(co.clauses)
	sums, matched := make([]float64, groups), make([]int, groups)
	it := filter.Iterator()
	it.AdvanceIfNeeded(uint32(sp.lo))
	for n := 0; it.HasNext() && uint64(it.PeekNext()) < sp.hi; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		d := uint64(it.Next())
		clear(sums)
		clear(matched)
		var held uint64
		any := false
		for _, c := range cs {
			if c.doc == noDoc-1 || c.doc < d {
				if err := c.advance(d); err != nil {
					return err
				}
			}
			if c.doc == d {
				sc := c.score()
				sums[c.group] += sc
				matched[c.group]++
				held |= slotBit(c)
				any = true
			}
		}
		if !any || (skip != nil && skip(held)) {
			continue
		}
		score := co.apply(sums, matched)
		if top.competes(score) && accept(d) {
			top.offer(ranked{score: score, seg: sp.seg, doc: d, key: sp.offset + d})
		}
	}
	return nil
}

func sortByBound(cs []*cursor) {
	for i := 1; i < len(cs); i++ {
		for j := i; j > 0 && cs[j].ub < cs[j-1].ub; j-- {
			cs[j], cs[j-1] = cs[j-1], cs[j]
		}
	}
}

// slotBit is a group-0 cursor's bit in the set of syllables a document
// holds.
func slotBit(c *cursor) uint64 {
	if c.group != 0 || c.slot >= 64 {
		return 0
	}
	return 1 << c.slot
}
