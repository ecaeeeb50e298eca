package index

import (
	"testing"
)

// BenchmarkPackedTitle measures what ending a deflate block after the
// title costs and saves on baomoi: bytes a stored article takes, and the
// time to read a title from it (what the suggestions' table does twice
// an article), against deflating the article as one block.
//
//	go test -run='^$' -bench=PackedTitle -count=3 ./index
func BenchmarkPackedTitle(b *testing.B) {
	articles, _ := loadBaomoi(b)
	for _, tt := range []struct {
		name  string
		block bool
	}{{"one-block", false}, {"title-block", true}} {
		b.Run(tt.name, func(b *testing.B) {
			var pk packer
			packed := make([][]byte, len(articles))
			var size int
			for i := range articles {
				a := articles[i]
				raw, err := pk.pack(&a)
				if err != nil {
					b.Fatal(err)
				}
				if !tt.block {
					if raw, err = pk.deflate(mustInflate(b, raw), len(pk.raw)); err != nil {
						b.Fatal(err)
					}
				}
				packed[i] = raw
				size += len(raw)
			}
			i := 0
			for b.Loop() {
				if _, err := packedTitle(packed[i%len(packed)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(size)/float64(len(packed)), "bytes/article")
		})
	}
}

func mustInflate(b *testing.B, packed []byte) []byte {
	raw, err := inflate(packed)
	if err != nil {
		b.Fatal(err)
	}
	return raw
}
