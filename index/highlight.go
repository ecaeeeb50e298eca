package index

// Highlighter finds a query's syllables in any text as a search matches
// them: folded, so that every diacritic variant stands out, as in
// snippets. The article view uses it to mark the matches of a whole
// article.
type Highlighter struct{ m *matcher }

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
	return &Highlighter{newMatcher(q)}, nil
}

// Highlights returns where the query's syllables stand in text, as
// [start, end) byte offsets in order, those touching joined.
func (h *Highlighter) Highlights(text string) [][2]int {
	spans := h.m.find(text)
	out := make([][2]int, len(spans))
	for i, s := range spans {
		out[i] = [2]int{s.start, s.end}
	}
	return out
}
