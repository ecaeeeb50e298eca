package index

import (
	"strings"

	"github.com/vnsearch/vnsearch/analyzer"
)

// Readers also ask: "Cuộc cách mạng Pháp diễn ra ở đâu?", "Ai là người
// đứng đầu đoàn đại biểu?". The question words say what kind of answer is
// wanted, not what it is about; left in, "ai", "gì", "nào" and "đâu" would
// count as much as "cách mạng". A query is a question when it ends with
// "?" or holds a question word written with its diacritics; its question
// words are then left out of matching (never all of the query).

// questionPhrases are the question words and phrases, normalized, longest
// first: one of several syllables wins over its parts.
var questionPhrases = func() [][]string {
	words := []string{
		"như thế nào", "thế nào", "bao nhiêu", "bao giờ", "bao lâu", "tại sao", "vì sao", "làm sao",
		"có phải", "ở đâu", "khi nào", "lúc nào", "là gì", "là ai", "ra sao", "để làm gì",
		"ai", "gì", "nào", "đâu", "mấy", "sao", "chăng",
	}
	out := make([][]string, 0, len(words))
	for _, w := range words {
		var syl []string
		for _, s := range analyzer.Syllables(w) {
			syl = append(syl, s.Exact)
		}
		out = append(out, syl)
	}
	return out
}()

// stripQuestion returns the query's runs without their question words
// when the query is a question, and whether it is one. A question word
// typed without diacritics counts only when the query ends with "?":
// "nao" or "dau" may be "não" or "đau".
func stripQuestion(q Query) ([]string, bool) {
	asked := q.Asked
	type cut struct{ run, start, end int }
	var cuts []cut
	for r, text := range q.Runs {
		syl := analyzer.Syllables(text)
		for i := 0; i < len(syl); i++ {
			if syl[i].Whole {
				continue
			}
			for _, phrase := range questionPhrases {
				if n, folded := matchPhrase(syl[i:], phrase); n > 0 && (!folded || asked) {
					cuts = append(cuts, cut{r, syl[i].Start, syl[i+n-1].End})
					i += n - 1
					break
				}
			}
		}
	}
	if len(cuts) == 0 {
		return q.Runs, asked
	}
	runs := make([]string, 0, len(q.Runs))
	for r, text := range q.Runs {
		var b strings.Builder
		last := 0
		for _, c := range cuts {
			if c.run == r {
				// A comma where the words were: the syllables on either
				// side of them make no pair.
				b.WriteString(text[last:c.start])
				b.WriteString(" , ")
				last = c.end
			}
		}
		b.WriteString(text[last:])
		if kept := b.String(); len(analyzer.Syllables(kept)) > 0 {
			runs = append(runs, kept)
		}
	}
	if len(runs) == 0 && len(q.Phrases) == 0 {
		return q.Runs, true // nothing but question words: keep them
	}
	return runs, true
}

// matchPhrase reports how many syllables of syl, from the first, spell
// phrase (0 if none), and whether they matched only folded.
func matchPhrase(syl []analyzer.Syllable, phrase []string) (int, bool) {
	if len(syl) < len(phrase) {
		return 0, false
	}
	folded := false
	for k, want := range phrase {
		s := syl[k]
		if s.Whole || k > 0 && !s.Joined {
			return 0, false
		}
		switch {
		case s.Exact == want:
		case s.Exact == s.Folded && s.Folded == analyzer.Fold(want):
			folded = true
		default:
			return 0, false
		}
	}
	return len(phrase), folded
}
