package corpus

import (
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Passage sizes, in characters (runes). A paragraph longer than
// MaxPassage is cut into passages of whole sentences so that ranking and
// snippets work per passage even when a source lost its paragraph breaks.
const (
	MinPassage = 300
	MaxPassage = 800
)

// maxQuote bounds how far ahead an opening quote looks for its closing
// quote. Past it the quote is taken as stray, so one unbalanced quote
// cannot glue the rest of a long body into a single sentence.
const maxQuote = 2000

// abbreviations end with a period that does not end a sentence even when a
// capital follows ("TP. Hưng Yên", "PGS. Nguyễn", "Mr. Smith").
var abbreviations = map[string]bool{
	"TP": true, "Tp": true, "tp": true, "TX": true, "Tx": true, "TT": true, "Q": true, "P": true,
	"H": true, "X": true, "GS": true, "PGS": true, "TS": true, "ThS": true, "Th.S": true,
	"BS": true, "Bs": true, "KS": true, "CN": true, "NXB": true, "NSƯT": true, "NSND": true,
	"PGS.TS": true, "GS.TS": true, "TS.BS": true, "BS.CKII": true, "BSCKII": true, "BSCKI": true,
	"Mr": true, "Mrs": true, "Ms": true, "Dr": true, "Prof": true, "St": true, "Jr": true,
	"Sr": true, "No": true, "Co": true, "Ltd": true, "Inc": true, "vs": true, "etc": true,
	"v.v": true, "Tr": true, "tr": true, "Ths": true,
}

// SplitSentences splits text into sentences: trimmed substrings of text, in
// order. A sentence ends at '.', '!', '?' or '…' (possibly repeated and
// followed by closing quotes or brackets) when whitespace and then a
// non-lowercase character or the end follow. It does not end
//   - before a lowercase word ("ông Nguyễn Văn A. cho biết"),
//   - inside numbers or names without a following space ("8.500.000",
//     "VOV.VN", "Covid-19"),
//   - after a known abbreviation or an initial ("TP. Hưng Yên"),
//   - after a bare list number ("1. Tuổi Thìn"),
//   - inside a quotation (“…” or "…") unless the quotation closes there.
//
// A blank line always ends a sentence.
func SplitSentences(text string) []string {
	spans := sentenceSpans(text, nil)
	out := make([]string, len(spans))
	for i, sp := range spans {
		out[i] = text[sp.start:sp.end]
	}
	return out
}

type span struct{ start, end int }

// sentenceSpans appends the byte spans of text's sentences to spans.
func sentenceSpans(text string, spans []span) []span {
	// Blocks separated by blank lines never share a sentence.
	off := 0
	for off < len(text) {
		end, next := nextBlock(text, off)
		spans = blockSentences(text, off, end, spans)
		off = next
	}
	return spans
}

// nextBlock returns the end of the block starting at off (exclusive) and the
// start of the next one: a blank line (only whitespace) separates blocks.
func nextBlock(text string, off int) (end, next int) {
	i := off
	for {
		nl := strings.IndexByte(text[i:], '\n')
		if nl < 0 {
			return len(text), len(text)
		}
		nl += i
		// Is the line after this newline blank?
		j := nl + 1
		for j < len(text) && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r') {
			j++
		}
		if j >= len(text) {
			return len(text), len(text)
		}
		if text[j] == '\n' {
			return nl, j + 1
		}
		i = nl + 1
	}
}

func blockSentences(text string, lo, hi int, spans []span) []span {
	start := skipSpace(text, lo, hi)
	quoteEnd := -1 // end (exclusive) of the quotation we are inside, if any
	for i := start; i < hi; {
		for i < hi && !sentenceSpecial[text[i]] {
			i++
		}
		if i >= hi {
			break
		}
		c := text[i]
		switch {
		case c == '"' && i >= quoteEnd:
			if j := strings.IndexByte(text[i+1:min(hi, i+1+maxQuote)], '"'); j >= 0 {
				quoteEnd = i + 1 + j + 1
			}
			i++
			continue
		case c == 0xE2 && strings.HasPrefix(text[i:hi], "“") && i >= quoteEnd:
			if j := strings.Index(text[i+3:min(hi, i+3+maxQuote)], "”"); j >= 0 {
				quoteEnd = i + 3 + j + 3
			}
			i += 3
			continue
		}
		n := terminalLen(text[i:hi])
		if n == 0 {
			i++
			continue
		}
		punct := i
		k := i + n
		// Repeated terminals and closers: "?!", "...", "./.", ".”", ".)".
		for k < hi {
			if m := terminalLen(text[k:hi]); m > 0 {
				k += m
			} else if m := closerLen(text[k:hi]); m > 0 {
				k += m
			} else if text[k] == '/' && k+1 < hi && text[k+1] == '.' {
				k += 2
			} else {
				break
			}
		}
		if k < hi && !isSpaceAt(text, k) {
			i = k
			continue
		}
		m := skipSpace(text, k, hi)
		if m < hi && !breakBefore(text, start, punct, n, k, m, quoteEnd) {
			i = m
			continue
		}
		spans = append(spans, span{start, k})
		start = m
		i = m
	}
	if start < hi {
		end := trimRightSpace(text, start, hi)
		if end > start {
			spans = append(spans, span{start, end})
		}
	}
	return spans
}

// breakBefore decides whether the terminal punctuation at punct (n bytes),
// followed by closers up to k and whitespace up to m, ends the sentence that
// began at start.
func breakBefore(text string, start, punct, n, k, m, quoteEnd int) bool {
	if punct < quoteEnd && quoteEnd > k {
		return false // inside a quotation that goes on
	}
	r, _ := utf8.DecodeRuneInString(text[m:])
	if unicode.IsLower(r) {
		return false
	}
	if n == 1 && text[punct] == '.' && k == punct+1 {
		w := wordBefore(text, start, punct)
		if abbreviations[w] || isInitial(w) {
			return false
		}
		if punct-start == len(w) && isListNumber(w) {
			return false // "1. Tuổi Thìn": the number belongs to what follows
		}
	}
	return true
}

// wordBefore returns the run of non-space characters ending at end, after
// any opening bracket.
func wordBefore(text string, start, end int) string {
	i := end
	for i > start {
		r, size := utf8.DecodeLastRuneInString(text[start:i])
		if unicode.IsSpace(r) || r == '(' || r == '[' || r == '“' || r == '"' {
			break
		}
		i -= size
	}
	return text[i:end]
}

func isInitial(w string) bool {
	r, size := utf8.DecodeRuneInString(w)
	return size == len(w) && unicode.IsUpper(r)
}

func isListNumber(w string) bool {
	if w == "" || len(w) > 4 {
		return false
	}
	digits := true
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			digits = false
		}
	}
	if digits {
		return true
	}
	switch w {
	case "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X",
		"a", "b", "c", "d", "đ", "e":
		return true
	}
	return false
}

// terminalLen reports the byte length of a sentence terminal at the start
// of s: '.', '!', '?' or '…'.
func terminalLen(s string) int {
	switch s[0] {
	case '.', '!', '?':
		return 1
	case 0xE2:
		if strings.HasPrefix(s, "…") {
			return 3
		}
	}
	return 0
}

// closerLen reports the byte length of a closing quote or bracket at the
// start of s.
func closerLen(s string) int {
	switch s[0] {
	case '"', '\'', ')', ']':
		return 1
	case 0xE2:
		if strings.HasPrefix(s, "”") || strings.HasPrefix(s, "’") {
			return 3
		}
	case 0xC2:
		if strings.HasPrefix(s, "»") {
			return 2
		}
	}
	return 0
}

// isSpaceAt reports whether text[i:] starts with whitespace (ASCII or NBSP).
func isSpaceAt(text string, i int) bool {
	c := text[i]
	if c < utf8.RuneSelf {
		return asciiSpace(c)
	}
	r, _ := utf8.DecodeRuneInString(text[i:])
	return unicode.IsSpace(r)
}

func asciiSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\v' || c == '\f'
}

func skipSpace(text string, i, hi int) int {
	for i < hi {
		c := text[i]
		if c < utf8.RuneSelf {
			if !asciiSpace(c) {
				return i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:hi])
		if !unicode.IsSpace(r) {
			return i
		}
		i += size
	}
	return i
}

func trimRightSpace(text string, lo, hi int) int {
	for hi > lo {
		r, size := utf8.DecodeLastRuneInString(text[lo:hi])
		if !unicode.IsSpace(r) {
			break
		}
		hi -= size
	}
	return hi
}

// SplitPassages cuts text into passages for ranking and snippets. Text of
// at most MaxPassage characters comes back whole (trimmed). Longer text is
// cut between sentences into runs of consecutive whole sentences of roughly
// equal length, each at most MaxPassage characters and, where the
// sentences allow, at least MinPassage. A single sentence longer than
// MaxPassage is cut at word boundaries (at a character boundary only if it
// has no space for MaxPassage characters), so no passage exceeds
// MaxPassage. Every passage is a substring of text; nothing is rewritten.
// Empty or all-space text gives no passages.
func SplitPassages(text string) []string {
	return appendPassages(nil, text)
}

func appendPassages(dst []string, text string) []string {
	lo := skipSpace(text, 0, len(text))
	hi := trimRightSpace(text, lo, len(text))
	if lo == hi {
		return dst
	}
	if hi-lo <= MaxPassage || runeCount(text[lo:hi]) <= MaxPassage {
		return append(dst, text[lo:hi])
	}
	spans := sentenceSpans(text[:hi], nil)
	// Rune offsets of every sentence start and end, counted incrementally.
	type rspan struct {
		span
		rs, re int
	}
	rsp := make([]rspan, len(spans))
	pos, rpos := 0, 0
	for i, sp := range spans {
		rpos += runeCount(text[pos:sp.start])
		rs := rpos
		rpos += runeCount(text[sp.start:sp.end])
		rsp[i] = rspan{sp, rs, rpos}
		pos = sp.end
	}
	for a := 0; a < len(rsp); {
		if rsp[a].re-rsp[a].rs > MaxPassage {
			dst = appendWordChunks(dst, text[rsp[a].start:rsp[a].end], rsp[a].re-rsp[a].rs)
			a++
			continue
		}
		// Sentences a..b-1 before the next overlong one form a run; cut it
		// into n passages of about total/n characters.
		b := a + 1
		for b < len(rsp) && rsp[b].re-rsp[b].rs <= MaxPassage {
			b++
		}
		total := rsp[b-1].re - rsp[a].rs
		// max: invalid UTF-8 can make a run count as no characters.
		n := max(1, (total+MaxPassage-1)/MaxPassage)
		target := total / n
		first := a
		for i := a; i < b; i++ {
			if i < b-1 {
				size := rsp[i].re - rsp[first].rs
				next := rsp[i+1].re - rsp[first].rs
				// Cut where the passage comes closest to target, never
				// past MaxPassage and, when avoidable, not under MinPassage.
				fits := next <= MaxPassage
				if fits && (size < target && (next-target <= target-size || size < MinPassage)) {
					continue
				}
			}
			dst = append(dst, text[rsp[first].start:rsp[i].end])
			first = i + 1
		}
		a = b
	}
	return dst
}

// appendWordChunks cuts one overlong sentence (runes characters) into
// near-equal pieces of at most MaxPassage characters at spaces. It counts
// each character once (the characters left are kept, not recounted per
// piece), so its time is linear in the sentence's length.
func appendWordChunks(dst []string, s string, runes int) []string {
	n := max(1, (runes+MaxPassage-1)/MaxPassage)
	target := runes / n
	left := runes // characters in s
	for s != "" {
		if left <= MaxPassage {
			return append(dst, s)
		}
		cut, lastSpace, count := -1, -1, 0
		for i, r := range s {
			if count >= MaxPassage {
				break
			}
			if unicode.IsSpace(r) && i > 0 {
				lastSpace = i
				if count >= target {
					cut = i
					break
				}
			}
			count++
		}
		if cut < 0 {
			cut = lastSpace
		}
		if cut <= 0 {
			// No space at all within MaxPassage: cut at a rune boundary.
			cut = len(s)
			count = 0
			for i := range s {
				if count == MaxPassage {
					cut = i
					break
				}
				count++
			}
		}
		piece := s[:cut]
		piece = piece[:trimRightSpace(piece, 0, len(piece))]
		if piece != "" {
			dst = append(dst, piece)
		}
		next := skipSpace(s, cut, len(s))
		left -= runeCount(s[:next])
		s = s[next:]
	}
	return dst
}

// sentenceSpecial marks the bytes the sentence scanner must look at: ASCII
// quotes and terminals, and 0xE2, which starts “, ” and ….
var sentenceSpecial = func() (t [256]bool) {
	for _, c := range []byte{'"', '.', '!', '?', 0xE2} {
		t[c] = true
	}
	return t
}()

// runeCount counts the characters of s. For valid UTF-8 it equals
// utf8.RuneCountInString (it counts the bytes that do not continue a
// sequence, eight at a time); on invalid input it is merely close, which
// is all passage sizing needs.
func runeCount(s string) int {
	cont, i := 0, 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		// A continuation byte is 10xxxxxx: bit 7 set, bit 6 clear.
		cont += bits.OnesCount64(w &^ (w << 1) & 0x8080808080808080)
	}
	for ; i < len(s); i++ {
		if s[i]&0xC0 == 0x80 {
			cont++
		}
	}
	return len(s) - cont
}
