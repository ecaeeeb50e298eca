package index

import (
	"cmp"
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"strings"

	"github.com/vnsearch/vnsearch/corpus"
)

// Paragraph numbers of the units that are not paragraphs. A Hit's
// Paragraph is one of these or an index into the article's Paragraphs.
const (
	ParagraphTitle   = -2
	ParagraphSummary = -1
)

// unit is one stretch of an article's text indexed on its own positions:
// the title, the summary, or a passage of a paragraph. Paragraphs longer
// than corpus.MaxPassage characters are cut into passages of whole
// sentences for ranking and snippets; the cut is invisible outside the
// index: results name the paragraph, and snippets stay within it.
type unit struct {
	para       int // ParagraphTitle, ParagraphSummary or a paragraph's index
	start, end int // bytes of the paragraph (or title, summary) the unit spans
	pos        int // position of the unit's first token in the body field
	tokens     int // tokens the unit holds
}

// layout is what the index stores of an article besides the article: its
// units, its publication time for ordering within a day, and its forward
// index: for each distinct folded token, the positions where it stands —
// a small inverted index of the one document, searched without decoding
// the entries it passes over.
type layout struct {
	units     []unit
	published int64 // Unix seconds; 0 when unknown
	// terms and positions, when built; a decoded layout keeps entries,
	// the encoded form, instead.
	terms     []string
	positions [][]int
	entries   []byte
	// sections are, per first byte of the terms, where their entries
	// start in entries: pairs of the byte and a uvarint offset from the
	// section before.
	sections []byte
}

// occurrences returns, for each of terms (distinct folded terms), the
// positions where it stands, in order.
func (l *layout) occurrences(terms []string) [][]int {
	out := make([][]int, len(terms))
	if l.entries == nil {
		for i, t := range terms {
			if id := slices.Index(l.terms, t); id >= 0 {
				out[i] = l.positions[id]
			}
		}
		return out
	}
	for i, t := range terms {
		if list, ok := l.lookup(t); ok {
			out[i] = decodePositions(list)
		}
	}
	return out
}

// lookup returns the encoded positions of term: its section (the terms
// of its first byte) is read in order until the term or a later one.
func (l *layout) lookup(t string) ([]byte, bool) {
	if t == "" {
		return nil, false
	}
	start, end := -1, len(l.entries)
	s, off := l.sections, 0
	for len(s) > 0 {
		first := s[0]
		delta, k := binary.Uvarint(s[1:])
		if k <= 0 || delta > uint64(len(l.entries)-off) {
			return nil, false
		}
		off += int(delta)
		s = s[1+k:]
		if start >= 0 {
			end = off
			break
		}
		if first == t[0] {
			start = off
		}
	}
	if start < 0 {
		return nil, false
	}
	b := l.entries[start:end]
	var term []byte // the entry's term, built from the one before
	for len(b) > 0 {
		var shared, suffix uint64
		k := 1
		if h := b[0]; h != termEscape {
			shared, suffix = uint64(h>>4), uint64(h&0x0f)
		} else if shared, suffix, k = readTermHeader(b); k == 0 {
			return nil, false
		}
		if shared > uint64(len(term)) || suffix > uint64(len(b)-k) {
			return nil, false
		}
		term = append(term[:shared], b[k:k+int(suffix)]...)
		b = b[k+int(suffix):]
		size, k := fastUvarint(b)
		if k <= 0 || size > uint64(len(b)-k) {
			return nil, false
		}
		if c := compareTerm(term, t); c >= 0 {
			return b[k : k+int(size)], c == 0
		}
		b = b[k+int(size):]
	}
	return nil, false
}

// compareTerm is strings.Compare(string(b), s) without making the string.
func compareTerm(b []byte, s string) int {
	for i := range min(len(b), len(s)) {
		if b[i] != s[i] {
			if b[i] < s[i] {
				return -1
			}
			return 1
		}
	}
	return cmp.Compare(len(b), len(s))
}

// decodePositions reads a list of positions written as deltas.
func decodePositions(b []byte) []int {
	out := make([]int, 0, len(b))
	pos := 0
	for len(b) > 0 {
		d, k := binary.Uvarint(b)
		if k <= 0 {
			break
		}
		pos += int(d)
		out = append(out, pos)
		b = b[k:]
	}
	return out
}

// splitUnits lays out an article's units: the title, the summary, then
// each paragraph's passages. Their positions are filled by the analysis.
func splitUnits(a *corpus.Article) []unit {
	units := make([]unit, 0, 2+len(a.Paragraphs))
	units = append(units,
		unit{para: ParagraphTitle, end: len(a.Title)},
		unit{para: ParagraphSummary, end: len(a.Summary)})
	for p, text := range a.Paragraphs {
		if len(text) <= corpus.MaxPassage {
			units = append(units, unit{para: p, end: len(text)})
			continue
		}
		passages := corpus.SplitPassages(text)
		if len(passages) <= 1 {
			units = append(units, unit{para: p, end: len(text)})
			continue
		}
		// Passages are substrings of text, in order.
		off := 0
		for _, ps := range passages {
			at := off + strings.Index(text[off:], ps)
			units = append(units, unit{para: p, start: at, end: at + len(ps)})
			off = at + len(ps)
		}
	}
	return units
}

// unitText returns the text a unit spans.
func unitText(a *corpus.Article, u *unit) string {
	var s string
	switch u.para {
	case ParagraphTitle:
		s = a.Title
	case ParagraphSummary:
		s = a.Summary
	default:
		if u.para < 0 || u.para >= len(a.Paragraphs) {
			return ""
		}
		s = a.Paragraphs[u.para]
	}
	if u.start < 0 || u.end > len(s) || u.start > u.end {
		return ""
	}
	return s[u.start:u.end]
}

// unitAt returns the index of the unit holding position pos, or -1.
func (l *layout) unitAt(pos int) int {
	i := sort.Search(len(l.units), func(i int) bool { return l.units[i].pos+l.units[i].tokens > pos })
	if i == len(l.units) || pos < l.units[i].pos {
		return -1
	}
	return i
}

func (l *layout) encode() []byte {
	b := binary.AppendUvarint(nil, uint64(len(l.units)))
	b = binary.AppendVarint(b, l.published)
	for _, u := range l.units {
		b = binary.AppendVarint(b, int64(u.para))
		b = binary.AppendUvarint(b, uint64(u.start))
		b = binary.AppendUvarint(b, uint64(u.end-u.start))
		b = binary.AppendUvarint(b, uint64(u.tokens))
	}
	// The forward index in term order, each term front-coded against
	// the one before: folded syllables share their starts ("ban", "bang",
	// "banh"), so that a term usually costs its header byte and a letter
	// or two (a fifth of the stored layout on generated news).
	order := make([]int, len(l.terms))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(x, y int) int { return strings.Compare(l.terms[x], l.terms[y]) })
	prev := ""
	var list, entries, sections []byte
	last := 0 // where the last section starts
	for _, i := range order {
		t := l.terms[i]
		if len(t) > 0 && (prev == "" || t[0] != prev[0]) {
			// A section of its own for each first byte: its first term
			// shares nothing with the one before, so a lookup starts there.
			sections = append(sections, t[0])
			sections = binary.AppendUvarint(sections, uint64(len(entries)-last))
			last = len(entries)
		}
		shared := 0
		for shared < len(t) && shared < len(prev) && t[shared] == prev[shared] {
			shared++
		}
		entries = appendTermHeader(entries, shared, len(t)-shared)
		entries = append(entries, t[shared:]...)
		prev = t
		list = list[:0]
		at := 0
		for _, p := range l.positions[i] {
			list = binary.AppendUvarint(list, uint64(p-at))
			at = p
		}
		entries = binary.AppendUvarint(entries, uint64(len(list)))
		entries = append(entries, list...)
	}
	b = binary.AppendUvarint(b, uint64(len(sections)))
	b = append(b, sections...)
	return append(b, entries...)
}

// A term's header is one byte, shared<<4 | suffix, when both are below 16
// and not both 15; else termEscape, then each as a uvarint.
const termEscape = 0xff

func appendTermHeader(b []byte, shared, suffix int) []byte {
	if shared < 16 && suffix < 16 && (shared<<4|suffix) != termEscape {
		return append(b, byte(shared<<4|suffix))
	}
	b = append(b, termEscape)
	b = binary.AppendUvarint(b, uint64(shared))
	return binary.AppendUvarint(b, uint64(suffix))
}

// readTermHeader reads a term's header; n is 0 when it is damaged.
func readTermHeader(b []byte) (shared, suffix uint64, n int) {
	if len(b) == 0 {
		return 0, 0, 0
	}
	if b[0] != termEscape {
		return uint64(b[0] >> 4), uint64(b[0] & 0x0f), 1
	}
	shared, k1 := binary.Uvarint(b[1:])
	if k1 <= 0 {
		return 0, 0, 0
	}
	suffix, k2 := binary.Uvarint(b[1+k1:])
	if k2 <= 0 {
		return 0, 0, 0
	}
	return shared, suffix, 1 + k1 + k2
}

var errLayout = errors.New("damaged layout")

func decodeLayout(b []byte) (layout, error) {
	var l layout
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	nextSigned := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	count, ok := next()
	if !ok || count > uint64(len(b)) {
		return l, errLayout
	}
	if l.published, ok = nextSigned(); !ok {
		return l, errLayout
	}
	l.units = make([]unit, count)
	pos, total := 1, 0
	for i := range l.units {
		para, ok1 := nextSigned()
		start, ok2 := next()
		size, ok3 := next()
		tokens, ok4 := next()
		if !ok1 || !ok2 || !ok3 || !ok4 {
			return l, errLayout
		}
		l.units[i] = unit{para: int(para), start: int(start), end: int(start + size), pos: pos, tokens: int(tokens)}
		pos += int(tokens) + 1
		total += int(tokens)
	}
	if total > 0 && len(b) == 0 {
		return l, errLayout
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return l, errLayout
	}
	l.sections, l.entries = b[k:k+int(n)], b[k+int(n):]
	return l, nil
}
