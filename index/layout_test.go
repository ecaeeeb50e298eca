package index

import (
	"context"
	"slices"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

// TestLayoutRoundTrip checks that the stored layout answers as the one
// built: units, and every token's positions.
func TestLayoutRoundTrip(t *testing.T) {
	for a, err := range seedArticles(t) {
		if err != nil {
			t.Fatal(err)
		}
		built := analyzeArticle(&a).layout
		decoded, err := decodeLayout(built.encode())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(built.units, decoded.units) || built.published != decoded.published {
			t.Errorf("%s: units differ", a.ID)
		}
		want := built.occurrences(built.terms)
		got := decoded.occurrences(built.terms)
		for i := range want {
			if !slices.Equal(want[i], got[i]) {
				t.Errorf("%s: %q at %v, decoded %v", a.ID, built.terms[i], want[i], got[i])
			}
		}
		if n := len(built.terms); n < 50 {
			t.Errorf("%s: %d terms", a.ID, n)
		}
	}
}

func seedArticles(t *testing.T) func(func(corpus.Article, error) bool) {
	t.Helper()
	return func(yield func(corpus.Article, error) bool) {
		for a, err := range corpus.Seeds(context.Background()) {
			if !yield(a, err) {
				return
			}
		}
	}
}
