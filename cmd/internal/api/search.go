// Package api is what the vnsearch command line and its HTTP endpoint
// share: the parameters of a search and how they become an index.Request,
// the JSON shapes of the answers, and the splitting of a snippet at its
// highlights. `vnsearch search --json` and `GET /search` go through the
// same functions here, so they print the same bytes.
package api

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// MaxFrom bounds from, as Elasticsearch's max_result_window does: no page
// of results starts past the 10,000th.
const MaxFrom = index.MaxWindow

// Bounds on what one query may ask the index to check: each quoted phrase
// is checked against positions, and each exclusion against every match.
// The index counts a phrase or word given twice once; so do these.
const (
	MaxPhrases    = 16
	MaxExclusions = 16
)

// SearchParams are the parameters of a search as a user types them: the
// flags of `vnsearch search` or the query string of GET /search.
type SearchParams struct {
	Query string
	// Size is the number of hits wanted: 0 means index.DefaultSize, and
	// more than index.MaxSize is capped.
	Size int
	From int
	// Sources and Categories may each hold several values, and each value
	// may be a comma-separated list.
	Sources    []string
	Categories []string
	// Since and Until are YYYY, YYYY-MM or YYYY-MM-DD (or anything
	// corpus.ParseDate reads); both are inclusive of the whole period they
	// name.
	Since, Until string
	Sort         string // "relevance" (or empty) or "date"
	// Facets names the facets to count over every match (source,
	// category, month); each value may be a comma-separated list.
	Facets []string
	// Group is "" or "story": hits of one story come as one, the best,
	// with the others in its story (see index.Request.Group).
	Group string
}

// GroupStory is the Group that gathers the hits of one story.
const GroupStory = index.GroupStory

// Request validates the parameters and turns them into the request the
// index runs. Every error wraps index.ErrBadQuery and names the parameter
// at fault.
func (p SearchParams) Request() (index.Request, error) {
	req := index.Request{
		Query:      p.Query,
		From:       p.From,
		Size:       p.Size,
		Sources:    splitList(p.Sources),
		Categories: splitList(p.Categories),
		Sort:       index.Sort(p.Sort),
		Facets:     splitList(p.Facets),
	}
	switch p.Group {
	case "", GroupStory:
		req.Group = p.Group
	default:
		return req, fmt.Errorf("%w: group %q: want %q or nothing", index.ErrBadQuery, p.Group, GroupStory)
	}
	// A size past the limit is capped, not refused: a client asking for
	// "as many as you give" should get them.
	if p.Size > index.MaxSize {
		req.Size = index.MaxSize
	}
	if p.From > MaxFrom {
		return req, fmt.Errorf("%w: from %d is more than %d: results past the %d-th are never shown, narrow the search instead",
			index.ErrBadQuery, p.From, MaxFrom, MaxFrom)
	}
	if err := checkQueryCost(p.Query); err != nil {
		return req, err
	}
	var err error
	if req.Since, err = dateBound("since", p.Since, false); err != nil {
		return req, err
	}
	if req.Until, err = dateBound("until", p.Until, true); err != nil {
		return req, err
	}
	// The rest (an empty or overlong query, a negative size or from, an
	// unknown sort, since after until) the index checks itself, before
	// any index is opened.
	return req, req.Validate()
}

// dateBound reads a since or until parameter. The index's Until is
// exclusive, so an until names the first instant after its period:
// until=2023-09 is before 2023-10-01.
func dateBound(name, value string, until bool) (time.Time, error) {
	d, err := corpus.ParseDate(value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s %q: want YYYY, YYYY-MM or YYYY-MM-DD", index.ErrBadQuery, name, value)
	}
	if d.IsZero() || !until {
		return d.Time, nil
	}
	switch d.Precision {
	case corpus.Year:
		return d.Time.AddDate(1, 0, 0), nil
	case corpus.Month:
		return d.Time.AddDate(0, 1, 0), nil
	case corpus.Day:
		return d.Time.AddDate(0, 0, 1), nil
	}
	return d.Time.Add(time.Nanosecond), nil
}

// checkQueryCost refuses a query holding more distinct quoted phrases or
// exclusions than a search checks. A query the index refuses for another
// reason (not UTF-8, too long) passes: the index says what is wrong.
func checkQueryCost(query string) error {
	q, err := index.ParseQuery(query)
	if err != nil {
		return nil
	}
	if n := distinct(q.Phrases); n > MaxPhrases {
		return fmt.Errorf("%w: the query has %d different quoted phrases, more than the %d a search checks",
			index.ErrBadQuery, n, MaxPhrases)
	}
	if n := distinct(q.ExcludeWords) + distinct(q.ExcludePhrases); n > MaxExclusions {
		return fmt.Errorf("%w: the query excludes %d different words or phrases, more than the %d a search checks",
			index.ErrBadQuery, n, MaxExclusions)
	}
	return nil
}

// distinct counts texts that differ once folded: "Bộ Công an" and "bo
// cong an" are one phrase to the index.
func distinct(texts []string) int {
	seen := make(map[string]bool, len(texts))
	for _, t := range texts {
		var key strings.Builder
		for _, s := range analyzer.Syllables(t) {
			key.WriteString(s.Folded)
			key.WriteByte(' ')
		}
		if key.Len() > 0 {
			seen[key.String()] = true
		}
	}
	return len(seen)
}

// splitList splits comma-separated values and drops empty ones.
func splitList(values []string) []string {
	var out []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// ParamsFromQuery reads the parameters of GET /search (and of the search
// page) from a URL query: q, size, from, source, category, since, until
// sort, facets and group. It converts text to numbers and splits the comma-separated
// lists; Request validates.
func ParamsFromQuery(v url.Values) (SearchParams, error) {
	p := SearchParams{
		Query:      v.Get("q"),
		Sources:    splitList(v["source"]),
		Categories: splitList(v["category"]),
		Since:      v.Get("since"),
		Until:      v.Get("until"),
		Sort:       v.Get("sort"),
		Facets:     v["facets"],
		Group:      strings.TrimSpace(v.Get("group")),
	}
	var err error
	if p.Size, err = intParam(v, "size"); err != nil {
		return p, err
	}
	if p.From, err = intParam(v, "from"); err != nil {
		return p, err
	}
	return p, nil
}

func intParam(v url.Values, name string) (int, error) {
	s := strings.TrimSpace(v.Get(name))
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if errors.Is(err, strconv.ErrRange) {
		return 0, fmt.Errorf("%w: %s %s is out of range", index.ErrBadQuery, name, s)
	}
	if err != nil {
		return 0, fmt.Errorf("%w: %s %q is not a whole number", index.ErrBadQuery, name, s)
	}
	return n, nil
}
