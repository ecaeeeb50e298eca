package index

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// BenchmarkStoredRead measures reading one stored article, the read a
// search makes for each hit it cuts a snippet from: with pread from the
// segment file (as vnsearch reads) and through Bleve's memory map, on an
// index of 5,000 baomoi articles, compacted, its pages in the page cache.
// A read is of a document drawn across the whole segment.
//
//	go test -run='^$' -bench=StoredRead -count=5 ./index
func BenchmarkStoredRead(b *testing.B) {
	articles, _ := loadBaomoi(b)
	articles = articles[:min(len(articles), 5000)]
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vnsearch-stored")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	ix, err := Create(filepath.Join(dir, "idx"))
	if err != nil {
		b.Fatal(err)
	}
	defer func() { ix.Close() }()
	if _, err := ix.AddStream(ctx, slices.Values(articles), StreamOptions{}); err != nil {
		b.Fatal(err)
	}
	if err := ix.Compact(ctx); err != nil {
		b.Fatal(err)
	}
	// Reopened, the segment is persisted.
	if err := ix.Close(); err != nil {
		b.Fatal(err)
	}
	if ix, err = Open(filepath.Join(dir, "idx"), Options{}); err != nil {
		b.Fatal(err)
	}
	snap, err := ix.snapshot(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer snap.close()
	if len(snap.segs) != 1 || snap.segs[0].file == nil {
		b.Fatalf("%d segments, the first read through Bleve", len(snap.segs))
	}
	sv := snap.segs[0]
	n := sv.seg.Count()
	// Documents in a scattered order: the golden ratio stride.
	const stride = 0x9E3779B97F4A7C15
	for _, way := range []struct {
		name string
		read func(doc uint64) ([]byte, error)
	}{
		{"pread", func(doc uint64) ([]byte, error) { return sv.file.field(doc, fieldArticle) }},
		{"bleve", func(doc uint64) ([]byte, error) { return sv.storedBleve(doc, fieldArticle) }},
	} {
		b.Run(way.name, func(b *testing.B) {
			b.ReportAllocs()
			var i, bytes uint64
			for b.Loop() {
				doc := (i * stride) % n
				i++
				v, err := way.read(doc)
				if err != nil || v == nil {
					b.Fatalf("document %d: %v", doc, err)
				}
				bytes += uint64(len(v))
			}
			b.ReportMetric(float64(bytes)/float64(i), "bytes/read")
		})
	}
}
