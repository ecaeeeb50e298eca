package corpus

import (
	"errors"
	"iter"
)

// Skip turns a stream of articles and problems (what Articles, ArticlesFS
// and ReadJSON yield) into a stream of articles: each *Problem is handed to
// onProblem (which may be nil) and skipped. Any other error — a canceled
// context — ends the stream; the returned err function reports it once
// the stream has been ranged over (nil when it ran to its end or the
// consumer stopped it).
func Skip(seq iter.Seq2[Article, error], onProblem func(*Problem)) (articles iter.Seq[Article], err func() error) {
	var stopped error
	articles = func(yield func(Article) bool) {
		for a, e := range seq {
			if e != nil {
				var p *Problem
				if !errors.As(e, &p) {
					stopped = e
					return
				}
				if onProblem != nil {
					onProblem(p)
				}
				continue
			}
			if !yield(a) {
				return
			}
		}
	}
	return articles, func() error { return stopped }
}
