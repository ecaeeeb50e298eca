package bench

import (
	"fmt"
	"math/rand/v2"
	"unicode"

	"github.com/vnsearch/vnsearch/analyzer"
)

// QuerySet is one kind of query: its name and its queries.
type QuerySet struct {
	Name    string   `json:"name"`
	Queries []string `json:"-"`
}

// Query set names. "written" queries are as the title has them;
// "folded" are the same without diacritics (analyzer.Fold).
const (
	SetHeadline = "headline"
)

// SyllableSet names the set of n-syllable queries, written or folded.
func SyllableSet(n int, folded bool) string {
	if folded {
		return fmt.Sprintf("%d-syllable/folded", n)
	}
	return fmt.Sprintf("%d-syllable/written", n)
}

// occurrence is a run of adjacent word syllables in a title: title[lo:hi].
type occurrence struct {
	title  int32
	lo, hi int32
}

// Queries draws queries from titles as readers type them: runs of one, two
// and three adjacent syllables, drawn uniformly among all such runs in all
// titles — so each occurs in proportion to how often titles hold it — each
// as written and without diacritics; and whole titles (headlines). perSet
// queries per set; the same titles and seed give the same queries. Sets
// come in a fixed order: 1, 2, 3 syllables written, the same folded, then
// headlines. A set that no title can fill is left out.
func Queries(titles []string, perSet int, seed uint64) []QuerySet {
	var runs [4][]occurrence
	for t, title := range titles {
		var words []analyzer.Syllable
		flush := func() {
			for n := 1; n <= 3; n++ {
				for i := 0; i+n <= len(words); i++ {
					runs[n] = append(runs[n], occurrence{int32(t), int32(words[i].Start), int32(words[i+n-1].End)})
				}
			}
			words = words[:0]
		}
		for _, s := range analyzer.Syllables(title) {
			if s.Whole {
				continue
			}
			if !isWord(s.Exact) {
				flush()
				continue
			}
			if len(words) > 0 && !s.Joined {
				flush()
			}
			words = append(words, s)
		}
		flush()
	}
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	var written, folded []QuerySet
	for n := 1; n <= 3; n++ {
		if len(runs[n]) == 0 {
			continue
		}
		w := QuerySet{Name: SyllableSet(n, false)}
		f := QuerySet{Name: SyllableSet(n, true)}
		for range perSet {
			o := runs[n][r.IntN(len(runs[n]))]
			q := titles[o.title][o.lo:o.hi]
			w.Queries = append(w.Queries, q)
			f.Queries = append(f.Queries, analyzer.Fold(q))
		}
		written = append(written, w)
		folded = append(folded, f)
	}
	sets := append(written, folded...)
	if len(titles) > 0 {
		h := QuerySet{Name: SetHeadline}
		for range perSet {
			h.Queries = append(h.Queries, titles[r.IntN(len(titles))])
		}
		sets = append(sets, h)
	}
	return sets
}

// isWord reports whether a syllable is made of letters only: numbers,
// codes and dates are not what readers type as words.
func isWord(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) {
			return false
		}
	}
	return s != ""
}

// Mix is the query stream of the load test: a share of whole headlines,
// the rest drawn evenly from the one- to three-syllable sets.
type Mix struct {
	short     [][]string
	headlines []string
	headShare float64
}

// NewMix returns a mix of the sets in which headlines make up headShare.
func NewMix(sets []QuerySet, headShare float64) (*Mix, error) {
	m := &Mix{headShare: headShare}
	for _, s := range sets {
		if s.Name == SetHeadline {
			m.headlines = s.Queries
		} else if len(s.Queries) > 0 {
			m.short = append(m.short, s.Queries)
		}
	}
	if len(m.short) == 0 || (headShare > 0 && len(m.headlines) == 0) {
		return nil, fmt.Errorf("bench: no queries to mix")
	}
	return m, nil
}

// Next draws a query; headline reports whether it is a whole headline.
func (m *Mix) Next(r *rand.Rand) (q string, headline bool) {
	if r.Float64() < m.headShare {
		return m.headlines[r.IntN(len(m.headlines))], true
	}
	set := m.short[r.IntN(len(m.short))]
	return set[r.IntN(len(set))], false
}
