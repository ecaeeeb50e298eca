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
	m := newMineTally()
	n := 0
	for seg, sv := range snap.segs {
		it := sv.live().Iterator()
		for it.HasNext() {
			if n%256 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			n++
			a, err := snap.article(seg, uint64(it.Next()))
			if err != nil {
				return nil, err
			}
			m.add(append([]string{a.Title, a.Summary}, a.Paragraphs...)...)
		}
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

// alternatives returns the alternative queries a request runs besides
// its query q: none but for a keyword query (see expansions) ranked by
// relevance on this index alone.
func (ix *Index) alternatives(r *Request, q *analyzedQuery, p Params) []alternative {
	if r.Sort != ByRelevance || r.Stats != nil || r.RescoreCut != nil || r.AsTyped {
		return nil
	}
	parsed, err := ParseQuery(r.Query)
	if err != nil {
		return nil
	}
	var out []alternative
	for _, e := range expansions(ix.synonyms.current(), parsed, q, p) {
		altParsed, err := ParseQuery(e.Query)
		if err != nil {
			continue
		}
		// The alternative stands for the keyword query typed, however
		// many syllables its form has.
		pa := p
		pa.KeywordSyllables = p.MaxSyllables
		// Its phrase is checked on the positions of each candidate: it
		// reorders fewer candidates (the same for every page, so that
		// pages agree).
		pa.RescoreDepth = min(p.RescoreDepth, AlternativeRescore)
		aq, err := analyze(altParsed, pa)
		if err != nil {
			continue
		}
		out = append(out, alternative{q: aq, p: pa})
	}
	return out
}

// searchExpanded searches q and its alternatives on one snapshot and
// merges them (see expand.go).
func (ix *Index) searchExpanded(snap *snapshot, r *Request, q *analyzedQuery, p Params, alts []alternative) (*Result, error) {
	window := r.From + r.Size
	sub := *r
	sub.From, sub.Size, sub.Facets = 0, window, nil
	all := append([]alternative{{q, p}}, alts...)
	union := make([]*roaring.Bitmap, len(snap.segs))
	out := &Result{Query: r.Query}
	type item struct {
		c    candidate
		list int
		key  float64
	}
	var items []item
	top := 0.0 // the typed query's best score
	for k, a := range all {
		req := &sub
		if k > 0 {
			// An alternative's form is a quoted phrase: counting its
			// matches checks positions, a hundred times fewer.
			alt := sub
			alt.countBound = AlternativeCounted
			req = &alt
		}
		found, first, matches, err := ix.rank(snap, a.q, a.p, req, true)
		if err != nil {
			return nil, err
		}
		out.TotalIsLowerBound = out.TotalIsLowerBound || first.lowerBound
		for i, m := range matches {
			switch {
			case m == nil:
			case union[i] == nil:
				union[i] = m.Clone()
			default:
				union[i].Or(m)
			}
		}
		// Scores of queries of other lengths do not compare: an
		// alternative's are scaled to put its best at SynonymWeight of
		// the typed query's best.
		scale := 1.0
		if k == 0 && len(found) > 0 {
			top = found[0].score
		}
		if k > 0 && len(found) > 0 && found[0].score > 0 {
			scale = p.SynonymWeight
			if top > 0 {
				scale *= top / found[0].score
			}
		}
		// Each list keeps its order: its keys never rise.
		key := math.Inf(1)
		for _, c := range found {
			key = math.Min(key, c.score)
			items = append(items, item{c, k, key * scale})
		}
	}
	for _, m := range union {
		if m != nil {
			out.Total += m.GetCardinality()
		}
	}
	if len(r.Facets) > 0 {
		rk := &ranker{snap: snap, matches: union}
		var err error
		if out.Facets, err = rk.facets(r.Facets, r.AllFacetValues); err != nil {
			return nil, err
		}
	}
	// Best first, the query as typed first on ties; an article found by
	// several where it ranks best.
	slices.SortStableFunc(items, func(a, b item) int { return cmp.Compare(b.key, a.key) })
	seen := map[uint64]bool{}
	merged := items[:0]
	for _, it := range items {
		if !seen[it.c.key] {
			seen[it.c.key] = true
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
				c := it.c
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
