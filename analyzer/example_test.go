package analyzer_test

import (
	"fmt"

	"github.com/blevesearch/bleve/v2/mapping"

	"github.com/vnsearch/vnsearch/analyzer"
)

// Package analyzer is a public library: any Bleve index can name its
// analyzers in a mapping, and plain Go code can call the same analysis.

func ExampleTokens() {
	for _, t := range analyzer.Tokens("Ma TÚY hoà", false) {
		fmt.Println(t.Term, t.Start, t.End)
	}
	// Output:
	// ma 0 2
	// túy 3 7
	// hòa 8 12
}

func ExampleTokens_folded() {
	for _, t := range analyzer.Tokens("Đắk Lắk", true) {
		fmt.Print(t.Term, " ")
	}
	fmt.Println()
	// Output: dak lak
}

func ExampleBigrams() {
	// Adjacent syllables pair up; punctuation breaks a pair.
	for _, t := range analyzer.Bigrams("Bộ Công an, Trung Quốc", true) {
		fmt.Printf("%q\n", t.Term)
	}
	// Output:
	// "bo cong"
	// "cong an"
	// "trung quoc"
}

func ExampleSyllables() {
	for _, s := range analyzer.Syllables("ma túy Covid-19") {
		fmt.Println(s.Exact, s.Folded, s.Whole, s.Joined)
	}
	// Output:
	// ma ma false false
	// túy tuy false true
	// covid-19 covid-19 true false
	// covid covid false true
	// 19 19 false true
}

func ExampleNormalize() {
	// One tone placement, NFC, lowercase: these are one word.
	fmt.Println(analyzer.Normalize("HOÀ") == analyzer.Normalize("hòa"))
	// Output: true
}

func ExampleFold() {
	fmt.Println(analyzer.Fold("Trùng Khánh, Đà Nẵng"))
	// Output: Trung Khanh, Da Nang
}

// A Bleve mapping names the analyzers as it names "standard".
func Example_mapping() {
	fm := mapping.NewTextFieldMapping()
	fm.Analyzer = analyzer.FoldedName
	im := mapping.NewIndexMapping()
	im.DefaultMapping.AddFieldMappingsAt("title", fm)
	fmt.Println(im.Validate())
	// Output: <nil>
}
