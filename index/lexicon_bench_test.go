package index

import (
	"testing"
)

// BenchmarkLexiconOfArticles is what the lexicon costs a write of 2,000
// baomoi articles, one core: analyzing them for the index alone
// ("analysis"), and with what the lexicon counts of them then added up
// either by analyzing them again ("count", as before) or from the index's
// analysis ("from-analysis", as writes do now), in one run.
func BenchmarkLexiconOfArticles(b *testing.B) {
	articles, _ := loadBaomoi(b)
	articles = articles[:min(len(articles), 2000)]
	b.Run("analysis", func(b *testing.B) {
		for b.Loop() {
			for i := range articles {
				_ = analyzeArticle(&articles[i])
			}
		}
	})
	b.Run("count", func(b *testing.B) {
		for b.Loop() {
			l := newLexicon()
			for i := range articles {
				_ = analyzeArticle(&articles[i])
				l.count(&articles[i], 1)
			}
		}
	})
	b.Run("from-analysis", func(b *testing.B) {
		for b.Loop() {
			l := newLexicon()
			for i := range articles {
				d := analyzeArticle(&articles[i])
				l.countTokens(&d.lex)
			}
		}
	})
}
