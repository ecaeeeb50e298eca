package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vnsearch/vnsearch/index"
)

// PageSize is the number of hits a measured query asks for, snippets
// included: a result page.
const PageSize = 10

// Sample is one query as measured.
type Sample struct {
	Client time.Duration // as the client saw it: request to last byte
	Server time.Duration // as the server reported it (took_ms)
	Total  uint64        // matches reported
}

// Target is something to search: a server over HTTP, or an index in
// this process.
type Target struct {
	Engine string
	Search func(ctx context.Context, q string) (Sample, error)
}

// HTTPTarget searches a server, vnsearch's or the peer's, through GET
// /search?q=&size=PageSize. The client's time runs from sending the
// request to reading the last byte of the answer.
func HTTPTarget(engine, baseURL string, client *http.Client) Target {
	base := strings.TrimRight(baseURL, "/") + "/search?"
	return Target{Engine: engine, Search: func(ctx context.Context, q string) (Sample, error) {
		u := base + url.Values{"q": {q}, "size": {fmt.Sprint(PageSize)}}.Encode()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return Sample{}, err
		}
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return Sample{}, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		elapsed := time.Since(start)
		if err != nil {
			return Sample{}, fmt.Errorf("GET /search?q=%q: %w", q, err)
		}
		if resp.StatusCode != http.StatusOK {
			return Sample{}, fmt.Errorf("GET /search?q=%q: %s: %.200s", q, resp.Status, body)
		}
		var ans struct {
			Total  uint64  `json:"total"`
			TookMS float64 `json:"took_ms"`
		}
		if err := json.Unmarshal(body, &ans); err != nil {
			return Sample{}, fmt.Errorf("GET /search?q=%q: %w", q, err)
		}
		return Sample{Client: elapsed, Server: time.Duration(ans.TookMS * float64(time.Millisecond)), Total: ans.Total}, nil
	}}
}

// NewHTTPClient is a client for n concurrent users of one server: that
// many connections kept alive.
func NewHTTPClient(n int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = n
	t.MaxIdleConnsPerHost = n
	return &http.Client{Transport: t, Timeout: time.Minute}
}

// InProcessTarget searches an index in this process with index.Search,
// as the server does, without HTTP: for CPU profiles. Client and Server
// are both the call's wall time.
func InProcessTarget(ix *index.Index) Target {
	return Target{Engine: Vnsearch + "/in-process", Search: func(ctx context.Context, q string) (Sample, error) {
		start := time.Now()
		res, err := ix.Search(ctx, index.Request{Query: q, Size: PageSize})
		if err != nil {
			return Sample{}, err
		}
		elapsed := time.Since(start)
		return Sample{Client: elapsed, Server: elapsed, Total: res.Total}, nil
	}}
}

// Percentiles summarize a list of durations, in milliseconds.
type Percentiles struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
	Max float64 `json:"max_ms"`
}

// percentiles sorts ds and reads the nearest-rank percentiles.
func percentiles(ds []time.Duration) Percentiles {
	if len(ds) == 0 {
		return Percentiles{}
	}
	slices.Sort(ds)
	at := func(p float64) float64 {
		i := int(p*float64(len(ds))+0.999999) - 1 // nearest rank
		i = min(max(i, 0), len(ds)-1)
		return float64(ds[i]) / float64(time.Millisecond)
	}
	return Percentiles{P50: at(0.50), P95: at(0.95), P99: at(0.99), Max: at(1)}
}

// LatencyRow is the latency of one set of queries on one engine.
type LatencyRow struct {
	Engine  string      `json:"engine"`
	Set     string      `json:"set"`
	Queries int         `json:"queries"`
	Errors  int         `json:"errors"`
	Found   float64     `json:"found"` // share of queries with at least one match
	Client  Percentiles `json:"client"`
	Server  Percentiles `json:"server"`
	// FirstError is the first error met, if any.
	FirstError string `json:"first_error,omitempty"`
}

// Latency runs every query of every set, one at a time, on each target
// and summarizes each set. Targets take turns set by set, so that noise
// from other work on the machine falls on all of them alike. Each target
// first answers warmup queries, drawn from every set in turn, that are not
// counted.
func Latency(ctx context.Context, targets []Target, sets []QuerySet, warmup int) ([]LatencyRow, error) {
	if len(sets) == 0 {
		return nil, fmt.Errorf("bench: no queries")
	}
	for _, t := range targets {
		for i := range warmup {
			s := sets[i%len(sets)]
			if len(s.Queries) == 0 {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			t.Search(ctx, s.Queries[(i/len(sets))%len(s.Queries)])
		}
	}
	var rows []LatencyRow
	for _, s := range sets {
		for _, t := range targets {
			row, err := measureSet(ctx, t, s)
			if err != nil {
				return rows, err
			}
			rows = append(rows, row)
		}
	}
	return rows, nil
}

func measureSet(ctx context.Context, t Target, s QuerySet) (LatencyRow, error) {
	row := LatencyRow{Engine: t.Engine, Set: s.Name}
	var client, server []time.Duration
	found := 0
	for _, q := range s.Queries {
		if err := ctx.Err(); err != nil {
			return row, err
		}
		row.Queries++
		sm, err := t.Search(ctx, q)
		if err != nil {
			row.Errors++
			if row.FirstError == "" {
				row.FirstError = err.Error()
			}
			continue
		}
		client = append(client, sm.Client)
		server = append(server, sm.Server)
		if sm.Total > 0 {
			found++
		}
	}
	row.Client, row.Server = percentiles(client), percentiles(server)
	if n := len(client); n > 0 {
		row.Found = float64(found) / float64(n)
	}
	return row, nil
}
