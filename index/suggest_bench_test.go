package index

import (
	"context"
	"runtime"
	"runtime/metrics"
	"slices"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/analyzer"
)

// BenchmarkSuggest measures the suggestions on the baomoi index: building
// the table of title phrases (time, phrases kept, heap it holds), and
// completing prefixes a reader types — the first syllable of a title and
// the start of its second, as written and folded, and one or two letters
// — reported as p50/p99 in µs (the target: p99 ≤ 5 ms at 35k).
//
//	go test -run='^$' -bench=Suggest -benchtime=1x ./index
func BenchmarkSuggest(b *testing.B) {
	ix, articles := openFacetIndex(b)
	ctx := context.Background()
	b.Run("build", func(b *testing.B) {
		var t *suggestTable
		var before, after runtime.MemStats
		var peak uint64
		for b.Loop() {
			runtime.GC()
			runtime.ReadMemStats(&before)
			stop := make(chan struct{})
			sampled := make(chan uint64)
			go func() { // the live heap at its highest while the table is built
				sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
				var high uint64
				tick := time.NewTicker(2 * time.Millisecond)
				defer tick.Stop()
				for {
					metrics.Read(sample)
					high = max(high, sample[0].Value.Uint64())
					select {
					case <-stop:
						sampled <- high
						return
					case <-tick.C:
					}
				}
			}()
			snap, err := ix.snapshot(ctx)
			if err != nil {
				b.Fatal(err)
			}
			t, err = ix.buildSuggestions(ctx, snap, ix.generation.Load())
			snap.close()
			if err != nil {
				b.Fatal(err)
			}
			close(stop)
			peak = <-sampled
			runtime.GC()
			runtime.ReadMemStats(&after)
		}
		b.ReportMetric(float64(peak-min(peak, before.HeapAlloc))/(1<<20), "peak-heap-MB")
		b.ReportMetric(float64(len(t.keys)), "phrases")
		b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), "table-MB")
		b.ReportMetric(t.took.Seconds(), "build-s")
		b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "alloc-MB")
	})
	var prefixes []string
	for i, a := range articles {
		if i%10 != 0 {
			continue
		}
		syl := analyzer.Syllables(a.Title)
		if len(syl) < 2 {
			continue
		}
		second := []rune(a.Title[syl[1].Start:syl[1].End])
		typed := a.Title[syl[0].Start:syl[0].End] + " " + string(second[:min(2, len(second))])
		prefixes = append(prefixes, typed, analyzer.Fold(typed), string([]rune(analyzer.Fold(typed))[:1]), string([]rune(analyzer.Fold(typed))[:2]))
	}
	if _, err := ix.Suggest(ctx, "a", 5); err != nil {
		b.Fatal(err)
	}
	b.Run("lookup", func(b *testing.B) {
		var lat []time.Duration
		for b.Loop() {
			for _, p := range prefixes {
				start := time.Now()
				if _, err := ix.Suggest(ctx, p, 8); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		b.ReportMetric(float64(len(prefixes)), "prefixes")
	})
}
