package index

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// Sort orders search results.
type Sort string

const (
	ByRelevance Sort = "relevance"
	ByDate      Sort = "date" // newest first
)

// Limits on a request, so that no request can make the index work without
// bound.
const (
	DefaultSize = 10
	MaxSize     = 100
	MaxWindow   = 10000 // From + Size
	// maxSyllables bounds the distinct syllables (and bigrams) of a query
	// that take part in matching; the rest of a very long query is
	// ignored.
	maxSyllables = 48
)

// Request is one search.
type Request struct {
	Query      string
	From, Size int
	Sources    []string  // any of these outlets
	Categories []string  // any of these categories
	Since      time.Time // published at or after, when not zero
	Until      time.Time // published before, when not zero
	Sort       Sort
}

// Result answers a Request.
type Result struct {
	Query string        `json:"query"`
	Total uint64        `json:"total"`
	Took  time.Duration `json:"-"`
	Hits  []Hit         `json:"hits"`
}

// Hit is one article found.
type Hit struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Source    string      `json:"source"`
	Published corpus.Date `json:"published"`
	URL       string      `json:"url"`
	Score     float64     `json:"score"`
	// Paragraph is the index in the article's paragraphs of the one the
	// snippet comes from, or -1 when it comes from the summary.
	Paragraph int    `json:"paragraph"`
	Snippet   string `json:"snippet"`
	// Highlights are the matches in Snippet, as [start, end) byte offsets.
	Highlights [][2]int `json:"highlights"`
}

// Scoring weights, relative to a folded match in the body (1). They were
// chosen on the known-item evaluation (vnsearch eval); see README.
const (
	// exactBoost rewards a syllable matched with the diacritics the reader
	// typed, so "ma túy" ranks drugs above "mà tùy".
	exactBoost = 2.0
	// pairBoost rewards two query syllables standing side by side, as
	// the syllables of a Vietnamese word do.
	pairBoost = 2.0
)

// term is one query syllable in both forms.
type term struct{ exact, folded string }

// pair is two query syllables that stand side by side in the query.
type pair struct{ first, second term }

// plan is an analyzed query.
type plan struct {
	accented   bool // the reader typed diacritics: exact forms rank first
	syllables  []term
	pairs      []pair
	phrases    []string
	excludes   []term   // single words to exclude
	excludeSeq []string // phrases (or multi-token words) to exclude
}

// newPlan analyzes a parsed query.
func newPlan(q Query) (*plan, error) {
	p := &plan{}
	seen := map[term]bool{}
	seenPair := map[pair]bool{}
	positive := append(append([]string(nil), q.Runs...), q.Phrases...)
	for _, text := range positive {
		syl := analyzer.Syllables(text)
		var prev *analyzer.Syllable
		for i := range syl {
			s := &syl[i]
			t := term{s.Exact, s.Folded}
			if t.exact != t.folded {
				p.accented = true
			}
			if !seen[t] && len(p.syllables) < maxSyllables {
				seen[t] = true
				p.syllables = append(p.syllables, t)
			}
			if s.Whole {
				continue
			}
			if s.Joined && prev != nil {
				pr := pair{term{prev.Exact, prev.Folded}, t}
				if !seenPair[pr] && len(p.pairs) < maxSyllables {
					seenPair[pr] = true
					p.pairs = append(p.pairs, pr)
				}
			}
			prev = s
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

// anyField matches t in any text field, each field's match weighted by
// its boost times weight. (Bleve applies boosts to term queries only.)
func anyField(t string, field func(textField) string, weight float64) query.Query {
	clauses := make([]query.Query, len(textFields))
	for i, f := range textFields {
		tq := query.NewTermQuery(t)
		tq.SetField(field(f))
		tq.SetBoost(f.boost * weight)
		clauses[i] = tq
	}
	return query.NewDisjunctionQuery(clauses)
}

// phraseInAnyField matches a phrase, folded, in any text field.
func phraseInAnyField(phrase string) query.Query {
	clauses := make([]query.Query, len(textFields))
	for i, f := range textFields {
		pq := query.NewMatchPhraseQuery(phrase)
		pq.SetField(f.folded())
		pq.Analyzer = positionsAnalyzer
		pq.SetBoost(f.boost)
		clauses[i] = pq
	}
	return query.NewDisjunctionQuery(clauses)
}

func exactField(f textField) string  { return f.exact() }
func foldedField(f textField) string { return f.folded() }

// pairInAnyField matches two folded syllables standing side by side in
// any text field.
func pairInAnyField(pr pair, weight float64) query.Query {
	clauses := make([]query.Query, len(textFields))
	for i, f := range textFields {
		pq := query.NewPhraseQuery([]string{pr.first.folded, pr.second.folded}, f.folded())
		pq.SetBoost(f.boost * weight)
		clauses[i] = pq
	}
	return query.NewDisjunctionQuery(clauses)
}

// query builds the Bleve query of a plan and a request's filters.
//
// A document matches when it holds at least one query syllable, folded,
// in any field — so a query without diacritics finds every diacritic
// variant — and every quoted phrase. Its score is the BM25 of the folded
// syllables scaled by the share of them it holds (Bleve's coordination
// factor, so that holding all ranks above holding some), plus bonuses for
// the syllables matched with the typed diacritics (only when the reader
// typed any) and for query syllables standing side by side.
func (p *plan) query(r *Request) query.Query {
	var must, should, mustNot []query.Query
	if len(p.syllables) > 0 {
		recall := make([]query.Query, len(p.syllables))
		for i, t := range p.syllables {
			recall[i] = anyField(t.folded, foldedField, 1)
		}
		must = append(must, query.NewDisjunctionQuery(recall))
		var bonus []query.Query
		for _, pr := range p.pairs {
			bonus = append(bonus, pairInAnyField(pr, pairBoost))
		}
		if p.accented {
			for _, t := range p.syllables {
				bonus = append(bonus, anyField(t.exact, exactField, exactBoost))
			}
		}
		if len(bonus) > 0 {
			should = append(should, query.NewDisjunctionQuery(bonus))
		}
	} else {
		must = append(must, query.NewMatchAllQuery())
	}
	for _, ph := range p.phrases {
		must = append(must, phraseInAnyField(ph))
	}
	for _, t := range p.excludes {
		if t.exact != t.folded {
			mustNot = append(mustNot, anyField(t.exact, exactField, 1))
		} else {
			mustNot = append(mustNot, anyField(t.folded, foldedField, 1))
		}
	}
	for _, seq := range p.excludeSeq {
		mustNot = append(mustNot, phraseInAnyField(seq))
	}
	must = append(must, r.filters()...)

	var mustQ, shouldQ, mustNotQ query.Query
	mustQ = query.NewConjunctionQuery(must)
	if len(should) > 0 {
		shouldQ = query.NewDisjunctionQuery(should)
	}
	if len(mustNot) > 0 {
		mustNotQ = query.NewDisjunctionQuery(mustNot)
	}
	bq := query.NewBooleanQuery(nil, nil, nil)
	bq.Must = mustQ
	bq.Should = shouldQ
	bq.MustNot = mustNotQ
	return bq
}

// filters returns the request's filters as queries that every hit must
// match.
func (r *Request) filters() []query.Query {
	var out []query.Query
	keywords := func(field string, values []string) {
		var any []query.Query
		for _, v := range values {
			if v = strings.TrimSpace(v); v == "" {
				continue
			}
			tq := query.NewTermQuery(analyzer.Normalize(v))
			tq.SetField(field)
			any = append(any, tq)
		}
		if len(any) > 0 {
			out = append(out, query.NewDisjunctionQuery(any))
		}
	}
	keywords(fieldSource, r.Sources)
	keywords(fieldCategory, r.Categories)
	if !r.Since.IsZero() || !r.Until.IsZero() {
		inclusive := true
		dq := query.NewDateRangeInclusiveQuery(r.Since, r.Until, &inclusive, new(bool))
		dq.SetField(fieldPublished)
		out = append(out, dq)
	}
	return out
}

// validate checks a request and fills its defaults.
func (r *Request) validate() error {
	if r.Size == 0 {
		r.Size = DefaultSize
	}
	switch {
	case r.Size < 0 || r.Size > MaxSize:
		return fmt.Errorf("%w: size %d is outside 1..%d", ErrBadQuery, r.Size, MaxSize)
	case r.From < 0:
		return fmt.Errorf("%w: from %d is negative", ErrBadQuery, r.From)
	case r.From+r.Size > MaxWindow:
		return fmt.Errorf("%w: from + size is %d, more than %d", ErrBadQuery, r.From+r.Size, MaxWindow)
	case !r.Since.IsZero() && !r.Until.IsZero() && !r.Since.Before(r.Until):
		return fmt.Errorf("%w: since %s is not before until %s", ErrBadQuery,
			r.Since.Format(time.DateOnly), r.Until.Format(time.DateOnly))
	}
	switch r.Sort {
	case "":
		r.Sort = ByRelevance
	case ByRelevance, ByDate:
	default:
		return fmt.Errorf("%w: sort %q: want %q or %q", ErrBadQuery, r.Sort, ByRelevance, ByDate)
	}
	return nil
}

// Search runs a request. Errors wrapping ErrBadQuery are the caller's.
func (ix *Index) Search(ctx context.Context, r Request) (*Result, error) {
	start := time.Now()
	if err := r.validate(); err != nil {
		return nil, err
	}
	parsed, err := ParseQuery(r.Query)
	if err != nil {
		return nil, err
	}
	p, err := newPlan(parsed)
	if err != nil {
		return nil, err
	}
	req := bleve.NewSearchRequestOptions(p.query(&r), r.Size, r.From, false)
	req.Fields = []string{fieldArticle}
	if r.Sort == ByDate {
		req.SortBy([]string{"-" + fieldPublished, "-_score"})
	}
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	out := &Result{Query: r.Query, Total: res.Total, Hits: make([]Hit, 0, len(res.Hits))}
	m := newMatcher(p)
	for _, h := range res.Hits {
		a, err := decodeArticle(h.ID, h.Fields)
		if err != nil {
			return nil, err
		}
		hit := Hit{
			ID:        h.ID,
			Title:     a.Title,
			Source:    a.Source,
			Published: a.Published,
			URL:       a.URL,
			Score:     h.Score,
		}
		hit.Paragraph, hit.Snippet, hit.Highlights = m.snippet(&a)
		out.Hits = append(out.Hits, hit)
	}
	out.Took = time.Since(start)
	return out, nil
}
