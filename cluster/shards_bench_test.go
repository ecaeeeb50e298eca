package cluster

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/index"
)

// BenchmarkShardedSearch reports the latency of searches of a cluster of
// 4 shards (in this process, over a NATS server on loopback) on 3,000
// baomoi articles: the first words of titles, as written and folded,
// searched as typed (three steps) and understood (restored, with
// synonyms: a fourth step), and on one index of them all, in one run.
func BenchmarkShardedSearch(b *testing.B) {
	ctx := context.Background()
	sharded, whole, articles := realNewsCluster(b, 3000, 4)
	queries := titleQueries(articles, 200, 3)
	type searcher func(context.Context, index.Request) (*index.Result, error)
	for _, c := range []struct {
		name    string
		search  searcher
		asTyped bool
	}{{"one-index", whole.Search, false}, {"sharded-as-typed", sharded.Search, true}, {"sharded", sharded.Search, false}} {
		b.Run(c.name, func(b *testing.B) {
			var took []time.Duration
			for i := 0; b.Loop(); i++ {
				start := time.Now()
				if _, err := c.search(ctx, index.Request{Query: queries[i%len(queries)], Size: 10, AsTyped: c.asTyped}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
