package index

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/vnsearch/vnsearch/analyzer"
)

// maxSyllables bounds the distinct syllables (and adjacent pairs) of a
// query that take part in ranking; the rest of a very long query is
// ignored.
const maxSyllables = 48

// term is one query syllable in both forms.
type term struct{ exact, folded string }

// pair is two query syllables, by index into plan.syllables, that stand
// side by side in the query.
type pair struct{ first, second int }

// plan is an analyzed query.
type plan struct {
	syllables  []term
	marked     []int // indexes of the syllables typed with diacritics
	pairs      []pair
	phrases    []string
	excludes   []term   // single words to exclude
	excludeSeq []string // phrases (or multi-token words) to exclude
	// weight is the IDF of each syllable, folded, in the body: how much
	// holding it says. The second pass sets it.
	weight []float64
}

// newPlan analyzes a parsed query.
func newPlan(q Query) (*plan, error) {
	p := &plan{}
	index := map[term]int{}
	seenPair := map[pair]bool{}
	positive := append(append([]string(nil), q.Runs...), q.Phrases...)
	for _, text := range positive {
		prev := -1
		for _, s := range analyzer.Syllables(text) {
			t := term{s.Exact, s.Folded}
			i, seen := index[t]
			if !seen {
				if len(p.syllables) == maxSyllables {
					break
				}
				i = len(p.syllables)
				index[t] = i
				p.syllables = append(p.syllables, t)
				if t.exact != t.folded {
					p.marked = append(p.marked, i)
				}
			}
			if s.Whole {
				continue
			}
			if pr := (pair{prev, i}); s.Joined && prev >= 0 && !seenPair[pr] {
				seenPair[pr] = true
				p.pairs = append(p.pairs, pr)
			}
			prev = i
		}
	}
	for _, ph := range q.Phrases {
		if len(analyzer.Syllables(ph)) > 0 {
			p.phrases = append(p.phrases, ph)
		}
	}
	for _, w := range q.ExcludeWords {
		switch syl := analyzer.Syllables(w); len(syl) {
		case 0:
		case 1:
			p.excludes = append(p.excludes, term{syl[0].Exact, syl[0].Folded})
		default:
			p.excludeSeq = append(p.excludeSeq, w)
		}
	}
	for _, ph := range q.ExcludePhrases {
		if len(analyzer.Syllables(ph)) > 0 {
			p.excludeSeq = append(p.excludeSeq, ph)
		}
	}
	if len(p.syllables) == 0 && len(p.excludes) == 0 && len(p.excludeSeq) == 0 {
		return nil, fmt.Errorf("%w: the query has no words to search for", ErrBadQuery)
	}
	return p, nil
}

// termIn matches t in field, weighted by boost.
func termIn(field, t string, boost float64) *query.TermQuery {
	tq := query.NewTermQuery(t)
	tq.SetField(field)
	tq.SetBoost(boost)
	return tq
}

// phraseQuery matches a phrase, folded, anywhere in the text.
func phraseQuery(phrase string) query.Query {
	pq := query.NewMatchPhraseQuery(phrase)
	pq.SetField(fieldBodyFolded)
	pq.Analyzer = positionsAnalyzer
	return pq
}

// syllablesQuery matches documents holding every query syllable (all) or
// any of them, folded, and scores them by BM25. Scored, a document holding
// some is scaled by the share it holds (Bleve's coordination factor).
func (p *plan) syllablesQuery(all bool) query.Query {
	if all {
		return query.NewConjunctionQuery(p.foldedTerms())
	}
	return query.NewDisjunctionQuery(p.foldedTerms())
}

func (p *plan) foldedTerms() []query.Query {
	terms := make([]query.Query, len(p.syllables))
	for i, t := range p.syllables {
		terms[i] = termIn(fieldBodyFolded, t.folded, 1)
	}
	return terms
}

// keywordSyllables is the longest a keyword query gets; longer queries
// are verbose (see rank.go).
const keywordSyllables = 4

func (p *plan) verbose() bool { return len(p.syllables) > keywordSyllables }

// verboseQuery matches documents holding any query syllable, folded, and
// scores them by the BM25 of the folded syllables and of the syllables
// typed with diacritics held as typed (exactWeight), scaled by the share of
// the syllables held.
func (p *plan) verboseQuery(keep []bool) query.Query {
	var folded, exact []query.Query
	for i, t := range p.syllables {
		if keep[i] {
			folded = append(folded, termIn(fieldBodyFolded, t.folded, 1))
		}
	}
	for _, i := range p.marked {
		if keep[i] {
			exact = append(exact, termIn(fieldBodyExact, p.syllables[i].exact, exactWeight))
		}
	}
	if len(exact) == 0 {
		return query.NewDisjunctionQuery(folded)
	}
	bq := query.NewBooleanQuery(nil, nil, nil)
	bq.Must = query.NewDisjunctionQuery(folded)
	bq.Should = query.NewDisjunctionQuery(exact)
	return bq
}

// exactWeight weighs the BM25 of a syllable held as typed against that of
// its folded form, in verbose queries.
const exactWeight = 1.0

// countQuery matches what syllablesQuery(false) does. Unscored, Bleve
// evaluates a flat disjunction of terms as a union of bitmaps.
func (p *plan) countQuery() query.Query { return p.syllablesQuery(false) }

// restrict adds to core what every hit must satisfy besides its
// syllables: the quoted phrases, the request's filters, no excluded word
// or phrase, and none of the documents matching without.
func (p *plan) restrict(core query.Query, r *Request, without query.Query) query.Query {
	if core == nil {
		core = query.NewMatchAllQuery()
	}
	must := []query.Query{core}
	for _, ph := range p.phrases {
		must = append(must, phraseQuery(ph))
	}
	must = append(must, r.filters()...)
	var mustNot []query.Query
	for _, t := range p.excludes {
		if t.exact != t.folded {
			mustNot = append(mustNot, termIn(fieldBodyExact, t.exact, 1))
		} else {
			mustNot = append(mustNot, termIn(fieldBodyFolded, t.folded, 1))
		}
	}
	for _, seq := range p.excludeSeq {
		mustNot = append(mustNot, phraseQuery(seq))
	}
	if without != nil {
		mustNot = append(mustNot, without)
	}
	if len(must) == 1 && len(mustNot) == 0 {
		return core
	}
	bq := query.NewBooleanQuery(nil, nil, nil)
	bq.Must = query.NewConjunctionQuery(must)
	if len(mustNot) > 0 {
		bq.MustNot = query.NewDisjunctionQuery(mustNot)
	}
	return bq
}
