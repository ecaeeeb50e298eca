package index

import (
	"context"
	"slices"
	"strings"
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

func seedArticles(t testing.TB) func(func(corpus.Article, error) bool) {
	t.Helper()
	return func(yield func(corpus.Article, error) bool) {
		for a, err := range corpus.Seeds(context.Background()) {
			if !yield(a, err) {
				return
			}
		}
	}
}

// TestLayoutLongTerms checks the front coding's escape: terms of 15, 16
// and more bytes, sharing starts of as many, read back as built, alone or
// asked for together with others.
func TestLayoutLongTerms(t *testing.T) {
	long := strings.Repeat("x", 15)
	terms := []string{"a", "ab", "abc", long, long + "y", long + "yz", long + long, long + long + "a",
		"https://vnexpress.net/tin-tuc", "https://vnexpress.net/tin-tuc/thoi-su", "0912345678901234567", "b"}
	l := layout{units: []unit{{para: ParagraphTitle, end: 10, tokens: 2 * len(terms)}}}
	for i, term := range terms {
		l.terms = append(l.terms, term)
		l.positions = append(l.positions, []int{i + 1, i + 1 + len(terms)})
	}
	decoded, err := decodeLayout(l.encode())
	if err != nil {
		t.Fatal(err)
	}
	for i, term := range terms {
		if got := decoded.occurrences([]string{term}); !slices.Equal(got[0], l.positions[i]) {
			t.Errorf("%q at %v, decoded %v", term, l.positions[i], got[0])
		}
	}
	got := decoded.occurrences(append([]string{"missing"}, terms...))
	if got[0] != nil || !slices.Equal(got[len(terms)], l.positions[len(terms)-1]) {
		t.Errorf("asked together: %v", got)
	}
}

// FuzzDecodeLayout feeds damaged layouts to the decoder and the lookup:
// an error or fewer positions, never a panic.
func FuzzDecodeLayout(f *testing.F) {
	l := layout{units: []unit{{para: ParagraphTitle, end: 5, tokens: 3}}, terms: []string{"ma", "tuy", strings.Repeat("z", 20)},
		positions: [][]int{{1}, {2}, {3}}}
	f.Add(l.encode())
	f.Add([]byte{1, 0, 3, 0, 5, 3, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := decodeLayout(b)
		if err != nil {
			return
		}
		d.occurrences([]string{"ma", "tuy", "x"})
	})
}
