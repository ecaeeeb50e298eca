package corpus

import (
	"testing"
)

// BenchmarkHTMLExtract extracts every fixture page with each extractor,
// go-readability being the baseline: MB/s of HTML.
func BenchmarkHTMLExtract(b *testing.B) {
	fixtures := append(htmlFixtures(b, "testdata/html"), htmlFixtures(b, "testdata/html/holdout")...)
	var size int64
	for _, f := range fixtures {
		size += int64(len(f.page))
	}
	for _, ex := range extractors {
		b.Run(ex.name, func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, f := range fixtures {
					text, err := decodeHTML(f.page, "")
					if err != nil {
						b.Fatal(err)
					}
					doc, err := parseHTMLDoc(text)
					if err != nil {
						b.Fatal(err)
					}
					extractHTML(doc, nil, ex.body)
				}
			}
		})
	}
}
