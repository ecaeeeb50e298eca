package index

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"golang.org/x/sync/errgroup"

	"github.com/vnsearch/vnsearch/analyzer"
)

// A keyword query holding a form of a synonym rule (see synonyms.go) is
// searched in its other forms too: "ubnd" finds the articles that only
// say "Ủy ban nhân dân", and the reverse. Each other form gives an
// alternative query, the form replaced by it (quoted when it is several
// words, so that they stand together); the query as typed and its
// alternatives are searched on one snapshot, their matches counted
// together, and their hits merged: each keeps its own order, and an
// alternative's scores count Params.SynonymWeight of the typed query's, so
// that the form typed ranks first among articles otherwise alike.
// Verbose queries (a headline, a sentence) weigh evidence and need no
// form; they are searched as typed, as are searches by date, and the
// searches of a cluster's shards (Request.Stats).

// MaxAlternatives bounds the alternative queries a search runs.
const MaxAlternatives = 4

// AlternativeRescore is how many candidates of an alternative query the
// second pass reorders (Params.RescoreDepth, the typed query's).
const AlternativeRescore = 20

// AlternativeCounted bounds the documents whose phrases the count of an
// alternative query checks (MaxCounted bounds the typed query's): past
// it, the total is a lower bound.
const AlternativeCounted = 1000

// MinedMinArticles is how many articles must define an abbreviation
// for search to use it; `vnsearch synonyms` lists the others too.
const MinedMinArticles = 2

// minedKey is where the index keeps what Compact mined.
const minedKey = "synonyms.mined"

// synonymTable is every rule a search uses, by the folded tokens of the
// forms they expand.
type synonymTable struct {
	rules []synonymEntry
}

type synonymEntry struct {
	from []string // the folded tokens of a form, as analyzer.Syllables gives them
	to   []string // the forms it expands to, as written
}

func tokenKeys(form string) []string {
	var out []string
	for _, s := range analyzer.Syllables(form) {
		out = append(out, s.Folded)
	}
	return out
}

func newSynonymTable(lists ...*Synonyms) *synonymTable {
	t := &synonymTable{}
	for _, l := range lists {
		if l == nil {
			continue
		}
		for _, r := range l.Rules {
			for _, f := range r.From {
				key := foldedKey(f)
				var to []string
				for _, o := range r.To {
					if foldedKey(o) != key {
						to = append(to, o)
					}
				}
				if len(to) > 0 {
					t.rules = append(t.rules, synonymEntry{from: tokenKeys(f), to: to})
				}
			}
		}
	}
	return t
}

// MinedSynonyms returns the abbreviations at least MinedMinArticles
// articles define as rules: each form finds the other.
func MinedSynonyms(abbrs []Abbreviation) *Synonyms {
	s := &Synonyms{}
	for _, a := range abbrs {
		if a.Articles >= MinedMinArticles {
			forms := []string{a.Short, a.Long}
			s.Rules = append(s.Rules, SynonymRule{From: forms, To: forms})
		}
	}
	return s
}

// Expansion is one alternative of a query: the form found in it, the form
// it is searched as, and the alternative query.
type Expansion struct {
	Form  string `json:"form"`
	As    string `json:"as"`
	Query string `json:"query"`
	// tokens is how many tokens the form has.
	tokens int
}

// expand returns the alternatives of a parsed query, at most
// MaxAlternatives: for each run of words holding a form, the run with the
// form replaced by each of the forms it expands to — without its
// diacritics unless the query carries some (marked).
func (t *synonymTable) expand(q Query, marked bool) []Expansion {
	var out []Expansion
	seen := map[string]bool{}
	for ri, run := range q.Runs {
		toks := analyzer.Syllables(run)
		keys := make([]string, len(toks))
		for i, s := range toks {
			keys[i] = s.Folded
		}
		// Forms found, on word boundaries; a form inside a longer one
		// found ("HCM" in "TP HCM") is left to it.
		type match struct {
			start, end int
			e          *synonymEntry
		}
		var found []match
		for k := range t.rules {
			e := &t.rules[k]
			for i := 0; i+len(e.from) <= len(keys); i++ {
				if !slices.Equal(keys[i:i+len(e.from)], e.from) {
					continue
				}
				start, end := toks[i].Start, toks[i+len(e.from)-1].End
				if start > 0 && run[start-1] != ' ' || end < len(run) && run[end] != ' ' {
					continue
				}
				found = append(found, match{start, end, e})
			}
		}
		for _, m := range found {
			inside := false
			for _, o := range found {
				if o.start <= m.start && m.end <= o.end && o.end-o.start > m.end-m.start {
					inside = true
				}
			}
			if inside {
				continue
			}
			for _, to := range m.e.to {
				alt := q
				alt.Runs = append([]string(nil), q.Runs[:ri]...)
				for _, r := range []string{run[:m.start], run[m.end:]} {
					if r = strings.TrimSpace(r); r != "" {
						alt.Runs = append(alt.Runs, r)
					}
				}
				alt.Runs = append(alt.Runs, q.Runs[ri+1:]...)
				as := to
				if !marked {
					as = analyzer.Fold(to) // typed without diacritics: searched so
				}
				alt.Phrases = append(append([]string(nil), q.Phrases...), as)
				s := alt.String()
				if seen[s] || len(out) == MaxAlternatives {
					continue
				}
				seen[s] = true
				out = append(out, Expansion{Form: run[m.start:m.end], As: to, Query: s, tokens: len(m.e.from)})
			}
		}
	}
	return out
}

// String writes the query back in the query language.
func (q Query) String() string {
	var parts []string
	parts = append(parts, q.Runs...)
	for _, p := range q.Phrases {
		parts = append(parts, `"`+p+`"`)
	}
	for _, w := range q.ExcludeWords {
		parts = append(parts, "-"+w)
	}
	for _, p := range q.ExcludePhrases {
		parts = append(parts, `-"`+p+`"`)
	}
	s := strings.Join(parts, " ")
	if q.Asked && !strings.HasSuffix(s, "?") {
		s += "?"
	}
	return s
}

// synonymState is what an index knows of synonyms: the user's, and what
// Compact mined, read when the index opens.
type synonymState struct {
	mu    sync.Mutex
	user  *Synonyms
	mined []Abbreviation
	table *synonymTable
}

func (s *synonymState) current() *synonymTable {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.table == nil {
		s.table = newSynonymTable(BuiltinSynonyms(), s.user, MinedSynonyms(s.mined))
	}
	return s.table
}

func (s *synonymState) setMined(m []Abbreviation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mined, s.table = m, nil
}

// loadMined reads what the last Compact mined.
func (ix *Index) loadMined() error {
	raw, err := ix.Meta(minedKey)
	if err != nil || raw == nil {
		return err
	}
	var m []Abbreviation
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("index: mined synonyms: %w", err)
	}
	ix.synonyms.setMined(m)
	return nil
}

// MineAbbreviations reads every article and returns the abbreviations
// they define inline ("Ủy ban nhân dân (UBND)"), with how many articles
// define each, most defined first.
func (ix *Index) MineAbbreviations(ctx context.Context) ([]Abbreviation, error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer snap.close()
	// Reading the articles is most of the work: it is done on every core,
	// each worker counting its own, and the counts summed.
	type docRef struct {
		seg int
		doc uint64
	}
	refs := make(chan docRef, 256)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(refs)
		for seg, sv := range snap.segs {
			it := sv.live().Iterator()
			for it.HasNext() {
				select {
				case refs <- docRef{seg, uint64(it.Next())}:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
		}
		return nil
	})
	tallies := make([]*mineTally, maxParallel())
	for w := range tallies {
		tallies[w] = newMineTally()
		g.Go(func() error {
			for r := range refs {
				if err := gctx.Err(); err != nil {
					return err // the reader stops too
				}
				a, err := snap.article(r.seg, r.doc)
				if err != nil {
					return err
				}
				tallies[w].add(append([]string{a.Title, a.Summary}, a.Paragraphs...)...)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err // canceled after the last article was handed out: the counts are partial
	}
	m := tallies[0]
	for _, t := range tallies[1:] {
		m.merge(t)
	}
	return m.list(1), nil
}

// remine mines the articles and keeps the result for searches.
func (ix *Index) remine(ctx context.Context) error {
	m, err := ix.MineAbbreviations(ctx)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	if err := ix.SetMeta(minedKey, raw); err != nil {
		return err
	}
	ix.synonyms.setMined(m)
	return nil
}

// Expansions returns the alternatives a search for query runs (see
// expand.go), with the index's synonyms.
func (ix *Index) Expansions(query string) ([]Expansion, error) {
	return expandWith(ix.synonyms.current(), query, ix.params)
}

// ExpandQuery returns the alternatives a search for query would run with
// the built-in synonyms and those given, for when no index is at hand.
func ExpandQuery(query string, lists ...*Synonyms) ([]Expansion, error) {
	return expandWith(newSynonymTable(append([]*Synonyms{BuiltinSynonyms()}, lists...)...), query, DefaultParams())
}

func expandWith(t *synonymTable, query string, p Params) ([]Expansion, error) {
	parsed, err := ParseQuery(query)
	if err != nil {
		return nil, err
	}
	q, err := analyze(parsed, p)
	if err != nil {
		return nil, err
	}
	return expansions(t, parsed, q, p), nil
}

// UserSynonyms returns the synonyms the index was opened with
// (Options.Synonyms).
func (ix *Index) UserSynonyms() *Synonyms { return ix.synonyms.user }

// Mined returns the abbreviations mined at the last Compact; search uses
// those at least MinedMinArticles articles define.
func (ix *Index) Mined() []Abbreviation {
	ix.synonyms.mu.Lock()
	defer ix.synonyms.mu.Unlock()
	return slices.Clone(ix.synonyms.mined)
}

// expansions returns the alternatives of a query that is a keyword query
// once each form found in it counts as one word ("Ban quản lý dự án"
// stands for "BQLDA").
func expansions(t *synonymTable, parsed Query, q *analyzedQuery, p Params) []Expansion {
	if len(q.syllables) == 0 {
		return nil
	}
	out := []Expansion{}
	for _, e := range t.expand(parsed, len(q.marked) > 0) {
		if len(q.syllables)-e.tokens+1 <= p.KeywordSyllables {
			out = append(out, e)
		}
	}
	return out
}

// alternative is an alternative query, analyzed, and the parameters it is
// ranked with.
type alternative struct {
	q *analyzedQuery
	p Params
}

// rankedLists is what the lists of a search (see lists) found on one
// snapshot.
type rankedLists struct {
	found      [][]candidate // each list's best, in its order, with evidence
	total      uint64        // documents any list matches
	lowerBound bool
	facets     map[string][]FacetCount
}

// rankLists ranks each list of a search on one snapshot, its best window
// candidates, and counts their matches together.
func (ix *Index) rankLists(snap *snapshot, r *Request, all []alternative, window int) (*rankedLists, error) {
	sub := *r
	sub.From, sub.Size = 0, window
	out := &rankedLists{found: make([][]candidate, len(all))}
	if len(all) == 1 {
		found, first, _, err := ix.rank(snap, all[0].q, all[0].p, &sub, false)
		if err != nil {
			return nil, err
		}
		out.found[0], out.total, out.lowerBound, out.facets = found, first.total, first.lowerBound, first.facets
		return out, nil
	}
	sub.Facets = nil
	union := make([]*roaring.Bitmap, len(snap.segs))
	for k, a := range all {
		req := sub
		if k > 0 {
			// An alternative's form is a quoted phrase: counting its
			// matches checks positions, a hundred times fewer.
			req.countBound = AlternativeCounted
			req.RescoreCut = nil
			if k-1 < len(r.AlternativeCuts) {
				req.RescoreCut = r.AlternativeCuts[k-1]
			}
		}
		found, first, matches, err := ix.rank(snap, a.q, a.p, &req, true)
		if err != nil {
			return nil, err
		}
		out.found[k] = found
		out.lowerBound = out.lowerBound || first.lowerBound
		for i, m := range matches {
			switch {
			case m == nil:
			case union[i] == nil:
				union[i] = m.Clone()
			default:
				union[i].Or(m)
			}
		}
	}
	for _, m := range union {
		if m != nil {
			out.total += m.GetCardinality()
		}
	}
	if len(r.Facets) > 0 {
		rk := &ranker{snap: snap, matches: union}
		var err error
		if out.facets, err = rk.facets(r.Facets, r.AllFacetValues); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// listItem places the at-th result of one list in the merged order of a
// search's lists, by its key.
type listItem struct {
	list, at int
	key      float64
}

// mergeLists orders the results of a search's lists, given each list's
// scores in its order: scores of queries of other lengths do not compare,
// so an alternative's are scaled to put its best at weight times the
// typed query's best; each list keeps its order (its keys never rise);
// best first, the query as typed first on ties. A result found by several
// lists is there once for each: the caller keeps the first.
func mergeLists(scores [][]float64, weight float64) []listItem {
	var items []listItem
	top := 0.0 // the typed query's best score
	for k, list := range scores {
		if len(list) == 0 {
			continue
		}
		scale := 1.0
		if k == 0 {
			top = list[0]
		} else if list[0] > 0 {
			scale = weight
			if top > 0 {
				scale *= top / list[0]
			}
		}
		key := math.Inf(1)
		for i, s := range list {
			key = math.Min(key, s)
			items = append(items, listItem{k, i, key * scale})
		}
	}
	slices.SortStableFunc(items, func(a, b listItem) int { return cmp.Compare(b.key, a.key) })
	return items
}

// MergeLists merges the hits of a search's lists, each in its order with
// its own scores (see Index.SearchLists), into the order one index gives:
// each hit once, where it ranks best, its Score the key it merged by. One
// list is returned as it is.
func MergeLists(lists [][]Hit, p Params) []Hit {
	if len(lists) == 1 {
		return lists[0]
	}
	scores := make([][]float64, len(lists))
	for k, list := range lists {
		for _, h := range list {
			scores[k] = append(scores[k], h.Score)
		}
	}
	seen := map[string]bool{}
	var out []Hit
	for _, it := range mergeLists(scores, p.SynonymWeight) {
		h := lists[it.list][it.at]
		if !seen[h.ID] {
			seen[h.ID] = true
			h.Score = it.key
			out = append(out, h)
		}
	}
	return out
}

// searchExpanded searches a query's lists (see lists) on one snapshot and
// merges them.
func (ix *Index) searchExpanded(snap *snapshot, r *Request, all []alternative) (*Result, error) {
	rl, err := ix.rankLists(snap, r, all, r.From+r.Size)
	if err != nil {
		return nil, err
	}
	out := &Result{Query: r.Query, Total: rl.total, TotalIsLowerBound: rl.lowerBound, Facets: rl.facets}
	scores := make([][]float64, len(all))
	for k, found := range rl.found {
		for _, c := range found {
			scores[k] = append(scores[k], c.score)
		}
	}
	seen := map[uint64]bool{}
	var merged []listItem
	for _, it := range mergeLists(scores, all[0].p.SynonymWeight) {
		if c := rl.found[it.list][it.at]; !seen[c.key] {
			seen[c.key] = true
			merged = append(merged, it)
		}
	}
	page := merged[min(r.From, len(merged)):min(r.From+r.Size, len(merged))]
	out.Hits = make([]Hit, len(page))
	for k := range all {
		var cands []candidate
		var at []int
		for i, it := range page {
			if it.list == k {
				c := rl.found[k][it.at]
				c.score = it.key
				cands = append(cands, c)
				at = append(at, i)
			}
		}
		if len(cands) == 0 {
			continue
		}
		hits := make([]Hit, len(cands))
		if err := snap.hits(all[k].q, cands, hits); err != nil {
			return nil, err
		}
		for n, i := range at {
			out.Hits[i] = hits[n]
		}
	}
	return out, nil
}
