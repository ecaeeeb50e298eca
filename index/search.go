package index

import (
	"context"
	"fmt"
	"strings"
	"time"

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

// Validate checks a request and fills its defaults, so that callers can
// refuse a bad one before they open an index. Its errors wrap ErrBadQuery.
func (r *Request) Validate() error {
	_, err := r.plan()
	return err
}

// plan validates the request and analyzes its query.
func (r *Request) plan() (*plan, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	parsed, err := ParseQuery(r.Query)
	if err != nil {
		return nil, err
	}
	return newPlan(parsed)
}

func (r *Request) check() error {
	if r.Size == 0 {
		r.Size = DefaultSize
	}
	switch {
	case r.Size < 0:
		return fmt.Errorf("%w: size %d is negative", ErrBadQuery, r.Size)
	case r.Size > MaxSize:
		return fmt.Errorf("%w: size %d is more than %d", ErrBadQuery, r.Size, MaxSize)
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
	p, err := r.plan()
	if err != nil {
		return nil, err
	}
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	defer snap.close()
	page, total, err := snap.rank(p, &r)
	if err != nil {
		return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	out := &Result{Query: r.Query, Total: total, Hits: make([]Hit, len(page))}
	m := newMatcher(p)
	tasks := make([]func() error, len(page))
	for i, c := range page {
		tasks[i] = func() error {
			a, err := snap.article(c.id)
			if err != nil {
				return err
			}
			hit := &out.Hits[i]
			*hit = Hit{
				ID:        c.id,
				Title:     a.Title,
				Source:    a.Source,
				Published: a.Published,
				URL:       a.URL,
				Score:     c.score,
			}
			hit.Paragraph, hit.Snippet, hit.Highlights = m.snippet(&a, c.ev)
			return nil
		}
	}
	if err := parallel(tasks); err != nil {
		return nil, err
	}
	out.Took = time.Since(start)
	return out, nil
}
