package index

import (
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vnsearch/vnsearch/analyzer"
)

// A query typed without diacritics, or with some, is restored to the
// likeliest written form of its plain syllables, from the lexicon
// (lexicon.go): over each run of adjacent syllables, the candidates of a
// plain syllable are the exact forms that fold to it (its commonest,
// restoreCandidates at most); a syllable typed with diacritics is taken
// as typed. The model is a bigram model over exact forms, interpolated
// with how often each form is written (restoreSmoothing), so that an
// unseen pair falls back on the commonest form. A run starts and ends at
// the lexicon's boundary form: its first syllable is weighed by how
// often each form starts a run, its last by how often each ends one
// (but a query of one syllable takes its commonest form). When the
// reader capitalizes some syllable after the first of its run, each
// such syllable's case is evidence too: a form is weighed by how often
// it is capitalized, or not, where its case tells something (its
// emission probability; the lexicon counts it). The likeliest
// sequence (Viterbi) is the restoration; each syllable's confidence is
// the posterior probability of its restored form (forward-backward), and
// the restoration's is the least of them.
//
// On 2,000 held-out baomoi titles (lower-cased, so without the case's
// evidence), the run boundaries took restoration from 95.34% to 95.47%
// of syllables; on the 6,000 titles of the known-item samples (seeds 1
// to 3, typed without diacritics but with their capitals, restored by
// the index of every article's body), the capitals and the boundaries
// together took it from 95.5-95.7% to 95.8-96.0%.

// restoreCandidates bounds the written forms tried per syllable: on
// 2,000 held-out baomoi titles, 8 restore 94.9% of syllables, 16 95.3%,
// 32 95.4%.
const restoreCandidates = 16

// restoreSmoothing weighs, in P(form | previous form), how often the
// form is written at all against the pair counts (Witten-Bell): P =
// (pairs + β × P(form)) / (count of the previous form + β), β being
// restoreSmoothing times the number of forms seen after the previous one.
// On 2,000 held-out baomoi titles (16 candidates), 2 restores 95.3% of
// syllables, 1 and 4 95.3%; with 8 candidates, 2 restored 94.9%, 0.3
// 94.7%, 10 94.5%, and a constant β at best (300 to 1,000) 94.6%.
const restoreSmoothing = 2.0

// loneConfidence scales the confidence of a syllable restored without
// neighbors.
const loneConfidence = 0.5

// SuggestMinConfidence is the confidence a restoration needs to be
// offered as "did you mean".
const SuggestMinConfidence = 0.5

// Restoration is a query's restored form.
type Restoration struct {
	// Text is the query with each plain syllable in its restored form.
	Text string `json:"text"`
	// Confidence is the least posterior probability of a restored
	// syllable (1 when nothing needed restoring).
	Confidence float64 `json:"confidence"`
	// Syllables are the restored syllables, in order, with their
	// confidences.
	Syllables []RestoredSyllable `json:"syllables"`
	// Changed reports that some syllable was given diacritics.
	Changed bool `json:"changed"`
}

// RestoredSyllable is one syllable of a restoration.
type RestoredSyllable struct {
	Typed      string  `json:"typed"`
	Restored   string  `json:"restored"` // exact (lower-case) form
	Confidence float64 `json:"confidence"`
	Start      int     `json:"start"`
	End        int     `json:"end"`
}

// Restore restores text's plain syllables to their likeliest written
// forms, by the articles of the index.
func (ix *Index) Restore(text string) Restoration {
	if ix.lex == nil {
		return Restoration{Text: text, Confidence: 1}
	}
	return ix.lex.restore(text)
}

// restoreState is one candidate form of a syllable.
type restoreState struct {
	id    uint32
	prior float64 // P(form | folded form)
	p     float64 // P(form)
	emit  float64 // P(the case typed | form), 1 when it tells nothing
}

// caseOf tells whether a syllable as written is capitalized, and whether
// its case tells anything: not a syllable in capitals throughout (UBND,
// a headline in capitals), nor one without a letter.
func caseOf(written string) (capital, ok bool) {
	first, _ := utf8.DecodeRuneInString(written)
	switch {
	case !unicode.IsLetter(first):
		return false, false
	case !unicode.IsUpper(first):
		return false, true
	}
	for _, r := range written[utf8.RuneLen(first):] {
		if unicode.IsUpper(r) {
			return true, false
		}
	}
	return true, true
}

// caseSmoothing is how many case-telling occurrences, capitalized as
// often as all forms are, each form is taken to have besides its own.
const caseSmoothing = 2.0

// emission returns P(typed capitalized or not | form): how often the form
// is written so where its case tells something.
func (l *lexicon) emission(id uint32, capital bool) float64 {
	pc := (float64(l.capsAll) + 1) / (float64(l.seenAll) + 2)
	c := float64(max(l.caps[id], 0))
	if !capital {
		c = float64(max(l.caseSeen[id]-l.caps[id], 0))
		pc = 1 - pc
	}
	return (c + caseSmoothing*pc) / (float64(max(l.caseSeen[id], 0)) + caseSmoothing)
}

func (l *lexicon) restore(text string) Restoration {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := Restoration{Text: text, Confidence: 1}
	syls := analyzer.Syllables(text)
	// The case of a syllable after another of its run tells whether it
	// is a name's when the reader capitalizes names: when some such
	// syllable of the query is capitalized.
	cases := make([]int8, len(syls))
	capitalized := false
	words := 0
	for i, s := range syls {
		if !s.Whole {
			words++
		}
		if s.Whole || !s.Joined {
			continue
		}
		if capital, ok := caseOf(text[s.Start:s.End]); ok {
			cases[i] = caseLower
			if capital {
				cases[i] = caseCapital
				capitalized = true
			}
		}
	}
	alone := words == 1
	var run []analyzer.Syllable
	var runCases []int8
	var restored []RestoredSyllable
	flush := func() {
		if len(run) > 0 {
			restored = append(restored, l.restoreRun(run, runCases, alone)...)
		}
		run, runCases = run[:0], runCases[:0]
	}
	for i, s := range syls {
		if s.Whole {
			continue
		}
		if !s.Joined {
			flush()
		}
		run = append(run, s)
		c := cases[i]
		if !capitalized {
			c = caseUnknown
		}
		runCases = append(runCases, c)
	}
	flush()
	var b strings.Builder
	last := 0
	for _, r := range restored {
		out.Syllables = append(out.Syllables, r)
		out.Confidence = min(out.Confidence, r.Confidence)
		if r.Restored == r.Typed {
			continue
		}
		out.Changed = true
		b.WriteString(text[last:r.Start])
		b.WriteString(withCase(r.Restored, text[r.Start:r.End]))
		last = r.End
	}
	b.WriteString(text[last:])
	out.Text = b.String()
	return out
}

// withCase gives form the capitals of typed: its first letter, or all.
func withCase(form, typed string) string {
	first, _ := utf8.DecodeRuneInString(typed)
	if !unicode.IsUpper(first) {
		return form
	}
	if utf8.RuneCountInString(typed) > 1 && strings.ToUpper(typed) == typed {
		return strings.ToUpper(form)
	}
	r, n := utf8.DecodeRuneInString(form)
	return string(unicode.ToUpper(r)) + form[n:]
}

// candidates returns the forms tried for a syllable, with their priors:
// itself when typed with diacritics or unknown.
func (l *lexicon) candidates(s analyzer.Syllable) []restoreState {
	if s.Exact != s.Folded {
		if id, ok := l.ids[s.Exact]; ok {
			return []restoreState{{id, 1, (float64(max(l.uni[id], 0)) + 0.5) / float64(max(l.total, 1)), 1}}
		}
		return nil
	}
	ids := l.byFold[s.Folded]
	var total int64
	var out []restoreState
	for _, id := range ids {
		if c := l.uni[id]; c > 0 {
			total += c
			out = append(out, restoreState{id, float64(c), 0, 1})
		}
	}
	if len(out) == 0 {
		return nil
	}
	slices.SortFunc(out, func(a, b restoreState) int {
		switch {
		case a.prior > b.prior:
			return -1
		case a.prior < b.prior:
			return 1
		}
		return int(a.id) - int(b.id)
	})
	out = out[:min(len(out), restoreCandidates)]
	for i := range out {
		out[i].p = out[i].prior / float64(max(l.total, 1))
		out[i].prior /= float64(total)
	}
	return out
}

// The case of a typed syllable, as the model takes it.
const (
	caseUnknown int8 = iota
	caseLower
	caseCapital
)

// caseWeight is the exponent of P(case typed | form) in the model.
const caseWeight = 1.0

// restoreRun restores a run of adjacent syllables, typed in the cases
// given.
func (l *lexicon) restoreRun(run []analyzer.Syllable, cases []int8, alone bool) []RestoredSyllable {
	out := make([]RestoredSyllable, len(run))
	states := make([][]restoreState, len(run))
	for i, s := range run {
		out[i] = RestoredSyllable{Typed: s.Exact, Restored: s.Exact, Confidence: 1, Start: s.Start, End: s.End}
		states[i] = l.candidates(s)
		if cases[i] != caseUnknown {
			for j := range states[i] {
				states[i][j].emit = math.Pow(l.emission(states[i][j].id, cases[i] == caseCapital), caseWeight)
			}
		}
	}
	// Syllables without candidates split the run.
	start := 0
	for i := 0; i <= len(run); i++ {
		if i == len(run) || len(states[i]) == 0 {
			if i > start {
				// The run's ends are the boundary's neighbors; the ends
				// of a part of it between unknown syllables are not. A
				// query of one syllable takes its commonest form.
				b, ok := l.ids[boundary]
				ok = ok && !alone
				first, last := ok && start == 0, ok && i == len(run)
				l.decode(states[start:i], out[start:i], b, first, last)
			}
			if i == start+1 && len(states[start]) > 1 {
				// Alone, a syllable's form is only its share of the
				// folded one, which says little of a query's word
				// (queries are seldom the function words that make
				// "mà" 77% of "ma"): trusted half as much.
				out[start].Confidence *= loneConfidence
			}
			start = i + 1
		}
	}
	return out
}

// trans returns P(cur | prev) over the candidates of a syllable, given
// the previous form.
func (l *lexicon) trans(prev uint32, cur []restoreState) []float64 {
	p := make([]float64, len(cur))
	n := float64(l.uni[prev])
	beta := restoreSmoothing * float64(max(l.followers(prev), 1))
	for j, c := range cur {
		p[j] = (float64(l.pair(prev, c.id)) + beta*c.p) / (n + beta)
	}
	return p
}

// decode fills out with the likeliest forms of states and their
// posterior probabilities.
func (l *lexicon) decode(states [][]restoreState, out []RestoredSyllable, b uint32, first, last bool) {
	n := len(states)
	// Where the run starts, the forms of its first syllable as they
	// start runs; where it ends, as they end them.
	start := make([]float64, len(states[0]))
	for j, s := range states[0] {
		start[j] = s.prior
	}
	if first {
		start = l.trans(b, states[0])
	}
	end := make([]float64, len(states[n-1]))
	for j := range end {
		end[j] = 1
	}
	if last {
		bs := []restoreState{{id: b, p: float64(max(l.uni[b], 0)) / float64(max(l.total, 1))}}
		for j, s := range states[n-1] {
			end[j] = l.trans(s.id, bs)[0]
		}
	}
	// Transition matrices.
	tr := make([][][]float64, n)
	for i := 1; i < n; i++ {
		tr[i] = make([][]float64, len(states[i-1]))
		for a, pa := range states[i-1] {
			tr[i][a] = l.trans(pa.id, states[i])
		}
	}
	// Viterbi, in logs.
	score := make([][]float64, n)
	back := make([][]int, n)
	score[0] = make([]float64, len(states[0]))
	for j, s := range states[0] {
		score[0][j] = math.Log(start[j] * s.emit)
	}
	for i := 1; i < n; i++ {
		score[i] = make([]float64, len(states[i]))
		back[i] = make([]int, len(states[i]))
		for j := range states[i] {
			best, arg := math.Inf(-1), 0
			for a := range states[i-1] {
				if v := score[i-1][a] + math.Log(tr[i][a][j]); v > best {
					best, arg = v, a
				}
			}
			score[i][j], back[i][j] = best+math.Log(states[i][j].emit), arg
		}
	}
	path := make([]int, n)
	best := math.Inf(-1)
	for j, v := range score[n-1] {
		if v += math.Log(end[j]); v > best {
			best, path[n-1] = v, j
		}
	}
	for i := n - 1; i > 0; i-- {
		path[i-1] = back[i][path[i]]
	}
	// Forward-backward, normalized at each step.
	fw := make([][]float64, n)
	bw := make([][]float64, n)
	fw[0] = make([]float64, len(states[0]))
	for j, s := range states[0] {
		fw[0][j] = start[j] * s.emit
	}
	normalize(fw[0])
	for i := 1; i < n; i++ {
		fw[i] = make([]float64, len(states[i]))
		for a := range states[i-1] {
			for j := range states[i] {
				fw[i][j] += fw[i-1][a] * tr[i][a][j]
			}
		}
		for j, s := range states[i] {
			fw[i][j] *= s.emit
		}
		normalize(fw[i])
	}
	bw[n-1] = make([]float64, len(states[n-1]))
	copy(bw[n-1], end)
	normalize(bw[n-1])
	for i := n - 2; i >= 0; i-- {
		bw[i] = make([]float64, len(states[i]))
		for a := range states[i] {
			for j := range states[i+1] {
				bw[i][a] += tr[i+1][a][j] * states[i+1][j].emit * bw[i+1][j]
			}
		}
		normalize(bw[i])
	}
	for i := range n {
		var z float64
		for j := range states[i] {
			z += fw[i][j] * bw[i][j]
		}
		j := path[i]
		out[i].Restored = l.forms[states[i][j].id]
		if z > 0 {
			out[i].Confidence = fw[i][j] * bw[i][j] / z
		}
	}
}

func normalize(p []float64) {
	var z float64
	for _, v := range p {
		z += v
	}
	if z > 0 {
		for i := range p {
			p[i] /= z
		}
	}
}

// RestoreMinConfidence is the confidence a restored syllable needs, by
// default, to rank a keyword query (Params.RestoreConfidence).
const RestoreMinConfidence = 0.5

// RestoreMinConfidenceVerbose is the confidence a restored syllable
// needs, by default, to rank a verbose query
// (Params.RestoreConfidenceVerbose): none. On the known-item titles typed
// without diacritics (2,000 each of seeds 1 and 2), needing 0.5 gave
// MRR@10 0.7114 and 0.7091, 0.3 0.7117 and 0.7096, none 0.7121 and
// 0.7096; titles as written lost 0.0003 and none.
const RestoreMinConfidenceVerbose = 0.0

// restoredRuns returns the runs of words of a parsed query restored, or
// nil when none changes: each syllable restored with a confidence of
// need or more takes its form, and ranks as one typed with its
// diacritics does; the others stay as typed. need is
// Params.RestoreConfidence, or RestoreConfidenceVerbose for a verbose
// query: one syllable's form is one piece of its evidence, not a tier of
// its results. (Scaling ExactBoost and ExactWeight by the confidence as
// well ranked worse on baomoi, 8 candidates: no-diacritics MRR@10 0.7112
// against 0.7121, written 0.7186 against 0.7189.) Phrases and exclusions
// are left as typed.
func restoredRuns(parsed Query, restore func(string) Restoration, need float64) []string {
	changed := false
	runs := make([]string, len(parsed.Runs))
	for i, run := range parsed.Runs {
		var b strings.Builder
		last := 0
		for _, sy := range restore(run).Syllables {
			if sy.Restored == sy.Typed || sy.Confidence < need {
				continue
			}
			changed = true
			b.WriteString(run[last:sy.Start])
			b.WriteString(sy.Restored)
			last = sy.End
		}
		b.WriteString(run[last:])
		runs[i] = b.String()
	}
	if !changed {
		return nil
	}
	return runs
}
