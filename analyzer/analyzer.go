package analyzer

import (
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/registry"
)

// Names of the analyzers registered with Bleve; an index mapping can name
// them as it names "standard".
const (
	// Name: syllables in canonical form, diacritics kept.
	Name = "vi"
	// FoldedName: syllables without diacritics.
	FoldedName = "vi_folded"
	// BigramName: pairs of adjacent syllables, diacritics kept.
	BigramName = "vi_bigram"
	// FoldedBigramName: pairs of adjacent syllables without diacritics.
	FoldedBigramName = "vi_folded_bigram"
)

// New returns the syllable analyzer: exact (canonical diacritics) or
// folded.
func New(folded bool) analysis.Analyzer {
	filters := []analysis.TokenFilter{NewNormalizeFilter()}
	if folded {
		filters = append(filters, NewFoldFilter())
	}
	return &analysis.DefaultAnalyzer{Tokenizer: NewTokenizer(), TokenFilters: filters}
}

// BigramAnalyzer emits one token for each pair of syllables that stand
// next to each other in the text — separated by whitespace only, or by the
// connector of a compound — with the two canonical terms joined by a space
// ("ma túy"). A pair split by punctuation ("ma, túy") is no bigram.
//
// It is an Analyzer rather than a TokenFilter because adjacency depends on
// the text between two tokens, which a TokenFilter never sees.
type BigramAnalyzer struct {
	folded bool
}

// NewBigramAnalyzer returns the bigram analyzer, exact or folded.
func NewBigramAnalyzer(folded bool) *BigramAnalyzer {
	return &BigramAnalyzer{folded: folded}
}

// Analyze returns the bigrams of input with consecutive positions; Start
// and End span both syllables in the input.
func (a *BigramAnalyzer) Analyze(input []byte) analysis.TokenStream {
	var (
		// Each bigram repeats two terms: about twice the input's bytes.
		arena    = make([]byte, 0, 2*len(input)+16)
		slab     = make([]analysis.Token, 0, len(input)/5)
		prev     []byte
		prevSpan span
		havePrev bool
	)
	scan(input, func(s span) {
		if !s.inText() {
			return
		}
		var term []byte
		arena, term = appendTerm(arena, input[s.start:s.end], appendNormalized)
		if a.folded {
			arena, term = appendTerm(arena, term, appendFolded)
		}
		if havePrev && s.joined {
			start := len(arena)
			arena = append(arena, prev...)
			arena = append(arena, ' ')
			arena = append(arena, term...)
			slab = append(slab, analysis.Token{
				Start:    prevSpan.start,
				End:      s.end,
				Term:     arena[start:len(arena):len(arena)],
				Position: len(slab) + 1,
				Type:     analysis.Shingle,
			})
		}
		prev, prevSpan, havePrev = term, s, true
	})
	return pointers(slab)
}

// Token is one analyzed token, for callers outside Bleve.
type Token struct {
	Term     string `json:"term"`
	Position int    `json:"position"`
	Start    int    `json:"start"` // byte offset into the text
	End      int    `json:"end"`
}

// Tokens analyzes text as the index does: the syllable tokens in canonical
// form, or folded.
func Tokens(text string, folded bool) []Token {
	return convert(New(folded).Analyze([]byte(text)))
}

// Bigrams returns the adjacent-syllable pairs of text, exact or folded.
func Bigrams(text string, folded bool) []Token {
	return convert(NewBigramAnalyzer(folded).Analyze([]byte(text)))
}

func convert(stream analysis.TokenStream) []Token {
	tokens := make([]Token, len(stream))
	for i, t := range stream {
		tokens[i] = Token{Term: string(t.Term), Position: t.Position, Start: t.Start, End: t.End}
	}
	return tokens
}

func init() {
	register := func(name string, a analysis.Analyzer) {
		err := registry.RegisterAnalyzer(name, func(map[string]interface{}, *registry.Cache) (analysis.Analyzer, error) {
			return a, nil
		})
		if err != nil {
			panic(err)
		}
	}
	register(Name, New(false))
	register(FoldedName, New(true))
	register(BigramName, NewBigramAnalyzer(false))
	register(FoldedBigramName, NewBigramAnalyzer(true))
}

// Syllable is one token of a text in both its forms, with what the index
// needs to rebuild every analyzer's output from one pass.
type Syllable struct {
	Exact  string `json:"exact"`  // as the vi analyzer gives it
	Folded string `json:"folded"` // as the vi_folded analyzer gives it
	Start  int    `json:"start"`
	End    int    `json:"end"`
	// Position is the token's position in the vi and vi_folded streams.
	Position int `json:"position"`
	// Whole marks a compound's whole form (covid-19), whose parts follow
	// it; it takes no part in bigrams.
	Whole bool `json:"whole,omitempty"`
	// Joined reports that the previous non-Whole syllable stands right
	// before this one, so that the two make a bigram.
	Joined bool `json:"joined,omitempty"`
}

// Syllables analyzes text once into its tokens in exact and folded form.
// Tokens(text, false), Tokens(text, true) and both Bigrams are derivable
// from it: the bigrams join each Joined syllable to the non-Whole one
// before it.
func Syllables(text string) []Syllable {
	input := []byte(text)
	var (
		out   = make([]Syllable, 0, len(input)/5)
		arena = make([]byte, 0, 2*len(input)+16)
	)
	scan(input, func(s span) {
		var exact, folded []byte
		arena, exact = appendTerm(arena, input[s.start:s.end], appendNormalized)
		arena, folded = appendTerm(arena, exact, appendFolded)
		out = append(out, Syllable{
			Exact:    string(exact),
			Folded:   string(folded),
			Start:    s.start,
			End:      s.end,
			Position: len(out) + 1,
			Whole:    !s.inText(),
			Joined:   s.joined && s.inText(),
		})
	})
	return out
}

// Spans returns where each token of text stands, as [start, end) byte
// offsets, in the order and number of the tokens Syllables gives (and of
// their positions): what a highlighter needs when it knows which tokens
// matched, without normalizing or folding any.
func Spans(text string) [][2]int {
	out := make([][2]int, 0, len(text)/5)
	scan([]byte(text), func(s span) { out = append(out, [2]int{s.start, s.end}) })
	return out
}

// TokenView is one token as EachToken gives it: both forms are views into
// buffers that the next call may overwrite, so that analyzing a text
// allocates nothing per token. Position counts as in Syllables.
type TokenView struct {
	Exact, Folded []byte
	Start, End    int
	Position      int
	// Whole and Joined are as in Syllable.
	Whole, Joined bool
}

// EachToken analyzes text as Syllables does, calling fn for each token in
// order. The views are valid only during the call.
func EachToken(text string, fn func(TokenView)) {
	input := []byte(text)
	var arena []byte
	n := 0
	scan(input, func(s span) {
		arena = arena[:0]
		var exact, folded []byte
		arena, exact = appendTerm(arena, input[s.start:s.end], appendNormalized)
		arena, folded = appendTerm(arena, exact, appendFolded)
		n++
		fn(TokenView{Exact: exact, Folded: folded, Start: s.start, End: s.end, Position: n,
			Whole: !s.inText(), Joined: s.joined && s.inText()})
	})
}
