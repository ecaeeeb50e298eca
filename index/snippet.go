package index

import (
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// Snippet sizes, in characters.
const (
	snippetMax     = 220 // a snippet is cut to about this many characters
	snippetWhole   = 240 // a paragraph up to this long is shown whole
	snippetContext = 60  // characters kept before the first match
)

const ellipsis = "…"

// matcher finds a query's syllables in text as the index matched them:
// folded, so that every diacritic variant is highlighted — except that a
// plain syllable of a query that carries diacritics (see plain.go) stands
// out only where written plain, when the text holds it so.
type matcher struct {
	q      *analyzedQuery
	folded map[string]bool
	// plain are the folded forms of the query's plain syllables that no
	// marked syllable of the query shares.
	plain map[string]bool
}

func newMatcher(q *analyzedQuery) *matcher {
	m := &matcher{q: q, folded: map[string]bool{}, plain: map[string]bool{}}
	for _, t := range q.syllables {
		m.folded[t.folded] = true
	}
	for _, i := range q.plain {
		m.plain[q.syllables[i].folded] = true
	}
	for _, i := range q.marked {
		delete(m.plain, q.syllables[i].folded)
	}
	return m
}

// span is a match: [start, end) bytes of the text.
type span struct{ start, end int }

// heldPlain returns the folded forms of the plain syllables (m.plain)
// that texts hold written plain.
func (m *matcher) heldPlain(texts ...string) map[string]bool {
	held := map[string]bool{}
	if len(m.plain) == 0 {
		return held
	}
	for _, text := range texts {
		for _, s := range analyzer.Syllables(text) {
			if m.plain[s.Folded] && !isMarked(s.Exact) {
				held[s.Folded] = true
			}
		}
	}
	return held
}

// find returns where the query's syllables stand in text; those of held
// (see heldPlain) only where written plain.
func (m *matcher) find(text string, held map[string]bool) []span {
	var spans []span
	for _, s := range analyzer.Syllables(text) {
		if m.folded[s.Folded] && !(held[s.Folded] && isMarked(s.Exact)) {
			spans = append(spans, span{s.Start, s.End})
		}
	}
	return mergeSpans(spans)
}

// mergeSpans sorts spans and joins those that overlap or touch, as the
// whole and the parts of a compound do.
func mergeSpans(spans []span) []span {
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	out := spans[:0]
	for _, s := range spans {
		if n := len(out); n > 0 && s.start <= out[n-1].end {
			out[n-1].end = max(out[n-1].end, s.end)
			continue
		}
		out = append(out, s)
	}
	return out
}

// snippet picks the unit of a that best matches — within the paragraph
// that scored best as a passage, else any paragraph's, else the summary,
// else the first paragraph — and cuts a snippet from it. The evidence tells where the query's syllables stand, so only the
// chosen unit is analyzed, for its highlights. paragraph is the index of
// the unit's paragraph in a.Paragraphs, or ParagraphSummary.
func (m *matcher) snippet(a *corpus.Article, ev *evidence) (paragraph int, text string, highlights [][2]int) {
	units := ev.layout.units
	var best int
	var ok bool
	if p := ev.passage.para; p != ParagraphTitle {
		// The paragraph that scored best as a passage; its best unit.
		best, ok = m.bestUnit(ev, func(u unit) bool { return u.para == p })
	}
	if !ok {
		best, ok = m.bestUnit(ev, func(u unit) bool { return u.para >= 0 })
	}
	if !ok {
		if _, inSummary := m.bestUnit(ev, func(u unit) bool { return u.para == ParagraphSummary }); inSummary || len(a.Paragraphs) == 0 {
			best, ok = 1, true
		}
	}
	if !ok {
		best = slices.IndexFunc(units, func(u unit) bool { return u.para == 0 })
	}
	if best < 0 || best >= len(units) {
		return ParagraphSummary, "", [][2]int{}
	}
	u := &units[best]
	source := unitText(a, u)
	text, highlights = cut(source, matchedSpans(source, ev, best, m.plainOnly(a, ev)))
	return u.para, text, highlights
}

// matchedSpans returns where the query's syllables stand in the text of
// unit u, from the positions the evidence holds: the text is scanned for
// token boundaries only, not analyzed again — but for the syllables
// plainOnly marks, whose occurrences count only where written plain.
func matchedSpans(text string, ev *evidence, u int, plainOnly []bool) []span {
	type match struct{ ordinal, syllable int }
	var matches []match
	first := ev.layout.units[u].pos
	for i, occ := range ev.at {
		for _, o := range occ {
			if o.unit == u {
				matches = append(matches, match{o.pos - first, i})
			}
		}
	}
	if len(matches) == 0 {
		return nil
	}
	tokens := analyzer.Spans(text)
	spans := make([]span, 0, len(matches))
	for _, mt := range matches {
		k := mt.ordinal
		if k < 0 || k >= len(tokens) {
			continue
		}
		if mt.syllable < len(plainOnly) && plainOnly[mt.syllable] && !writtenPlain(text[tokens[k][0]:tokens[k][1]]) {
			continue
		}
		spans = append(spans, span{tokens[k][0], tokens[k][1]})
	}
	return mergeSpans(spans)
}

// plainOnly reports, per syllable of the query, whether only its plain
// occurrences count as it in article a: a plain syllable (m.plain) that
// the article holds written plain. Only the units holding the syllable
// are scanned, for token boundaries.
func (m *matcher) plainOnly(a *corpus.Article, ev *evidence) []bool {
	out := make([]bool, len(m.q.syllables))
	if len(m.plain) == 0 {
		return out
	}
	tokens := map[int][][2]int{}
	for _, i := range m.q.plain {
		if !m.plain[m.q.syllables[i].folded] {
			continue
		}
		for _, o := range ev.at[i] {
			if o.unit < 0 {
				continue
			}
			u := &ev.layout.units[o.unit]
			text := unitText(a, u)
			spans, ok := tokens[o.unit]
			if !ok {
				spans = analyzer.Spans(text)
				tokens[o.unit] = spans
			}
			if k := o.pos - u.pos; k >= 0 && k < len(spans) && writtenPlain(text[spans[k][0]:spans[k][1]]) {
				out[i] = true
				break
			}
		}
	}
	return out
}

// writtenPlain reports whether a token is written without diacritics.
func writtenPlain(token string) bool {
	if !isMarked(token) {
		return true
	}
	s := analyzer.Syllables(token)
	return len(s) > 0 && !isMarked(s[0].Exact)
}

// bestUnit returns the unit where the query matches best among those
// where is true — most distinct syllables, then most adjacent pairs, then
// most occurrences; the first on ties — and whether any matches at all.
func (m *matcher) bestUnit(ev *evidence, where func(unit) bool) (int, bool) {
	type tally struct{ distinct, pairs, count int }
	tallies := map[int]*tally{}
	for _, occ := range ev.at {
		seen := map[int]bool{}
		for _, o := range occ {
			if o.unit < 0 || !where(ev.layout.units[o.unit]) {
				continue
			}
			t := tallies[o.unit]
			if t == nil {
				t = &tally{}
				tallies[o.unit] = t
			}
			t.count++
			if !seen[o.unit] {
				seen[o.unit] = true
				t.distinct++
			}
		}
	}
	for _, pr := range m.q.pairs {
		for _, x := range ev.at[pr.first] {
			for _, y := range ev.at[pr.second] {
				if t := tallies[x.unit]; t != nil && y.pos == x.pos+1 {
					t.pairs++
				}
			}
		}
	}
	best, found := 0, false
	var top tally
	for u, t := range tallies {
		better := !found || t.distinct > top.distinct ||
			t.distinct == top.distinct && (t.pairs > top.pairs ||
				t.pairs == top.pairs && (t.count > top.count || t.count == top.count && u < best))
		if better {
			best, top, found = u, *t, true
		}
	}
	return best, found
}

// cut returns a window of text around the densest run of matches, cut on
// word boundaries, with the matches inside it as offsets into the window.
func cut(text string, spans []span) (string, [][2]int) {
	if utf8.RuneCountInString(text) <= snippetWhole {
		return text, offsets(spans, 0, len(text), 0)
	}
	// Try a window starting a little before each match; keep the one that
	// holds the most matches, the earliest on ties.
	bestStart, bestEnd, bestCount := 0, windowEnd(text, 0), -1
	starts := []int{0}
	for _, s := range spans {
		starts = append(starts, windowStart(text, s.start))
	}
	for _, start := range starts {
		end := windowEnd(text, start)
		count := 0
		for _, s := range spans {
			if s.start >= start && s.end <= end {
				count++
			}
		}
		if count > bestCount {
			bestStart, bestEnd, bestCount = start, end, count
		}
	}
	prefix, suffix := "", ""
	if bestStart > 0 {
		prefix = ellipsis
	}
	if bestEnd < len(text) {
		suffix = ellipsis
	}
	snippet := prefix + text[bestStart:bestEnd] + suffix
	return snippet, offsets(spans, bestStart, bestEnd, len(prefix)-bestStart)
}

// offsets returns the spans inside [start, end), shifted by shift.
func offsets(spans []span, start, end, shift int) [][2]int {
	out := [][2]int{}
	for _, s := range spans {
		if s.start >= start && s.end <= end {
			out = append(out, [2]int{s.start + shift, s.end + shift})
		}
	}
	return out
}

// windowStart returns where a window showing a match at byte at begins:
// snippetContext characters earlier, moved forward to the start of a word;
// the text's start when the match is near it.
func windowStart(text string, at int) int {
	start := at
	for n := 0; n < snippetContext && start > 0; n++ {
		_, size := utf8.DecodeLastRuneInString(text[:start])
		start -= size
	}
	if start == 0 {
		return 0
	}
	for i, r := range text[start:at] {
		if unicode.IsSpace(r) {
			return start + i + utf8.RuneLen(r)
		}
	}
	return start
}

// windowEnd returns where a window beginning at start ends: snippetMax
// characters on, moved back to the end of a word.
func windowEnd(text string, start int) int {
	end := start
	for n := 0; n < snippetMax && end < len(text); n++ {
		_, size := utf8.DecodeRuneInString(text[end:])
		end += size
	}
	if end == len(text) {
		return end
	}
	for i := end; i > start; {
		r, size := utf8.DecodeLastRuneInString(text[:i])
		if unicode.IsSpace(r) {
			return i - size
		}
		i -= size
	}
	return end // one word longer than the window: cut inside it
}
