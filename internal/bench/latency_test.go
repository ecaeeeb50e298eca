package bench

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	ms := func(vs ...int) []time.Duration {
		var ds []time.Duration
		for _, v := range vs {
			ds = append(ds, time.Duration(v)*time.Millisecond)
		}
		return ds
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100 … 1, unsorted
	}
	tests := []struct {
		name string
		in   []time.Duration
		want Percentiles
	}{
		{"none", nil, Percentiles{}},
		{"one", ms(7), Percentiles{7, 7, 7, 7}},
		{"1 to 100", ms(hundred...), Percentiles{50, 95, 99, 100}},
		{"outlier", ms(1, 1, 1, 1, 1, 1, 1, 1, 1, 500), Percentiles{1, 500, 500, 500}},
	}
	for _, tt := range tests {
		if got := percentiles(tt.in); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// fakeServer answers GET /search as vnsearch does, with took_ms and total
// from the query: "none" matches nothing, "fail" is a 500.
func fakeServer(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		q := r.URL.Query().Get("q")
		if r.URL.Path != "/search" || r.URL.Query().Get("size") != "10" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		switch q {
		case "fail":
			w.WriteHeader(http.StatusInternalServerError)
			json.NewEncoder(w).Encode(map[string]string{"error": "boom"})
		case "none":
			json.NewEncoder(w).Encode(map[string]any{"total": 0, "took_ms": 0.5, "hits": []any{}})
		default:
			json.NewEncoder(w).Encode(map[string]any{"total": 3, "took_ms": 2.5, "hits": []any{}})
		}
	}))
	t.Cleanup(srv.Close)
	return srv, &served
}

func TestLatency(t *testing.T) {
	srv, served := fakeServer(t)
	target := HTTPTarget("fake", srv.URL, NewHTTPClient(1))
	sets := []QuerySet{
		{Name: "ok", Queries: []string{"ma túy", "giá xăng", "none", "mưa"}},
		{Name: "bad", Queries: []string{"fail", "ma túy"}},
	}
	rows, err := Latency(context.Background(), []Target{target}, sets, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := served.Load(); got != 3+6 {
		t.Errorf("%d requests served, want 3 warmups and 6 queries", got)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows", len(rows))
	}
	ok, bad := rows[0], rows[1]
	if ok.Set != "ok" || ok.Engine != "fake" || ok.Queries != 4 || ok.Errors != 0 || ok.Found != 0.75 {
		t.Errorf("ok: %+v", ok)
	}
	if ok.Server.P50 != 2.5 || ok.Server.Max != 2.5 {
		t.Errorf("server took %+v, want the server's 2.5 ms", ok.Server)
	}
	if ok.Client.P50 <= 0 {
		t.Errorf("client time %+v", ok.Client)
	}
	if bad.Queries != 2 || bad.Errors != 1 || !strings.Contains(bad.FirstError, "500") {
		t.Errorf("bad: %+v", bad)
	}
}

func TestLoad(t *testing.T) {
	srv, served := fakeServer(t)
	sets := []QuerySet{
		{Name: "1-syllable/written", Queries: []string{"mưa", "fail"}},
		{Name: SetHeadline, Queries: []string{"Giá xăng giảm mạnh"}},
	}
	mix, err := NewMix(sets, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	res := Load(context.Background(), HTTPTarget("fake", srv.URL, NewHTTPClient(4)), mix, 4, 300*time.Millisecond, 1)
	if res.Queries == 0 || res.Errors == 0 || res.QPS <= 0 || res.Clients != 4 {
		t.Fatalf("%+v", res)
	}
	if int64(res.Queries+res.Errors) > served.Load() {
		t.Errorf("%d answered and %d errors counted, but only %d requests served", res.Queries, res.Errors, served.Load())
	}
	if res.Headline.P50 <= 0 || res.Short.P50 <= 0 {
		t.Errorf("headline and short latencies: %+v %+v", res.Headline, res.Short)
	}
	if res.Duration < 300*time.Millisecond || res.Duration > 5*time.Second {
		t.Errorf("ran %s for 300ms", res.Duration)
	}
}
