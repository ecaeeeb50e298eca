package eval

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"iter"
	"slices"
	"strings"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// ParagraphVariants are the variants of a known-paragraph query: the
// sentence as written, and without diacritics.
var ParagraphVariants = []string{"written", "no-diacritics"}

// GenParagraphs builds a known-paragraph evaluation from articles: n
// paragraphs, sampled deterministically from seed among the articles of at
// least three paragraphs, each of at least two sentences. For each, one of
// its sentences of 8 to 30 syllables (a question's length) is the query, and the
// article is rewritten without that sentence, so that the query matches
// the rest of the paragraph, not a copy of itself. It returns the queries
// (as written and without diacritics), the judgments (article and
// paragraph), and every article, those sampled rewritten: the corpus to
// evaluate on.
func GenParagraphs(articles iter.Seq[corpus.Article], n int, seed uint64) ([]Query, Qrels, []corpus.Article, error) {
	const (
		minParagraphs = 3
		minSyllables  = 8
		maxSyllables  = 30
	)
	type pick struct {
		article, paragraph int
		key                uint64
	}
	var all []corpus.Article
	var picks []pick
	for a := range articles {
		all = append(all, a)
		if a.ID == "" || len(a.Paragraphs) < minParagraphs {
			continue
		}
		for p, text := range a.Paragraphs {
			if len(corpus.SplitSentences(text)) < 2 {
				continue
			}
			h := fnv.New64a()
			fmt.Fprintf(h, "%d\x00%s\x00%d", seed, a.ID, p)
			picks = append(picks, pick{len(all) - 1, p, h.Sum64()})
		}
	}
	slices.SortFunc(picks, func(a, b pick) int { return cmp.Compare(a.key, b.key) })
	var queries []Query
	qrels := Qrels{}
	used := map[int]bool{} // one paragraph an article
	for _, pk := range picks {
		if len(queries) == n*len(ParagraphVariants) {
			break
		}
		if used[pk.article] {
			continue
		}
		a := &all[pk.article]
		text := a.Paragraphs[pk.paragraph]
		sentences := corpus.SplitSentences(text)
		// One sentence of a question's length, drawn by the seed.
		var fit []int
		for i, s := range sentences {
			if n := len(analyzer.Tokens(s, true)); n >= minSyllables && n <= maxSyllables {
				fit = append(fit, i)
			}
		}
		if len(fit) == 0 {
			continue
		}
		best := fit[pk.key%uint64(len(fit))]
		used[pk.article] = true
		rest := slices.Delete(slices.Clone(sentences), best, best+1)
		paragraphs := slices.Clone(a.Paragraphs)
		paragraphs[pk.paragraph] = strings.Join(rest, " ")
		a.Paragraphs = paragraphs
		a.Hash = ""
		i := len(queries)/len(ParagraphVariants) + 1
		for _, v := range ParagraphVariants {
			qid := fmt.Sprintf("p%d/%s", i, v)
			// Quotes would make phrases of what readers type as words.
			q := strings.Map(func(r rune) rune {
				if strings.ContainsRune("\"“”„", r) {
					return -1
				}
				return r
			}, sentences[best])
			if v == "no-diacritics" {
				q = analyzer.Fold(q)
			}
			queries = append(queries, Query{ID: qid, Text: q})
			qrels[qid] = []Judgment{{Article: a.ID, Paragraph: pk.paragraph}}
		}
	}
	if got := len(queries) / len(ParagraphVariants); got < n {
		return nil, nil, nil, fmt.Errorf("eval: only %d paragraphs can be asked about; %d asked for", got, n)
	}
	return queries, qrels, all, nil
}

// WithFolded returns queries and, for each, the same query without
// diacritics, its ID followed by "/no-diacritics" (so that reports list it
// as that variant), judged as the original is; qrels gains their
// judgments.
func WithFolded(queries []Query, qrels Qrels) []Query {
	out := make([]Query, 0, 2*len(queries))
	out = append(out, queries...)
	for _, q := range queries {
		id := q.ID + "/no-diacritics"
		out = append(out, Query{ID: id, Text: analyzer.Fold(q.Text)})
		qrels[id] = qrels[q.ID]
	}
	return out
}
