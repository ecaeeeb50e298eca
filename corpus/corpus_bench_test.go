package corpus

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// baomoiPath is the shared benchmark corpus, beside the repository clone.
// It is never copied into the repository (see its README).
var baomoiPath = filepath.Join("..", "..", "shared", "corpus", "baomoi-35k.jsonl.gz")

// uncompressedSize returns the size of a gzip file's content, or skips b.
func uncompressedSize(b *testing.B, path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		b.Skipf("benchmark corpus not available (%v); it lives in shared/corpus beside the repository", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(bufio.NewReader(f))
	if err != nil {
		b.Fatal(err)
	}
	n, err := io.Copy(io.Discard, gz)
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkArticlesBaomoi reads the 35k-article corpus end to end through
// Articles: gunzip, JSON decoding, passage splitting, hashing. (An own
// JSON decoder, 1.4-1.5 times faster here in CPU time than encoding/json,
// was removed as not worth its 500 lines; see the git history.)
func BenchmarkArticlesBaomoi(b *testing.B) {
	b.SetBytes(uncompressedSize(b, baomoiPath))
	ctx := context.Background()
	var articles, problems int
	cpu := cpuTime()
	for b.Loop() {
		articles, problems = 0, 0
		for _, err := range Articles(ctx, baomoiPath) {
			if err != nil {
				var p *Problem
				if !errors.As(err, &p) {
					b.Fatal(err)
				}
				problems++
				continue
			}
			articles++
		}
	}
	b.ReportMetric(float64(articles)*float64(b.N)/b.Elapsed().Seconds(), "articles/s")
	b.ReportMetric(float64(problems), "problems")
	b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func BenchmarkParsePageSeeds(b *testing.B) {
	pages := seedPages(b)
	var size int64
	for _, p := range pages {
		size += int64(len(p.data))
	}
	b.SetBytes(size)
	for b.Loop() {
		for _, p := range pages {
			if _, err := ParsePage(p.data, p.name); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkSplitPassages(b *testing.B) {
	// A long body without paragraph breaks, as in the baomoi corpus: the
	// seed paragraphs run together.
	var sb strings.Builder
	for _, p := range seedPages(b) {
		sb.WriteString(strings.Join(strings.Fields(string(p.data)), " "))
		sb.WriteByte(' ')
	}
	text := sb.String()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		SplitPassages(text)
	}
}

// BenchmarkSplitPassagesUnpunctuated cuts one endless sentence of 1, 4
// and 16 MiB: the time per byte stays flat when splitting is linear.
func BenchmarkSplitPassagesUnpunctuated(b *testing.B) {
	for _, mib := range []int{1, 4, 16} {
		text := unpunctuated(mib << 20)
		b.Run(fmt.Sprintf("%dMiB", mib), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			for b.Loop() {
				SplitPassages(text)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/(float64(len(text))/1e6), "ns/MB")
		})
	}
}
