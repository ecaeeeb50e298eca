package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// newsSite serves an RSS feed of two items: one page fetched, one that
// fails (500).
func newsSite(t *testing.T) *httptest.Server {
	t.Helper()
	page, err := os.ReadFile("../../corpus/testdata/html/vov-1.html")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/rss", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		fmt.Fprintf(w, `<?xml version="1.0"?><rss version="2.0"><channel><title>VOV</title>`+
			`<item><title>Việt Nam - Lào hợp tác</title><link>%[1]s/a.html</link><description>Hội nghị sơ kết.</description></item>`+
			`<item><title>Bão số 3 đổ bộ</title><link>%[1]s/b.html</link><description>Bão số 3 đổ bộ vào Quảng Ninh chiều nay.</description></item>`+
			`</channel></rss>`, srv.URL)
	})
	mux.HandleFunc("/a.html", func(w http.ResponseWriter, r *http.Request) { w.Write(page) })
	mux.HandleFunc("/b.html", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "down", 500) })
	srv = httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func TestFollowOnceAndStats(t *testing.T) {
	srv := newsSite(t)
	idx := filepath.Join(t.TempDir(), "idx")
	r := mustRun(t, nil, "follow", "--index", idx, "--once", "--host-delay", "0", srv.URL+"/rss")
	if !strings.Contains(r.stdout, "2 items known, 1 pages fetched, 1 from the feed's summary") {
		t.Errorf("follow printed %q", r.stdout)
	}
	res := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "ma túy Lào").stdout)
	if len(res.Hits) == 0 || res.Hits[0].Title != "Việt Nam - Lào tăng cường hợp tác phòng, chống tội phạm ma túy" {
		t.Errorf("search after follow: %+v", res.Hits)
	}
	res = decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "bão số 3").stdout)
	if len(res.Hits) == 0 || res.Hits[0].Title != "Bão số 3 đổ bộ" {
		t.Errorf("the item whose page failed is not found from its summary: %+v", res.Hits)
	}
	st := mustRun(t, nil, "stats", "--index", idx)
	if !strings.Contains(st.stdout, srv.URL+"/rss") || !strings.Contains(st.stdout, "HTTP 500") {
		t.Errorf("stats does not show the feed and its failure:\n%s", st.stdout)
	}
	var js struct {
		Ingest struct {
			Feeds []struct {
				URL          string `json:"url"`
				PagesFetched int    `json:"pages_fetched"`
				SummaryOnly  int    `json:"summary_only"`
			} `json:"feeds"`
		} `json:"ingest"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, nil, "stats", "--index", idx, "--json").stdout), &js); err != nil {
		t.Fatal(err)
	}
	if len(js.Ingest.Feeds) != 1 || js.Ingest.Feeds[0].PagesFetched != 1 || js.Ingest.Feeds[0].SummaryOnly != 1 {
		t.Errorf("stats --json ingest = %+v", js.Ingest)
	}
	// Bad input is a usage error.
	if r := runCLI(t, nil, "follow", "--index", idx, "--once", "ftp://x/feed"); r.code != 2 {
		t.Errorf("follow ftp://: exit %d, want 2 (%s)", r.code, r.stderr)
	}
	if r := runCLI(t, nil, "follow", "--index", idx); r.code != 2 {
		t.Errorf("follow with no feed: exit %d, want 2", r.code)
	}
}

// syncBuffer is a bytes.Buffer safe to read while a command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestIndexWatch(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "news")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile("../../corpus/testdata/html/vov-2.html")
	if err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(t.TempDir(), "idx")
	var stdout, stderr syncBuffer
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- run(ctx, []string{"index", "--index", idx, "--watch", dir, "--prune"}, a) }()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "watching 1 folders") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("index --watch did not start watching: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := os.WriteFile(filepath.Join(dir, "coffee.html"), page, 0o644); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(5 * time.Second)
	for !strings.Contains(stderr.String(), "watched files indexed") {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("the dropped file was not indexed: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("index --watch exited %d: %s", code, stderr.String())
	}
	res := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "cà phê xuất khẩu").stdout)
	if len(res.Hits) == 0 || res.Hits[0].Title != "Giá cà phê xuất khẩu lập kỷ lục mới" {
		t.Errorf("after index --watch: %+v", res.Hits)
	}
}
