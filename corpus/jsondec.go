package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
)

// record is one article object as found in JSON, before cleaning.
type record struct {
	id, url, source, title, summary, byline, published, category, body string
	paragraphs                                                         []string
}

// jsonRecord is what encoding/json decodes a record into. Keys match
// exactly or, failing that, case-insensitively; unknown keys are ignored;
// a null value leaves a field as it was (a null paragraph is an empty one).
type jsonRecord struct {
	ID         jsonID         `json:"id"`
	URL        string         `json:"url"`
	Source     string         `json:"source"`
	Title      string         `json:"title"`
	Summary    string         `json:"summary"`
	Byline     string         `json:"byline"`
	Published  string         `json:"published"`
	Category   string         `json:"category"`
	Body       string         `json:"body"`
	Paragraphs jsonParagraphs `json:"paragraphs"`
}

// decodeRecord parses raw, which must hold exactly one JSON object of at
// most maxParagraphs paragraphs, with encoding/json. raw must be valid
// UTF-8 (checked by the caller, so errors can point at the byte).
//
// encoding/json replaces a lone surrogate escape with U+FFFD where the
// input is wrong; it is reported instead. (An own decoder once did all
// this; it was not fast enough to keep: see the commit that removed it.)
func decodeRecord(raw []byte, maxParagraphs int) (record, error) {
	if i := firstNonSpace(raw); i == len(raw) || raw[i] != '{' {
		return record{}, fmt.Errorf("%w: column %d: want a JSON object, found %s", ErrMalformed, i+1, foundAt(raw, i))
	}
	if err := loneSurrogate(raw); err != nil {
		return record{}, err
	}
	v := jsonRecord{Paragraphs: jsonParagraphs{max: maxParagraphs}}
	if err := json.Unmarshal(raw, &v); err != nil {
		return record{}, jsonErr(err)
	}
	return record{id: string(v.ID), url: v.URL, source: v.Source, title: v.Title, summary: v.Summary,
		byline: v.Byline, published: v.Published, category: v.Category, body: v.Body,
		paragraphs: v.Paragraphs.list}, nil
}

// jsonErr rewords encoding/json's errors for people: where, and what.
func jsonErr(err error) error {
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%w: column %d: %s", ErrMalformed, se.Offset, trimJSONPrefix(se.Error()))
	case errors.As(err, &te):
		want := "a string"
		if te.Field == "paragraphs" {
			want = "an array of strings"
		}
		return fmt.Errorf("%w: column %d: field %q: want %s, found %s", ErrBadField, te.Offset, te.Field, want, article(te.Value))
	case errors.Is(err, ErrBadField), errors.Is(err, ErrTooLarge):
		return err
	}
	return fmt.Errorf("%w: %s", ErrMalformed, trimJSONPrefix(err.Error()))
}

func trimJSONPrefix(s string) string {
	if len(s) > 6 && s[:6] == "json: " {
		return s[6:]
	}
	return s
}

// article puts "a" or "an" before a JSON type name.
func article(kind string) string {
	switch kind {
	case "array", "object":
		return "an " + kind
	case "null":
		return kind
	}
	return "a " + kind
}

func firstNonSpace(b []byte) int {
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// foundAt describes the byte at i for an error message.
func foundAt(b []byte, i int) string {
	if i >= len(b) {
		return "end of input"
	}
	return fmt.Sprintf("%q", b[i])
}

// jsonID is an ID given as a string or a number (its literal text).
type jsonID string

func (id *jsonID) UnmarshalJSON(b []byte) error {
	switch c := b[0]; {
	case c == 'n': // null
		return nil
	case c == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = jsonID(s)
	case c == '-' || c >= '0' && c <= '9':
		*id = jsonID(b)
	default:
		return fmt.Errorf("%w: field \"id\": want a string or a number, found %s", ErrBadField, kindOf(c))
	}
	return nil
}

// kindOf names the JSON type of a value starting with c.
func kindOf(c byte) string {
	switch c {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	}
	return "null"
}

// jsonParagraphs is an array of paragraphs, at most max: a record of
// millions of tiny paragraphs is refused before they are allocated.
type jsonParagraphs struct {
	max  int
	list []string
}

func (p *jsonParagraphs) UnmarshalJSON(b []byte) error {
	if b[0] == 'n' { // null
		p.list = nil
		return nil
	}
	if b[0] == '[' && elements(b) > p.max {
		return tooManyParagraphs(p.max)
	}
	p.list = p.list[:0]
	if err := json.Unmarshal(b, &p.list); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("%w: field \"paragraphs\": want an array of strings, found %s", ErrBadField, article(te.Value))
		}
		return err
	}
	return nil
}

// elements counts the elements of a valid JSON array.
func elements(b []byte) int {
	n, depth, inStr, empty := 0, 0, false, true
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inStr:
			if c == '\\' {
				i++
			} else if c == '"' {
				inStr = false
			}
			continue
		case c == '"':
			inStr = true
		case c == '[' || c == '{':
			depth++
			continue
		case c == ']' || c == '}':
			depth--
			continue
		case c == ',' && depth == 1:
			n++
			continue
		}
		if depth == 1 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			empty = false
		}
	}
	if empty {
		return 0
	}
	return n + 1
}

// loneSurrogate reports a \u escape of half a UTF-16 surrogate pair
// without its other half. Backslashes only occur in strings of valid
// JSON, and an invalid escape is left for encoding/json to report.
func loneSurrogate(raw []byte) error {
	for i := 0; ; {
		j := bytes.IndexByte(raw[i:], '\\')
		if j < 0 || i+j+1 >= len(raw) {
			return nil
		}
		i += j
		if raw[i+1] != 'u' {
			i += 2
			continue
		}
		r, ok := hex4(raw, i+2)
		if !ok {
			return nil
		}
		at := i
		i += 6
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r < 0xDC00 && bytes.HasPrefix(raw[i:], []byte(`\u`)) {
			if r2, ok := hex4(raw, i+2); ok && utf16.DecodeRune(r, r2) != '\uFFFD' {
				i += 6
				continue
			}
		}
		return fmt.Errorf("%w: column %d: lone surrogate \\u%04X in string", ErrInvalidUTF8, at+1, r)
	}
}

func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
