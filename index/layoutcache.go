package index

import (
	"hash/maphash"
	"sync"
)

// The second pass of every search reads the stored layouts of its hundred
// best candidates, and a phrase check up to 10,000 more; each read from
// the segment file is a system call (storedread.go), with the document's
// stored values to decompress. The
// layouts read last are kept, by segment and document, within a budget:
// segments never change, so an entry holds until its segment is merged
// away, and then it ages out. Eviction is CLOCK (second chance): an entry
// read again since the hand last passed survives one more round. On baomoi
// 35k, in-process, 1–3 syllable queries twice over: mean 2.3–2.9 → 2.1 ms,
// p99 12–16 → 9.4 ms.
const (
	layoutCacheBudget = 32 << 20
	layoutCacheShards = 16
	// layoutCacheMax bounds one entry: a huge article's layout is read,
	// not kept.
	layoutCacheMax = 64 << 10
)

type layoutKey struct {
	segment uint64
	doc     uint64
}

type layoutCache struct {
	seed   maphash.Seed
	shards [layoutCacheShards]layoutShard
}

type layoutShard struct {
	mu      sync.Mutex
	budget  int
	bytes   int
	entries map[layoutKey]*layoutEntry
	clock   []layoutKey // insertion order; the hand is its head
}

type layoutEntry struct {
	raw  []byte
	used bool // read since the hand last passed
}

func newLayoutCache(budget int) *layoutCache {
	c := &layoutCache{seed: maphash.MakeSeed()}
	for i := range c.shards {
		c.shards[i] = layoutShard{budget: budget / layoutCacheShards, entries: map[layoutKey]*layoutEntry{}}
	}
	return c
}

func (c *layoutCache) shard(k layoutKey) *layoutShard {
	return &c.shards[maphash.Comparable(c.seed, k)%layoutCacheShards]
}

// get returns the stored layout of k, or nil. The bytes must not be
// changed.
func (c *layoutCache) get(k layoutKey) []byte {
	s := c.shard(k)
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.entries[k]
	if e == nil {
		return nil
	}
	e.used = true
	return e.raw
}

// put keeps a copy of raw as the stored layout of k.
func (c *layoutCache) put(k layoutKey, raw []byte) {
	if len(raw) > layoutCacheMax {
		return
	}
	s := c.shard(k)
	kept := append([]byte(nil), raw...)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.entries[k]; ok {
		return
	}
	for s.bytes+len(kept) > s.budget && len(s.clock) > 0 {
		old := s.clock[0]
		s.clock = s.clock[1:]
		e := s.entries[old]
		if e.used {
			e.used = false
			s.clock = append(s.clock, old)
			continue
		}
		s.bytes -= len(e.raw)
		delete(s.entries, old)
	}
	s.entries[k] = &layoutEntry{raw: kept}
	s.clock = append(s.clock, k)
	s.bytes += len(kept)
}

// budget is the most the cache holds, in bytes.
func (c *layoutCache) budget() int {
	n := 0
	for i := range c.shards {
		n += c.shards[i].budget
	}
	return n
}
