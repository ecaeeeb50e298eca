package index

import (
	"bytes"
	"testing"
)

func TestLayoutCacheKeepsWithinBudget(t *testing.T) {
	const entry = 1000
	c := newLayoutCache(layoutCacheShards * 10 * entry) // ten entries a shard
	raw := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, entry) }
	for i := range 1000 {
		c.put(layoutKey{segment: 1, doc: uint64(i)}, raw(i))
	}
	kept := 0
	for i := range 1000 {
		if got := c.get(layoutKey{segment: 1, doc: uint64(i)}); got != nil {
			kept++
			if !bytes.Equal(got, raw(i)) {
				t.Fatalf("doc %d: got another document's layout", i)
			}
		}
	}
	for i := range c.shards {
		if s := &c.shards[i]; s.bytes > s.budget || s.bytes != len(s.entries)*entry {
			t.Errorf("shard %d: %d bytes counted for %d entries, budget %d", i, s.bytes, len(s.entries), s.budget)
		}
	}
	if kept == 0 || kept > layoutCacheShards*10 {
		t.Errorf("%d of 1000 layouts kept; want some, at most %d", kept, layoutCacheShards*10)
	}
	if c.get(layoutKey{segment: 2, doc: 999}) != nil {
		t.Error("a layout of another segment was found")
	}
}

// TestLayoutCacheSecondChance: a layout read again since it was kept
// outlives layouts kept after it and never read.
func TestLayoutCacheSecondChance(t *testing.T) {
	c := newLayoutCache(layoutCacheShards * 4 * 100)
	hot := layoutKey{segment: 7, doc: 1}
	c.put(hot, make([]byte, 100))
	for i := range 2000 {
		if c.get(hot) == nil {
			t.Fatalf("the layout read after every put was dropped after %d others", i)
		}
		c.put(layoutKey{segment: 7, doc: uint64(100 + i)}, make([]byte, 100))
	}
	c.put(layoutKey{segment: 7, doc: 5}, make([]byte, layoutCacheMax+1))
	if c.get(layoutKey{segment: 7, doc: 5}) != nil {
		t.Error("a layout larger than layoutCacheMax was kept")
	}
}
