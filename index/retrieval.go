package index

import (
	"cmp"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// A retrieval finds a search's first-pass candidates: the documents that
// match, scored cheaply, best first, and how many documents match in all.
// Each search chooses one, once, from the kind of query and the order
// asked for.
//
// Queries come in two kinds. A keyword query (up to
// Params.KeywordSyllables syllables: "ma túy", "Trùng Khánh") names what
// the reader wants; every syllable matters. A verbose query (a headline, a
// sentence) is evidence to weigh; no one syllable is indispensable.
type retrieval interface {
	candidates(r *ranker, c *constraints, window int) (firstPass, error)
	// rescored reports whether the second pass reorders the candidates.
	rescored() bool
}

// firstPass is what a retrieval found.
type firstPass struct {
	found []candidate
	// total is the number of matching documents; with lowerBound, at
	// least that many (counting them all would have checked the phrases
	// of more than MaxCounted documents).
	total      uint64
	lowerBound bool
	facets     map[string][]FacetCount // when asked for
}

// MaxCounted bounds the documents whose phrases a count checks, as
// Elasticsearch's track_total_hits does: past it, a total is a lower
// bound. Totals that need no phrase checked are always exact.
const MaxCounted = 10000

func chooseRetrieval(q *analyzedQuery, order Sort) retrieval {
	switch {
	case order == ByDate:
		return newestFirst{}
	case q.verbose:
		return verboseRetrieval{}
	case len(q.syllables) > 1:
		return keywordRetrieval{}
	case len(q.syllables) == 1:
		return singleRetrieval{}
	default:
		return constraintsOnly{} // only exclusions and filters
	}
}

// candidate is a document found by the first pass.
type candidate struct {
	seg   int    // index of its segment in the snapshot
	doc   uint64 // its number within the segment
	key   uint64 // its number in the snapshot
	score float64
	// tier orders documents before their scores do: 0 for those holding
	// some query syllables, 1 + the number of syllables held as typed
	// for those holding all.
	tier     int
	ev       *evidence // what the second pass read; nil until read
	layout   *layout   // read with the evidence
	rescored bool      // the second pass reordered it
}

func fromRanked(rs []ranked, tier int) []candidate {
	out := make([]candidate, len(rs))
	for i, r := range rs {
		out[i] = candidate{seg: r.seg, doc: r.doc, key: r.key, score: r.score, tier: tier}
	}
	return out
}

// bm25Of returns the BM25 scorer of a body field under the search's
// statistics.
func (r *ranker) bm25Of(field string) bm25 {
	tokens := r.snap.stats.Tokens
	if field == fieldBodyExact {
		tokens = r.snap.stats.Marked
	}
	avgdl := max(float64(tokens)/max(float64(r.snap.stats.Docs), 1), 1)
	return bm25{k1: r.p.BM25K1, b: r.p.BM25B, avgdl: avgdl}
}

// scoredCursor opens a cursor on term in field in one segment, scored by
// weight × sc; nil when the segment has no live document holding it.
func (s *snapshot) scoredCursor(sv *segView, field, term string, weight float64, group int, sc bm25) (*cursor, error) {
	pl, err := sv.postings(field, term)
	if err != nil || pl == nil {
		return nil, err
	}
	scored := weight > 0
	c := &cursor{
		cost:   pl.Count(),
		doc:    noDoc - 1,
		weight: weight,
		sc:     sc,
		group:  group,
	}
	if scored {
		// Read from the file, which skips; else through Bleve.
		if fp, err := sv.filePostings(field, term); err == nil {
			c.fp = fp
		}
	}
	if c.fp == nil {
		c.it = pl.Iterator(scored, scored, false, nil)
	}
	if scored {
		c.ub = weight * (sc.k1 + 1)
		if c.cost >= uint64(s.blocks.minDocs) {
			if c.blocks, err = s.blockMaxes(sv, field, term, pl, sc); err != nil {
				return nil, err
			}
			c.ub = weight * c.blocks.max
		}
	}
	return c, nil
}

// bitmapCursor walks the documents of a bitmap, scoring nothing.
func bitmapCursor(bm *roaring.Bitmap) *cursor {
	return &cursor{bits: bm.Iterator(), cost: bm.GetCardinality(), doc: noDoc - 1}
}

// blockMaxes returns term's block maxima in a segment, computing them the
// first time.
func (s *snapshot) blockMaxes(sv *segView, field, term string, pl segment.PostingsList, sc bm25) (*blockMaxes, error) {
	key := blockKey{shift: s.blocks.shift, segment: sv.id, field: field, term: term, k1: sc.k1, b: sc.b}
	if bm := s.blocks.get(key, sc.avgdl); bm != nil {
		return bm, nil
	}
	ref := sc
	ref.avgdl *= avgdlHeadroom
	bm := &blockMaxes{avgdl: ref.avgdl, blocks: make([]float32, sv.seg.Count()>>s.blocks.shift+1)}
	add := func(doc, freq, length uint64) {
		v := ref.tfPart(freq, length)
		// Round up, so that the float32 still bounds the score.
		f := math.Nextafter32(float32(v), float32(math.Inf(1)))
		if blk := doc >> s.blocks.shift; f > bm.blocks[blk] {
			bm.blocks[blk] = f
		}
		bm.max = max(bm.max, float64(f))
	}
	// From the file where the postings reader reads it (it decodes only
	// frequencies and lengths), else through Bleve.
	if fp, err := sv.filePostings(field, term); err == nil {
		for n := 0; ; n++ {
			if n%checkEvery == 0 {
				if err := s.ctx.Err(); err != nil {
					return nil, err
				}
			}
			doc, freq, length, ok, err := fp.next()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			add(doc, freq, length)
		}
		s.blocks.put(key, bm)
		return bm, nil
	}
	it := pl.Iterator(true, true, false, nil)
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := s.ctx.Err(); err != nil {
				return nil, err
			}
		}
		p, err := it.Next()
		if err != nil {
			return nil, err
		}
		if p == nil {
			break
		}
		add(p.Number(), p.Frequency(), normLength(p))
	}
	s.blocks.put(key, bm)
	return bm, nil
}

// accepter returns the test a segment's candidates pass before they are
// kept: allowed by the filters, holding the phrases.
func (r *ranker) accepter(c *constraints, seg int) (func(doc uint64) bool, *error, error) {
	allowed := c.allowed[seg]
	var failed error
	if !c.verifying() {
		return func(doc uint64) bool { return allowed == nil || allowed.Contains(uint32(doc)) }, &failed, nil
	}
	pc, err := r.snap.phraseChecker(c, seg)
	if err != nil {
		return nil, nil, err
	}
	return func(doc uint64) bool {
		if failed != nil || allowed != nil && !allowed.Contains(uint32(doc)) {
			return false
		}
		ok, err := pc.ok(doc)
		if err != nil {
			failed = err
		}
		return ok
	}, &failed, nil
}

// termCursors opens cursors on the given folded syllables in a segment;
// found is false when the segment lacks one of them and all were needed.
func (r *ranker) termCursors(sv *segView, syllables []int, group int, all bool) ([]*cursor, bool, error) {
	sc := r.bm25Of(fieldBodyFolded)
	var cs []*cursor
	for _, i := range syllables {
		c, err := r.snap.scoredCursor(sv, fieldBodyFolded, r.q.syllables[i].folded, r.weight[i], group, sc)
		if err != nil {
			return nil, false, err
		}
		if c != nil {
			c.slot = i
		}
		if c == nil {
			if all {
				return nil, false, nil
			}
			continue
		}
		cs = append(cs, c)
	}
	return cs, len(cs) > 0, nil
}

// everyDoc runs fn for each segment that the constraints leave something
// in, with the segment's accept test; it returns the first error.
func (r *ranker) everySegment(c *constraints, fn func(seg int, sv *segView, accept func(uint64) bool) error) error {
	for i, sv := range r.snap.segs {
		if c.none[i] {
			continue
		}
		if err := r.snap.ctx.Err(); err != nil {
			return err
		}
		accept, failed, err := r.accepter(c, i)
		if err != nil {
			return err
		}
		if err := fn(i, sv, accept); err != nil {
			return err
		}
		if *failed != nil {
			return *failed
		}
	}
	return nil
}

// conjunctionTop returns the window best documents holding every one of
// the syllables, by BM25.
func (r *ranker) conjunctionTop(c *constraints, syllables []int, window int) ([]ranked, error) {
	return r.everyRange(c, window, func(sp docRange, sv *segView, accept func(uint64) bool, top *topK) error {
		cs, found, err := r.termCursors(sv, syllables, 0, true)
		if err != nil || !found {
			return err
		}
		if allowed := c.allowed[sp.seg]; allowed != nil {
			cs = append(cs, bitmapCursor(allowed))
		}
		return conjunction(r.snap.ctx, r.snap.blocks.shift, sp, cs, accept, top)
	})
}

// count returns how many documents of each segment's match set (nil: every
// live document) the constraints allow: exact, unless the phrases of more
// than MaxCounted documents would need checking.
func (r *ranker) count(c *constraints, matches func(sv *segView) (*roaring.Bitmap, error)) (uint64, bool, error) {
	var total uint64
	checked := 0
	for i, sv := range r.snap.segs {
		if c.none[i] {
			continue
		}
		bm, err := matches(sv)
		if err != nil {
			return 0, false, err
		}
		switch {
		case bm == nil && c.allowed[i] == nil:
			bm = sv.live()
		case bm == nil:
			bm = c.allowed[i].Clone()
		case c.allowed[i] != nil:
			bm.And(c.allowed[i])
		}
		if !c.verifying() {
			total += bm.GetCardinality()
			r.keep(i, bm)
			continue
		}
		counted := roaring.New()
		pc, err := r.snap.phraseChecker(c, i)
		if err != nil {
			return 0, false, err
		}
		if len(c.phrases) == 0 {
			// Only documents holding an excluded phrase's syllables
			// need checking.
			suspects := roaring.And(bm, c.suspects[i])
			total += bm.GetCardinality() - suspects.GetCardinality()
			counted = roaring.AndNot(bm, suspects)
			bm = suspects
		}
		it := bm.Iterator()
		for it.HasNext() {
			if checked == r.maxCounted() {
				r.keep(i, counted)
				return total, true, nil
			}
			if checked%checkEvery == 0 {
				if err := r.snap.ctx.Err(); err != nil {
					return 0, false, err
				}
			}
			checked++
			d := it.Next()
			ok, err := pc.ok(uint64(d))
			if err != nil {
				return 0, false, err
			}
			if ok {
				total++
				counted.Add(d)
			}
		}
		r.keep(i, counted)
	}
	return total, false, nil
}

// maxCounted is the most documents whose phrases a count of this ranker
// checks: MaxCounted, unless the search set less (countBound).
func (r *ranker) maxCounted() int {
	if r.countBound > 0 {
		return min(r.countBound, MaxCounted)
	}
	return MaxCounted
}

// keep records a segment's counted matches when the search wants them
// (for facets).
func (r *ranker) keep(seg int, docs *roaring.Bitmap) {
	if r.matches != nil {
		r.matches[seg] = docs
	}
}

// enough reports whether a document holding the syllables of the set held
// holds enough of a keyword query to be a result: at least
// Params.MinShare of its syllables, weighed by IDF — as Elasticsearch's
// minimum_should_match, so that an article holding only the commonest
// syllable of a name ("hà" of "Hà Giang") is not one.
func (r *ranker) enough(held uint64) bool {
	var in, all float64
	for i, w := range r.weight {
		all += w
		if held&(1<<i) != 0 {
			in += w
		}
	}
	return all == 0 || in >= r.p.MinShare*all
}

// holdingEnough returns the live documents of a segment holding enough of
// the syllables (see enough): the union, over the smallest sets of
// syllables that are enough, of the documents holding all of a set.
func (r *ranker) holdingEnough(syllables []int) func(sv *segView) (*roaring.Bitmap, error) {
	n := len(syllables)
	if n > 12 {
		return r.union(syllables)
	}
	var minimal []uint64
	for set := uint64(1); set < 1<<n; set++ {
		if !r.enough(set) {
			continue
		}
		isMinimal := true
		for _, m := range minimal {
			if set&m == m {
				isMinimal = false
				break
			}
		}
		if isMinimal {
			minimal = append(minimal, set)
		}
	}
	return func(sv *segView) (*roaring.Bitmap, error) {
		bits := make([]*roaring.Bitmap, n)
		for k, i := range syllables {
			bm, err := sv.bitmap(fieldBodyFolded, r.q.syllables[i].folded)
			if err != nil {
				return nil, err
			}
			bits[k] = bm
		}
		out := roaring.New()
		for _, set := range minimal {
			var and *roaring.Bitmap
			for k := range n {
				if set&(1<<k) == 0 {
					continue
				}
				if bits[k] == nil {
					and = roaring.New()
					break
				}
				if and == nil {
					and = bits[k].Clone()
				} else {
					and.And(bits[k])
				}
			}
			if and != nil {
				out.Or(and)
			}
		}
		return out, nil
	}
}

// union returns the live documents of a segment holding any of the
// folded syllables.
func (r *ranker) union(syllables []int) func(sv *segView) (*roaring.Bitmap, error) {
	return func(sv *segView) (*roaring.Bitmap, error) {
		out := roaring.New()
		for _, i := range syllables {
			bm, err := sv.bitmap(fieldBodyFolded, r.q.syllables[i].folded)
			if err != nil {
				return nil, err
			}
			if bm != nil {
				out.Or(bm)
			}
		}
		return out, nil
	}
}

func allSyllables(q *analyzedQuery) []int {
	out := make([]int, len(q.syllables))
	for i := range out {
		out[i] = i
	}
	return out
}

// singleRetrieval ranks the documents holding the one query syllable by
// BM25.
type singleRetrieval struct{}

func (singleRetrieval) rescored() bool { return true }

func (singleRetrieval) candidates(r *ranker, c *constraints, window int) (firstPass, error) {
	all := allSyllables(r.q)
	top, err := r.conjunctionTop(c, all, window)
	if err != nil {
		return firstPass{}, err
	}
	total, lower, err := r.count(c, r.union(all))
	return firstPass{found: fromRanked(top, 1), total: total, lowerBound: lower}, err
}

// keywordRetrieval finds the documents holding every syllable first, by a
// conjunction; only when they are too few to fill the window are
// documents holding some scored too (scaled by the share they hold) and
// ranked after.
type keywordRetrieval struct{}

func (keywordRetrieval) rescored() bool { return true }

func (keywordRetrieval) candidates(r *ranker, c *constraints, window int) (firstPass, error) {
	all := allSyllables(r.q)
	top, err := r.conjunctionTop(c, all, window)
	if err != nil {
		return firstPass{}, err
	}
	found := fromRanked(top, 1)
	every := uint64(1)<<len(all) - 1
	if len(found) < window {
		some, err := r.disjunctionTop(c, all, nil, window-len(found), func(held uint64) bool {
			return held == every || !r.enough(held) // ranked already, or too little of the query
		})
		if err != nil {
			return firstPass{}, err
		}
		found = append(found, fromRanked(some, 0)...)
	}
	total, lower, err := r.count(c, r.holdingEnough(all))
	return firstPass{found: found, total: total, lowerBound: lower}, err
}

// disjunctionTop returns the k best documents holding any of the folded
// syllables (group 0) or the exact ones (group 1), by BM25 scaled by the
// share of each group held, skipping those skip refuses.
func (r *ranker) disjunctionTop(c *constraints, folded, exact []int, k int, skip func(held uint64) bool) ([]ranked, error) {
	scx := r.bm25Of(fieldBodyExact)
	co := coordination{clauses: []int{len(folded), len(exact)}}
	return r.everyRange(c, k, func(sp docRange, sv *segView, accept func(uint64) bool, top *topK) error {
		cs, found, err := r.termCursors(sv, folded, 0, false)
		if err != nil || !found {
			return err
		}
		for _, i := range exact {
			t := r.q.syllables[i].exact
			cur, err := r.snap.scoredCursor(sv, fieldBodyExact, t, r.exactWeight[i]*r.p.ExactWeight, 1, scx)
			if err != nil {
				return err
			}
			if cur != nil {
				cs = append(cs, cur)
			}
		}
		return disjunction(r.snap.ctx, r.snap.blocks.shift, sp, cs, co, c.allowed[sp.seg], skip, accept, top)
	})
}

// verboseRetrieval ranks every document holding any of the query's
// informative syllables by BM25 of the folded syllables and of the
// syllables typed with diacritics held as typed, scaled by the share held.
type verboseRetrieval struct{}

func (verboseRetrieval) rescored() bool { return true }

func (verboseRetrieval) candidates(r *ranker, c *constraints, window int) (firstPass, error) {
	keep := r.informative()
	var folded, exact []int
	for i, k := range keep {
		if k {
			folded = append(folded, i)
		}
	}
	for _, i := range r.q.marked {
		if keep[i] {
			exact = append(exact, i)
		}
	}
	top, err := r.disjunctionTop(c, folded, exact, window, nil)
	if err != nil {
		return firstPass{}, err
	}
	total, lower, err := r.count(c, r.union(folded))
	return firstPass{found: fromRanked(top, 0), total: total, lowerBound: lower}, err
}

// constraintsOnly answers a query with no syllables to match, only
// exclusions: every document the constraints allow, in index order.
type constraintsOnly struct{}

func (constraintsOnly) rescored() bool { return false }

func (constraintsOnly) candidates(r *ranker, c *constraints, window int) (firstPass, error) {
	var found []candidate
	err := r.everySegment(c, func(seg int, sv *segView, accept func(uint64) bool) error {
		docs := c.allowed[seg]
		if docs == nil {
			docs = sv.live()
		}
		it := docs.Iterator()
		for len(found) < window && it.HasNext() {
			d := uint64(it.Next())
			if accept(d) {
				found = append(found, candidate{seg: seg, doc: d, key: sv.offset + d})
			}
		}
		return nil
	})
	if err != nil {
		return firstPass{}, err
	}
	total, lower, err := r.count(c, func(*segView) (*roaring.Bitmap, error) { return nil, nil })
	return firstPass{found: found, total: total, lowerBound: lower}, err
}

// newestFirst orders every match by publication day, newest first, and
// within a day by the time stated; undated articles come last. No second
// pass.
type newestFirst struct{}

func (newestFirst) rescored() bool { return false }

func (newestFirst) candidates(r *ranker, c *constraints, window int) (firstPass, error) {
	matches := func(*segView) (*roaring.Bitmap, error) { return nil, nil }
	if len(r.q.syllables) > 0 {
		matches = r.union(allSyllables(r.q))
	}
	type dayDocs struct {
		day  string
		seg  int
		docs *roaring.Bitmap
	}
	var days []dayDocs
	undated := make([]*roaring.Bitmap, len(r.snap.segs))
	err := r.everySegment(c, func(seg int, sv *segView, _ func(uint64) bool) error {
		bm, err := matches(sv)
		if err != nil {
			return err
		}
		if bm == nil {
			bm = sv.live()
		}
		if c.allowed[seg] != nil {
			bm.And(c.allowed[seg])
		}
		rest := bm.Clone()
		err = sv.termRange(fieldDay, "", "", func(day string, docs *roaring.Bitmap) error {
			docs = roaring.And(docs, bm)
			if !docs.IsEmpty() {
				days = append(days, dayDocs{day, seg, docs})
				rest.AndNot(docs)
			}
			return nil
		})
		undated[seg] = rest
		return err
	})
	if err != nil {
		return firstPass{}, err
	}
	slices.SortStableFunc(days, func(a, b dayDocs) int { return cmp.Compare(b.day, a.day) })
	var found []candidate
	for i := 0; i < len(days) && len(found) < window; {
		// One day at a time, from every segment, ordered by time.
		var today []candidate
		j := i
		for ; j < len(days) && days[j].day == days[i].day; j++ {
			it := days[j].docs.Iterator()
			for it.HasNext() {
				d := uint64(it.Next())
				today = append(today, candidate{seg: days[j].seg, doc: d, key: r.snap.segs[days[j].seg].offset + d})
			}
		}
		i = j
		times := make([]int64, len(today))
		for k := range today {
			err := r.snap.withLayout(today[k].seg, today[k].doc, func(l *layout) { times[k] = l.published })
			if err != nil {
				return firstPass{}, err
			}
		}
		order := make([]int, len(today))
		for k := range order {
			order[k] = k
		}
		slices.SortStableFunc(order, func(a, b int) int {
			if times[a] != times[b] {
				return cmp.Compare(times[b], times[a])
			}
			return cmp.Compare(today[a].key, today[b].key)
		})
		// Phrases are checked in index order within a segment.
		for _, k := range order {
			if len(found) == window {
				break
			}
			ok, err := acceptInOrder(r, c, today[k])
			if err != nil {
				return firstPass{}, err
			}
			if ok {
				found = append(found, today[k])
			}
		}
	}
	for seg := 0; seg < len(undated) && len(found) < window; seg++ {
		if undated[seg] == nil {
			continue
		}
		it := undated[seg].Iterator()
		for it.HasNext() && len(found) < window {
			d := uint64(it.Next())
			cand := candidate{seg: seg, doc: d, key: r.snap.segs[seg].offset + d}
			ok, err := acceptInOrder(r, c, cand)
			if err != nil {
				return firstPass{}, err
			}
			if ok {
				found = append(found, cand)
			}
		}
	}
	total, lower, err := r.count(c, matches)
	return firstPass{found: found, total: total, lowerBound: lower}, err
}

// acceptInOrder checks one candidate's phrases with a checker of its own:
// candidates of one day come in time order, not index order.
func acceptInOrder(r *ranker, c *constraints, cand candidate) (bool, error) {
	if !c.verifying() {
		return true, nil
	}
	pc, err := r.snap.phraseChecker(c, cand.seg)
	if err != nil {
		return false, err
	}
	return pc.ok(cand.doc)
}
