package corpus

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf16"
)

// decodeRecordStd is decodeRecord written with encoding/json, for the
// benchmark that weighs the own decoder against it and for the
// differential fuzz test. It reports what encoding/json would silently
// replace (a lone surrogate escape); raw is valid UTF-8, as for
// decodeRecord.
func decodeRecordStd(raw []byte, maxParagraphs int) (record, error) {
	var v struct {
		ID         json.RawMessage `json:"id"`
		URL        string          `json:"url"`
		Source     string          `json:"source"`
		Title      string          `json:"title"`
		Summary    string          `json:"summary"`
		Byline     string          `json:"byline"`
		Published  string          `json:"published"`
		Category   string          `json:"category"`
		Body       string          `json:"body"`
		Paragraphs []string        `json:"paragraphs"`
	}
	if err := loneSurrogate(raw); err != nil {
		return record{}, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return record{}, fmt.Errorf("%w: %w", ErrBadField, err)
		}
		return record{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(v.Paragraphs) > maxParagraphs {
		return record{}, tooManyParagraphs(maxParagraphs)
	}
	r := record{url: v.URL, source: v.Source, title: v.Title, summary: v.Summary, byline: v.Byline,
		published: v.Published, category: v.Category, body: v.Body, paragraphs: v.Paragraphs}
	switch id := bytes.TrimSpace(v.ID); {
	case len(id) == 0 || string(id) == "null":
	case id[0] == '"':
		if err := json.Unmarshal(id, &r.id); err != nil {
			return record{}, fmt.Errorf("%w: %w", ErrMalformed, err)
		}
	case id[0] == '-' || id[0] >= '0' && id[0] <= '9':
		r.id = string(id)
	default:
		return record{}, fmt.Errorf("%w: field \"id\": want a string or a number", ErrBadField)
	}
	return r, nil
}

// loneSurrogate reports a \u escape of half a UTF-16 surrogate pair
// without its other half, which encoding/json turns into U+FFFD.
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
		r, ok := hex4(string(raw[i+2:min(len(raw), i+6)]), 0)
		if !ok {
			return nil // malformed: encoding/json says so
		}
		i += 6
		if !utf16.IsSurrogate(r) {
			continue
		}
		if r < 0xDC00 && bytes.HasPrefix(raw[i:], []byte(`\u`)) {
			if r2, ok := hex4(string(raw[i+2:min(len(raw), i+6)]), 0); ok && utf16.DecodeRune(r, r2) != '\uFFFD' {
				i += 6
				continue
			}
		}
		return fmt.Errorf("%w: lone surrogate \\u%04X in string", ErrInvalidUTF8, r)
	}
}
