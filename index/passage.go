package index

import (
	"slices"
)

// Paragraphs are scored as passages, so that a hit names the paragraph a
// reader would point at, and an article with one paragraph that answers
// the query ranks above one whose matches are strewn about. A paragraph
// (or the summary; not the title) scores BM25 over its own tokens, its
// length set against the article's average paragraph, times 1 +
// Params.PassageProximity × how closely its matched syllables stand (the
// number of distinct ones over the shortest stretch holding them all),
// times 1 + Params.PassagePairs × the IDF-weighted share of the query's
// adjacent pairs standing side by side in it.

// passage is one paragraph's score.
type passage struct {
	para  int
	score float64
}

// bestPassage returns the paragraph of the evidence's document that
// scores best as a passage, and its score normalized by the most a
// passage could score on BM25 alone (so about 0 to 1, more with the
// proximity and pair factors). found is false when no paragraph or summary
// holds a query syllable.
func (r *ranker) bestPassage(e *evidence) (best passage, found bool) {
	l := e.layout
	// Paragraph lengths, and the paragraphs' average.
	lengths := map[int]int{}
	for _, u := range l.units {
		if u.para != ParagraphTitle {
			lengths[u.para] += u.tokens
		}
	}
	total, count := 0, 0
	for _, n := range lengths {
		if n > 0 {
			total += n
			count++
		}
	}
	if count == 0 {
		return passage{}, false
	}
	avg := float64(total) / float64(count)
	sc := bm25{k1: r.p.PassageK1, b: r.p.PassageB, avgdl: max(avg, 1)}
	// Per paragraph: each syllable's positions there.
	type tally struct{ at [][]int }
	paras := map[int]*tally{}
	for i, occ := range e.at {
		for _, o := range occ {
			if o.unit < 0 {
				continue
			}
			p := l.units[o.unit].para
			if p == ParagraphTitle {
				continue
			}
			t := paras[p]
			if t == nil {
				t = &tally{at: make([][]int, len(e.at))}
				paras[p] = t
			}
			t.at[i] = append(t.at[i], o.pos)
		}
	}
	// Within one article, a syllable found in every paragraph tells them
	// no more apart than "của" tells articles apart: the weights that pick
	// the paragraph are IDFs over the article's paragraphs (in passageIDF),
	// while the score that rewards the article uses the collection's.
	holders := make([]int, len(e.at))
	for _, t := range paras {
		for i, positions := range t.at {
			if len(positions) > 0 {
				holders[i]++
			}
		}
	}
	var most float64
	for _, w := range r.weight {
		most += w * (sc.k1 + 1)
	}
	if most == 0 {
		return passage{}, false
	}
	var pairWeight float64
	for _, pr := range r.q.pairs {
		pairWeight += max(r.weight[pr.first], r.weight[pr.second])
	}
	var bestLocal float64
	for p, t := range paras {
		s, local := 0.0, 0.0
		for i, positions := range t.at {
			if len(positions) > 0 {
				tf := sc.tfPart(uint64(len(positions)), uint64(max(lengths[p], 1)))
				s += r.weight[i] * tf
				local += idf(uint64(count), uint64(holders[i])) * tf
			}
		}
		factor := 1 + r.p.PassageProximity*closeness(t.at)
		if pairWeight > 0 {
			adjacent := 0.0
			for _, pr := range r.q.pairs {
				if standsBefore(t.at[pr.first], t.at[pr.second]) {
					adjacent += max(r.weight[pr.first], r.weight[pr.second])
				}
			}
			factor *= 1 + r.p.PassagePairs*adjacent/pairWeight
		}
		s, local = s*factor/most, local*factor
		// The first paragraph on ties; the summary before the paragraphs.
		if !found || local > bestLocal || local == bestLocal && p < best.para {
			best, bestLocal, found = passage{para: p, score: s}, local, true
		}
	}
	return best, found
}

// closeness is how closely a paragraph's distinct matched syllables
// stand: the number of gaps between them over the length of the shortest
// stretch of positions holding one of each, less one — 1 when they stand
// side by side, less as they spread out, 0 for a single syllable.
func closeness(at [][]int) float64 {
	type occ struct{ pos, term int }
	var all []occ
	distinct := 0
	for term, positions := range at {
		if len(positions) > 0 {
			distinct++
		}
		for _, p := range positions {
			all = append(all, occ{p, term})
		}
	}
	if distinct <= 1 {
		return 0
	}
	slices.SortFunc(all, func(a, b occ) int { return a.pos - b.pos })
	// The classic shortest window covering every term: slide a window
	// over the sorted occurrences.
	have := make([]int, len(at))
	covered, best := 0, -1
	lo := 0
	for hi, o := range all {
		if have[o.term] == 0 {
			covered++
		}
		have[o.term]++
		for covered == distinct {
			if span := all[hi].pos - all[lo].pos + 1; best < 0 || span < best {
				best = span
			}
			have[all[lo].term]--
			if have[all[lo].term] == 0 {
				covered--
			}
			lo++
		}
	}
	if best <= 1 {
		// Two query syllables fold to one token ("bà", "ba") found at
		// the same place: as close as can be.
		return 1
	}
	return min(1, float64(distinct-1)/float64(best-1))
}

// standsBefore reports whether some position of b is one after a position
// of a.
func standsBefore(a, b []int) bool {
	for _, x := range a {
		for _, y := range b {
			if y == x+1 {
				return true
			}
		}
	}
	return false
}
