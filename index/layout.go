package index

import (
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
// index: its distinct folded tokens, and the tokens in order as indexes
// into them, the token at position units[u].pos+k being tokens[start(u)+k].
type layout struct {
	units     []unit
	published int64    // Unix seconds; 0 when unknown
	terms     []string // when built; a decoded layout keeps dict instead
	dict      []byte   // the encoded terms, searched without decoding them
	nterms    int      // terms in dict
	tokens    []uint32
}

// occurrences returns, for each of terms (distinct folded terms), the
// positions where it stands, reading the document's tokens once.
func (l *layout) occurrences(terms []string) [][]int {
	out := make([][]int, len(terms))
	n := l.nterms
	if l.terms != nil {
		n = len(l.terms)
	}
	want := make([]int16, n)
	for i := range want {
		want[i] = -1
	}
	found := false
	for i, t := range terms {
		if id := l.termID(t); id >= 0 && id < n {
			want[id] = int16(i)
			found = true
		}
	}
	if !found {
		return out
	}
	k := 0
	for _, u := range l.units {
		for i, id := range l.tokens[k : k+u.tokens] {
			if q := want[id]; q >= 0 {
				out[q] = append(out[q], u.pos+i)
			}
		}
		k += u.tokens
	}
	return out
}

// termID returns the index of a folded term in the document's
// dictionary, or -1.
func (l *layout) termID(term string) int {
	if l.terms != nil {
		return slices.Index(l.terms, term)
	}
	b := l.dict
	for id := 0; len(b) > 0; id++ {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return -1
		}
		if int(n) == len(term) && string(b[k:k+int(n)]) == term {
			return id
		}
		b = b[k+int(n):]
	}
	return -1
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
	b = binary.AppendUvarint(b, uint64(len(l.terms)))
	for _, t := range l.terms {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	for _, id := range l.tokens {
		b = binary.AppendUvarint(b, uint64(id))
	}
	return b
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
	terms, ok := next()
	if !ok || terms > uint64(len(b)) || total > len(b) {
		return l, errLayout
	}
	dict := b
	for range terms {
		n, ok := next()
		if !ok || n > uint64(len(b)) {
			return l, errLayout
		}
		b = b[n:]
	}
	l.dict = dict[:len(dict)-len(b)]
	l.nterms = int(terms)
	l.tokens = make([]uint32, total)
	for i := range l.tokens {
		id, ok := next()
		if !ok || id >= terms {
			return l, errLayout
		}
		l.tokens[i] = uint32(id)
	}
	return l, nil
}
