package analyzer

import (
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// FoldName is the registered name of FoldFilter.
const FoldName = "vi_fold"

// FoldFilter removes every diacritic from Latin letters — the hats, horns
// and breves of ă â ê ô ơ ư, the five tone marks, đ → d, and the marks of
// other languages (é, ü) too — so that "ma tuy" meets "ma túy". It reads NFC
// and NFD alike (a decomposed mark is simply dropped), keeps case and
// changes terms only, never offsets.
type FoldFilter struct{}

// NewFoldFilter returns the filter.
func NewFoldFilter() *FoldFilter { return &FoldFilter{} }

// Filter folds each token's term.
func (f *FoldFilter) Filter(input analysis.TokenStream) analysis.TokenStream {
	arena := make([]byte, 0, termBytes(input))
	for _, tok := range input {
		arena, tok.Term = appendTerm(arena, tok.Term, appendFolded)
	}
	return input
}

// Fold returns s without diacritics, as FoldFilter folds one term.
func Fold(s string) string {
	return string(appendFolded(nil, []byte(s)))
}

// appendFolded appends term without diacritics to dst.
func appendFolded(dst, term []byte) []byte {
	for len(term) > 0 {
		c := term[0]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			term = term[1:]
			continue
		}
		r, size := decodeRune(term)
		term = term[size:]
		switch {
		case r < rune(len(foldTable)) && foldTable[r] != 0:
			dst = append(dst, foldTable[r])
		case isCombiningMark(r):
		default:
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}

// foldTable maps every rune below the end of the Latin Extended Additional
// block to the ASCII letter under its marks, or 0: one load a letter in
// the loop above.
var foldTable = func() (t [addHi]byte) {
	for r := range rune(addHi) {
		if l := lookup(r); l != nil {
			t[r] = l.fold
		}
	}
	return t
}()

// FoldFilterConstructor builds the filter for Bleve's registry.
func FoldFilterConstructor(config map[string]interface{}, cache *registry.Cache) (analysis.TokenFilter, error) {
	return NewFoldFilter(), nil
}

func init() {
	if err := registry.RegisterTokenFilter(FoldName, FoldFilterConstructor); err != nil {
		panic(err)
	}
}
