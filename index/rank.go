package index

import (
	"cmp"
	"math"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Ranking runs in two passes on one snapshot, because Bleve scores every
// document a query matches, and exact terms and positions are dear to read
// for all of them. The flow goes one way:
//
//	analyzedQuery (analyze) → retrieval (chooseRetrieval) → ranker → hits and snippets
//
// The first pass — a retrieval — scores candidates cheaply by BM25 on
// folded syllables (see retrieval.go). The second pass — the ranker's
// rescore — refines the best Params.RescoreDepth candidates, reading term
// postings directly, at those documents only. For a keyword query,
// documents holding every syllable come first, and among them those
// holding more of the syllables as typed — those typed with diacritics held
// with them, and, in a query that carries diacritics, those typed plain
// held plain (see plain.go); each score is multiplied by 1 + ExactBoost ×
// the share of those syllables held as typed. For every query, each score is multiplied by 1 + PairBoost × the
// share of the query's adjacent syllable pairs standing side by side in
// the document too, by 1 + TitleBoost × the share of its syllables found
// in the title, and by 1 + LeadBoost × the share found in the lead. Shares
// weigh each syllable by its IDF, so that "của các" side by side says less
// than "xung đột" does.

// ranker holds what the second pass works with: the snapshot, the query,
// the parameters, and each syllable's document frequency and IDF, read
// once when the ranker is made.
type ranker struct {
	snap   *snapshot
	q      *analyzedQuery
	p      Params
	df     []uint64  // per syllable: documents holding it, folded
	weight []float64 // per syllable: its IDF, how much holding it says
	// exactWeight is, per syllable typed with diacritics, the IDF of its
	// exact form in the exact field (verbose queries score it).
	exactWeight []float64
	// forms are, per plain syllable, its marked forms (see readPlain).
	forms [][]string
	// matches are, per segment, the documents the first pass counted,
	// when the search wants facets; nil otherwise.
	matches []*roaring.Bitmap
	// countBound, when set, bounds the phrase checks of the count below
	// MaxCounted (see maxCounted).
	countBound int
}

func newRanker(snap *snapshot, q *analyzedQuery, p Params) (*ranker, error) {
	n := len(q.syllables)
	r := &ranker{snap: snap, q: q, p: p, df: make([]uint64, n), weight: make([]float64, n), exactWeight: make([]float64, n)}
	docs := snap.stats.Docs
	for i, t := range q.syllables {
		df, err := snap.docFrequency(fieldBodyFolded, t.folded)
		if err != nil {
			return nil, err
		}
		r.df[i], r.weight[i] = df, idf(docs, df)
	}
	if q.verbose {
		for _, i := range q.marked {
			df, err := snap.docFrequency(fieldBodyExact, q.syllables[i].exact)
			if err != nil {
				return nil, err
			}
			r.exactWeight[i] = idf(docs, df)
		}
	}
	return r, nil
}

// idf is BM25's inverse document frequency of a term df of docs hold: how
// much finding it says.
func idf(docs, df uint64) float64 {
	return math.Log(1 + (float64(docs)-float64(df)+0.5)/(float64(df)+0.5))
}

// informative marks the syllables of a verbose query worth matching on.
// The commonest ("của", "và", "là") add next to nothing to BM25 and cost
// the longest posting lists; they still count in the second pass.
func (r *ranker) informative() []bool {
	order := make([]int, len(r.q.syllables))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(r.df[a], r.df[b]) })
	keep := make([]bool, len(order))
	for rank, i := range order {
		keep[i] = rank < r.p.MinInformative || float64(r.df[i]) <= r.p.CommonShare*float64(r.snap.stats.Docs)
	}
	return keep
}

// rescore reads the evidence of top and reorders it: by tier, then by the
// first-pass score times the evidence's factor. Equal keys keep the first
// pass's order.
func (r *ranker) rescore(top []candidate) error {
	if err := r.gather(top); err != nil {
		return err
	}
	if !r.q.verbose {
		if err := r.readPlain(top); err != nil {
			return err
		}
	}
	boost := r.p.PassageBoost
	if r.q.question {
		boost = r.p.QuestionPassageBoost
	}
	for i := range top {
		c := &top[i]
		c.score *= r.factor(c.ev)
		if c.ev.passage.score > 0 {
			c.score *= 1 + boost*c.ev.passage.score
		}
		c.tier = 0
		if !r.q.verbose && c.ev.held() == len(r.q.syllables) {
			c.tier = 1 + c.ev.exactCount()
		}
	}
	slices.SortStableFunc(top, func(a, b candidate) int {
		if a.tier != b.tier {
			return cmp.Compare(b.tier, a.tier)
		}
		return cmp.Compare(b.score, a.score)
	})
	return nil
}

// factor is what the evidence multiplies a first-pass score by.
func (r *ranker) factor(e *evidence) float64 {
	f := 1.0
	if len(r.q.marked) > 0 && !r.q.verbose {
		// The syllables typed with diacritics held with them, and those
		// typed plain held plain.
		var held, all float64
		for j, i := range r.q.marked {
			all += r.weight[i]
			if e.exact[j] {
				held += r.weight[i]
			}
		}
		for k, i := range r.q.plain {
			all += r.weight[i]
			if k < len(e.plain) && e.plain[k] {
				held += r.weight[i]
			}
		}
		if all > 0 {
			f *= 1 + r.p.ExactBoost*held/all
		}
	}
	f *= 1 + r.p.TitleBoost*r.shareWithin(e, inTitle)
	f *= 1 + r.p.LeadBoost*r.shareWithin(e, inLead)
	if len(r.q.pairs) > 0 {
		var adjacent, all float64
		for _, pr := range r.q.pairs {
			w := max(r.weight[pr.first], r.weight[pr.second])
			all += w
			if e.adjacent(pr.first, pr.second) {
				adjacent += w
			}
		}
		if all > 0 {
			f *= 1 + r.p.PairBoost*adjacent/all
		}
	}
	return f
}

// inTitle and inLead tell the units of the title and of the lead: the
// title, the summary and the first paragraph, where a news article says
// what it is about.
func inTitle(u unit) bool { return u.para == ParagraphTitle }
func inLead(u unit) bool  { return u.para <= 0 }

// shareWithin returns the IDF-weighted share of the query's syllables that
// stand in units where is true.
func (r *ranker) shareWithin(e *evidence, where func(unit) bool) float64 {
	var in, all float64
	for i, occ := range e.at {
		all += r.weight[i]
		for _, o := range occ {
			if o.unit >= 0 && where(e.layout.units[o.unit]) {
				in += r.weight[i]
				break
			}
		}
	}
	if all == 0 {
		return 0
	}
	return in / all
}
