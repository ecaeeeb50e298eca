package index

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// The lexicon counts, over every article's title, summary and paragraphs,
// each syllable as written (the vi analyzer's exact form) and each pair
// of adjacent syllables (Joined, as for bigrams), so that a query typed
// without diacritics can be restored to its likeliest written form (see
// restore.go). Each run of adjacent syllables also counts as pairs its
// first syllable after a boundary form and its last before it; and each
// form, how often it was capitalized within a run. Forms are found by
// their folded form. It follows the
// articles as an Observer: counts after adding and then deleting an
// article are those before.
//
// It is kept in memory, compact: each form is interned once; pair counts
// sit in rows, one per first form, of (second form, count) — 8 bytes a
// pair — with a small map of recent changes merged into them now and
// then. On disk each row's forms are differences, a byte or two each. A writer saves it beside the index
// when it closes, and removes the file when it opens, so that a file
// found is always in step with the articles; without one, it is counted
// again from the stored articles when the index opens.

// lexiconFile is the lexicon's file, in the index directory.
const lexiconFile = "lexicon.gob"

// lexiconVersion changes when the lexicon counts differently. 5: by unit
// of the body (title, summary, paragraph or passage of a long one), as the
// index analyzes it; run boundaries and case counted.
const lexiconVersion = 5

type lexicon struct {
	mu     sync.RWMutex
	forms  []string            // exact forms, by id
	folded []string            // their folded forms, by id
	ids    map[string]uint32   // exact form → id
	byFold map[string][]uint32 // folded form → ids of its exact forms
	uni    []int64             // count of each form, by id
	total  int64               // syllables counted
	// Case, by id: how often the form stood where its case tells
	// something (after another syllable of the same run, not in
	// capitals throughout), and how often it was capitalized there.
	caseSeen []int64
	caps     []int64
	capsAll  int64 // capitalized ones of all forms
	seenAll  int64 // case-telling occurrences of all forms
	// Pair counts, merged, by first form: the forms counted after form a
	// are next[start[a]:start[a+1]], in order, each counted counts[i]
	// times (forms interned since the last merge have none). A pair's
	// count is its merged count plus its delta, its recent change.
	start  []uint32
	next   []uint32
	counts []uint32
	delta  map[uint64]int64
	// fixedFollowers, when set, replaces what followers counts: a
	// lexicon of several shards' parts knows only their sketches
	// (understand.go).
	fixedFollowers map[uint32]int
}

// mergeDue reports that the recent changes are many enough to merge.
func (l *lexicon) mergeDue() bool { return len(l.delta) > 1<<16+len(l.next)/8 }

func newLexicon() *lexicon {
	return &lexicon{ids: map[string]uint32{}, byFold: map[string][]uint32{}, delta: map[uint64]int64{}}
}

func pairKey(a, b uint32) uint64 { return uint64(a)<<32 | uint64(b) }

// id returns the id of an exact form, interning it.
func (l *lexicon) id(exact, folded []byte) uint32 { return lexID(l, exact, folded) }

func lexID[T string | []byte](l *lexicon, exact, folded T) uint32 {
	if id, ok := l.ids[string(exact)]; ok {
		return id
	}
	id := uint32(len(l.forms))
	// Copies: a string may view the slab of a document's analysis.
	e, f := strings.Clone(string(exact)), strings.Clone(string(folded))
	if e == f {
		f = e
	}
	l.forms = append(l.forms, e)
	l.folded = append(l.folded, f)
	l.uni = append(l.uni, 0)
	l.caseSeen = append(l.caseSeen, 0)
	l.caps = append(l.caps, 0)
	l.ids[e] = id
	l.byFold[f] = append(l.byFold[f], id)
	return id
}

// lexTokens are what the lexicon counts of an article, as its analysis
// for the index finds them (analyzeArticle): its forms, exact and folded,
// and its syllables in order, each a form's number (lexForm), with
// lexPair set when it pairs with the one before, lexCase when its case
// tells something there (caseOf), and lexCapital when it is capitalized.
type lexTokens struct {
	forms [][2]string
	seq   []int32
}

const (
	lexPair    = int32(-1 << 31)
	lexCase    = int32(1 << 30)
	lexCapital = int32(1 << 29)
	lexForm    = lexCapital - 1
)

// count adds sign times the syllables and pairs of an article: those of
// each unit of its body (splitUnits), words (numbers) left out, a pair
// for adjacent syllables that stand together (Joined).
func (l *lexicon) count(a *corpus.Article, sign int64) {
	units := splitUnits(a)
	b := l.id([]byte(boundary), []byte(boundary))
	for i := range units {
		t := unitText(a, &units[i])
		prev := int64(-1)
		analyzer.EachToken(t, func(tv analyzer.TokenView) {
			if tv.Whole {
				return
			}
			id := l.id(tv.Exact, tv.Folded)
			l.uni[id] += sign
			l.total += sign
			if !tv.Joined || prev < 0 {
				// A run starts: the one before ends.
				if prev >= 0 {
					l.delta[pairKey(uint32(prev), b)] += sign
				}
				l.delta[pairKey(b, id)] += sign
				l.uni[b] += sign
			}
			if tv.Joined && prev >= 0 {
				l.delta[pairKey(uint32(prev), id)] += sign
				if capital, ok := caseOf(t[tv.Start:tv.End]); ok {
					l.caseSeen[id] += sign
					l.seenAll += sign
					if capital {
						l.caps[id] += sign
						l.capsAll += sign
					}
				}
			}
			prev = int64(id)
		})
		if prev >= 0 {
			l.delta[pairKey(uint32(prev), b)] += sign
		}
	}
}

// boundary is the form that stands, in the pair counts, before the first
// syllable of each run of adjacent syllables and after its last; its
// count is the number of runs.
const boundary = "\x00"

// countTokens adds the syllables, pairs and cases of an article analyzed
// already: what count(a, 1) adds, without analyzing it again.
func (l *lexicon) countTokens(t *lexTokens) {
	ids := make([]uint32, len(t.forms))
	for i, f := range t.forms {
		ids[i] = lexID(l, f[0], f[1])
	}
	b := lexID(l, boundary, boundary)
	prev := int64(-1)
	for _, v := range t.seq {
		id := ids[v&lexForm]
		l.uni[id]++
		l.total++
		if v&lexPair == 0 {
			// A run starts (a unit's first syllable starts one): the one
			// before ends.
			if prev >= 0 {
				l.delta[pairKey(uint32(prev), b)]++
			}
			l.delta[pairKey(b, id)]++
			l.uni[b]++
		} else {
			l.delta[pairKey(uint32(prev), id)]++
			if v&lexCase != 0 {
				l.caseSeen[id]++
				l.seenAll++
				if v&lexCapital != 0 {
					l.caps[id]++
					l.capsAll++
				}
			}
		}
		prev = int64(id)
	}
	if prev >= 0 {
		l.delta[pairKey(uint32(prev), b)]++
	}
}

// Committed follows a batch of changes (Observer). The articles are
// analyzed into a lexicon of their own first, so that searches wait only
// while its counts are added.
func (l *lexicon) Committed(added, removed []corpus.Article) {
	batch := newLexicon()
	for i := range added {
		batch.count(&added[i], 1)
	}
	l.committed([]*lexicon{batch}, removed)
}

// committed follows a batch whose added articles are counted already, in
// lexicons of their own: the removed are counted into the first, and
// each is added in turn.
func (l *lexicon) committed(counted []*lexicon, removed []corpus.Article) {
	if len(counted) == 0 {
		counted = []*lexicon{newLexicon()}
	}
	for i := range removed {
		counted[0].count(&removed[i], -1)
	}
	for _, batch := range counted {
		l.add(batch)
	}
}

// add adds the counts of batch.
func (l *lexicon) add(batch *lexicon) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]uint32, len(batch.forms))
	for id, form := range batch.forms {
		ids[id] = lexID(l, form, batch.folded[id])
		l.uni[ids[id]] += batch.uni[id]
		l.caseSeen[ids[id]] += batch.caseSeen[id]
		l.caps[ids[id]] += batch.caps[id]
	}
	l.total += batch.total
	l.seenAll += batch.seenAll
	l.capsAll += batch.capsAll
	for k, c := range batch.delta {
		if c != 0 {
			l.delta[pairKey(ids[k>>32], ids[uint32(k)])] += c
		}
	}
	if l.mergeDue() {
		l.compact()
	}
}

// compact merges the recent changes into the merged pair counts,
// dropping pairs counted zero.
func (l *lexicon) compact() {
	if len(l.delta) == 0 {
		return
	}
	dk := make([]uint64, 0, len(l.delta))
	for k := range l.delta {
		dk = append(dk, k)
	}
	slices.Sort(dk)
	n := len(l.forms)
	start := make([]uint32, n+1)
	next := make([]uint32, 0, len(l.next)+len(dk))
	counts := make([]uint32, 0, len(l.next)+len(dk))
	push := func(b uint32, c int64) {
		if c > 0 {
			next = append(next, b)
			counts = append(counts, uint32(c))
		}
	}
	j := 0
	for a := range n {
		start[a] = uint32(len(next))
		base, baseCounts := l.row(uint32(a))
		i := 0
		for {
			more := j < len(dk) && dk[j]>>32 == uint64(a) // changes of a's row left
			if i == len(base) && !more {
				break
			}
			switch {
			case !more || i < len(base) && base[i] < uint32(dk[j]):
				push(base[i], int64(baseCounts[i]))
				i++
			case i == len(base) || uint32(dk[j]) < base[i]:
				push(uint32(dk[j]), l.delta[dk[j]])
				j++
			default:
				push(base[i], int64(baseCounts[i])+l.delta[dk[j]])
				i++
				j++
			}
		}
	}
	start[n] = uint32(len(next))
	l.start, l.next, l.counts = start, slices.Clip(next), slices.Clip(counts)
	l.delta = map[uint64]int64{}
}

// row returns the forms counted after form a, merged, and their counts.
func (l *lexicon) row(a uint32) ([]uint32, []uint32) {
	if int(a)+1 >= len(l.start) {
		return nil, nil
	}
	lo, hi := l.start[a], l.start[a+1]
	return l.next[lo:hi], l.counts[lo:hi]
}

// merged returns the merged count of a pair of forms, and whether it has
// one.
func (l *lexicon) merged(a, b uint32) (int64, bool) {
	next, counts := l.row(a)
	if i, ok := slices.BinarySearch(next, b); ok {
		return int64(counts[i]), true
	}
	return 0, false
}

// pair returns the count of a pair of forms. The caller holds mu.
func (l *lexicon) pair(a, b uint32) int64 {
	c, _ := l.merged(a, b)
	return c + l.delta[pairKey(a, b)]
}

// followers returns how many forms are counted after a form (in the
// merged pair counts: the recent changes are left out). The caller holds
// mu.
func (l *lexicon) followers(a uint32) int {
	if l.fixedFollowers != nil {
		return l.fixedFollowers[a]
	}
	next, _ := l.row(a)
	return len(next)
}

// LexiconStats describes the lexicon.
type LexiconStats struct {
	Forms   int   `json:"forms"`   // exact forms counted (more than zero times)
	Folded  int   `json:"folded"`  // folded forms they have
	Pairs   int   `json:"pairs"`   // pairs of forms counted
	Tokens  int64 `json:"tokens"`  // syllables counted
	Bytes   int64 `json:"bytes"`   // an estimate of the memory it takes
	Pending int   `json:"pending"` // recent pair changes not yet merged
}

func (l *lexicon) stats() LexiconStats {
	l.mu.RLock()
	defer l.mu.RUnlock()
	var s LexiconStats
	folds := map[string]bool{}
	var strBytes int64
	for id, c := range l.uni {
		strBytes += int64(len(l.forms[id]) + len(l.folded[id]))
		if c > 0 && l.forms[id] != boundary {
			s.Forms++
			s.Tokens += c
			folds[l.folded[id]] = true
		}
	}
	s.Folded = len(folds)
	s.Pairs = len(l.next)
	for k, d := range l.delta {
		if c, ok := l.merged(uint32(k>>32), uint32(k)); !ok && d > 0 {
			s.Pairs++
		} else if ok && c+d <= 0 {
			s.Pairs--
		}
	}
	s.Pending = len(l.delta)
	n := int64(len(l.forms))
	// Strings and their headers, the two maps (about 48 bytes an entry),
	// the unigram and case counts, the merged pairs (a row start per
	// form, then a form and a count per pair) and the pending map.
	s.Bytes = strBytes + n*32 + n*48*2 + n*8*3 + int64(len(l.start))*4 + int64(len(l.next))*8 + int64(len(l.delta))*40
	return s
}

// lexiconCounts are a lexicon's counts by exact forms, for tests: forms
// and pairs counted zero are left out.
func (l *lexicon) lexiconCounts() (map[string]int64, map[[2]string]int64) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	uni := map[string]int64{}
	for id, c := range l.uni {
		if c != 0 {
			uni[l.forms[id]] = c
		}
	}
	pairs := map[[2]string]int64{}
	add := func(k uint64, c int64) {
		if c == 0 {
			return
		}
		p := [2]string{l.forms[k>>32], l.forms[uint32(k)]}
		pairs[p] += c
		if pairs[p] == 0 {
			delete(pairs, p)
		}
	}
	for a := range l.forms {
		next, counts := l.row(uint32(a))
		for i, b := range next {
			add(pairKey(uint32(a), b), int64(counts[i]))
		}
	}
	for k, d := range l.delta {
		add(k, d)
	}
	return uni, pairs
}

// lexiconData is the lexicon as saved.
type lexiconData struct {
	Version int
	Forms   []string
	Uni     []int64
	Seen    []int64 // caseSeen
	Caps    []int64
	// The merged pairs (see lexicon): Start per form, then each row's
	// forms as the difference from the one before (the first, from 0),
	// which are small numbers, and so short in gob's varints.
	Start  []uint32
	Next   []uint32
	Counts []uint32
}

func (l *lexicon) save(path string) error {
	l.mu.Lock()
	l.compact()
	next := make([]uint32, len(l.next))
	for a := range len(l.start) - 1 {
		prev := uint32(0)
		for i := l.start[a]; i < l.start[a+1]; i++ {
			next[i], prev = l.next[i]-prev, l.next[i]
		}
	}
	d := lexiconData{Version: lexiconVersion, Forms: l.forms, Uni: l.uni, Seen: l.caseSeen, Caps: l.caps,
		Start: l.start, Next: next, Counts: l.counts}
	defer l.mu.Unlock()
	return saveGob(path, &d)
}

// loadLexicon reads a saved lexicon; it returns nil, nil when there is
// none (or one of another version).
func loadLexicon(path string) (*lexicon, error) {
	var d lexiconData
	found, err := loadGob(path, &d)
	if !found {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("lexicon %s: %w", path, err)
	}
	if d.Version != lexiconVersion || len(d.Uni) != len(d.Forms) || len(d.Seen) != len(d.Forms) || len(d.Caps) != len(d.Forms) ||
		len(d.Start) > len(d.Forms)+1 || len(d.Next) != len(d.Counts) {
		return nil, nil
	}
	// Each row's forms back from their differences, checked.
	for a := range len(d.Start) - 1 {
		lo, hi := d.Start[a], d.Start[a+1]
		if lo > hi || int(hi) > len(d.Next) {
			return nil, nil
		}
		prev := uint32(0)
		for i := lo; i < hi; i++ {
			if i > lo && d.Next[i] == 0 {
				return nil, nil // not in order
			}
			d.Next[i] += prev
			if int(d.Next[i]) >= len(d.Forms) {
				return nil, nil
			}
			prev = d.Next[i]
		}
	}
	if len(d.Start) > 0 && int(d.Start[len(d.Start)-1]) != len(d.Next) || len(d.Start) == 0 && len(d.Next) > 0 {
		return nil, nil
	}
	l := newLexicon()
	for _, form := range d.Forms {
		l.id([]byte(form), []byte(analyzer.Fold(form)))
	}
	if len(l.forms) != len(d.Forms) {
		return nil, nil // a form twice: not a lexicon this build wrote
	}
	l.uni, l.caseSeen, l.caps, l.start, l.next, l.counts = d.Uni, d.Seen, d.Caps, d.Start, d.Next, d.Counts
	for id, c := range l.uni {
		if l.forms[id] != boundary {
			l.total += c
		}
		l.seenAll += l.caseSeen[id]
		l.capsAll += l.caps[id]
	}
	return l, nil
}

// countLexicon counts the lexicon of every stored article.
func (ix *Index) countLexicon() (*lexicon, error) {
	l := newLexicon()
	snap, err := ix.snapshot(ix.closing)
	if err != nil {
		return nil, err
	}
	defer snap.close()
	for seg, sv := range snap.segs {
		it := sv.live().Iterator()
		for it.HasNext() {
			a, err := snap.article(seg, uint64(it.Next()))
			if err != nil {
				return nil, err
			}
			l.count(&a, 1)
			if l.mergeDue() {
				l.compact()
			}
		}
	}
	l.compact()
	return l, nil
}

// openLexicon reads the lexicon saved beside the index, or counts it
// again, and, for a writer, removes the file: it would be stale after the
// first write.
func (ix *Index) openLexicon() error {
	path := filepath.Join(ix.path, lexiconFile)
	l, err := loadLexicon(path)
	if err != nil || l == nil {
		if l, err = ix.countLexicon(); err != nil {
			return err
		}
	}
	if !ix.readOnly {
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	ix.lex = l
	return nil
}

// saveLexicon saves the lexicon beside the index, for the next open.
func (ix *Index) saveLexicon() error {
	if ix.readOnly || ix.lex == nil {
		return nil
	}
	return ix.lex.save(filepath.Join(ix.path, lexiconFile))
}

// Lexicon describes the lexicon the index keeps for restoring diacritics.
func (ix *Index) Lexicon() LexiconStats {
	if ix.lex == nil {
		return LexiconStats{}
	}
	return ix.lex.stats()
}

// LexiconCounter counts a lexicon as an index keeps one, apart from any
// index: to measure its size on a corpus (see the lexicon benchmark in
// internal/bench).
type LexiconCounter struct{ l *lexicon }

// NewLexiconCounter returns an empty counter.
func NewLexiconCounter() *LexiconCounter { return &LexiconCounter{newLexicon()} }

// Add counts an article.
func (c *LexiconCounter) Add(a *corpus.Article) {
	c.l.count(a, 1)
	if c.l.mergeDue() {
		c.l.compact()
	}
}

// Stats merges what was counted and describes the lexicon.
func (c *LexiconCounter) Stats() LexiconStats {
	c.l.mu.Lock()
	c.l.compact()
	c.l.mu.Unlock()
	return c.l.stats()
}

// Save writes the lexicon as an index saves it beside itself.
func (c *LexiconCounter) Save(path string) error { return c.l.save(path) }
