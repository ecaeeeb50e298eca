package eval

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"iter"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// Variants of a known-item query, in the order reports list them: the
// title as written; without any diacritics (đ → d too); with tone marks in
// the other placement style (hòa ↔ hoà, thúy ↔ thuý); decomposed (NFD);
// and with every other syllable stripped of its diacritics.
var Variants = []struct {
	Name  string
	Write func(title string) string
}{
	{"written", func(s string) string { return s }},
	{"no-diacritics", analyzer.Fold},
	{"tone-flipped", flipTones},
	{"nfd", norm.NFD.String},
	{"half-stripped", stripEveryOther},
}

// Gen builds a known-item evaluation from articles: n of them, sampled
// deterministically from seed, each title a query (in every variant) whose
// one relevant result is its article. Titles of fewer than minSyllables
// syllables, and titles that more than one article shares, are passed
// over: they do not name one article.
func Gen(articles iter.Seq[corpus.Article], n int, seed uint64) ([]Query, Qrels, error) {
	const minSyllables = 4
	type candidate struct {
		id, title string
		key       uint64
	}
	var cands []candidate
	titles := map[string]int{}
	for a := range articles {
		title := strings.Join(strings.Fields(a.Title), " ")
		if a.ID == "" || len(analyzer.Tokens(title, true)) < minSyllables {
			continue
		}
		key := analyzer.Normalize(title)
		titles[key]++
		h := fnv.New64a()
		fmt.Fprintf(h, "%d\x00%s", seed, a.ID)
		cands = append(cands, candidate{id: a.ID, title: title, key: h.Sum64()})
	}
	cands = slices.DeleteFunc(cands, func(c candidate) bool { return titles[analyzer.Normalize(c.title)] > 1 })
	if len(cands) < n {
		return nil, nil, fmt.Errorf("eval: only %d articles have a title of their own; %d asked for", len(cands), n)
	}
	slices.SortFunc(cands, func(a, b candidate) int { return cmp.Or(cmp.Compare(a.key, b.key), strings.Compare(a.id, b.id)) })
	var queries []Query
	qrels := Qrels{}
	for i, c := range cands[:n] {
		for _, v := range Variants {
			qid := fmt.Sprintf("%d/%s", i+1, v.Name)
			queries = append(queries, Query{ID: qid, Text: v.Write(c.title)})
			qrels[qid] = []Judgment{{Article: c.id, Paragraph: -1}}
		}
	}
	return queries, qrels, nil
}

// stripEveryOther removes the diacritics of every other word, the second
// first: how a reader types who gives up halfway.
func stripEveryOther(s string) string {
	words := strings.Fields(s)
	for i := 1; i < len(words); i += 2 {
		words[i] = analyzer.Fold(words[i])
	}
	return strings.Join(words, " ")
}

// flipTones writes each open syllable ending in oa, oe or uy with its tone
// mark on the other vowel: hòa ↔ hoà, khỏe ↔ khoẻ, thúy ↔ thuý. The u of
// qu is not a vowel there (quý keeps its mark).
func flipTones(s string) string {
	var b strings.Builder
	word := []rune{}
	flush := func() {
		b.WriteString(flipWord(string(word)))
		word = word[:0]
	}
	for _, r := range norm.NFC.String(s) {
		if unicode.IsLetter(r) || unicode.Is(unicode.Mn, r) {
			word = append(word, r)
			continue
		}
		flush()
		b.WriteRune(r)
	}
	flush()
	return b.String()
}

func isToneMark(r rune) bool {
	switch r {
	case 0x0300, 0x0301, 0x0303, 0x0309, 0x0323:
		return true
	}
	return false
}

// flipWord moves the tone mark of one word between the two vowels of a
// final oa, oe or uy, when the word is such a syllable.
func flipWord(w string) string {
	// Decomposed, each letter is a base followed by its marks.
	type letter struct {
		base  rune
		marks []rune
	}
	var letters []letter
	for _, r := range norm.NFD.String(w) {
		if unicode.Is(unicode.Mn, r) && len(letters) > 0 {
			letters[len(letters)-1].marks = append(letters[len(letters)-1].marks, r)
			continue
		}
		letters = append(letters, letter{base: r})
	}
	n := len(letters)
	if n < 2 {
		return w
	}
	a, b := &letters[n-2], &letters[n-1]
	pair := string([]rune{unicode.ToLower(a.base), unicode.ToLower(b.base)})
	if pair != "oa" && pair != "oe" && pair != "uy" ||
		pair == "uy" && n >= 3 && unicode.ToLower(letters[n-3].base) == 'q' {
		return w
	}
	// Only the tone may be there: a hat, horn or breve makes another vowel.
	toneOf := func(l *letter) (rune, bool) {
		var tone rune
		for _, m := range l.marks {
			if !isToneMark(m) {
				return 0, false
			}
			tone = m
		}
		return tone, true
	}
	ta, okA := toneOf(a)
	tb, okB := toneOf(b)
	if !okA || !okB || (ta == 0) == (tb == 0) {
		return w
	}
	a.marks, b.marks = b.marks, a.marks
	var out []rune
	for _, l := range letters {
		out = append(out, l.base)
		out = append(out, l.marks...)
	}
	return norm.NFC.String(string(out))
}
