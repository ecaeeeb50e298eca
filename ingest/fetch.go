// Package ingest brings new articles into an index by themselves: it
// follows RSS and Atom feeds, fetching each new item's page politely, and
// watches folders for files dropped or changed.
//
// Fetching is polite: every request names vnsearch in its User-Agent,
// honours robots.txt (cached per host), waits its turn at a per-host gate
// (at most one or two requests at once and a pause between them), asks
// conditionally (ETag, Last-Modified), reads a bounded body within a
// timeout, and backs off exponentially from a host or page that fails.
// What was seen is remembered in the index (Index.SetMeta), so a restart
// does not fetch everything again.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultUserAgent names vnsearch and where to learn about it, as polite
// crawlers do.
const DefaultUserAgent = "vnsearch/1.0 (+https://github.com/vnsearch/vnsearch; news search engine)"

// Errors a fetch can end with, for errors.Is.
var (
	// ErrDisallowed: robots.txt forbids vnsearch the URL.
	ErrDisallowed = errors.New("robots.txt disallows it")
	// ErrTooLarge: the body is larger than the fetcher reads.
	ErrTooLarge = errors.New("response body too large")
)

// HTTPError is an answer with a status other than 200 or 304.
type HTTPError struct {
	Status int
	// RetryAfter is what a 429 or 503 asked for, 0 if nothing.
	RetryAfter time.Duration
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
}

// FetchOptions tune a Fetcher; zero values take the defaults.
type FetchOptions struct {
	UserAgent string
	// Timeout bounds one request, body included: 30 s by default.
	Timeout time.Duration
	// MaxBody bounds a body read: 8 MiB by default.
	MaxBody int64
	// PerHost is how many requests may run at once on one host: 1 by
	// default, at most 2.
	PerHost int
	// HostInterval is the least time between the starts of two requests
	// to one host: 1 s by default. A robots.txt Crawl-delay (up to 60 s)
	// lengthens it. Negative means none (tests).
	HostInterval time.Duration
	// RobotsTTL is how long a host's robots.txt is trusted: 12 h by
	// default.
	RobotsTTL time.Duration
	// Transport sends the requests: a transport with dial, TLS and header
	// timeouts by default.
	Transport http.RoundTripper
	// Now tells the time: time.Now by default.
	Now func() time.Time
}

// Fetcher gets URLs politely. It is safe for concurrent use.
type Fetcher struct {
	opts   FetchOptions
	client *http.Client
	robots *robotsCache

	mu    sync.Mutex
	hosts map[string]*hostGate
}

// NewFetcher returns a Fetcher with opts.
func NewFetcher(opts FetchOptions) *Fetcher {
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 30 * time.Second
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 8 << 20
	}
	opts.PerHost = min(max(opts.PerHost, 1), 2)
	if opts.HostInterval == 0 {
		opts.HostInterval = time.Second
	}
	if opts.RobotsTTL <= 0 {
		opts.RobotsTTL = 12 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Transport == nil {
		opts.Transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: 20 * time.Second,
			IdleConnTimeout:       90 * time.Second,
			MaxIdleConnsPerHost:   2,
		}
	}
	f := &Fetcher{opts: opts, hosts: map[string]*hostGate{}}
	f.client = &http.Client{
		Transport: opts.Transport,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("more than 5 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("redirect to a %s URL", req.URL.Scheme)
			}
			// The place redirected to has its own robots.txt.
			if !strings.EqualFold(req.URL.Host, via[len(via)-1].URL.Host) {
				ok, err := f.robots.allowed(req.Context(), req.URL)
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("redirect to %s: %w", req.URL, ErrDisallowed)
				}
			}
			return nil
		},
	}
	f.robots = newRobotsCache(f)
	return f
}

// CloseIdle closes the connections kept open for reuse, so that nothing
// of the fetcher lingers once its users have stopped.
func (f *Fetcher) CloseIdle() {
	f.client.CloseIdleConnections()
}

// Validators are what a conditional GET sends back to the server.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Response is a fetched body, or word that it has not changed.
type Response struct {
	URL         string // after redirects
	NotModified bool   // 304: Body is empty
	Body        []byte
	ContentType string
	Validators  Validators
}

// Get fetches rawURL if robots.txt lets vnsearch, waiting its turn at the
// host's gate. With validators, an unchanged resource answers NotModified.
func (f *Fetcher) Get(ctx context.Context, rawURL string, v Validators) (*Response, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("fetch %s: not an http(s) URL", rawURL)
	}
	allowed, err := f.robots.allowed(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: robots.txt: %w", rawURL, err)
	}
	if !allowed {
		return nil, fmt.Errorf("fetch %s: %w", rawURL, ErrDisallowed)
	}
	return f.get(ctx, u, v, f.opts.MaxBody)
}

// get fetches u through the host's gate, robots.txt unchecked.
func (f *Fetcher) get(ctx context.Context, u *url.URL, v Validators, maxBody int64) (*Response, error) {
	gate := f.gate(u.Host)
	release, err := gate.acquire(ctx, f.opts.Now)
	if err != nil {
		return nil, err
	}
	defer release()

	ctx, cancel := context.WithTimeout(ctx, f.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("User-Agent", f.opts.UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/rss+xml,application/atom+xml,application/xml;q=0.9,*/*;q=0.5")
	req.Header.Set("Accept-Language", "vi,en;q=0.5")
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	defer resp.Body.Close()
	out := &Response{
		URL:         resp.Request.URL.String(),
		ContentType: resp.Header.Get("Content-Type"),
		Validators:  Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")},
	}
	switch resp.StatusCode {
	case http.StatusOK:
	case http.StatusNotModified:
		out.NotModified = true
		if out.Validators == (Validators{}) {
			out.Validators = v
		}
		return out, nil
	default:
		// Drain a little so that the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		return nil, fmt.Errorf("fetch %s: %w", u, &HTTPError{Status: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), f.opts.Now())})
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s: reading the body: %w", u, err)
	}
	if int64(len(body)) > maxBody {
		return nil, fmt.Errorf("fetch %s: %w (over %d bytes)", u, ErrTooLarge, maxBody)
	}
	out.Body = body
	return out, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if s, err := strconv.Atoi(h); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

func (f *Fetcher) gate(host string) *hostGate {
	host = strings.ToLower(host)
	f.mu.Lock()
	defer f.mu.Unlock()
	g, ok := f.hosts[host]
	if !ok {
		g = &hostGate{slots: make(chan struct{}, f.opts.PerHost), interval: f.opts.HostInterval}
		f.hosts[host] = g
	}
	return g
}

// setCrawlDelay lengthens a host's interval to what its robots.txt asks,
// up to a minute.
func (f *Fetcher) setCrawlDelay(host string, d time.Duration) {
	if d <= 0 {
		return
	}
	g := f.gate(host)
	g.mu.Lock()
	g.interval = max(g.interval, min(d, time.Minute))
	g.mu.Unlock()
}

// hostGate lets a bounded number of requests to one host run at once,
// their starts at least interval apart.
type hostGate struct {
	slots chan struct{}

	mu       sync.Mutex
	interval time.Duration
	next     time.Time // earliest start of the next request
}

func (g *hostGate) acquire(ctx context.Context, now func() time.Time) (release func(), err error) {
	select {
	case g.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	g.mu.Lock()
	t := now()
	start := g.next
	if start.Before(t) {
		start = t
	}
	if g.interval > 0 {
		g.next = start.Add(g.interval)
	}
	g.mu.Unlock()
	if wait := start.Sub(t); wait > 0 {
		timer := time.NewTimer(wait)
		select {
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			<-g.slots
			return nil, ctx.Err()
		}
	}
	return func() { <-g.slots }, nil
}
