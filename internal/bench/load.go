package bench

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// LoadResult is a load test of one engine.
type LoadResult struct {
	Engine   string        `json:"engine"`
	Clients  int           `json:"clients"`
	Duration time.Duration `json:"duration_ns"`
	Queries  int           `json:"queries"` // answered
	Errors   int           `json:"errors"`
	QPS      float64       `json:"qps"`
	Client   Percentiles   `json:"client"` // every query
	Server   Percentiles   `json:"server"`
	// Short and Headline split the client's latencies by kind of query.
	Short    Percentiles `json:"short"`
	Headline Percentiles `json:"headline"`
	// PeakRSS is the server's peak resident memory by the end, in bytes,
	// when known.
	PeakRSS    int64  `json:"peak_rss_bytes,omitempty"`
	FirstError string `json:"first_error,omitempty"`
}

// Load runs clients concurrent clients against target for duration, each
// sending the next query of the mix as soon as the last is answered, and
// reports the rate answered and its latencies. Each client draws its
// queries with its own generator, seeded from seed, so a run's queries
// are the same whatever the timing.
func Load(ctx context.Context, target Target, mix *Mix, clients int, duration time.Duration, seed uint64) LoadResult {
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	type tally struct {
		client, server, short, head []time.Duration
		errors                      int
		firstError                  string
	}
	tallies := make([]tally, clients)
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Go(func() {
			t := &tallies[c]
			r := rand.New(rand.NewPCG(seed, uint64(c)))
			for ctx.Err() == nil {
				q, headline := mix.Next(r)
				sm, err := target.Search(ctx, q)
				if ctx.Err() != nil {
					return // cut short by the end of the run: not counted
				}
				if err != nil {
					t.errors++
					if t.firstError == "" {
						t.firstError = err.Error()
					}
					continue
				}
				t.client = append(t.client, sm.Client)
				t.server = append(t.server, sm.Server)
				if headline {
					t.head = append(t.head, sm.Client)
				} else {
					t.short = append(t.short, sm.Client)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	res := LoadResult{Engine: target.Engine, Clients: clients, Duration: elapsed}
	var client, server, short, head []time.Duration
	for _, t := range tallies {
		client = append(client, t.client...)
		server = append(server, t.server...)
		short = append(short, t.short...)
		head = append(head, t.head...)
		res.Errors += t.errors
		if res.FirstError == "" {
			res.FirstError = t.firstError
		}
	}
	res.Queries = len(client)
	res.QPS = float64(res.Queries) / elapsed.Seconds()
	res.Client, res.Server = percentiles(client), percentiles(server)
	res.Short, res.Headline = percentiles(short), percentiles(head)
	return res
}
