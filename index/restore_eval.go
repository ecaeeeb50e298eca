package index

import (
	"context"
	"hash/fnv"
	"iter"
	"unicode"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// RestorationAccuracy is how well titles typed without diacritics are
// restored by a lexicon counted from other articles.
type RestorationAccuracy struct {
	Titles    int `json:"titles"`    // held-out titles
	Syllables int `json:"syllables"` // their syllables holding a letter
	Correct   int `json:"correct"`   // restored as written
	// Ambiguous counts the syllables whose folded form has several
	// written forms in the lexicon, AmbiguousCorrect those of them
	// restored as written.
	Ambiguous        int `json:"ambiguous"`
	AmbiguousCorrect int `json:"ambiguous_correct"`
	// ModelArticles are the articles the lexicon was counted from.
	ModelArticles int          `json:"model_articles"`
	Lexicon       LexiconStats `json:"lexicon"`
}

// Accuracy is the share of syllables restored as written.
func (r RestorationAccuracy) Accuracy() float64 {
	if r.Syllables == 0 {
		return 0
	}
	return float64(r.Correct) / float64(r.Syllables)
}

// heldOut tells the articles whose titles a restoration measure holds
// out: one in 17, by ID.
func heldOut(id string) bool {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32()%17 == 0
}

// MeasureRestoration holds out the titles of up to n articles (one in 17,
// by ID), counts a lexicon from every other article, and restores each
// held-out title stripped of its diacritics.
func MeasureRestoration(ctx context.Context, articles iter.Seq[corpus.Article], n int) (RestorationAccuracy, error) {
	var out RestorationAccuracy
	l := newLexicon()
	var titles []string
	for a := range articles {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if len(titles) < n && a.Title != "" && heldOut(a.ID) {
			titles = append(titles, a.Title)
			continue
		}
		out.ModelArticles++
		l.count(&a, 1)
		if l.mergeDue() {
			l.compact()
		}
	}
	l.compact()
	out.Lexicon = l.stats()
	out.Titles = len(titles)
	for _, t := range titles {
		var want []analyzer.Syllable
		folded := []byte{}
		last := 0
		for _, s := range analyzer.Syllables(t) {
			if !s.Whole {
				want = append(want, s)
				folded = append(append(folded, t[last:s.Start]...), s.Folded...)
				last = s.End
			}
		}
		folded = append(folded, t[last:]...)
		got := l.restore(string(folded)).Syllables
		if len(got) != len(want) {
			continue // folding changed the tokens: not comparable
		}
		for i, w := range want {
			if !hasLetter(w.Folded) {
				continue
			}
			out.Syllables++
			ok := got[i].Restored == w.Exact
			if ok {
				out.Correct++
			}
			if l.written(w.Folded) > 1 {
				out.Ambiguous++
				if ok {
					out.AmbiguousCorrect++
				}
			}
		}
	}
	return out, nil
}

// written returns how many written forms of a folded one are counted.
func (l *lexicon) written(folded string) int {
	n := 0
	for _, id := range l.byFold[folded] {
		if l.uni[id] > 0 {
			n++
		}
	}
	return n
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
