package index

import (
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"cmp"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/analyzer"
)

// A reader who types diacritics on some syllables of a query and not on
// others typed the others as written: in "Quách Thanh Côn", "Thanh" is
// "Thanh", not "thành". In a query that carries diacritics, a syllable
// typed without them is plain (analyzedQuery.plain): it still matches
// every marked form, so that an article holding only "thành" is found when
// nothing better is, but for ranking (keyword queries: ExactBoost and the
// tier, as a marked syllable held as typed) and for highlighting, only its
// plain occurrences count as it — when the article holds any.
//
// The exact body field holds only the marked syllables, so for ranking,
// whether a candidate holds a syllable plain is told by its frequencies:
// the folded syllable occurs more often than all its marked forms
// together (readPlain). Highlighting has the hit's text at hand and reads
// it there (matcher.plainOnly), at no cost to the search.

// markedForms returns the marked syllables that fold to folded, in their
// canonical form (as the exact field holds them): every way of putting
// the letter marks (ă â ê ô ơ ư đ) and a tone on its letters, normalized.
// It returns ok false when there are too many ways to try.
func markedForms(folded string) (forms []string, ok bool) {
	options := map[byte][]string{
		'a': {"a", "ă", "â"}, 'e': {"e", "ê"}, 'o': {"o", "ô", "ơ"},
		'u': {"u", "ư"}, 'd': {"d", "đ"},
	}
	bases := []string{""}
	vowels := 0
	for i := 0; i < len(folded); i++ {
		c := folded[i]
		if c >= 0x80 {
			return nil, false
		}
		if strings.IndexByte("aeiouy", c) >= 0 {
			vowels++
		}
		opts := options[c]
		if opts == nil {
			opts = []string{string(c)}
		}
		if len(bases)*len(opts) > 64 {
			return nil, false
		}
		next := make([]string, 0, len(bases)*len(opts))
		for _, b := range bases {
			for _, o := range opts {
				next = append(next, b+o)
			}
		}
		bases = next
	}
	if vowels == 0 {
		return nil, true
	}
	seen := map[string]bool{}
	add := func(s string) {
		syl := analyzer.Syllables(s)
		if len(syl) != 1 || syl[0].Folded != folded || !isMarked(syl[0].Exact) || seen[syl[0].Exact] {
			return
		}
		seen[syl[0].Exact] = true
		forms = append(forms, syl[0].Exact)
	}
	tones := []string{"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
	for _, b := range bases {
		add(b)
		// Each tone after each vowel, decomposed; the analyzer composes
		// it and moves it to its canonical vowel.
		d := norm.NFD.String(b)
		for i := 0; i < len(d); i++ {
			if strings.IndexByte("aeiouy", d[i]) < 0 {
				continue
			}
			end := i + 1
			for end < len(d) && d[end] >= 0x80 { // the letter mark, if any
				end++
			}
			for _, t := range tones {
				add(d[:end] + t + d[end:])
			}
		}
	}
	return forms, true
}

// plainForms returns, per plain syllable of the query, its marked forms;
// nil for a syllable whose forms could not be told (it then counts as held
// plain wherever it is held).
func plainForms(q *analyzedQuery) [][]string {
	out := make([][]string, len(q.plain))
	for k, i := range q.plain {
		out[k], _ = markedForms(q.syllables[i].folded)
	}
	return out
}

// readPlain fills, for the candidates that lack it, evidence.plain: per
// plain syllable of the query, whether the article holds it as typed.
func (r *ranker) readPlain(cands []candidate) error {
	if len(r.q.plain) == 0 {
		return nil
	}
	if r.forms == nil {
		r.forms = plainForms(r.q)
	}
	bySeg := map[int][]*candidate{}
	for i := range cands {
		c := &cands[i]
		if c.ev != nil && c.ev.plain == nil {
			c.ev.plain = make([]bool, len(r.q.plain))
			bySeg[c.seg] = append(bySeg[c.seg], c)
		}
	}
	for seg, docs := range bySeg {
		sv := r.snap.segs[seg]
		for k, i := range r.q.plain {
			// Documents holding the syllable: those holding no marked
			// form hold it plain.
			var holders []*candidate
			for _, c := range docs {
				if len(c.ev.at[i]) > 0 {
					holders = append(holders, c)
				}
			}
			if len(holders) == 0 {
				continue
			}
			folded, err := r.frequencies(sv, fieldBodyFolded, []string{r.q.syllables[i].folded}, holders)
			if err != nil {
				return err
			}
			marked, err := r.frequencies(sv, fieldBodyExact, r.forms[k], holders)
			if err != nil {
				return err
			}
			for n, c := range holders {
				c.ev.plain[k] = folded[n] > marked[n]
			}
		}
	}
	return nil
}

// frequencies returns, per document of docs (in index order), how often
// the terms occur in field in it, together.
func (r *ranker) frequencies(sv *segView, field string, terms []string, docs []*candidate) ([]uint64, error) {
	out := make([]uint64, len(docs))
	order := make([]int, len(docs))
	for n := range order {
		order[n] = n
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(docs[a].doc, docs[b].doc) })
	for _, t := range terms {
		pl, err := sv.postings(field, t)
		if err != nil {
			return nil, err
		}
		if pl == nil {
			continue
		}
		if fp, err := sv.filePostings(field, t); err == nil {
			if err := fileFrequencies(fp, docs, order, out); err != nil {
				return nil, err
			}
			continue
		}
		it := pl.Iterator(true, false, false, nil)
		// Advance moves past the posting it returns: a posting beyond one
		// document may be the next document's, so it is kept, not skipped.
		var p segment.Posting
		for _, n := range order {
			d := docs[n].doc
			if p == nil || p.Number() < d {
				if p, err = it.Advance(d); err != nil {
					return nil, err
				}
				if p == nil {
					break
				}
			}
			if p.Number() == d {
				out[n] += p.Frequency()
			}
		}
	}
	return out, nil
}

// fileFrequencies adds to out the frequencies fp reads for docs, taken in
// order (index order): a chunk at a time, through the segment file, as
// the first pass reads its postings.
func fileFrequencies(fp *filePostings, docs []*candidate, order []int, out []uint64) error {
	var at, freq uint64
	read := false
	for _, n := range order {
		d := docs[n].doc
		if !read || at < d {
			doc, f, _, ok, err := fp.advance(d)
			if err != nil || !ok {
				return err
			}
			at, freq, read = doc, f, true
		}
		if at == d {
			out[n] += freq
		}
	}
	return nil
}
