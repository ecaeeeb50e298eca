package index

import (
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/vnsearch/vnsearch/analyzer"
)

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

// constraints are what every hit must satisfy besides its syllables: the
// query's quoted phrases and exclusions, and the request's filters. They
// are built once per search.
type constraints struct {
	must    []query.Query
	mustNot []query.Query
}

func newConstraints(q *analyzedQuery, r *Request) constraints {
	var c constraints
	for _, ph := range q.phrases {
		c.must = append(c.must, phraseQuery(ph))
	}
	c.must = append(c.must, r.filters()...)
	for _, t := range q.excludes {
		if t.exact != t.folded {
			c.mustNot = append(c.mustNot, termIn(fieldBodyExact, t.exact, 1))
		} else {
			c.mustNot = append(c.mustNot, termIn(fieldBodyFolded, t.folded, 1))
		}
	}
	for _, seq := range q.excludeSeq {
		c.mustNot = append(c.mustNot, phraseQuery(seq))
	}
	return c
}

// apply restricts core (every document when nil) to the documents that
// satisfy the constraints and do not match without (when not nil).
func (c constraints) apply(core, without query.Query) query.Query {
	if core == nil {
		core = query.NewMatchAllQuery()
	}
	mustNot := c.mustNot
	if without != nil {
		mustNot = append(mustNot[:len(mustNot):len(mustNot)], without)
	}
	if len(c.must) == 0 && len(mustNot) == 0 {
		return core
	}
	bq := query.NewBooleanQuery(nil, nil, nil)
	bq.Must = query.NewConjunctionQuery(append([]query.Query{core}, c.must...))
	if len(mustNot) > 0 {
		bq.MustNot = query.NewDisjunctionQuery(mustNot)
	}
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
		clamp := func(t time.Time) time.Time {
			switch {
			case t.IsZero():
			case t.Before(query.MinRFC3339CompatibleTime):
				return query.MinRFC3339CompatibleTime
			case t.After(query.MaxRFC3339CompatibleTime):
				return query.MaxRFC3339CompatibleTime
			}
			return t
		}
		dq := query.NewDateRangeInclusiveQuery(clamp(r.Since), clamp(r.Until), &inclusive, new(bool))
		dq.SetField(fieldPublished)
		out = append(out, dq)
	}
	return out
}
