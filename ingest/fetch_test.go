package ingest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestRobotsRules(t *testing.T) {
	txt := `# comment
User-agent: Googlebot
Disallow: /

User-agent: *
Disallow: /private/
Disallow: /*.pdf$
Allow: /private/public-*
Crawl-delay: 2

User-agent: vnsearch
User-agent: other
Disallow: /search
Allow: /search/about
`
	tests := []struct {
		agent, path string
		want        bool
	}{
		{"vnsearch/1.0 (+https://x)", "/", true},
		{"vnsearch/1.0", "/search?q=x", false},
		{"vnsearch/1.0", "/search/about", true},
		{"vnsearch/1.0", "/private/a.html", true}, // its own group replaces "*"
		{"somebot", "/private/a.html", false},
		{"somebot", "/private/public-a.html", true},
		{"somebot", "/docs/a.pdf", false},
		{"somebot", "/docs/a.pdf?x=1", true},
		{"somebot", "/a.html", true},
		{"googlebot", "/a.html", false},
	}
	for _, tt := range tests {
		r := parseRobots([]byte(txt), tt.agent)
		if got := r.allowed(tt.path); got != tt.want {
			t.Errorf("%s %s: allowed = %v, want %v", tt.agent, tt.path, got, tt.want)
		}
	}
	if r := parseRobots([]byte(txt), "somebot"); r.crawlDelay != 2*time.Second {
		t.Errorf("crawl delay %v, want 2s", r.crawlDelay)
	}
	if r := parseRobots([]byte("User-agent: *\nDisallow:\n"), "vnsearch"); !r.allowed("/x") {
		t.Error(`"Disallow:" with nothing must allow everything`)
	}
}

func FuzzRobots(f *testing.F) {
	f.Add([]byte("User-agent: *\nDisallow: /a*b$\n"), "/axxb")
	f.Add([]byte("User-agent: vnsearch\nAllow: /\nDisallow: /*?\n"), "/x?y")
	f.Fuzz(func(t *testing.T, data []byte, path string) {
		r := parseRobots(data, robotsAgent)
		r.allowed(path)
	})
}

func TestRobotsUnreachableDisallows(t *testing.T) {
	s := newSite(t)
	s.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", http.StatusServiceUnavailable) })
	s.handle("/a.html", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	f := NewFetcher(FetchOptions{HostInterval: -1})
	_, err := f.Get(context.Background(), s.url("/a.html"), Validators{})
	if !errors.Is(err, ErrDisallowed) || s.count("/a.html") != 0 {
		t.Errorf("with robots.txt answering 503: err %v, %d page requests; want disallowed, none", err, s.count("/a.html"))
	}
}

func TestFetcherBoundsAndConditionalGet(t *testing.T) {
	s := newSite(t)
	s.handle("/big", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, strings.Repeat("x", 2000)) })
	s.handle("/hang", func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	s.handle("/etag", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("If-None-Match") == `"v1"` || r.Header.Get("If-Modified-Since") == "Sun, 12 May 2024 01:00:00 GMT" {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Sun, 12 May 2024 01:00:00 GMT")
		fmt.Fprint(w, "body")
	})
	s.handle("/busy", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "120")
		http.Error(w, "slow down", http.StatusTooManyRequests)
	})
	f := NewFetcher(FetchOptions{HostInterval: -1, MaxBody: 1000, Timeout: 200 * time.Millisecond})
	ctx := context.Background()
	if _, err := f.Get(ctx, s.url("/big"), Validators{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("a body over the limit: err = %v, want ErrTooLarge", err)
	}
	start := time.Now()
	if _, err := f.Get(ctx, s.url("/hang"), Validators{}); err == nil || time.Since(start) > 3*time.Second {
		t.Errorf("a server that never answers: err = %v after %s, want a timeout", err, time.Since(start))
	}
	r, err := f.Get(ctx, s.url("/etag"), Validators{})
	if err != nil || string(r.Body) != "body" || r.Validators.ETag != `"v1"` {
		t.Fatalf("first GET: %+v, %v", r, err)
	}
	r, err = f.Get(ctx, s.url("/etag"), r.Validators)
	if err != nil || !r.NotModified || len(r.Body) != 0 || r.Validators.ETag != `"v1"` {
		t.Errorf("conditional GET: %+v, %v; want 304 keeping the validators", r, err)
	}
	r, err = f.Get(ctx, s.url("/etag"), Validators{LastModified: "Sun, 12 May 2024 01:00:00 GMT"})
	if err != nil || !r.NotModified {
		t.Errorf("GET with If-Modified-Since: %+v, %v; want 304", r, err)
	}
	_, err = f.Get(ctx, s.url("/busy"), Validators{})
	var he *HTTPError
	if !errors.As(err, &he) || he.Status != 429 || he.RetryAfter != 2*time.Minute {
		t.Errorf("429: err = %v, want an HTTPError asking 2 min", err)
	}
	if _, err := f.Get(ctx, "file:///etc/passwd", Validators{}); err == nil {
		t.Error("a file: URL was fetched")
	}
}

// TestHostGate checks that requests to one host never overlap and start
// at least the interval apart, while another host is not held back.
func TestHostGate(t *testing.T) {
	const interval = 40 * time.Millisecond
	var (
		mu      sync.Mutex
		active  int
		overlap bool
		starts  []time.Time
	)
	a, b := newSite(t), newSite(t)
	a.handle("/p", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		active++
		overlap = overlap || active > 1
		mu.Unlock()
		time.Sleep(5 * time.Millisecond) // a page takes a while to serve
		mu.Lock()
		active--
		mu.Unlock()
		fmt.Fprint(w, "a")
	})
	b.handle("/p", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "b") })
	// Starts are taken as the fetcher sends, past the gate.
	send := http.DefaultTransport.(*http.Transport).Clone()
	defer send.CloseIdleConnections()
	f := NewFetcher(FetchOptions{HostInterval: interval, PerHost: 1, Transport: roundTripper(func(r *http.Request) (*http.Response, error) {
		if r.URL.Host == strings.TrimPrefix(a.srv.URL, "http://") && r.URL.Path == "/p" {
			mu.Lock()
			starts = append(starts, time.Now())
			mu.Unlock()
		}
		return send.RoundTrip(r)
	})})
	ctx := context.Background()
	// Warm robots.txt so that only page requests pass the gate below.
	f.Get(ctx, a.url("/p"), Validators{})
	f.Get(ctx, b.url("/p"), Validators{})
	mu.Lock()
	starts = nil
	mu.Unlock()

	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := f.Get(ctx, a.url("/p"), Validators{}); err != nil {
				t.Error(err)
			}
		})
	}
	bStart := time.Now()
	if _, err := f.Get(ctx, b.url("/p"), Validators{}); err != nil {
		t.Fatal(err)
	}
	bTook := time.Since(bStart)
	wg.Wait()
	if overlap {
		t.Error("two requests to one host ran at once")
	}
	if len(starts) != 4 {
		t.Fatalf("%d requests, want 4", len(starts))
	}
	// The gate schedules the starts interval apart; each is seen here a
	// little after it was due (more so under the race detector), so a gap
	// may look shorter by that much, but never the whole run.
	for i := 1; i < len(starts); i++ {
		if gap := starts[i].Sub(starts[i-1]); gap < interval/2 {
			t.Errorf("requests %d and %d started %s apart, want about %s", i-1, i, gap, interval)
		}
	}
	if span := starts[len(starts)-1].Sub(starts[0]); span < 3*interval-interval/2 {
		t.Errorf("4 requests started within %s, want about %s", span, 3*interval)
	}
	if bTook > 3*interval {
		t.Errorf("another host waited %s behind the first", bTook)
	}

	// A canceled context stops a wait at the gate at once.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Get(ctx, a.url("/p"), Validators{}); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: err = %v", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
