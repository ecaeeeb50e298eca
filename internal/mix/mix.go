// Package mix holds the two small hash functions the index and the
// benchmark generator share: values they compute are stored (story keys)
// or must repeat across runs (generated corpora), so they are fixed here.
package mix

// FNV1a is FNV-1a's 64-bit hash of s, as hash/fnv's New64a sums it,
// without its allocations.
func FNV1a(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// SplitMix64 mixes a 64-bit value: the finalizer of SplitMix64, which
// spreads nearby values over the whole range.
func SplitMix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}
