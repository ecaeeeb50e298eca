package index

// Highlighter finds a query's syllables in any text as a search matches
// them: folded, so that every diacritic variant stands out, as in
// snippets — but a syllable typed plain in a query that carries
// diacritics ("Thanh" in "Quách Thanh Côn") only where written plain, when
// the text (or the article, see Within) holds it so. The article view uses
// it to mark the matches of a whole article.
type Highlighter struct {
	m    *matcher
	held map[string]bool // plain syllables the article holds plain; nil: look in each text
	alts []*Highlighter  // the alternative queries' (see Expansion)
}

// NewHighlighter analyzes a query as Search does; the matches of the
// alternative queries given (Expansion.Query: what a search for query
// also ran) stand out too. An empty query highlights nothing; a query
// Search would refuse is an error wrapping ErrBadQuery.
func NewHighlighter(query string, alternatives ...string) (*Highlighter, error) {
	parsed, err := ParseQuery(query)
	if err != nil {
		return nil, err
	}
	q, err := analyze(parsed, DefaultParams())
	if err != nil {
		return nil, err
	}
	h := &Highlighter{m: newMatcher(q)}
	for _, alt := range alternatives {
		a, err := NewHighlighter(alt)
		if err != nil {
			return nil, err
		}
		h.alts = append(h.alts, a)
	}
	return h, nil
}

// Within returns a highlighter for the texts of one article: a plain
// syllable any of them holds written plain stands out only where written
// so in each.
func (h *Highlighter) Within(texts ...string) *Highlighter {
	if h.m == nil {
		return h
	}
	out := &Highlighter{m: h.m, held: h.m.heldPlain(texts...)}
	for _, a := range h.alts {
		out.alts = append(out.alts, a.Within(texts...))
	}
	return out
}

// Highlights returns where the query's syllables stand in text, as
// [start, end) byte offsets in order, those touching joined.
func (h *Highlighter) Highlights(text string) [][2]int {
	if h.m == nil {
		return [][2]int{}
	}
	held := h.held
	if held == nil {
		held = h.m.heldPlain(text)
	}
	spans := h.m.find(text, held)
	for _, a := range h.alts {
		for _, s := range a.Highlights(text) {
			spans = append(spans, span{s[0], s[1]})
		}
	}
	spans = mergeSpans(spans)
	out := make([][2]int, len(spans))
	for i, s := range spans {
		out[i] = [2]int{s.start, s.end}
	}
	return out
}
