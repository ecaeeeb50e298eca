package index

import (
	"slices"

	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"
	"golang.org/x/sync/errgroup"
)

// A retrieval finds a search's first-pass candidates: the documents that
// match, scored cheaply, best first. Each search chooses one, once, from
// the kind of query and the order asked for.
//
// Queries come in two kinds. A keyword query (up to
// Params.KeywordSyllables syllables: "ma túy", "Trùng Khánh") names what
// the reader wants; every syllable matters. A verbose query (a headline, a
// sentence) is evidence to weigh; no one syllable is indispensable.
type retrieval interface {
	// candidates returns up to window candidates and the number of
	// documents that match.
	candidates(r *ranker, c constraints, window int) ([]candidate, uint64, error)
	// rescored reports whether the second pass reorders the candidates.
	rescored() bool
}

func chooseRetrieval(q *analyzedQuery, order Sort) retrieval {
	switch {
	case order == ByDate:
		return newestFirst{}
	case q.verbose:
		return verboseRetrieval{}
	case len(q.syllables) > 1:
		return keywordRetrieval{}
	default:
		// One syllable, or none (only exclusions and filters).
		return singleRetrieval{}
	}
}

// candidate is a document found by the first pass.
type candidate struct {
	id       string
	internal bleveindex.IndexInternalID
	score    float64
	// tier orders documents before their scores do: 0 for those holding
	// some query syllables, 1 + the number of syllables held as typed
	// for those holding all.
	tier int
	ev   *evidence // what the second pass read; nil until read
}

func candidates(hits bsearch.DocumentMatchCollection, tier int) []candidate {
	out := make([]candidate, len(hits))
	for i, h := range hits {
		out[i] = candidate{id: h.ID, internal: slices.Clone(h.IndexInternalID), score: h.Score, tier: tier}
	}
	return out
}

var (
	byScore = bsearch.SortOrder{&bsearch.SortScore{Desc: true}}
	byDate  = bsearch.ParseSortOrderStrings([]string{"-" + fieldPublished, "-_score"})
)

// foldedTerms are the query's syllables, folded, as term queries.
func foldedTerms(q *analyzedQuery) []query.Query {
	terms := make([]query.Query, len(q.syllables))
	for i, t := range q.syllables {
		terms[i] = termIn(fieldBodyFolded, t.folded, 1)
	}
	return terms
}

// anySyllable matches documents holding any query syllable, folded, scored
// by BM25 and scaled by the share held (Bleve's coordination factor).
func anySyllable(q *analyzedQuery) query.Query { return query.NewDisjunctionQuery(foldedTerms(q)) }

// everySyllable matches documents holding every query syllable, folded,
// scored by BM25.
func everySyllable(q *analyzedQuery) query.Query { return query.NewConjunctionQuery(foldedTerms(q)) }

// newestFirst orders every match by publication date; no second pass.
type newestFirst struct{}

func (newestFirst) rescored() bool { return false }

func (newestFirst) candidates(r *ranker, c constraints, window int) ([]candidate, uint64, error) {
	var core query.Query
	if len(r.q.syllables) > 0 {
		core = anySyllable(r.q)
	}
	hits, total, err := r.snap.collect(c.apply(core, nil), window, byDate, true)
	return candidates(hits, 0), total, err
}

// singleRetrieval ranks the documents holding the one query syllable by
// BM25 (or, with no syllable, every document the constraints allow).
type singleRetrieval struct{}

func (singleRetrieval) rescored() bool { return true }

func (singleRetrieval) candidates(r *ranker, c constraints, window int) ([]candidate, uint64, error) {
	var core query.Query
	if len(r.q.syllables) == 1 {
		core = anySyllable(r.q)
	}
	hits, total, err := r.snap.collect(c.apply(core, nil), window, byScore, true)
	return candidates(hits, 1), total, err
}

// keywordRetrieval finds the documents holding every syllable first, by a
// conjunction, which reads far fewer postings than a disjunction; only
// when they are too few to fill the window are documents holding some
// scored too (scaled by the share they hold) and ranked after.
type keywordRetrieval struct{}

func (keywordRetrieval) rescored() bool { return true }

func (keywordRetrieval) candidates(r *ranker, c constraints, window int) ([]candidate, uint64, error) {
	// Count every match on the other core meanwhile: when the documents
	// holding all syllables fill the window, nothing else needs scoring,
	// but the total still counts those holding some.
	var (
		g        errgroup.Group
		matching uint64
	)
	g.Go(func() error {
		var err error
		_, matching, err = r.snap.collect(c.apply(anySyllable(r.q), nil), 0, byScore, false)
		return err
	})
	all := everySyllable(r.q)
	hits, total, err := r.snap.collect(c.apply(all, nil), window, byScore, true)
	if cerr := g.Wait(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, 0, err
	}
	found := candidates(hits, 1)
	if len(found) == window {
		return found, matching, nil
	}
	rest, some, err := r.snap.collect(c.apply(anySyllable(r.q), all), window-len(found), byScore, true)
	if err != nil {
		return nil, 0, err
	}
	return append(found, candidates(rest, 0)...), total + some, nil
}

// verboseRetrieval ranks every document holding any of the query's
// informative syllables by BM25 of the folded syllables and of the
// syllables typed with diacritics held as typed, scaled by the share held.
type verboseRetrieval struct{}

func (verboseRetrieval) rescored() bool { return true }

func (verboseRetrieval) candidates(r *ranker, c constraints, window int) ([]candidate, uint64, error) {
	keep := r.informative()
	var folded, exact []query.Query
	for i, t := range r.q.syllables {
		if keep[i] {
			folded = append(folded, termIn(fieldBodyFolded, t.folded, 1))
		}
	}
	for _, i := range r.q.marked {
		if keep[i] {
			exact = append(exact, termIn(fieldBodyExact, r.q.syllables[i].exact, r.p.ExactWeight))
		}
	}
	var core query.Query = query.NewDisjunctionQuery(folded)
	if len(exact) > 0 {
		bq := query.NewBooleanQuery(nil, nil, nil)
		bq.Must = core
		bq.Should = query.NewDisjunctionQuery(exact)
		core = bq
	}
	hits, total, err := r.snap.collect(c.apply(core, nil), window, byScore, true)
	return candidates(hits, 0), total, err
}
