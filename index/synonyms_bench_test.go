package index

import "testing"

// BenchmarkMineTally counts the inline definitions of the baomoi articles,
// as compaction does after reading them.
func BenchmarkMineTally(b *testing.B) {
	articles, raw := loadBaomoi(b)
	b.SetBytes(raw)
	for b.Loop() {
		m := newMineTally()
		for i := range articles {
			a := &articles[i]
			m.add(append([]string{a.Title, a.Summary}, a.Paragraphs...)...)
		}
		if len(m.counts) == 0 {
			b.Fatal("no definitions found")
		}
	}
}
