package analyzer

import (
	"unicode"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
	"golang.org/x/text/unicode/norm"
)

// NormalizeName is the registered name of NormalizeFilter.
const NormalizeName = "vi_normalize"

// NormalizeFilter rewrites every token to its canonical Vietnamese form:
// Unicode NFC, the look-alike Ð read as Đ, lowercase, the tone mark on its
// canonical vowel (see placeTone), and the connectors the tokenizer keeps
// inside compounds in their ASCII form (’ as ', ‐ as -). It works on terms only, so token
// offsets keep pointing into the original text.
type NormalizeFilter struct{}

// NewNormalizeFilter returns the filter.
func NewNormalizeFilter() *NormalizeFilter { return &NormalizeFilter{} }

// Filter normalizes each token's term.
func (f *NormalizeFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	arena := make([]byte, 0, termBytes(input))
	for _, tok := range input {
		arena, tok.Term = appendTerm(arena, tok.Term, appendNormalized)
	}
	return input
}

// termBytes is the total length of the terms of a stream: about the arena
// a filter needs for their transforms.
func termBytes(stream analysis.TokenStream) int {
	n := 0
	for _, tok := range stream {
		n += len(tok.Term)
	}
	return n + n/8
}

// appendTerm appends the transform of term to arena and returns the grown
// arena with the new term sliced from it. Terms that the transform leaves
// byte-identical are returned as they were, without copying.
func appendTerm(arena, term []byte, transform func(dst, src []byte) []byte) (grown, out []byte) {
	start := len(arena)
	arena = transform(arena, term)
	out = arena[start:len(arena):len(arena)]
	if string(out) == string(term) {
		return arena[:start], term
	}
	return arena, out
}

// Normalize returns the canonical form of s: NFC, lowercase, canonical tone
// placement. It is what NormalizeFilter does to one term.
func Normalize(s string) string {
	return string(appendNormalized(nil, []byte(s)))
}

// appendNormalized appends the canonical form of term to dst.
func appendNormalized(dst, term []byte) []byte {
	ascii := 0
	for ascii < len(term) && term[ascii] < utf8.RuneSelf {
		ascii++
	}
	if ascii == len(term) {
		for _, c := range term {
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			dst = append(dst, c)
		}
		return dst
	}
	var buf [64]rune
	runes, ok := lowerRunes(buf[:0], term)
	if !ok {
		// A combining mark or a letter outside the Vietnamese tables:
		// compose first. The check starts at the last ASCII byte because a
		// mark composes with the letter before it.
		if !norm.NFC.IsNormal(term[max(ascii-1, 0):]) {
			term = norm.NFC.Bytes(term)
		}
		runes, _ = lowerRunes(buf[:0], term)
	}

	// Place the tone of each run of letters: a term may hold several
	// syllables (a compound such as hòa-bình).
	for i := 0; i < len(runes); {
		if !isLetter(runes[i]) {
			i++
			continue
		}
		j := i + 1
		for j < len(runes) && isLetter(runes[j]) {
			j++
		}
		placeTone(runes[i:j])
		i = j
	}
	for _, r := range runes {
		dst = utf8.AppendRune(dst, r)
	}
	return dst
}

func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return lookup(r) != nil || unicode.IsLetter(r)
}

// lowerRunes appends the lowercase runes of term to runes, with Ð read as
// đ and typographic connectors as ASCII. ok is false when term may not be
// in NFC: it holds a combining mark or a letter the tables do not vouch
// for.
func lowerRunes(runes []rune, term []byte) (_ []rune, ok bool) {
	ok = true
	for len(term) > 0 {
		r, size := rune(term[0]), 1
		if r >= utf8.RuneSelf {
			r, size = decodeRune(term)
		}
		term = term[size:]
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
		default:
			if l := lookup(r); l != nil {
				r = l.lower
				ok = ok && l.composed
			} else if r == '\u2019' { // ’ inside O’Neil, as typed on phones
				r = '\''
			} else if r == '\u2010' || r == '\u2011' { // Unicode hyphens
				r = '-'
			} else {
				ok = false
				r = unicode.ToLower(r)
			}
		}
		runes = append(runes, r)
	}
	return runes, ok
}

// NormalizeFilterConstructor builds the filter for Bleve's registry.
func NormalizeFilterConstructor(config map[string]interface{}, cache *registry.Cache) (analysis.TokenFilter, error) {
	return NewNormalizeFilter(), nil
}

func init() {
	if err := registry.RegisterTokenFilter(NormalizeName, NormalizeFilterConstructor); err != nil {
		panic(err)
	}
}
