package index

import "testing"

// BenchmarkOccurrences looks up three query syllables, one of them
// absent, in the stored layouts of the seed articles, as a phrase check
// or the second pass does for each candidate.
func BenchmarkOccurrences(b *testing.B) {
	var layouts []layout
	var terms [][]string
	for a, err := range seedArticles(b) {
		if err != nil {
			b.Fatal(err)
		}
		built := analyzeArticle(&a).layout
		l, err := decodeLayout(built.encode())
		if err != nil {
			b.Fatal(err)
		}
		layouts = append(layouts, l)
		n := len(built.terms)
		terms = append(terms, []string{built.terms[n/3], built.terms[2*n/3], "khongco"})
	}
	b.ResetTimer()
	for i := range b.N {
		k := i % len(layouts)
		layouts[k].occurrences(terms[k])
	}
}
