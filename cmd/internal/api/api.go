package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// Segment is a stretch of a snippet: a match to highlight or the text
// between matches.
type Segment struct {
	Text  string
	Match bool
}

// Segments cuts snippet at its highlights (byte offsets, as index.Hit
// gives them). Offsets out of range, out of order, overlapping or inside a
// UTF-8 sequence are clamped or skipped rather than trusted, so that no
// character is ever split. Matches separated by spaces only are joined
// into one. Joining the texts gives back the snippet.
func Segments(snippet string, highlights [][2]int) []Segment {
	var out []Segment
	add := func(text string, match bool) {
		if text != "" {
			out = append(out, Segment{Text: text, Match: match})
		}
	}
	// Matches only spaces apart ("ma túy") make one segment.
	var spans [][2]int
	pos := 0
	for _, h := range highlights {
		start, end := max(h[0], pos), min(h[1], len(snippet))
		if start >= end || !runeStart(snippet, start) || !runeStart(snippet, end) {
			continue
		}
		if n := len(spans); n > 0 && strings.Trim(snippet[spans[n-1][1]:start], " ") == "" {
			spans[n-1][1] = end
		} else {
			spans = append(spans, [2]int{start, end})
		}
		pos = end
	}
	pos = 0
	for _, s := range spans {
		add(snippet[pos:s[0]], false)
		add(snippet[s[0]:s[1]], true)
		pos = s[1]
	}
	add(snippet[pos:], false)
	return out
}

// runeStart reports whether byte offset i of s starts a character (or is
// the end of s).
func runeStart(s string, i int) bool {
	return i == len(s) || utf8.RuneStart(s[i])
}

// MaxAnalyzeLength bounds the text of an analyze request, in characters.
const MaxAnalyzeLength = 10_000

// Analyze returns the tokens of text as the index sees them: exact or
// folded syllables with their positions and byte offsets. The list is
// never nil. An overlong or invalid text is an error wrapping
// index.ErrBadQuery.
func Analyze(text string, folded bool) ([]analyzer.Token, error) {
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("%w: text is not valid UTF-8", index.ErrBadQuery)
	}
	if n := utf8.RuneCountInString(text); n > MaxAnalyzeLength {
		return nil, fmt.Errorf("%w: text has %d characters, more than the %d allowed", index.ErrBadQuery, n, MaxAnalyzeLength)
	}
	tokens := analyzer.Tokens(text, folded)
	if tokens == nil {
		tokens = []analyzer.Token{}
	}
	return tokens, nil
}

// Analyzed is the answer of GET /analyze?expand=true and of `vnsearch
// analyze --json --expand`: the tokens of a text, and the other forms a
// search for it is searched as (synonyms).
type Analyzed struct {
	Tokens     []analyzer.Token  `json:"tokens"`
	Expansions []index.Expansion `json:"expansions"`
}

// ParseBool reads a boolean parameter: 1, t, true, on, yes (any case) or
// 0, f, false, off, no; empty is false.
func ParseBool(name, s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "0", "f", "false", "off", "no":
		return false, nil
	case "1", "t", "true", "on", "yes":
		return true, nil
	}
	return false, fmt.Errorf("%w: %s %q: want true or false", index.ErrBadQuery, name, s)
}

// WriteJSON writes v as JSON and a newline: compact, or indented for
// people. HTML characters are left as they are (the server marks its
// answers nosniff), so the command line prints readable text.
func WriteJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}

// Error is the body of every error answer of the HTTP endpoint.
type Error struct {
	Error string `json:"error"`
	// Problems lists what was wrong with each rejected record of a POST
	// /articles body, e.g. "request body:3: malformed JSON: ...".
	Problems []string `json:"problems,omitempty"`
	// Applied, when a POST /articles failed while indexing a good body,
	// says what got in before the failure: the body's first Records
	// records, counted as an answer of success counts them. The rest of
	// the body was not indexed.
	Applied *Applied `json:"applied,omitempty"`
}

// Applied is the part of a POST /articles body indexed before a failure.
type Applied struct {
	Records int `json:"records"`
	index.AddStats
}

// DeleteResponse answers DELETE /articles/{id}.
type DeleteResponse struct {
	Deleted int `json:"deleted"`
}

// HumanBytes formats a size in binary units: "512 B", "1.5 KiB", "3.2 GiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v, i := float64(n)/unit, 0
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[i]
}

// DisplayDate formats a publication date for people: the day of an
// instant, or the period a partial date names; "" when unknown.
func DisplayDate(d corpus.Date) string {
	if d.Precision == corpus.Instant {
		return d.Time.Format(time.DateOnly)
	}
	return d.String()
}

// MaxSuggestLength bounds the prefix of a suggest request, in characters.
const MaxSuggestLength = 200

// DefaultSuggestions is how many completions a suggest request returns
// unless it asks for another number.
const DefaultSuggestions = 8

// Suggester completes prefixes; *index.Index is one.
type Suggester interface {
	Suggest(ctx context.Context, prefix string, n int) ([]index.Suggestion, error)
}

// Completions is the answer to a suggest request.
type Completions struct {
	Prefix      string             `json:"prefix"`
	Suggestions []index.Suggestion `json:"suggestions"`
}

// Suggest completes prefix with up to n suggestions. An overlong or
// invalid prefix, or n out of 1…index.MaxSuggestions, is an error
// wrapping index.ErrBadQuery.
func Suggest(ctx context.Context, s Suggester, prefix string, n int) (Completions, error) {
	if !utf8.ValidString(prefix) {
		return Completions{}, fmt.Errorf("%w: the prefix is not valid UTF-8", index.ErrBadQuery)
	}
	if k := utf8.RuneCountInString(prefix); k > MaxSuggestLength {
		return Completions{}, fmt.Errorf("%w: the prefix has %d characters, more than the %d allowed", index.ErrBadQuery, k, MaxSuggestLength)
	}
	if n < 1 || n > index.MaxSuggestions {
		return Completions{}, fmt.Errorf("%w: n=%d: ask for 1 to %d suggestions", index.ErrBadQuery, n, index.MaxSuggestions)
	}
	got, err := s.Suggest(ctx, prefix, n)
	if err != nil {
		return Completions{}, err
	}
	if got == nil {
		got = []index.Suggestion{}
	}
	return Completions{Prefix: prefix, Suggestions: got}, nil
}
