package index

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"time"

	"github.com/RoaringBitmap/roaring/v2"

	"golang.org/x/sync/errgroup"

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
	// Params, when set, replace the index's ranking parameters for this
	// search (see Params).
	Params *Params
	// Stats, when set, are the statistics to score with instead of this
	// index's own: a cluster's, summed over its shards (see
	// CollectionStats).
	Stats *CollectionStats
	// Facets names the facets to count over every match: "source",
	// "category", "month" (see FacetCount).
	Facets []string
	// AllFacetValues lists every value of a facet, not the
	// MaxFacetValues largest: a shard's counts, which a cluster adds up
	// before it keeps the largest (see SortFacet).
	AllFacetValues bool
	// AsTyped searches the query as typed: not restored, without the
	// other forms of its synonyms.
	AsTyped bool
	// Understood, when set, is what the query is understood as, decided
	// by a cluster from every shard (see understand.go): a shard ranks
	// that rather than what its own part of the articles makes of it.
	Understood *Understanding
	// Group, when GroupStory, groups the hits of one story (see
	// searchStories); From and Size then count groups.
	Group string
	// countBound, when set, bounds the phrase checks of the count below
	// MaxCounted: an alternative query of synonyms sets it (expand.go).
	countBound int
	// RescoreCut, when set, replaces Params.RescoreDepth: the second pass
	// reorders the first-pass candidates that rank at or above the cut.
	// A cluster sets it to where its shards' candidates together reach
	// the rescore depth (see Index.Candidates), so that every shard
	// rescores exactly what one index holding everything would.
	RescoreCut *Cut
	// AlternativeCuts are the RescoreCut of each alternative of
	// Understood, in order.
	AlternativeCuts []*Cut
}

// Cut is a place in the first pass's order: tier, then score.
type Cut struct {
	Tier  int     `json:"tier"`
	Score float64 `json:"score"`
}

// above reports whether a candidate ranks at or above the cut.
func (c Cut) above(tier int, score float64) bool {
	return tier > c.Tier || tier == c.Tier && score >= c.Score
}

// Result answers a Request. It is also the JSON answer of GET /search and
// of `vnsearch search --json`; its lists are never null.
type Result struct {
	Query string `json:"query"`
	Total uint64 `json:"total"`
	// TotalIsLowerBound says Total counts at least that many: counting
	// them all would have checked the quoted phrases of more than
	// MaxCounted documents.
	TotalIsLowerBound bool    `json:"total_is_lower_bound,omitempty"`
	TookMS            float64 `json:"took_ms"` // milliseconds, to the microsecond
	Hits              []Hit   `json:"hits"`
	// Facets count every match by the facets asked for.
	Facets map[string][]FacetCount `json:"facets,omitempty"`
	// Shards, in a cluster whose articles are split over shards, says how
	// many shards there are and how many answered: fewer answered means
	// the hits, totals and facets are those of the shards that did.
	Shards *ShardsAnswered `json:"shards,omitempty"`
	// DidYouMean, for a query typed without (some) diacritics, is the
	// query with them restored (see restore.go), offered to the reader;
	// empty when there is nothing to offer.
	DidYouMean string `json:"did_you_mean,omitempty"`
}

// ShardsAnswered counts the shards of a search.
type ShardsAnswered struct {
	Total    int `json:"total"`
	Answered int `json:"answered"`
}

// Hit is one article found.
type Hit struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Source    string      `json:"source"`
	Published corpus.Date `json:"published"`
	URL       string      `json:"url"`
	// Score is the relevance score (0 when sorted by date).
	Score float64 `json:"score"`
	// Paragraph is the index in the article's paragraphs of the one the
	// snippet comes from, or ParagraphSummary (-1) when it comes from the
	// summary. Snippet is a stretch of that paragraph as the article has
	// it.
	Paragraph int    `json:"paragraph"`
	Snippet   string `json:"snippet"`
	// Highlights are the matches in Snippet, as [start, end) byte offsets.
	Highlights [][2]int `json:"highlights"`
	// Story, in a search grouped by story, is the group the hit stands for.
	Story *Story `json:"story,omitempty"`
	// Rescored and Tier place the hit in the order of its search, with
	// Score: hits the second pass reordered come first, then by tier, then
	// by score (see Before). Merging the hits of several shards needs them.
	Rescored bool `json:"-"`
	Tier     int  `json:"-"`
}

// Before reports whether hit a ranks above hit b in a search by
// relevance; hits of several shards of one collection, searched with the
// same Stats and RescoreCut, merge by it into the order one index would
// give (ties broken by ID).
func Before(a, b Hit) bool {
	if a.Rescored != b.Rescored {
		return a.Rescored
	}
	if a.Tier != b.Tier {
		return a.Tier > b.Tier
	}
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// Validate checks a request and fills its defaults, so that callers can
// refuse a bad one before they open an index. Its errors wrap ErrBadQuery.
func (r *Request) Validate() error {
	_, err := r.analyze(DefaultParams())
	return err
}

// analyze validates the request and analyzes its query.
func (r *Request) analyze(p Params) (*analyzedQuery, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	parsed, err := ParseQuery(r.Query)
	if err != nil {
		return nil, err
	}
	return analyze(parsed, p)
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
	case r.From > MaxWindow-r.Size: // not From+Size: that may overflow
		return fmt.Errorf("%w: from + size is more than %d", ErrBadQuery, MaxWindow)
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
	if err := checkFacets(r.Facets); err != nil {
		return err
	}
	if r.Params != nil {
		if err := r.Params.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrBadQuery, err)
		}
	}
	return nil
}

// Search runs a request. Errors wrapping ErrBadQuery are the caller's.
func (ix *Index) Search(ctx context.Context, r Request) (*Result, error) {
	out, err := ix.search(ctx, r)
	if err == nil {
		out.DidYouMean = ix.didYouMean(&r)
	}
	return out, err
}

// didYouMean returns the restored query to offer, if any: not for the
// searches of a cluster's shards nor those asked as typed.
func (ix *Index) didYouMean(r *Request) string {
	if r.Stats != nil || r.RescoreCut != nil || r.AsTyped || r.Understood != nil {
		return ""
	}
	res := ix.Restore(r.Query)
	if !res.Changed || res.Confidence < SuggestMinConfidence {
		return ""
	}
	return res.Text
}

func (ix *Index) search(ctx context.Context, r Request) (*Result, error) {
	ix.searching.Add(1)
	defer ix.searching.Add(-1)
	if r.Group != "" {
		return ix.searchStories(ctx, r)
	}
	start := time.Now()
	params := ix.params
	if r.Params != nil {
		params = *r.Params
	}
	q, err := r.analyze(params)
	if err != nil {
		return nil, err
	}
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	defer snap.close()
	if r.Stats != nil {
		snap.stats = r.Stats
	}
	// Ranked (and highlighted) as the query restored, when it is; with
	// its alternatives, when it has some.
	all := ix.lists(&r, q, params)
	if len(all) > 1 {
		out, err := ix.searchExpanded(snap, &r, all)
		if err != nil {
			return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
		}
		out.TookMS = math.Round(float64(time.Since(start))/float64(time.Microsecond)) / 1000
		return out, nil
	}
	rq := all[0].q
	page, first, _, err := ix.rank(snap, rq, all[0].p, &r, false)
	if err != nil {
		return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	out := &Result{Query: r.Query, Total: first.total, TotalIsLowerBound: first.lowerBound, Hits: make([]Hit, len(page)),
		Facets: first.facets}
	if err := snap.hits(rq, page, out.Hits); err != nil {
		return nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	out.TookMS = math.Round(float64(time.Since(start))/float64(time.Microsecond)) / 1000
	return out, nil
}

// rank returns the requested page of candidates, best first, with their
// evidence, and what the first pass counted; with keep, also the
// documents it counted, per segment.
func (ix *Index) rank(snap *snapshot, q *analyzedQuery, p Params, r *Request, keep bool) ([]candidate, firstPass, []*roaring.Bitmap, error) {
	rk, err := newRanker(snap, q, p)
	if err != nil {
		return nil, firstPass{}, nil, err
	}
	how := chooseRetrieval(q, r.Sort)
	window := r.From + r.Size
	if how.rescored() {
		window = max(window, p.RescoreDepth)
	}
	c, err := newConstraints(snap, q, r)
	if err != nil {
		return nil, firstPass{}, nil, err
	}
	if len(r.Facets) > 0 || keep {
		rk.matches = make([]*roaring.Bitmap, len(snap.segs))
	}
	rk.countBound = r.countBound
	first, err := how.candidates(rk, c, window)
	if err != nil {
		return nil, firstPass{}, nil, err
	}
	if len(r.Facets) > 0 {
		if first.facets, err = rk.facets(r.Facets, r.AllFacetValues); err != nil {
			return nil, firstPass{}, nil, err
		}
	}
	found := first.found
	if how.rescored() {
		depth := min(p.RescoreDepth, len(found))
		if r.RescoreCut != nil {
			depth = 0
			for depth < len(found) && r.RescoreCut.above(found[depth].tier, found[depth].score) {
				depth++
			}
		}
		for i := range found[:depth] {
			found[i].rescored = true
		}
		if err := rk.rescore(found[:depth]); err != nil {
			return nil, firstPass{}, nil, err
		}
	}
	page := found[min(r.From, len(found)):min(r.From+r.Size, len(found))]
	// The snippets need the evidence of the page's candidates.
	return page, first, rk.matches, rk.gather(page)
}

// maxParallel is how many goroutines a search runs at once.
func maxParallel() int { return runtime.GOMAXPROCS(0) }

// hits loads the page's articles and cuts their snippets into out, on
// every core.
func (s *snapshot) hits(q *analyzedQuery, page []candidate, out []Hit) error {
	m := newMatcher(q)
	g, ctx := errgroup.WithContext(s.ctx)
	g.SetLimit(maxParallel())
	for i, c := range page {
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			a, err := s.article(c.seg, c.doc)
			if err != nil {
				return err
			}
			hit := &out[i]
			*hit = Hit{
				ID:        a.ID,
				Title:     a.Title,
				Source:    a.Source,
				Published: a.Published,
				URL:       a.URL,
				Score:     c.score,
				Rescored:  c.rescored,
				Tier:      c.tier,
			}
			hit.Paragraph, hit.Snippet, hit.Highlights = m.snippet(&a, c.ev)
			return nil
		})
	}
	return g.Wait()
}
