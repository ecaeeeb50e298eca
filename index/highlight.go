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
}

// NewHighlighter analyzes a query as Search does. An empty query
// highlights nothing; a query Search would refuse is an error wrapping
// ErrBadQuery.
func NewHighlighter(query string) (*Highlighter, error) {
	parsed, err := ParseQuery(query)
	if err != nil {
		return nil, err
	}
	q, err := analyze(parsed, DefaultParams())
	if err != nil {
		return nil, err
	}
	return &Highlighter{m: newMatcher(q)}, nil
}

// Within returns a highlighter for the texts of one article: a plain
// syllable any of them holds written plain stands out only where written
// so in each.
func (h *Highlighter) Within(texts ...string) *Highlighter {
	if h.m == nil {
		return h
	}
	return &Highlighter{m: h.m, held: h.m.heldPlain(texts...)}
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
	out := make([][2]int, len(spans))
	for i, s := range spans {
		out[i] = [2]int{s.start, s.end}
	}
	return out
}
