package index

import (
	"bufio"
	"bytes"
	"cmp"
	"compress/flate"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/analyzer"
)

// Suggestions complete what a reader is typing from the phrases of the
// titles the index holds: every run of one to suggestMaxSyllables
// syllables standing side by side in a title, keyed by its folded form,
// so that "trung kh" finds "Trùng Khánh" as well as "trung khu". A phrase
// ranks by how often titles hold it, a title it heads counting twice.
//
// The table is built from the stored titles, in the background: the
// first time it is asked for, then again when the index has changed and
// the last build is old enough — ten times as old as that build took, so
// that rebuilding costs at most a tenth of a core however large the
// archive. Until a rebuild ends, suggestions come from the previous
// table.

// Suggestion is one completion of a prefix.
type Suggestion struct {
	// Text is the phrase as titles write it most often.
	Text string `json:"text"`
	// Count is how often titles hold it, a title it heads counting twice.
	Count int `json:"count"`
}

// ErrPreparing means the suggestions are not ready yet: the index is
// building its first table of title phrases.
var ErrPreparing = errors.New("suggestions are being prepared")

const (
	// suggestMaxSyllables bounds the phrases suggested.
	suggestMaxSyllables = 4
	// suggestMaxHashed bounds the phrases counted at once, by hash, while
	// a table is built: past it, the rarest are dropped (lossy counting),
	// so that building takes memory bounded by this, not by the archive.
	suggestMaxHashed = 1 << 20
	// suggestMaxCounted bounds the phrases kept with their written forms
	// (those counted often enough by hash), dropping the rarest past it.
	suggestMaxCounted = 250_000
	// suggestSmallIndex is the size under which a phrase held by one
	// title is suggested; larger indexes need two.
	suggestSmallIndex = 1000
	// suggestLargeIndex is the size from which a phrase needs three.
	suggestLargeIndex = 10_000
	// suggestYield is the longest a build waits for searches to end
	// before it reads on (yieldToSearches).
	suggestYield = 10 * time.Millisecond
	// suggestMinRefresh is the least time between two builds.
	suggestMinRefresh = 30 * time.Second
	// suggestExtend is how much of a phrase's count a longer phrase
	// starting with it must keep to be suggested in its place: "ủy ban"
	// completes to "ủy ban nhân dân" when most titles holding the one
	// hold the other.
	suggestExtend = 0.8
	// suggestExtendLeast is the least number of titles holding a phrase
	// that a shorter one completes to.
	suggestExtendLeast = 2
	// MaxSuggestions bounds the completions one call returns.
	MaxSuggestions = 20
)

// suggestTable is one build of the phrases, sorted by folded key.
type suggestTable struct {
	keys     []string // folded syllables joined by spaces
	texts    []string // the written form, by key
	counts   []uint32
	titles   []uint32 // how many titles hold it
	votes    []int32  // what its text won its vote by (phraseCount.votes)
	gen      uint64   // the index's generation it was built from
	articles uint64   // the titles it counted
	built    time.Time
	took     time.Duration
}

// suggester keeps the current table and builds the next.
type suggester struct {
	mu       sync.Mutex
	table    *suggestTable
	building chan struct{} // closed when the running build ends; nil when none runs
	err      error         // of the last build, when it failed
	// minRefresh is the least time between two builds: suggestMinRefresh
	// unless a test shortens it.
	minRefresh time.Duration
}

// Suggest returns up to n completions of prefix (n ≤ MaxSuggestions),
// the commonest first; completions holding the diacritics the prefix was
// typed with come before those that do not. A prefix ending in a space
// completes the next syllable. It waits for the first table of the index
// as long as ctx allows, then fails with ErrPreparing.
func (ix *Index) Suggest(ctx context.Context, prefix string, n int) ([]Suggestion, error) {
	if n <= 0 {
		return nil, nil
	}
	n = min(n, MaxSuggestions)
	t, err := ix.suggestions(ctx)
	if err != nil {
		return nil, err
	}
	return t.lookup(prefix, n), nil
}

// SuggestPart is what one shard of a collection holds for completing a
// prefix: how many titles its table counted, and its phrases starting
// with the prefix, the commonest suggestPartRows of them.
type SuggestPart struct {
	Titles uint64      `json:"titles"`
	Rows   []PhraseRow `json:"rows,omitempty"`
}

// PhraseRow is one phrase of a table of title phrases.
type PhraseRow struct {
	Key    string `json:"key"` // folded
	Text   string `json:"text"`
	Count  uint32 `json:"count"`
	Titles uint32 `json:"titles"`
	// Votes is what Text won its majority vote by: 0 when only titles
	// it heads write it so.
	Votes int32 `json:"votes,omitempty"`
}

// suggestPartRows bounds the phrases of a SuggestPart: more than a lookup
// weighs (its shortlist of 50 and the longer phrases they extend to).
const suggestPartRows = 400

// SuggestPart returns the part of this index's table of title phrases
// that completes prefix, for a cluster to merge with its other shards'
// (MergeSuggestions). It waits for the table as Suggest does.
func (ix *Index) SuggestPart(ctx context.Context, prefix string) (SuggestPart, error) {
	t, err := ix.suggestions(ctx)
	if err != nil {
		return SuggestPart{}, err
	}
	out := SuggestPart{Titles: t.articles}
	folded, _ := suggestKey(prefix)
	if folded == "" {
		return out, nil
	}
	lo, hi := t.span(folded)
	rows := topOf(lo, hi, suggestPartRows, func(a, b int) int {
		return cmp.Or(cmp.Compare(t.counts[b], t.counts[a]), cmp.Compare(t.keys[a], t.keys[b]))
	})
	for _, i := range rows {
		out.Rows = append(out.Rows, PhraseRow{Key: t.keys[i], Text: t.texts[i], Count: t.counts[i], Titles: t.titles[i], Votes: t.votes[i]})
	}
	return out, nil
}

// MergeSuggestions completes prefix with up to n phrases from the parts of
// every shard of a collection, as one index's table of every title would:
// the counts of a phrase are added up (its written form the winner of the
// shards' votes taken together), those held by too few titles for the whole collection
// are left out, and the lookup is Suggest's. It can differ from one
// index's answer where a shard left out a phrase its own titles hold too
// rarely, or one past its commonest suggestPartRows.
func MergeSuggestions(prefix string, parts []SuggestPart, n int) []Suggestion {
	var titles uint64
	rows := map[string]*PhraseRow{}
	for _, p := range parts {
		titles += p.Titles
		for _, r := range p.Rows {
			m := rows[r.Key]
			if m == nil {
				rows[r.Key] = &r
				continue
			}
			switch {
			case r.Text == m.Text:
				m.Votes += r.Votes
			case r.Votes > m.Votes:
				m.Text, m.Votes = r.Text, r.Votes-m.Votes
			case r.Votes == 0 && m.Votes == 0 && r.Count > m.Count:
				m.Text = r.Text // a head's form, the commoner
			default:
				m.Votes -= r.Votes
			}
			m.Count += r.Count
			m.Titles += r.Titles
		}
	}
	least := suggestLeast(titles)
	t := &suggestTable{}
	for key, r := range rows {
		if r.Titles >= least {
			t.keys = append(t.keys, key)
		}
	}
	sort.Strings(t.keys)
	for _, key := range t.keys {
		r := rows[key]
		t.texts, t.counts, t.titles, t.votes = append(t.texts, r.Text), append(t.counts, r.Count), append(t.titles, r.Titles), append(t.votes, r.Votes)
	}
	out := t.lookup(prefix, min(n, MaxSuggestions))
	if out == nil {
		out = []Suggestion{}
	}
	return out
}

// suggestLeast is how many titles must hold a phrase for it to be
// suggested, in an index of titles titles: one in a small index, two in a
// larger one, three in a large one.
func suggestLeast(titles uint64) uint32 {
	switch {
	case titles >= suggestLargeIndex:
		return 3
	case titles >= suggestSmallIndex:
		return 2
	}
	return 1
}

// PrepareSuggestions starts building the table of title phrases in the
// background when none is there yet, so that the first reader does not
// wait for it.
func (ix *Index) PrepareSuggestions() {
	s := &ix.suggest
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.table == nil && s.building == nil {
		ix.startSuggestBuild()
	}
}

// suggestions returns the current table, starting a build when there is
// none or it is stale.
func (ix *Index) suggestions(ctx context.Context) (*suggestTable, error) {
	s := &ix.suggest
	s.mu.Lock()
	t, building := s.table, s.building
	if t != nil {
		stale := t.gen != ix.generation.Load() && time.Since(t.built) >= max(s.minRefresh, 10*t.took)
		if stale && building == nil {
			ix.startSuggestBuild()
		}
		s.mu.Unlock()
		return t, nil
	}
	if building == nil {
		building = ix.startSuggestBuild()
	}
	s.mu.Unlock()
	select {
	case <-building:
	case <-ctx.Done():
		return nil, fmt.Errorf("index: suggest: %w", ErrPreparing)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.table == nil {
		return nil, fmt.Errorf("index: suggest: %w", s.err)
	}
	return s.table, nil
}

// startSuggestBuild builds a table in the background; it ends when the
// index closes. ix.suggest.mu is held.
func (ix *Index) startSuggestBuild() chan struct{} {
	done := make(chan struct{})
	ix.suggest.building = done
	ix.background.Add(1)
	go func() {
		defer ix.background.Done()
		t, err := ix.loadOrBuildSuggestions(ix.closing)
		s := &ix.suggest
		s.mu.Lock()
		if err == nil {
			s.table, s.err = t, nil
		} else if s.table == nil {
			s.err = err
		}
		s.building = nil
		s.mu.Unlock()
		close(done)
	}()
	return done
}

// buildSuggestions counts the phrases of every title of snap, taken at
// the index's generation gen.
func (ix *Index) buildSuggestions(ctx context.Context, snap *snapshot, gen uint64) (*suggestTable, error) {
	start := time.Now()
	// Two passes over the titles: the first counts every phrase by a
	// hash of its folded form, in little memory; the second keeps, with
	// their written forms, only the phrases counted often enough.
	c := newPhraseCounter(suggestMaxCounted)
	hashed := newHashCounter(suggestMaxHashed)
	seed := maphash.MakeSeed()
	titles, err := ix.eachTitle(ctx, snap, func(title string) {
		c.eachPhrase(title, func(key []byte, _ string, _ bool) {
			hashed.add(maphash.Bytes(seed, key), 1)
		})
	})
	if err != nil {
		return nil, err
	}
	least := max(suggestLeast(titles), hashed.floor+1)
	if _, err := ix.eachTitle(ctx, snap, func(title string) {
		c.eachPhrase(title, func(key []byte, text string, head bool) {
			if hashed.counts[maphash.Bytes(seed, key)] >= least { // held by enough titles
				c.add(key, text, head)
			}
		})
		if len(c.counts) > c.max {
			c.prune()
		}
	}); err != nil {
		return nil, err
	}
	t := c.table(c.floor + 1)
	t.gen, t.built, t.took, t.articles = gen, time.Now(), time.Since(start), titles
	return t, nil
}

// eachTitle calls fn with the title of every live article of snap and
// returns how many it read.
func (ix *Index) eachTitle(ctx context.Context, snap *snapshot, fn func(title string)) (uint64, error) {
	var titles uint64
	for _, sv := range snap.segs {
		it := sv.live().Iterator()
		for it.HasNext() {
			doc := uint64(it.Next())
			if titles%256 == 0 {
				ix.yieldToSearches(ctx)
				if err := ctx.Err(); err != nil {
					return titles, err
				}
			}
			// A damaged article says so when read; it has no title to offer.
			_ = sv.withStored(doc, fieldArticle, func(raw []byte) {
				if title, err := packedTitle(raw); err == nil {
					fn(title)
					titles++
				}
			})
		}
	}
	return titles, nil
}

// yieldToSearches pauses a background pass over every article while
// searches run, for up to suggestYield: at a million articles the
// suggestions' table takes a minute of CPU to build, and built beside a
// server's first searches it made them 1.7× as slow. A pass that always
// finds searches running still reads 256 titles every suggestYield.
func (ix *Index) yieldToSearches(ctx context.Context) {
	if ix.searching.Load() == 0 {
		return
	}
	deadline := time.Now().Add(suggestYield)
	for ix.searching.Load() > 0 && ctx.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(suggestYield / 20)
	}
}

// phraseWeight is what one occurrence of a phrase counts: a title it
// heads counts twice.
func phraseWeight(head bool) uint32 {
	if head {
		return 2
	}
	return 1
}

// hashCounter counts phrases by hash in bounded memory, dropping the
// rarest past max as phraseCounter does.
type hashCounter struct {
	max    int
	floor  uint32
	counts map[uint64]uint32
}

func newHashCounter(max int) *hashCounter {
	return &hashCounter{max: max, counts: make(map[uint64]uint32)}
}

func (h *hashCounter) add(key uint64, n uint32) {
	h.counts[key] += n
	if len(h.counts) > h.max {
		for len(h.counts) > h.max/2 {
			h.floor++
			for k, c := range h.counts {
				if c <= h.floor {
					delete(h.counts, k)
				}
			}
		}
	}
}

// packedTitle reads the title of a stored article, inflating only what
// comes before it (pack ends a deflate block there).
func packedTitle(packed []byte) (string, error) { return readTitle(bytes.NewReader(packed)) }

// readTitle reads the title of the stored article r gives.
func readTitle(r flate.Reader) (string, error) {
	zr := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(zr)
	if err := zr.(flate.Resetter).Reset(r, nil); err != nil {
		return "", err
	}
	br := titleReaders.Get().(*bufio.Reader)
	defer titleReaders.Put(br)
	br.Reset(zr)
	if v, err := br.ReadByte(); err != nil || v != packVersion {
		return "", errPacked
	}
	var title []byte
	for range 4 { // ID, URL, source, title
		n, err := binary.ReadUvarint(br)
		if err != nil || n > 1<<20 {
			return "", errPacked
		}
		title = slices.Grow(title[:0], int(n))[:n]
		if _, err := io.ReadFull(br, title); err != nil {
			return "", errPacked
		}
	}
	return string(title), nil
}

// titleReaders buffer the start of an inflated article.
var titleReaders = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 256) }}

// phraseCounter counts the phrases of titles in bounded memory: when it
// holds more than max phrases, it drops the rarest (lossy counting,
// Manku and Motwani 2002), so a count is low by at most the floor it
// reached.
type phraseCounter struct {
	max    int
	floor  uint32
	counts map[string]*phraseCount

	// Reused from title to title, so that counting allocates only for
	// phrases it has not seen.
	folded []byte   // the title's folded syllables, each followed by a space
	syl    []sylRef // where each stands in folded and in the title
}

type sylRef struct {
	end         int // in folded, before its space
	start, stop int // in the title
	joined      bool
}

type phraseCount struct {
	count  uint32
	titles uint32
	// text and votes pick the written form most titles use (a majority
	// vote); the form at a title's head votes only when no other has,
	// since a title capitalizes its first word.
	text  string
	votes int32
}

func newPhraseCounter(max int) *phraseCounter {
	return &phraseCounter{max: max, counts: make(map[string]*phraseCount)}
}

// eachPhrase calls fn with every phrase of a title: its folded key
// (valid only during the call), its text as written, and whether it
// heads the title.
func (c *phraseCounter) eachPhrase(title string, fn func(key []byte, text string, head bool)) {
	c.folded, c.syl = c.folded[:0], c.syl[:0]
	analyzer.EachToken(title, func(tv analyzer.TokenView) {
		if tv.Whole {
			return
		}
		c.folded = append(c.folded, tv.Folded...)
		c.syl = append(c.syl, sylRef{end: len(c.folded), start: tv.Start, stop: tv.End, joined: tv.Joined})
		c.folded = append(c.folded, ' ')
	})
	for i := range c.syl {
		from := 0
		if i > 0 {
			from = c.syl[i-1].end + 1
		}
		for j := i; j < len(c.syl) && j < i+suggestMaxSyllables; j++ {
			if j > i && !c.syl[j].joined {
				break // punctuation between: not one phrase
			}
			fn(c.folded[from:c.syl[j].end], title[c.syl[i].start:c.syl[j].stop], i == 0)
		}
	}
}

// addTitle counts every phrase of a title.
func (c *phraseCounter) addTitle(title string) {
	c.eachPhrase(title, c.add)
	if len(c.counts) > c.max {
		c.prune()
	}
}

func (c *phraseCounter) add(key []byte, text string, head bool) {
	e := c.counts[string(key)] // no copy of key to look it up
	if e == nil {
		e = &phraseCount{}
		c.counts[string(key)] = e
	}
	e.titles++
	e.count += phraseWeight(head)
	if head {
		if e.text == "" {
			e.text = written(text)
		}
	} else {
		switch {
		case e.votes == 0:
			e.text, e.votes = written(text), 1
		case e.text == text || e.text == norm.NFC.String(text):
			e.votes++
		default:
			e.votes--
		}
	}
}

// written is a title's phrase as the table keeps it: in NFC, its own
// copy rather than a view holding the whole title.
func written(text string) string {
	if norm.NFC.IsNormalString(text) {
		return strings.Clone(text)
	}
	return norm.NFC.String(text)
}

// prune raises the floor until at most half of max phrases are left.
func (c *phraseCounter) prune() {
	for len(c.counts) > c.max/2 {
		c.floor++
		for k, e := range c.counts {
			if e.count <= c.floor {
				delete(c.counts, k)
			}
		}
	}
}

// table keeps the phrases counted at least least times.
func (c *phraseCounter) table(least uint32) *suggestTable {
	keys := make([]string, 0, len(c.counts))
	for k, e := range c.counts {
		if e.count >= least {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	t := &suggestTable{keys: keys, texts: make([]string, len(keys)), counts: make([]uint32, len(keys)), titles: make([]uint32, len(keys)),
		votes: make([]int32, len(keys))}
	for i, k := range keys {
		e := c.counts[k]
		t.texts[i], t.counts[i], t.titles[i], t.votes[i] = e.text, e.count, e.titles, e.votes
	}
	return t
}

// lookup finds the completions of prefix.
func (t *suggestTable) lookup(prefix string, n int) []Suggestion {
	folded, typed := suggestKey(prefix)
	if folded == "" {
		return nil
	}
	lo, hi := t.span(folded)
	// The commonest first; a reader who typed diacritics gets the
	// completions holding them first, among a shortlist of the commonest.
	byCount := func(a, b int) int {
		if c := cmp.Compare(t.counts[b], t.counts[a]); c != 0 {
			return c
		}
		return cmp.Compare(len(t.keys[a]), len(t.keys[b]))
	}
	cands := topOf(lo, hi, max(4*n, 50), byCount)
	if typed != "" {
		holds := make(map[int]bool, len(cands))
		for _, i := range cands {
			holds[i] = t.holdsTyped(i, typed)
		}
		slices.SortStableFunc(cands, func(a, b int) int {
			return cmp.Compare(boolRank(!holds[a]), boolRank(!holds[b]))
		})
	}
	var out []Suggestion
	var chosen []string
	for _, i := range cands {
		i = t.extend(i)
		// A phrase chosen already, or a longer one starting with it, adds
		// nothing the reader cannot see.
		if slices.ContainsFunc(chosen, func(c string) bool { return t.keys[i] == c || strings.HasPrefix(t.keys[i], c+" ") }) {
			continue
		}
		chosen = append(chosen, t.keys[i])
		out = append(out, Suggestion{Text: t.texts[i], Count: int(t.counts[i])})
		if len(out) == n {
			break
		}
	}
	return out
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// span returns the keys starting with prefix.
func (t *suggestTable) span(prefix string) (lo, hi int) {
	lo = sort.SearchStrings(t.keys, prefix)
	hi = lo + sort.Search(len(t.keys)-lo, func(i int) bool { return !strings.HasPrefix(t.keys[lo+i], prefix) })
	return lo, hi
}

// extend returns the longest phrase starting with phrase i that keeps
// most of its count, or i.
func (t *suggestTable) extend(i int) int {
	for {
		lo, hi := t.span(t.keys[i] + " ")
		best := -1
		for j := lo; j < hi; j++ {
			if strings.Count(t.keys[j], " ") != strings.Count(t.keys[i], " ")+1 {
				continue
			}
			if t.titles[j] >= suggestExtendLeast && float64(t.counts[j]) >= suggestExtend*float64(t.counts[i]) &&
				(best < 0 || t.counts[j] > t.counts[best]) {
				best = j
			}
		}
		if best < 0 {
			return i
		}
		i = best
	}
}

// holdsTyped reports whether phrase i, as written, starts with the exact
// syllables typed (the last one as a prefix).
func (t *suggestTable) holdsTyped(i int, typed string) bool {
	var b strings.Builder
	for k, s := range analyzer.Syllables(t.texts[i]) {
		if s.Whole {
			continue
		}
		if k > 0 && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s.Exact)
		if b.Len() >= len(typed) {
			break
		}
	}
	return strings.HasPrefix(b.String(), typed)
}

// suggestKey analyzes a prefix into its folded key and, when it was typed
// with diacritics, its exact form; a trailing space is kept, so that
// "trung " completes the next syllable rather than "trung" itself.
func suggestKey(prefix string) (folded, typed string) {
	var f, e strings.Builder
	marked := false
	for _, s := range analyzer.Syllables(prefix) {
		if s.Whole {
			continue
		}
		if f.Len() > 0 {
			f.WriteByte(' ')
			e.WriteByte(' ')
		}
		f.WriteString(s.Folded)
		e.WriteString(s.Exact)
		marked = marked || s.Exact != s.Folded
	}
	if f.Len() == 0 {
		return "", ""
	}
	if last := prefix[len(prefix)-1]; last == ' ' || last == '\t' {
		f.WriteByte(' ')
		e.WriteByte(' ')
	}
	if !marked {
		return f.String(), ""
	}
	return f.String(), e.String()
}

// topOf returns the k first of lo…hi-1 by order, in order: a short
// prefix spans thousands of phrases, which a bounded heap passes over once.
func topOf(lo, hi, k int, order func(a, b int) int) []int {
	h := make([]int, 0, k+1) // a heap whose root is the last of the best k
	worse := func(i, j int) bool { return order(h[i], h[j]) > 0 }
	down := func(i int) {
		for {
			l, m := 2*i+1, i
			if l < len(h) && worse(l, m) {
				m = l
			}
			if r := l + 1; r < len(h) && worse(r, m) {
				m = r
			}
			if m == i {
				return
			}
			h[i], h[m] = h[m], h[i]
			i = m
		}
	}
	for x := lo; x < hi; x++ {
		if len(h) < k {
			h = append(h, x)
			for i := len(h) - 1; i > 0 && worse(i, (i-1)/2); i = (i - 1) / 2 {
				h[i], h[(i-1)/2] = h[(i-1)/2], h[i]
			}
			continue
		}
		if order(x, h[0]) < 0 {
			h[0] = x
			down(0)
		}
	}
	slices.SortFunc(h, order)
	return h
}
