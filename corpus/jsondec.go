package corpus

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// record is one article object as found in JSON, before cleaning. Strings
// without escapes are substrings of the decoded line.
type record struct {
	id, url, source, title, summary, byline, published, category, body string
	paragraphs                                                         []string
}

// The decoder below is a small strict JSON parser specialised for flat
// article objects. It exists because encoding/json silently replaces
// invalid UTF-8 and lone surrogates with U+FFFD (we must report them), and
// because decoding straight into substrings of the line is several times
// faster on the bulk path, where bodies are long and rarely escaped.

// maxDepth bounds nesting in ignored fields so hostile input cannot blow
// the stack.
const maxDepth = 512

type decoder struct {
	s             string
	i             int
	maxParagraphs int
}

func (d *decoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: column %d: %s", ErrMalformed, d.i+1, fmt.Sprintf(format, args...))
}

// found describes what is at the current position, for error messages.
func (d *decoder) found() string {
	if d.i >= len(d.s) {
		return "end of input"
	}
	r, _ := utf8.DecodeRuneInString(d.s[d.i:])
	return fmt.Sprintf("%q", r)
}

func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

func (d *decoder) peek() byte {
	if d.i < len(d.s) {
		return d.s[d.i]
	}
	return 0
}

// decodeRecord parses raw, which must hold exactly one JSON object, of at
// most maxParagraphs paragraphs. raw must be valid UTF-8 (checked by the
// caller, so errors can point at the byte). The strings of the record
// share the memory of one copy of raw.
func decodeRecord(raw []byte, maxParagraphs int) (record, error) {
	var r record
	d := decoder{s: string(raw), maxParagraphs: maxParagraphs}
	d.ws()
	if d.peek() != '{' {
		return r, d.errorf("want a JSON object, found %s", d.found())
	}
	d.i++
	d.ws()
	if d.peek() == '}' {
		d.i++
	} else {
		for {
			d.ws()
			if d.peek() != '"' {
				return r, d.errorf("want a field name, found %s", d.found())
			}
			key, err := d.str()
			if err != nil {
				return r, err
			}
			d.ws()
			if d.peek() != ':' {
				return r, d.errorf("want ':' after field name, found %s", d.found())
			}
			d.i++
			d.ws()
			if err := d.field(&r, key); err != nil {
				return r, err
			}
			d.ws()
			if c := d.peek(); c == ',' {
				d.i++
				continue
			} else if c == '}' {
				d.i++
				break
			}
			return r, d.errorf("want ',' or '}' after field %q, found %s", key, d.found())
		}
	}
	d.ws()
	if d.i != len(d.s) {
		return r, d.errorf("unexpected %s after the object", d.found())
	}
	return r, nil
}

// field decodes the value of key into r; unknown keys are validated and
// ignored. Keys match exactly or, failing that, case-insensitively.
func (d *decoder) field(r *record, key string) error {
	var dst *string
	switch key {
	case "id":
		return d.idValue(r)
	case "url":
		dst = &r.url
	case "source":
		dst = &r.source
	case "title":
		dst = &r.title
	case "summary":
		dst = &r.summary
	case "byline":
		dst = &r.byline
	case "published":
		dst = &r.published
	case "category":
		dst = &r.category
	case "body":
		dst = &r.body
	case "paragraphs":
		return d.paragraphs(r)
	default:
		if lower := strings.ToLower(key); lower != key {
			return d.field(r, lower)
		}
		return d.skip(0)
	}
	s, err := d.stringOrNull(key)
	if err != nil {
		return err
	}
	*dst = s
	return nil
}

func (d *decoder) badType(key, want string) error {
	return fmt.Errorf("%w: column %d: field %q: want %s, found %s", ErrBadField, d.i+1, key, want, d.kind())
}

// kind names the JSON type of the value at the current position.
func (d *decoder) kind() string {
	switch c := d.peek(); {
	case c == '"':
		return "a string"
	case c == '{':
		return "an object"
	case c == '[':
		return "an array"
	case c == 't' || c == 'f':
		return "a boolean"
	case c == 'n':
		return "null"
	case c == '-' || (c >= '0' && c <= '9'):
		return "a number"
	}
	return d.found()
}

func (d *decoder) stringOrNull(key string) (string, error) {
	switch d.peek() {
	case '"':
		return d.str()
	case 'n':
		return "", d.literal("null")
	}
	if err := d.checkValue(); err != nil {
		return "", err
	}
	return "", d.badType(key, "a string")
}

// checkValue makes sure the value at the current position is well-formed
// JSON, so a type error is not reported where the line is malformed.
func (d *decoder) checkValue() error {
	save := d.i
	if err := d.skip(0); err != nil {
		return err
	}
	d.i = save
	return nil
}

// idValue accepts a string, a number (its literal text) or null.
func (d *decoder) idValue(r *record) error {
	if c := d.peek(); c == '-' || (c >= '0' && c <= '9') {
		start := d.i
		if err := d.number(); err != nil {
			return err
		}
		r.id = d.s[start:d.i]
		return nil
	}
	s, err := d.stringOrNull("id")
	r.id = s
	return err
}

func (d *decoder) paragraphs(r *record) error {
	switch d.peek() {
	case 'n':
		r.paragraphs = nil
		return d.literal("null")
	case '[':
	default:
		if err := d.checkValue(); err != nil {
			return err
		}
		return d.badType("paragraphs", "an array of strings")
	}
	d.i++
	d.ws()
	r.paragraphs = r.paragraphs[:0]
	if d.peek() == ']' {
		d.i++
		return nil
	}
	for {
		d.ws()
		switch d.peek() {
		case '"':
			s, err := d.str()
			if err != nil {
				return err
			}
			r.paragraphs = append(r.paragraphs, s)
			if len(r.paragraphs) > d.maxParagraphs {
				return tooManyParagraphs(d.maxParagraphs)
			}
		case 'n':
			// A null paragraph is an empty one: it keeps its place, so
			// paragraph numbers stay those of the input.
			if err := d.literal("null"); err != nil {
				return err
			}
			r.paragraphs = append(r.paragraphs, "")
			if len(r.paragraphs) > d.maxParagraphs {
				return tooManyParagraphs(d.maxParagraphs)
			}
		default:
			if err := d.checkValue(); err != nil {
				return err
			}
			return d.badType("paragraphs", "an array of strings")
		}
		d.ws()
		switch d.peek() {
		case ',':
			d.i++
			continue
		case ']':
			d.i++
			return nil
		}
		return d.errorf("want ',' or ']' in paragraphs, found %s", d.found())
	}
}

func (d *decoder) literal(lit string) error {
	if !strings.HasPrefix(d.s[d.i:], lit) {
		return d.errorf("invalid literal, found %s", d.found())
	}
	d.i += len(lit)
	return nil
}

// strSpecial marks the bytes that end the fast scan of a string: the
// closing quote, a backslash and control characters.
var strSpecial = func() (t [256]bool) {
	t['"'], t['\\'] = true, true
	for c := 0; c < 0x20; c++ {
		t[c] = true
	}
	return t
}()

// str decodes the string starting at the current '"'.
func (d *decoder) str() (string, error) {
	start := d.i + 1
	i := start
	s := d.s
	for i < len(s) && !strSpecial[s[i]] {
		i++
	}
	if i < len(s) && s[i] == '"' {
		d.i = i + 1
		return s[start:i], nil
	}
	d.i = i
	if i >= len(s) {
		return "", d.errorf("unterminated string")
	}
	if s[i] != '\\' {
		return "", d.errorf("control character %q in string", s[i])
	}
	return d.strSlow(start)
}

// strSlow decodes a string with escapes; d.i is at the first backslash.
func (d *decoder) strSlow(start int) (string, error) {
	s := d.s
	var b strings.Builder
	b.Grow(d.i - start + 64)
	b.WriteString(s[start:d.i])
	i := d.i
	for {
		// Copy the run up to the next special byte.
		j := i
		for j < len(s) && !strSpecial[s[j]] {
			j++
		}
		b.WriteString(s[i:j])
		i = j
		if i >= len(s) {
			d.i = i
			return "", d.errorf("unterminated string")
		}
		switch c := s[i]; {
		case c == '"':
			d.i = i + 1
			return b.String(), nil
		case c < 0x20:
			d.i = i
			return "", d.errorf("control character %q in string", c)
		}
		// Backslash escape.
		if i+1 >= len(s) {
			d.i = i
			return "", d.errorf("unterminated string")
		}
		e := s[i+1]
		i += 2
		switch e {
		case '"', '\\', '/':
			b.WriteByte(e)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(s, i)
			if !ok {
				d.i = i - 2
				return "", d.errorf("invalid \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if r < 0xDC00 && strings.HasPrefix(s[i:], `\u`) {
					r2, ok = hex4(s, i+2)
				}
				dec := utf16.DecodeRune(r, r2)
				if !ok || dec == utf8.RuneError {
					d.i = i - 6
					return "", fmt.Errorf("%w: column %d: lone surrogate \\u%04X in string", ErrInvalidUTF8, d.i+1, r)
				}
				i += 6
				r = dec
			}
			b.WriteRune(r)
		default:
			d.i = i - 2
			return "", d.errorf("invalid escape \\%c", e)
		}
	}
}

func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
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

func (d *decoder) number() error {
	s, i := d.s, d.i
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if digits() == 0 {
		d.i = i
		return d.errorf("invalid number")
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			d.i = i
			return d.errorf("invalid number")
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			d.i = i
			return d.errorf("invalid number")
		}
	}
	d.i = i
	return nil
}

// skip validates and steps over one value of any type.
func (d *decoder) skip(depth int) error {
	if depth > maxDepth {
		return d.errorf("nested too deeply")
	}
	switch c := d.peek(); {
	case c == '"':
		_, err := d.str()
		return err
	case c == 't':
		return d.literal("true")
	case c == 'f':
		return d.literal("false")
	case c == 'n':
		return d.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case c == '[':
		d.i++
		d.ws()
		if d.peek() == ']' {
			d.i++
			return nil
		}
		for {
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
				continue
			case ']':
				d.i++
				return nil
			}
			return d.errorf("want ',' or ']' in array, found %s", d.found())
		}
	case c == '{':
		d.i++
		d.ws()
		if d.peek() == '}' {
			d.i++
			return nil
		}
		for {
			d.ws()
			if d.peek() != '"' {
				return d.errorf("want a field name, found %s", d.found())
			}
			if _, err := d.str(); err != nil {
				return err
			}
			d.ws()
			if d.peek() != ':' {
				return d.errorf("want ':' after field name, found %s", d.found())
			}
			d.i++
			d.ws()
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			d.ws()
			switch d.peek() {
			case ',':
				d.i++
				continue
			case '}':
				d.i++
				return nil
			}
			return d.errorf("want ',' or '}' in object, found %s", d.found())
		}
	}
	return d.errorf("want a value, found %s", d.found())
}
