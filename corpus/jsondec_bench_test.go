package corpus

import (
	"context"
	"os"
	"testing"
)

// recordDecoders are the ways of decoding one record that
// BenchmarkReadJSONDecoders weighs, each in the same parallel, ordered
// pipeline.
var recordDecoders = []struct {
	name   string
	decode func(raw []byte, maxParagraphs int) (record, error)
}{
	{"own", decodeRecord},
	{"encoding-json", decodeRecordStd},
}

// BenchmarkReadJSONDecoders reads the baomoi corpus end to end (gunzip,
// decoding, articles with passages and hashes) with each record decoder.
func BenchmarkReadJSONDecoders(b *testing.B) {
	size := uncompressedSize(b, baomoiPath)
	for _, dec := range recordDecoders {
		b.Run(dec.name, func(b *testing.B) {
			b.SetBytes(size)
			articles := 0
			cpu := cpuTime()
			for b.Loop() {
				f, err := os.Open(baomoiPath)
				if err != nil {
					b.Fatal(err)
				}
				articles = 0
				e := &emitter{ctx: context.Background(), yield: func(a Article, err error) bool {
					if err != nil {
						b.Fatal(err)
					}
					articles++
					return true
				}}
				e.readJSON(f, jsonInput{name: baomoiPath, limits: Limits{}.orDefaults(), decode: dec.decode})
				f.Close()
			}
			b.ReportMetric(float64(articles)*float64(b.N)/b.Elapsed().Seconds(), "articles/s")
			// CPU time, all goroutines: on a shared machine it varies
			// less than the time on the clock.
			b.ReportMetric(float64((cpuTime()-cpu).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}
