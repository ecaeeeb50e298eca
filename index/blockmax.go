package index

import (
	"container/list"
	"sync"
)

// Block maxima let a search skip whole runs of documents that cannot make
// its top results (block-max WAND, Ding & Suel 2011; Lucene and Tantivy
// do the same). A segment's documents are cut into blocks of 1<<blockShift
// document numbers; for a term with a long postings list, the cache keeps
// for each block the most any document in it can score for the term
// (BM25's term-frequency part; the IDF multiplies it at search time).
// Segments are immutable, so a segment's maxima hold until a merge
// replaces it: they are computed the first time a search needs them and
// kept, least recently used first out, within a memory budget.
const (
	blockShift = 7
	// blockMaxMinDocs is the shortest postings list worth maxima: a
	// shorter one is read whole about as fast as it is skipped.
	blockMaxMinDocs = 1024
	// blockMaxBudget bounds the cache, in bytes.
	blockMaxBudget = 64 << 20
	// avgdlHeadroom: the maxima are computed for an average field length
	// this much above the current one. A term's BM25 part grows with the
	// average length, so they stay upper bounds until the average grows
	// past it; then they are computed again.
	avgdlHeadroom = 1.25
)

// blockMaxes are one term's maxima in one segment.
type blockMaxes struct {
	avgdl  float64   // the average length they were computed for
	blocks []float32 // per block: the largest BM25 term-frequency part
	max    float64   // the largest of all
}

// bound returns the most a document of block blk can score, before IDF.
func (b *blockMaxes) bound(blk uint64) float64 {
	if blk >= uint64(len(b.blocks)) {
		return 0
	}
	return float64(b.blocks[blk])
}

type blockKey struct {
	shift   uint
	segment uint64
	field   string
	term    string
	k1, b   float64
}

// blockCache holds block maxima for an open index.
type blockCache struct {
	minDocs int  // blockMaxMinDocs, lower in tests
	shift   uint // blockShift, lower in tests
	mu      sync.Mutex
	entries map[blockKey]*list.Element
	lru     list.List // of *blockEntry, most recently used first
	bytes   int
	budget  int
	// seen is the set of segments of the latest snapshot, by identity.
	seen map[uint64]bool
}

type blockEntry struct {
	key blockKey
	bm  *blockMaxes
}

// CacheBudget is the most the index's caches take on the heap once full,
// in bytes: what a memory limit must leave them beyond what the open index
// holds already.
func (ix *Index) CacheBudget() int64 {
	return int64(ix.blocks.budget) + int64(ix.layouts.budget())
}

func newBlockCache(budget int) *blockCache {
	return &blockCache{entries: map[blockKey]*list.Element{}, budget: budget, minDocs: blockMaxMinDocs, shift: blockShift}
}

// get returns the cached maxima of key if they hold for avgdl.
func (c *blockCache) get(key blockKey, avgdl float64) *blockMaxes {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil
	}
	e := el.Value.(*blockEntry)
	if avgdl > e.bm.avgdl {
		return nil
	}
	c.lru.MoveToFront(el)
	return e.bm
}

func (c *blockCache) put(key blockKey, bm *blockMaxes) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[key]; ok {
		c.bytes -= len(el.Value.(*blockEntry).bm.blocks) * 4
		c.lru.Remove(el)
	}
	c.entries[key] = c.lru.PushFront(&blockEntry{key, bm})
	c.bytes += len(bm.blocks) * 4
	for c.bytes > c.budget && c.lru.Len() > 1 {
		last := c.lru.Back()
		e := last.Value.(*blockEntry)
		c.bytes -= len(e.bm.blocks) * 4
		delete(c.entries, e.key)
		c.lru.Remove(last)
	}
}

// segments tells the cache which segments a new snapshot holds; when they
// changed, the maxima of segments merged away are dropped.
func (c *blockCache) segments(segs []*segView) {
	c.mu.Lock()
	defer c.mu.Unlock()
	same := len(segs) == len(c.seen)
	for _, sv := range segs {
		same = same && c.seen[sv.id]
	}
	if same {
		return
	}
	live := make(map[uint64]bool, len(segs))
	for _, sv := range segs {
		live[sv.id] = true
	}
	c.seen = live
	for key, el := range c.entries {
		if !live[key.segment] {
			c.bytes -= len(el.Value.(*blockEntry).bm.blocks) * 4
			c.lru.Remove(el)
			delete(c.entries, key)
		}
	}
}
