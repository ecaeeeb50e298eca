package analyzer

import (
	"testing"
	"unicode/utf8"

	"github.com/blevesearch/bleve/v2/analysis"
)

// FuzzAnalyze checks the invariants every analyzer keeps on any input: no
// panic, valid UTF-8 terms, offsets inside the input on rune boundaries,
// strictly increasing positions.
func FuzzAnalyze(f *testing.F) {
	for _, seed := range []string{
		"(ANTV) - Nhận lời mời của Bộ Công an Trung Quốc, từ 12 đến 16/9/2023",
		"Du\u031bo\u031b\u0300ng \u00d0à Nẵng qủa lựơng nghịêm hoà thuý",
		"Covid-19 TP.HCM Việt-Trung 8.500.000 21,2 20,4% 7h30 6x36 568P 24Gold",
		"news@antv.gov.vn https://vov.vn/a-b.html, www.antv.gov.vn. O’Neil",
		"\u0301\u0301a\xff\xfe-.-.x..y,,1,2",
		"http://", "a-", "-a", "1.", "@@x.y", "\u0300",
	} {
		f.Add(seed)
	}
	analyzers := map[string]analysis.Analyzer{
		Name:             New(false),
		FoldedName:       New(true),
		BigramName:       NewBigramAnalyzer(false),
		FoldedBigramName: NewBigramAnalyzer(true),
	}
	f.Fuzz(func(t *testing.T, in string) {
		// Where a decoder stops: each rune's start, each invalid byte, the end.
		boundary := map[int]bool{len(in): true}
		for i := range in {
			boundary[i] = true
		}
		for name, a := range analyzers {
			input := []byte(in)
			stream := a.Analyze(input)
			if string(input) != in {
				t.Fatalf("%s modified its input", name)
			}
			last := 0
			for _, tok := range stream {
				if len(tok.Term) == 0 || !utf8.Valid(tok.Term) {
					t.Fatalf("%s: term %q empty or not UTF-8 in %q", name, tok.Term, in)
				}
				if tok.Start < 0 || tok.End > len(in) || tok.Start >= tok.End {
					t.Fatalf("%s: token %q at [%d:%d] outside %d-byte input", name, tok.Term, tok.Start, tok.End, len(in))
				}
				if !boundary[tok.Start] || !boundary[tok.End] {
					t.Fatalf("%s: token %q at [%d:%d] cuts a rune in %q", name, tok.Term, tok.Start, tok.End, in)
				}
				if tok.Position <= last {
					t.Fatalf("%s: position %d after %d in %q", name, tok.Position, last, in)
				}
				last = tok.Position
			}
		}
	})
}
