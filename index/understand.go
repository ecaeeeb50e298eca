package index

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/internal/mix"
)

// Before a search by relevance matches anything, it decides what its
// query is understood as (an Understanding): the form it ranks — its
// plain syllables restored where the lexicon is sure enough (restore.go) —
// and the alternative queries its synonyms give (expand.go). One index
// decides from its own lexicon and synonyms. A cluster whose articles are
// split over shards decides once, on the node that was asked, from what
// every shard holds (Understander): the lexicon counts of the query's
// syllables (LexiconPart), added up, and the abbreviations each mined;
// it hands the decision to its shards in Request.Understood, so that each
// ranks what one index holding every article would.

// Understanding is what a search makes of its query.
type Understanding struct {
	// Restored are the query's runs of words as ranked, restored; none
	// when the query ranks as typed.
	Restored []string `json:"restored,omitempty"`
	// Alternatives are the queries its synonyms give (Expansion.Query).
	Alternatives []string `json:"alternatives,omitempty"`
}

// understood returns what r's query is understood as: what the request
// carries, decided by a cluster; or, for a search by relevance on this
// index alone, what its lexicon and synonyms make of it; nothing for the
// searches of a cluster's shards that carry none, those asked as typed,
// and those by date.
func (ix *Index) understood(r *Request, q *analyzedQuery, p Params) Understanding {
	if r.Understood != nil {
		return *r.Understood
	}
	if r.Sort != ByRelevance || r.Stats != nil || r.RescoreCut != nil || r.AsTyped {
		return Understanding{}
	}
	var restore func(string) Restoration
	if ix.lex != nil {
		restore = ix.lex.restore
	}
	return understand(r.Query, q, p, restore, ix.synonyms.current())
}

// understand decides what query, analyzed as q, is understood as, by a
// restorer (none: no restoration) and a table of synonyms.
func understand(query string, q *analyzedQuery, p Params, restore func(string) Restoration, t *synonymTable) Understanding {
	parsed, err := ParseQuery(query)
	if err != nil {
		return Understanding{}
	}
	var u Understanding
	if restore != nil {
		need := p.RestoreConfidence
		if q.verbose {
			need = p.RestoreConfidenceVerbose
		}
		u.Restored = restoredRuns(parsed, restore, need)
	}
	for _, e := range expansions(t, parsed, q, p) {
		u.Alternatives = append(u.Alternatives, e.Query)
	}
	return u
}

// lists returns what a search ranks, each analyzed with the parameters it
// ranks with: first the query (q as typed, restored when it is), then its
// alternatives.
func (ix *Index) lists(r *Request, q *analyzedQuery, p Params) []alternative {
	u := ix.understood(r, q, p)
	out := []alternative{{q, p}}
	if u.Restored != nil {
		parsed, err := ParseQuery(r.Query)
		if err == nil && len(parsed.Runs) == len(u.Restored) {
			parsed.Runs = u.Restored
			if rq, err := analyze(parsed, p); err == nil {
				out[0].q = rq
			}
		}
	}
	pa := alternativeParams(p)
	for _, alt := range u.Alternatives[:min(len(u.Alternatives), MaxAlternatives)] {
		parsed, err := ParseQuery(alt)
		if err != nil {
			continue
		}
		if aq, err := analyze(parsed, pa); err == nil {
			out = append(out, alternative{q: aq, p: pa})
		}
	}
	return out
}

// alternativeParams returns the parameters an alternative query ranks
// with, given the typed query's.
func alternativeParams(p Params) Params {
	// The alternative stands for the keyword query typed, however many
	// syllables its form has.
	p.KeywordSyllables = p.MaxSyllables
	// Its phrase is checked on the positions of each candidate: it
	// reorders fewer candidates (the same for every page, so that pages
	// agree).
	p.RescoreDepth = min(p.RescoreDepth, AlternativeRescore)
	return p
}

// LexiconPart is what one shard's lexicon counts of a query: every written
// form of each of its syllables, the pairs of forms of adjacent syllables,
// and a sketch of the forms counted after each form that may precede
// another (FollowerSketch). Parts of every shard, added up, restore the
// query as one lexicon of every article would.
type LexiconPart struct {
	Total int64 `json:"total"`
	// SeenAll and CapsAll count the syllables whose case tells
	// something, and the capitalized ones (see caseOf).
	SeenAll   int64            `json:"seen_all"`
	CapsAll   int64            `json:"caps_all"`
	Forms     []FormCount      `json:"forms,omitempty"`
	Pairs     []PairCount      `json:"pairs,omitempty"`
	Followers []FollowerSketch `json:"followers,omitempty"`
}

// FormCount is how often a written form is counted.
type FormCount struct {
	Form   string `json:"form"`
	Folded string `json:"folded"`
	Count  int64  `json:"count"`
	Seen   int64  `json:"seen,omitempty"` // where its case tells something
	Caps   int64  `json:"caps,omitempty"` // capitalized there
}

// PairCount is how often form B is counted right after form A.
type PairCount struct {
	A     string `json:"a"`
	B     string `json:"b"`
	Count int64  `json:"count"`
}

// FollowerSketch describes the forms counted after Form: how many (N),
// and the smallest followerSketch of their hashes (all of them when N is
// no more), 8 bytes each, little-endian, ascending. The union of the
// sketches of several shards tells how many forms follow Form in all of
// them: exactly while there are at most followerSketch, and within about
// 1/√followerSketch (6%) past that. A long query's part keeps fewer
// (followerBudget), and is less exact.
type FollowerSketch struct {
	Form   string `json:"form"`
	N      int    `json:"n"`
	Hashes []byte `json:"hashes"`
}

func newFollowerSketch(form string, n int, hashes []uint64) FollowerSketch {
	b := make([]byte, 8*len(hashes))
	for i, h := range hashes {
		binary.LittleEndian.PutUint64(b[8*i:], h)
	}
	return FollowerSketch{Form: form, N: n, Hashes: b}
}

// hashes returns the sketch's hashes.
func (fs FollowerSketch) hashes() []uint64 {
	out := make([]uint64, len(fs.Hashes)/8)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(fs.Hashes[8*i:])
	}
	return out
}

// followerSketch is how many hashes a FollowerSketch keeps.
const followerSketch = 256

// followerBudget bounds the hashes of a LexiconPart, so that its answer
// stays well under what NATS carries (a MiB by default) however long the
// query: 32,768 hashes are 256 KiB, 350 KB in JSON.
const followerBudget = 1 << 15

// sketchedForms bounds the forms of a plain syllable whose followers a
// shard sketches: its commonest, past the restoreCandidates that restore
// tries in the collection.
const sketchedForms = 2 * restoreCandidates

// formHash hashes a form uniformly over 64 bits: FNV-1a, whose high bits
// change little between short forms, mixed by splitmix64's finalizer.
func formHash(form string) uint64 {
	x := mix.FNV1a(form)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

// LexiconPart returns what the index's lexicon counts of query (see
// LexiconPart); an empty part without a lexicon.
func (ix *Index) LexiconPart(query string) LexiconPart {
	if ix.lex == nil {
		return LexiconPart{}
	}
	texts := []string{query}
	if parsed, err := ParseQuery(query); err == nil {
		texts = append(texts, parsed.Runs...)
	}
	return ix.lex.part(texts)
}

func (l *lexicon) part(texts []string) LexiconPart {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := LexiconPart{Total: l.total, SeenAll: l.seenAll, CapsAll: l.capsAll}
	forms := map[uint32]bool{}
	pairs := map[uint64]bool{}
	sketched := map[uint32]bool{}
	budget := followerBudget
	addForm := func(id uint32) {
		if !forms[id] {
			forms[id] = true
			out.Forms = append(out.Forms, FormCount{Form: l.forms[id], Folded: l.folded[id], Count: l.uni[id],
				Seen: l.caseSeen[id], Caps: l.caps[id]})
		}
	}
	addPair := func(a, b uint32) {
		if k := pairKey(a, b); !pairs[k] {
			pairs[k] = true
			if c := l.pair(a, b); c > 0 {
				out.Pairs = append(out.Pairs, PairCount{A: l.forms[a], B: l.forms[b], Count: c})
			}
		}
	}
	addSketch := func(id uint32) {
		if !sketched[id] {
			sketched[id] = true
			fs := l.sketch(id, min(followerSketch, budget))
			budget -= len(fs.Hashes) / 8
			out.Followers = append(out.Followers, fs)
		}
	}
	// The boundary that starts and ends runs (see restore.go).
	b, bounded := l.ids[boundary]
	if bounded {
		addForm(b)
		addSketch(b)
	}
	for _, text := range texts {
		var prev []uint32
		for _, s := range analyzer.Syllables(text) {
			if s.Whole {
				continue
			}
			var cur []uint32
			for _, id := range l.byFold[s.Folded] {
				if l.uni[id] > 0 {
					cur = append(cur, id)
				}
			}
			for _, id := range cur {
				addForm(id)
				for _, a := range prev {
					addPair(a, id)
				}
				if bounded {
					addPair(b, id)
					addPair(id, b)
				}
			}
			// The forms restore may try: the typed one, or the
			// commonest of a plain one; what follows them is sketched.
			slices.SortFunc(cur, func(a, b uint32) int { return cmp.Or(cmp.Compare(l.uni[b], l.uni[a]), cmp.Compare(a, b)) })
			if s.Exact != s.Folded {
				cur = nil
				if id, ok := l.ids[s.Exact]; ok && l.uni[id] > 0 {
					cur = []uint32{id}
				}
			}
			prev = cur[:min(len(cur), sketchedForms)]
			for _, id := range prev {
				addSketch(id)
			}
		}
	}
	return out
}

// sketch returns the sketch of the forms counted after form a (those of
// the merged pair counts, as followers counts them), at most k hashes.
// The caller holds mu.
func (l *lexicon) sketch(a uint32, k int) FollowerSketch {
	next, _ := l.row(a)
	hashes := make([]uint64, 0, len(next))
	for _, b := range next {
		hashes = append(hashes, formHash(l.forms[b]))
	}
	slices.Sort(hashes)
	return newFollowerSketch(l.forms[a], len(next), hashes[:min(len(hashes), k)])
}

// mergedLexicon returns a lexicon of the parts added up: one that
// restores the texts the parts were taken of as the lexicon of every
// shard's articles would.
func mergedLexicon(parts []LexiconPart) *lexicon {
	l := newLexicon()
	l.fixedFollowers = map[uint32]int{}
	var forms []FormCount
	for _, p := range parts {
		l.total += p.Total
		l.seenAll += p.SeenAll
		l.capsAll += p.CapsAll
		forms = append(forms, p.Forms...)
	}
	// The same ids whatever order the shards answered in.
	slices.SortFunc(forms, func(a, b FormCount) int { return cmp.Compare(a.Form, b.Form) })
	for _, f := range forms {
		id := lexID(l, f.Form, f.Folded)
		l.uni[id] += f.Count
		l.caseSeen[id] += f.Seen
		l.caps[id] += f.Caps
	}
	for _, p := range parts {
		for _, pc := range p.Pairs {
			a, okA := l.ids[pc.A]
			b, okB := l.ids[pc.B]
			if okA && okB {
				l.delta[pairKey(a, b)] += pc.Count
			}
		}
	}
	sketches := map[uint32][]FollowerSketch{}
	for _, p := range parts {
		for _, fs := range p.Followers {
			if id, ok := l.ids[fs.Form]; ok {
				sketches[id] = append(sketches[id], fs)
			}
		}
	}
	for id, list := range sketches {
		l.fixedFollowers[id] = unionSize(list)
	}
	return l
}

// unionSize returns how many distinct forms the sketches describe.
func unionSize(list []FollowerSketch) int {
	complete := true
	k, most := followerSketch, 0 // the fewest hashes of a partial sketch; the largest N
	var all []uint64
	for _, fs := range list {
		h := fs.hashes()
		if fs.N > len(h) {
			complete = false
			k = min(k, len(h))
		}
		most = max(most, fs.N)
		all = append(all, h...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	if complete {
		return len(all)
	}
	if k < 2 {
		return most // too few hashes to tell: at least the largest
	}
	// k minimum values: the k-th smallest of n uniform hashes sits near
	// k/n of their range; every sketch holds its k smallest, so the
	// union's k smallest are among them.
	kth := float64(all[k-1]) / math.Exp2(64)
	return max(most, int(math.Round(float64(k-1)/kth)))
}

// mergeMined adds up the abbreviations several shards mined: each counted
// by the articles of all that define it, written as the shard that
// defines it most writes it.
func mergeMined(lists [][]Abbreviation) []Abbreviation {
	type acc struct {
		Abbreviation
		most int
	}
	byKey := map[string]*acc{}
	for _, list := range lists {
		for _, a := range list {
			key := foldedKey(a.Short) + "\x00" + foldedKey(a.Long)
			c := byKey[key]
			if c == nil {
				c = &acc{Abbreviation: a, most: a.Articles}
				byKey[key] = c
				continue
			}
			c.Articles += a.Articles
			if a.Articles > c.most || a.Articles == c.most && a.Short+a.Long < c.Short+c.Long {
				c.Short, c.Long, c.most = a.Short, a.Long, a.Articles
			}
		}
	}
	out := make([]Abbreviation, 0, len(byKey))
	for _, c := range byKey {
		out = append(out, c.Abbreviation)
	}
	slices.SortFunc(out, func(a, b Abbreviation) int {
		return cmp.Or(cmp.Compare(b.Articles, a.Articles), cmp.Compare(a.Short, b.Short), cmp.Compare(a.Long, b.Long))
	})
	return out
}

// Understander understands queries for a collection split over shards.
type Understander struct {
	table *synonymTable
}

// NewUnderstander returns an Understander with the user's synonyms (those
// every node is given) and the abbreviations each shard mined
// (Index.Mined), counted together.
func NewUnderstander(user *Synonyms, mined ...[]Abbreviation) *Understander {
	return &Understander{table: newSynonymTable(BuiltinSynonyms(), user, MinedSynonyms(mergeMined(mined)))}
}

// Expansions returns the alternatives a search for query runs in the
// collection (see Index.Expansions).
func (u *Understander) Expansions(query string) ([]Expansion, error) {
	return expandWith(u.table, query, DefaultParams())
}

// Understand returns what r's query is understood as, given the lexicon
// parts of every shard (Index.LexiconPart), and the restored query to
// offer the reader, if any — as one index holding every article would.
func (u *Understander) Understand(r Request, parts []LexiconPart) (Understanding, string, error) {
	p := DefaultParams()
	if r.Params != nil {
		p = *r.Params
	}
	q, err := r.analyze(p)
	if err != nil {
		return Understanding{}, "", err
	}
	lex := mergedLexicon(parts)
	didYouMean := ""
	if res := lex.restore(r.Query); res.Changed && res.Confidence >= SuggestMinConfidence {
		didYouMean = res.Text
	}
	if r.Sort != ByRelevance || r.AsTyped {
		return Understanding{}, didYouMean, nil
	}
	return understand(r.Query, q, p, lex.restore, u.table), didYouMean, nil
}
