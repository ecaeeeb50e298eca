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

// matcher finds a query's syllables in text, as the index matched them:
// folded, so that every diacritic variant is highlighted, with exact
// matches and adjacent pairs counting more.
type matcher struct {
	folded map[string]bool
	exact  map[string]bool    // only when the query has diacritics
	pairs  map[[2]string]bool // folded
}

func newMatcher(p *plan) *matcher {
	m := &matcher{
		folded: map[string]bool{},
		exact:  map[string]bool{},
		pairs:  map[[2]string]bool{},
	}
	for _, t := range p.syllables {
		m.folded[t.folded] = true
		if p.accented {
			m.exact[t.exact] = true
		}
	}
	for _, pr := range p.pairs {
		m.pairs[[2]string{pr.first.folded, pr.second.folded}] = true
	}
	return m
}

// span is a match: [start, end) bytes of the text.
type span struct{ start, end int }

// find returns how well text matches — distinct query syllables first,
// then exact forms and adjacent pairs, then sheer count — and where.
func (m *matcher) find(text string) (score float64, spans []span) {
	syl := analyzer.Syllables(text)
	folded := map[string]bool{}
	exact := map[string]bool{}
	pairs := map[[2]string]bool{}
	var prev *analyzer.Syllable
	for i := range syl {
		s := &syl[i]
		if m.folded[s.Folded] {
			folded[s.Folded] = true
			if m.exact[s.Exact] {
				exact[s.Exact] = true
			}
			spans = append(spans, span{s.Start, s.End})
		}
		if s.Whole {
			continue
		}
		if prev != nil && s.Joined {
			if pr := [2]string{prev.Folded, s.Folded}; m.pairs[pr] {
				pairs[pr] = true
			}
		}
		prev = s
	}
	score = 10*float64(len(folded)) + 3*float64(len(exact)) + 5*float64(len(pairs)) + 0.1*float64(len(spans))
	return score, mergeSpans(spans)
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
// from it. paragraph is -1 when the summary serves instead: no paragraph
// matches but the summary does.
func (m *matcher) snippet(a *corpus.Article) (paragraph int, text string, highlights [][2]int) {
	best, bestScore := -1, 0.0
	var bestSpans []span
	for i, p := range a.Paragraphs {
		if score, spans := m.find(p); score > bestScore {
			best, bestScore, bestSpans = i, score, spans
		}
	}
	source := ""
	switch {
	case best >= 0:
		source = a.Paragraphs[best]
	case a.Summary != "":
		source = a.Summary
		if _, spans := m.find(source); len(spans) > 0 || len(a.Paragraphs) == 0 {
			bestSpans = spans
			break
		}
		fallthrough
	case len(a.Paragraphs) > 0:
		best, source = 0, a.Paragraphs[0]
	}
	text, highlights = cut(source, bestSpans)
	return best, text, highlights
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
