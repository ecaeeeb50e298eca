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
// folded, so that every diacritic variant is highlighted.
type matcher struct {
	q      *analyzedQuery
	folded map[string]bool
}

func newMatcher(q *analyzedQuery) *matcher {
	m := &matcher{q: q, folded: map[string]bool{}}
	for _, t := range q.syllables {
		m.folded[t.folded] = true
	}
	return m
}

// span is a match: [start, end) bytes of the text.
type span struct{ start, end int }

// find returns where the query's syllables stand in text.
func (m *matcher) find(text string) []span {
	var spans []span
	for _, s := range analyzer.Syllables(text) {
		if m.folded[s.Folded] {
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

// snippet picks the paragraph of a that best matches and cuts a snippet
// from it. The evidence tells where the query's syllables stand, so only
// the chosen paragraph is analyzed, for its highlights. paragraph is -1
// when the summary serves instead: no paragraph matches but the summary
// does.
func (m *matcher) snippet(a *corpus.Article, ev *evidence) (paragraph int, text string, highlights [][2]int) {
	best := -1
	if v, ok := m.bestValue(ev, firstPara, uint64(firstPara+len(a.Paragraphs))); ok {
		best = int(v - firstPara)
	}
	source := ""
	switch _, inSummary := m.bestValue(ev, summaryValue, summaryValue+1); {
	case best >= 0:
		source = a.Paragraphs[best]
	case inSummary || len(a.Paragraphs) == 0:
		source = a.Summary
	default:
		best, source = 0, a.Paragraphs[0]
	}
	text, highlights = cut(source, m.find(source))
	return best, text, highlights
}

// bestValue returns the value of the body in [from, to) where the query
// matches best — most distinct syllables, then most adjacent pairs, then
// most occurrences; the first on ties — and whether any matches at all.
func (m *matcher) bestValue(ev *evidence, from, to uint64) (uint64, bool) {
	type tally struct{ distinct, pairs, count int }
	tallies := map[uint64]*tally{}
	for _, occ := range ev.at {
		seen := map[uint64]bool{}
		for _, o := range occ {
			if o.value < from || o.value >= to {
				continue
			}
			t := tallies[o.value]
			if t == nil {
				t = &tally{}
				tallies[o.value] = t
			}
			t.count++
			if !seen[o.value] {
				seen[o.value] = true
				t.distinct++
			}
		}
	}
	for _, pr := range m.q.pairs {
		for _, x := range ev.at[pr.first] {
			for _, y := range ev.at[pr.second] {
				if t := tallies[x.value]; t != nil && x.value == y.value && y.pos == x.pos+1 {
					t.pairs++
				}
			}
		}
	}
	best, found := uint64(0), false
	var top tally
	for v, t := range tallies {
		better := !found || t.distinct > top.distinct ||
			t.distinct == top.distinct && (t.pairs > top.pairs ||
				t.pairs == top.pairs && (t.count > top.count || t.count == top.count && v < best))
		if better {
			best, top, found = v, *t, true
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
