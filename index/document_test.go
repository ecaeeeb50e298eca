package index

import (
	"bytes"
	"slices"
	"testing"

	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/corpus"
)

// TestArticleAnalyzerReused checks that a worker's analyzer, reusing its
// scratch article after article, analyzes each as a fresh one does, and
// that what Bleve keeps of an article — its frequencies — stays intact
// while the next ones are analyzed.
func TestArticleAnalyzerReused(t *testing.T) {
	var articles []corpus.Article
	for a, err := range seedArticles(t) {
		if err != nil {
			t.Fatal(err)
		}
		articles = append(articles, a)
	}
	// Forward and back: a long article after short ones, and the reverse.
	order := append(slices.Clone(articles), articles...)
	slices.Reverse(order[len(articles):])

	var z articleAnalyzer
	kept := make([]docFields, len(order))
	for i := range order {
		kept[i] = z.analyze(&order[i])
		fresh := analyzeArticle(&order[i])
		if kept[i].tokens != fresh.tokens {
			t.Errorf("%s: tokens %+v, fresh %+v", order[i].ID, kept[i].tokens, fresh.tokens)
		}
		if !bytes.Equal(kept[i].layout.encode(), fresh.layout.encode()) {
			t.Errorf("%s: layouts differ", order[i].ID)
		}
		if !slices.Equal(kept[i].lex.seq, fresh.lex.seq) || !slices.Equal(kept[i].lex.forms, fresh.lex.forms) {
			t.Errorf("%s: lexicon tokens differ", order[i].ID)
		}
		if n := frequencySum(kept[i].folded); n != int(fresh.tokens.all) {
			t.Errorf("%s: folded frequencies sum to %d, want %d tokens", order[i].ID, n, fresh.tokens.all)
		}
	}
	for i := range order {
		fresh := analyzeArticle(&order[i])
		for name, pair := range map[string][2]bleveindex.TokenFrequencies{
			"folded": {kept[i].folded, fresh.folded}, "exact": {kept[i].exact, fresh.exact}} {
			got, want := pair[0], pair[1]
			if len(got) != len(want) {
				t.Errorf("%s %s: %d terms after the others were analyzed, want %d", order[i].ID, name, len(got), len(want))
				continue
			}
			for term, tf := range want {
				g := got[term]
				if g == nil || !bytes.Equal(g.Term, tf.Term) || g.Frequency() != tf.Frequency() {
					t.Errorf("%s %s: %q changed after the others were analyzed", order[i].ID, name, term)
				}
			}
		}
	}
}

func frequencySum(m bleveindex.TokenFrequencies) int {
	n := 0
	for _, tf := range m {
		n += tf.Frequency()
	}
	return n
}
