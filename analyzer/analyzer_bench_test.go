package analyzer

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/blevesearch/bleve/v2/analysis"
)

// baomoiPath is the shared corpus, beside the repository.
const baomoiPath = "../../shared/corpus/baomoi-35k.jsonl.gz"

// benchText returns real article text: the bodies of the first 2,000
// baomoi articles (about 7 MB) when the shared corpus is present, else the
// seed pages.
func benchText(b *testing.B) []byte {
	b.Helper()
	if f, err := os.Open(baomoiPath); err == nil {
		defer f.Close()
		gz, err := gzip.NewReader(f)
		if err != nil {
			b.Fatal(err)
		}
		var text []byte
		r := bufio.NewReaderSize(gz, 1<<20)
		for range 2000 {
			line, err := r.ReadBytes('\n')
			if err != nil {
				break
			}
			var a struct{ Title, Summary, Body string }
			if err := json.Unmarshal(line, &a); err != nil {
				b.Fatal(err)
			}
			text = append(text, a.Title+"\n"+a.Summary+"\n"+a.Body+"\n\n"...)
		}
		return text
	}
	b.Logf("%s absent: measuring the seed pages", baomoiPath)
	files, _ := filepath.Glob("../corpus/seeds/*.txt")
	var text []byte
	for _, name := range files {
		page, err := os.ReadFile(name)
		if err != nil {
			b.Fatal(err)
		}
		text = append(text, page...)
	}
	if len(text) == 0 {
		b.Skip("no article text found")
	}
	return text
}

func benchmarkAnalyzer(b *testing.B, a analysis.Analyzer) {
	text := benchText(b)
	// Analyze a paragraph-sized piece at a time, as the index does.
	var pieces [][]byte
	for len(text) > 0 {
		n := min(len(text), 2000)
		pieces = append(pieces, text[:n])
		text = text[n:]
	}
	b.ReportAllocs()
	b.ResetTimer()
	var total int64
	for b.Loop() {
		for _, p := range pieces {
			a.Analyze(p)
			total += int64(len(p))
		}
	}
	b.SetBytes(total / int64(b.N))
}

func BenchmarkExact(b *testing.B)        { benchmarkAnalyzer(b, New(false)) }
func BenchmarkFolded(b *testing.B)       { benchmarkAnalyzer(b, New(true)) }
func BenchmarkBigram(b *testing.B)       { benchmarkAnalyzer(b, NewBigramAnalyzer(false)) }
func BenchmarkFoldedBigram(b *testing.B) { benchmarkAnalyzer(b, NewBigramAnalyzer(true)) }
