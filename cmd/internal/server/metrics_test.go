package server

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestMetrics(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	for range 3 {
		f.search("q=ma+t%C3%BAy")
	}
	if status, _, _ := f.do("GET", "/nowhere", "", nil); status != http.StatusNotFound {
		t.Fatalf("GET /nowhere: %d", status)
	}
	status, header, body := f.do("GET", "/metrics", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", status, header.Get("Content-Type"))
	}
	text := string(body)
	value := func(series string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(text)
		if m == nil {
			t.Fatalf("no %s in /metrics:\n%s", series, text)
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := value(`vnsearch_http_requests_total{code="200",route="GET /search"}`); got != 3 {
		t.Errorf("searches counted: %v, want 3", got)
	}
	if got := value(`vnsearch_http_requests_total{code="404",route="/"}`); got != 1 {
		t.Errorf("unknown route counted: %v, want 1", got)
	}
	if got := value(`vnsearch_http_request_duration_seconds_count{route="GET /search"}`); got != 3 {
		t.Errorf("search latencies observed: %v, want 3", got)
	}
	st, err := f.ix.Stats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := value(`vnsearch_index_articles`); got != float64(st.Articles) || got == 0 {
		t.Errorf("vnsearch_index_articles %v, index has %d", got, st.Articles)
	}
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "vnsearch_searches_running"} {
		if !strings.Contains(text, "\n"+name+" ") {
			t.Errorf("no %s in /metrics", name)
		}
	}
	if strings.Contains(text, "vnsearch_cluster_applied_seq") {
		t.Error("a node outside a cluster reports an applied sequence")
	}
}
