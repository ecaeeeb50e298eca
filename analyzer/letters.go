package analyzer

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// tone is one of the five Vietnamese tone marks, or none.
type tone uint8

const (
	toneNone  tone = iota
	toneGrave      // huyền, U+0300
	toneAcute      // sắc, U+0301
	toneHook       // hỏi, U+0309
	toneTilde      // ngã, U+0303
	toneDot        // nặng, U+0323
	numTones
)

// toneOfMark maps a combining mark to the tone it writes.
func toneOfMark(r rune) tone {
	switch r {
	case 0x0300, 0x0340:
		return toneGrave
	case 0x0301, 0x0341:
		return toneAcute
	case 0x0309:
		return toneHook
	case 0x0303:
		return toneTilde
	case 0x0323:
		return toneDot
	}
	return toneNone
}

var toneMarks = [numTones]rune{0, 0x0300, 0x0301, 0x0309, 0x0303, 0x0323}

// The twelve Vietnamese vowel letters without tone, in a fixed order that
// indexes composeTable.
var bareVowels = [...]rune{'a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'}

func bareVowelIndex(r rune) int {
	for i, v := range bareVowels {
		if v == r {
			return i
		}
	}
	return -1
}

// letter describes one precomposed Latin letter.
type letter struct {
	lower rune // lowercase form, marks kept; 0 when the slot is empty
	// bare is the lowercase Vietnamese vowel without its tone (ấ → â), or 0
	// when the letter is not a Vietnamese vowel.
	bare rune
	tone tone
	fold byte  // the ASCII letter under every mark, case kept (Ấ → A, đ → d)
	code uint8 // the letter code (see codeOf) of bare, or of đ; 0 otherwise
	// composed reports that the letter is in NFC on its own, so a word of
	// such letters needs no normalization unless a combining mark follows.
	composed bool
}

// Letter tables for the two Unicode blocks that hold Vietnamese letters:
// Latin-1 Supplement with Latin Extended-A/B, and Latin Extended Additional.
const (
	latinLo, latinHi    = 0x00C0, 0x0250
	additionalLo, addHi = 0x1E00, 0x1F00
)

var (
	latinLetters      = describeRange(latinLo, latinHi)
	additionalLetters = describeRange(additionalLo, addHi)
	// composeTable[v][t] is bare vowel v carrying tone t, lowercase.
	composeTable = buildComposeTable()
)

// describeRange describes the letters lo up to hi. The tables are package
// variables, initialized in dependency order, so that the syllable tables
// built from them can use them at initialization.
func describeRange(lo, hi rune) []letter {
	table := make([]letter, hi-lo)
	for i := range table {
		table[i] = describe(lo + rune(i))
	}
	return table
}

func buildComposeTable() (table [len(bareVowels)][numTones]rune) {
	for i, v := range bareVowels {
		for t := toneNone; t < numTones; t++ {
			if t == toneNone {
				table[i][t] = v
				continue
			}
			s := norm.NFC.String(string(v) + string(toneMarks[t]))
			r, n := utf8.DecodeRuneInString(s)
			if n != len(s) {
				panic("analyzer: no precomposed form for " + s)
			}
			table[i][t] = r
		}
	}
	return table
}

// describe derives a letter's entry from its canonical decomposition.
func describe(r rune) letter {
	switch r {
	case 'Đ', 'đ', 'Ð', 'ð':
		// Ð (U+00D0, Icelandic eth) looks exactly like Đ and turns up in
		// Vietnamese text typed on foreign layouts; it is never Vietnamese.
		fold := byte('d')
		if r == 'Đ' || r == 'Ð' {
			fold = 'D'
		}
		return letter{lower: 'đ', fold: fold, code: codeD, composed: true}
	}
	if !unicode.IsLetter(r) {
		return letter{}
	}
	lower := unicode.ToLower(r)
	decomposed := []rune(norm.NFD.String(string(lower)))
	base := decomposed[0]
	l := letter{lower: lower, composed: norm.NFC.String(string(r)) == string(r)}
	if base >= 'a' && base <= 'z' {
		l.fold = byte(base)
		if unicode.IsUpper(r) {
			l.fold = byte(unicode.ToUpper(base))
		}
	}
	// A Vietnamese vowel is a base vowel with at most one hat/horn/breve
	// and at most one tone mark.
	var t tone
	modifiers := []rune{base}
	for _, m := range decomposed[1:] {
		if mt := toneOfMark(m); mt != toneNone {
			if t != toneNone {
				return l
			}
			t = mt
			continue
		}
		modifiers = append(modifiers, m)
	}
	bare := []rune(norm.NFC.String(string(modifiers)))
	if len(bare) == 1 && bareVowelIndex(bare[0]) >= 0 {
		l.bare, l.tone = bare[0], t
		for code, cl := range codeLetters {
			if cl == bare[0] {
				l.code = uint8(code)
			}
		}
	}
	return l
}

// lookup returns the table entry for r, or nil when r is outside the
// tables or not a letter there.
func lookup(r rune) *letter {
	var l *letter
	switch {
	case r >= latinLo && r < latinHi:
		l = &latinLetters[r-latinLo]
	case r >= additionalLo && r < addHi:
		l = &additionalLetters[r-additionalLo]
	default:
		return nil
	}
	if l.lower == 0 {
		return nil
	}
	return l
}

// isCombiningMark reports whether r is in the Combining Diacritical Marks
// block, where every mark of decomposed (NFD) Vietnamese lives.
func isCombiningMark(r rune) bool { return r >= 0x0300 && r <= 0x036F }

// decodeRune is utf8.DecodeRune with the two- and three-byte sequences of
// Vietnamese letters decoded inline; it returns what utf8.DecodeRune does.
func decodeRune(b []byte) (rune, int) {
	if len(b) >= 2 {
		c0, c1 := b[0], b[1]
		switch {
		case c0 < utf8.RuneSelf:
			return rune(c0), 1
		case c0 >= 0xC2 && c0 <= 0xDF && c1&0xC0 == 0x80:
			return rune(c0&0x1F)<<6 | rune(c1&0x3F), 2
		case len(b) >= 3 && (c0 >= 0xE1 && c0 <= 0xEC || c0 == 0xEE || c0 == 0xEF) &&
			c1&0xC0 == 0x80 && b[2]&0xC0 == 0x80:
			return rune(c0&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(b[2]&0x3F), 3
		}
	}
	return utf8.DecodeRune(b)
}
