package analyzer

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// TokenizerName is the registered name of Tokenizer.
const TokenizerName = "vi_syllable"

// MaxTokenBytes bounds a token's length; longer runs of letters are cut
// into several tokens (as Lucene's standard tokenizer does) so that no
// input can make a term the index cannot hold.
const MaxTokenBytes = 255

// Tokenizer splits Vietnamese text into syllables, the units written
// between spaces. Punctuation separates syllables. Kept whole, as one
// token each: numbers with separators (8.500.000, 21,2), dates
// (16/9/2023), times (7h30, 7:30), codes (6x36, 568P, 24Gold), emails and
// URLs. A compound joined by a hyphen, dot or similar (Covid-19, TP.HCM,
// Việt-Trung) yields the whole compound and then each of its parts, so it
// is findable both ways. Positions are 1-based and consecutive; Start and
// End are byte offsets into the input.
type Tokenizer struct{}

// NewTokenizer returns the tokenizer.
func NewTokenizer() *Tokenizer { return &Tokenizer{} }

// Tokenize returns the tokens of input, their terms as written.
func (t *Tokenizer) Tokenize(input []byte) analysis.TokenStream {
	slab := make([]analysis.Token, 0, len(input)/5)
	scan(input, func(s span) {
		slab = append(slab, analysis.Token{
			Start:    s.start,
			End:      s.end,
			Term:     input[s.start:s.end:s.end],
			Position: len(slab) + 1,
			Type:     s.tokenType(),
		})
	})
	return pointers(slab)
}

// pointers returns the stream of pointers into slab that Bleve wants,
// without allocating each token apart.
func pointers(slab []analysis.Token) analysis.TokenStream {
	stream := make(analysis.TokenStream, len(slab))
	for i := range slab {
		stream[i] = &slab[i]
	}
	return stream
}

// TokenizerConstructor builds the tokenizer for Bleve's registry.
func TokenizerConstructor(config map[string]interface{}, cache *registry.Cache) (analysis.Tokenizer, error) {
	return NewTokenizer(), nil
}

func init() {
	if err := registry.RegisterTokenizer(TokenizerName, TokenizerConstructor); err != nil {
		panic(err)
	}
}

type spanKind uint8

const (
	kindWord     spanKind = iota // letters and digits: a syllable or a code
	kindNumber                   // digits with inner separators: 8.500.000, 16/9/2023
	kindCompound                 // a whole compound; its parts follow it
	kindPart                     // one part of the compound before it
	kindURL
	kindEmail
)

// span is one token found by scan.
type span struct {
	start, end int
	kind       spanKind
	// joined reports that the previous syllable of the running text stands
	// right before this one: only whitespace separates them, or the
	// connector of the compound both belong to. Bigrams join such pairs.
	joined bool
}

func (s span) tokenType() analysis.TokenType {
	if s.kind == kindNumber {
		return analysis.Numeric
	}
	return analysis.AlphaNumeric
}

// inText reports whether the span is part of the running sequence of
// syllables. A whole compound is not: its parts stand for it there.
func (s span) inText() bool { return s.kind != kindCompound }

type charClass uint8

const (
	classBreak charClass = iota // punctuation and symbols
	classSpace
	classWord // letters, digits
	classMark // combining marks: word characters, but never the first
	classConnector
)

// asciiClass classifies the ASCII bytes.
var asciiClass = func() (t [utf8.RuneSelf]charClass) {
	for c := 0; c < utf8.RuneSelf; c++ {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
			t[c] = classWord
		case c == ' ', c == '\t', c == '\n', c == '\r', c == '\v', c == '\f':
			t[c] = classSpace
		}
	}
	for _, c := range ".,/-:@_'&" {
		t[c] = classConnector
	}
	return t
}()

// classify returns the class of the character at the start of b and its
// length in bytes. Invalid UTF-8 is a break.
func classify(b []byte) (charClass, int) {
	if b[0] < utf8.RuneSelf {
		return asciiClass[b[0]], 1
	}
	r, size := decodeRune(b)
	if lookup(r) != nil {
		return classWord, size // the common case: a Vietnamese letter
	}
	switch {
	case r == utf8.RuneError && size == 1:
		return classBreak, 1
	case isCombiningMark(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r):
		return classMark, size
	case unicode.IsLetter(r) || unicode.IsDigit(r):
		return classWord, size
	case r == '\u2019' || r == '\u2010' || r == '\u2011': // ’ ‐ ‑
		return classConnector, size
	case unicode.IsSpace(r):
		return classSpace, size
	}
	return classBreak, size
}

// connector records one connector inside a word.
type connector struct {
	at, size int
	char     byte // the ASCII connector; '\'' for ’ and '-' for ‐ ‑
}

// scan calls emit with each span of input, in order.
func scan(input []byte, emit func(span)) {
	var conns []connector
	broken := true // no previous syllable to join
	for i := 0; i < len(input); {
		class, size := classify(input[i:])
		switch class {
		case classSpace:
			i += size
			continue
		case classBreak, classConnector, classMark:
			broken = true
			i += size
			continue
		}

		start := i
		if c := input[i] | 0x20; c == 'h' || c == 'w' {
			if n := urlLength(input[i:]); n > 0 {
				emit(span{start: start, end: start + n, kind: kindURL, joined: !broken})
				i, broken = start+n, false
				continue
			}
		}

		// A word: runs of word characters joined by single connectors.
		conns = conns[:0]
		end := i
		for {
			end = wordRunEnd(input, end, start)
			if end-start >= MaxTokenBytes || end >= len(input) {
				break
			}
			cc, csize := classify(input[end:])
			if cc != classConnector || end+csize >= len(input) {
				break
			}
			if next, _ := classify(input[end+csize:]); next != classWord {
				break
			}
			char := input[end]
			switch {
			case csize == 1:
			case input[end+csize-1] == 0x99: // ’
				char = '\''
			default: // ‐ ‑
				char = '-'
			}
			conns = append(conns, connector{at: end, size: csize, char: char})
			end += csize
		}
		emitWord(emit, input, start, end, conns, !broken)
		i, broken = end, false
	}
}

// wordRunEnd returns the end of the run of word characters (and the
// combining marks attached to them) starting at i, cut at MaxTokenBytes
// from start.
func wordRunEnd(input []byte, i, start int) int {
	for i < len(input) {
		c := input[i]
		if c < utf8.RuneSelf {
			if asciiClass[c] != classWord {
				return i
			}
			if i+1-start > MaxTokenBytes {
				return i
			}
			i++
			continue
		}
		class, size := classify(input[i:])
		if class != classWord && class != classMark {
			return i
		}
		if i+size-start > MaxTokenBytes {
			return i
		}
		i += size
	}
	return i
}

// emitWord classifies the word input[start:end] with its connectors and
// emits its spans.
func emitWord(emit func(span), input []byte, start, end int, conns []connector, joined bool) {
	kind := kindWord
	switch {
	case len(conns) == 0:
	case isEmail(conns):
		kind = kindEmail
	default:
		kind = kindNumber
		for _, c := range conns {
			if !numberInternal(input, c) {
				kind = kindCompound
				break
			}
		}
	}
	emit(span{start: start, end: end, kind: kind, joined: joined})
	if kind != kindCompound {
		return
	}
	partStart := start
	for _, c := range conns {
		if numberInternal(input, c) {
			continue
		}
		emit(span{start: partStart, end: c.at, kind: kindPart, joined: joined})
		partStart, joined = c.at+c.size, true
	}
	emit(span{start: partStart, end: end, kind: kindPart, joined: true})
}

// numberInternal reports whether c separates digits inside a number, date
// or time (8.500.000, 21,2, 16/9/2023, 7:30): such a connector does not
// split the number into parts. A hyphen always splits (2016-2020).
func numberInternal(input []byte, c connector) bool {
	switch c.char {
	case '.', ',', '/', ':':
		return isDigit(input[c.at-1]) && isDigit(input[c.at+c.size])
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// isEmail reports whether a word's connectors read as local@domain.tld.
func isEmail(conns []connector) bool {
	at := -1
	for i, c := range conns {
		if c.char == '@' {
			if at >= 0 {
				return false
			}
			at = i
		}
	}
	if at < 0 {
		return false
	}
	for _, c := range conns[at+1:] {
		if c.char == '.' {
			return true
		}
	}
	return false
}

// urlLength returns the length of the URL that starts b (http://, https://
// or www.), or 0. A URL ends at whitespace, quotes or brackets, without the
// sentence punctuation that may follow it, and is cut at MaxTokenBytes.
func urlLength(b []byte) int {
	prefix := 0
	switch {
	case hasPrefixFold(b, "https://"):
		prefix = len("https://")
	case hasPrefixFold(b, "http://"):
		prefix = len("http://")
	case hasPrefixFold(b, "www."):
		prefix = len("www.")
	default:
		return 0
	}
	n := prefix
	for n < len(b) && n < MaxTokenBytes {
		c := b[n]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '"' || c == '\'' || c == '<' || c == '>' ||
				c == '(' || c == ')' || c == '[' || c == ']' || c == '{' || c == '}' || c == 0x7f {
				break
			}
			n++
			continue
		}
		r, size := decodeRune(b[n:])
		if r == utf8.RuneError && size == 1 || unicode.IsSpace(r) || unicode.In(r, unicode.Pi, unicode.Pf, unicode.Ps, unicode.Pe) ||
			n+size > MaxTokenBytes {
			break
		}
		n += size
	}
	for n > prefix {
		switch b[n-1] {
		case '.', ',', ';', ':', '!', '?':
			n--
			continue
		}
		break
	}
	if n == prefix {
		return 0 // a bare "http://" is no URL
	}
	return n
}

func hasPrefixFold(b []byte, prefix string) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != prefix[i] {
			return false
		}
	}
	return true
}
