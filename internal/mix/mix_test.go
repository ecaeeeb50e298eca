package mix

import (
	"hash/fnv"
	"strings"
	"testing"
)

// TestFNV1a checks the hash against hash/fnv's: story keys stored in
// indexes and generated corpora depend on it.
func TestFNV1a(t *testing.T) {
	for _, s := range []string{"", "a", "nguoi", "hà nội", strings.Repeat("x", 100)} {
		h := fnv.New64a()
		h.Write([]byte(s))
		if got, want := FNV1a(s), h.Sum64(); got != want {
			t.Errorf("FNV1a(%q) = %x, want %x", s, got, want)
		}
	}
}

// TestSplitMix64 pins the finalizer's first outputs of SplitMix64 seeded
// with 0 (its reference values).
func TestSplitMix64(t *testing.T) {
	var state uint64
	for _, want := range []uint64{0xe220a8397b1dcdaf, 0x6e789e6aa1b965f4, 0x06c45d188009454f} {
		if got := SplitMix64(state); got != want {
			t.Errorf("SplitMix64(%#x) = %#x, want %#x", state, got, want)
		}
		state += 0x9e3779b97f4a7c15
	}
}
