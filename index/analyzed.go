package index

import (
	"fmt"

	"github.com/vnsearch/vnsearch/analyzer"
)

// term is one query syllable in both forms.
type term struct{ exact, folded string }

// pair is two query syllables, by index into analyzedQuery.syllables,
// that stand side by side in the query.
type pair struct{ first, second int }

// analyzedQuery is a parsed query analyzed into what ranking works with.
// It is built once per search and never changed after.
type analyzedQuery struct {
	syllables []term
	marked    []int // indexes of the syllables typed with diacritics
	// plain are, when the query carries diacritics, the syllables typed
	// without them: taken as written (see plain.go).
	plain      []int
	pairs      []pair
	phrases    []string
	excludes   []term   // single words to exclude
	excludeSeq []string // phrases (or multi-token words) to exclude
	verbose    bool     // more syllables than a keyword query takes
	question   bool     // a question: its question words were left out
}

// analyze turns a parsed query into an analyzedQuery. A syllable or
// phrase given twice counts once.
func analyze(q Query, p Params) (*analyzedQuery, error) {
	a := &analyzedQuery{}
	q.Runs, a.question = stripQuestion(q)
	index := map[term]int{}
	seenPair := map[pair]bool{}
	positive := append(append([]string(nil), q.Runs...), q.Phrases...)
	for _, text := range positive {
		prev := -1
		for _, s := range analyzer.Syllables(text) {
			t := term{s.Exact, s.Folded}
			i, seen := index[t]
			if !seen {
				if len(a.syllables) == p.MaxSyllables {
					break
				}
				i = len(a.syllables)
				index[t] = i
				a.syllables = append(a.syllables, t)
				if t.exact != t.folded {
					a.marked = append(a.marked, i)
				}
			}
			if s.Whole {
				continue
			}
			if pr := (pair{prev, i}); s.Joined && prev >= 0 && !seenPair[pr] {
				seenPair[pr] = true
				a.pairs = append(a.pairs, pr)
			}
			prev = i
		}
	}
	seenText := map[string]bool{}
	for _, ph := range q.Phrases {
		if key := foldedKey(ph); key != "" && !seenText[key] {
			seenText[key] = true
			a.phrases = append(a.phrases, ph)
		}
	}
	for _, w := range q.ExcludeWords {
		switch syl := analyzer.Syllables(w); len(syl) {
		case 0:
		case 1:
			a.excludes = append(a.excludes, term{syl[0].Exact, syl[0].Folded})
		default:
			a.excludeSeq = append(a.excludeSeq, w)
		}
	}
	for _, ph := range q.ExcludePhrases {
		if len(analyzer.Syllables(ph)) > 0 {
			a.excludeSeq = append(a.excludeSeq, ph)
		}
	}
	if len(a.syllables) == 0 && len(a.excludes) == 0 && len(a.excludeSeq) == 0 {
		return nil, fmt.Errorf("%w: the query has no words to search for", ErrBadQuery)
	}
	if len(a.marked) > 0 {
		for i, t := range a.syllables {
			if t.exact == t.folded {
				a.plain = append(a.plain, i)
			}
		}
	}
	a.verbose = len(a.syllables) > p.KeywordSyllables
	return a, nil
}

// foldedKey is text's folded syllables joined by spaces: two phrases with
// the same key match the same documents.
func foldedKey(text string) string {
	var key []byte
	for _, s := range analyzer.Syllables(text) {
		if len(key) > 0 {
			key = append(key, ' ')
		}
		key = append(key, s.Folded...)
	}
	return string(key)
}
