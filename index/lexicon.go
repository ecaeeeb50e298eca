package index

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
// sit in a sorted array of (form, form) keys with a small map of recent
// changes merged into it now and then. A writer saves it beside the index
// when it closes, and removes the file when it opens, so that a file
// found is always in step with the articles; without one, it is counted
// again from the stored articles when the index opens.

// lexiconFile is the lexicon's file, in the index directory.
const lexiconFile = "lexicon.gob"

// lexiconVersion changes when the lexicon counts differently.
const lexiconVersion = 3

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
	// Pair counts: keys sorted, a pair's count is its base count plus
	// its delta.
	keys   []uint64
	counts []uint32
	delta  map[uint64]int64
}

func newLexicon() *lexicon {
	return &lexicon{ids: map[string]uint32{}, byFold: map[string][]uint32{}, delta: map[uint64]int64{}}
}

func pairKey(a, b uint32) uint64 { return uint64(a)<<32 | uint64(b) }

// id returns the id of an exact form, interning it.
func (l *lexicon) id(exact, folded []byte) uint32 {
	if id, ok := l.ids[string(exact)]; ok {
		return id
	}
	id := uint32(len(l.forms))
	e, f := string(exact), string(folded)
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

// count adds sign times the syllables and pairs of an article.
func (l *lexicon) count(a *corpus.Article, sign int64) {
	texts := append([]string{a.Title, a.Summary}, a.Paragraphs...)
	b := l.id([]byte(boundary), []byte(boundary))
	for _, t := range texts {
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

// Committed follows a batch of changes (Observer). The articles are
// analyzed into a lexicon of their own first, so that searches wait only
// while its counts are added.
func (l *lexicon) Committed(added, removed []corpus.Article) {
	batch := newLexicon()
	for i := range removed {
		batch.count(&removed[i], -1)
	}
	for i := range added {
		batch.count(&added[i], 1)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]uint32, len(batch.forms))
	for id, form := range batch.forms {
		ids[id] = l.id([]byte(form), []byte(batch.folded[id]))
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
	if len(l.delta) > 1<<16+len(l.keys)/8 {
		l.compact()
	}
}

// compact merges the recent changes into the sorted pair counts,
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
	keys := make([]uint64, 0, len(l.keys)+len(dk))
	counts := make([]uint32, 0, len(l.keys)+len(dk))
	push := func(k uint64, c int64) {
		if c > 0 {
			keys = append(keys, k)
			counts = append(counts, uint32(c))
		}
	}
	i, j := 0, 0
	for i < len(l.keys) || j < len(dk) {
		switch {
		case j == len(dk) || i < len(l.keys) && l.keys[i] < dk[j]:
			push(l.keys[i], int64(l.counts[i]))
			i++
		case i == len(l.keys) || dk[j] < l.keys[i]:
			push(dk[j], l.delta[dk[j]])
			j++
		default:
			push(l.keys[i], int64(l.counts[i])+l.delta[dk[j]])
			i++
			j++
		}
	}
	l.keys, l.counts = slices.Clip(keys), slices.Clip(counts)
	l.delta = map[uint64]int64{}
}

// pair returns the count of a pair of forms. The caller holds mu.
func (l *lexicon) pair(a, b uint32) int64 {
	k := pairKey(a, b)
	c := l.delta[k]
	if i, ok := slices.BinarySearch(l.keys, k); ok {
		c += int64(l.counts[i])
	}
	return c
}

// followers returns how many forms are counted after a form (in the
// merged pair counts: the recent changes are left out). The caller holds
// mu.
func (l *lexicon) followers(a uint32) int {
	lo, _ := slices.BinarySearch(l.keys, pairKey(a, 0))
	hi, _ := slices.BinarySearch(l.keys, pairKey(a+1, 0))
	return hi - lo
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
	s.Pairs = len(l.keys)
	for k, d := range l.delta {
		if i, ok := slices.BinarySearch(l.keys, k); !ok && d > 0 {
			s.Pairs++
		} else if ok && int64(l.counts[i])+d <= 0 {
			s.Pairs--
		}
	}
	s.Pending = len(l.delta)
	n := int64(len(l.forms))
	// Strings and their headers, the two maps (about 48 bytes an entry),
	// the unigram counts, the sorted pairs and the pending map.
	s.Bytes = strBytes + n*32 + n*48*2 + n*8 + int64(len(l.keys))*12 + int64(len(l.delta))*40
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
	for i, k := range l.keys {
		add(k, int64(l.counts[i]))
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
	Keys    []uint64
	Counts  []uint32
}

func (l *lexicon) save(path string) error {
	l.mu.Lock()
	l.compact()
	d := lexiconData{Version: lexiconVersion, Forms: l.forms, Uni: l.uni, Seen: l.caseSeen, Caps: l.caps, Keys: l.keys, Counts: l.counts}
	defer l.mu.Unlock()
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	if err := gob.NewEncoder(w).Encode(&d); err != nil {
		_ = f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// loadLexicon reads a saved lexicon; it returns nil, nil when there is
// none (or one of another version).
func loadLexicon(path string) (*lexicon, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var d lexiconData
	if err := gob.NewDecoder(bufio.NewReader(f)).Decode(&d); err != nil {
		return nil, fmt.Errorf("lexicon %s: %w", path, err)
	}
	if d.Version != lexiconVersion || len(d.Uni) != len(d.Forms) || len(d.Seen) != len(d.Forms) || len(d.Caps) != len(d.Forms) || len(d.Keys) != len(d.Counts) {
		return nil, nil
	}
	l := newLexicon()
	for _, form := range d.Forms {
		l.id([]byte(form), []byte(analyzer.Fold(form)))
	}
	if len(l.forms) != len(d.Forms) {
		return nil, nil // a form twice: not a lexicon this build wrote
	}
	l.uni, l.caseSeen, l.caps, l.keys, l.counts = d.Uni, d.Seen, d.Caps, d.Keys, d.Counts
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
			if len(l.delta) > 1<<16+len(l.keys)/8 {
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
	if len(c.l.delta) > 1<<16+len(c.l.keys)/8 {
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
