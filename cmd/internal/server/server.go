// Package server is the HTTP endpoint of vnsearch: a JSON API over one
// index (search, analyze, articles, stats) and a small search page.
//
// Reads are open to anyone who can reach the server; anything that writes
// needs the bearer token the server was started with, and with no token
// writes are refused. Every error answer is JSON, {"error": "..."}, with
// the status that fits it.
package server

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"path"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/ingest"
)

// DefaultSearchTimeout bounds one search unless Config says otherwise.
const DefaultSearchTimeout = 2 * time.Second

// Config sets up a Server. Zero values mean the defaults.
type Config struct {
	// Index is the index served. The Server does not close it: its
	// owner does, after Server.Close.
	Index *index.Index
	// Token is the bearer token that writes must present (surrounding
	// space is ignored). Empty refuses every write.
	Token string
	// Logger receives the access log and server errors; nil discards
	// them.
	Logger *slog.Logger
	// SearchTimeout bounds one search, waiting for its turn included;
	// past it the search is canceled and answered with 503.
	SearchTimeout time.Duration
	// MaxSearches bounds the searches that run at once (default: two per
	// CPU); the others wait for a turn.
	MaxSearches int
	// MaxBodyBytes bounds a request body as sent, MaxDecodedBytes once
	// decompressed.
	MaxBodyBytes, MaxDecodedBytes int64
	// MinBodyRate (bytes a second) and BodyGrace bound how slowly a body
	// may arrive (see DefaultMinBodyRate).
	MinBodyRate int64
	BodyGrace   time.Duration
	// SpoolDir holds the records of a POST /articles body between reading
	// and indexing it; "" means the system's temporary directory.
	SpoolDir string
	// Ingest, when set, tells what the feeds followed and the folders
	// watched have brought in, for GET /stats.
	Ingest func() ingest.Status
	// Log, when set, takes the writes: POST and DELETE publish to it and
	// answer with its sequence once it acknowledged them, and the index
	// changes when the log is applied to it (see package cluster).
	Log Log
	// Shards, when set, answers the reads — searches, articles, stats —
	// in place of Index: a node of a cluster whose articles are split
	// over shards searches them all (see cluster.Sharded). Writes then
	// go to Log.
	Shards Reader
}

// Reader is what the server reads from a cluster of shards.
type Reader interface {
	Search(ctx context.Context, r index.Request) (*index.Result, error)
	Get(ctx context.Context, id string) (corpus.Article, error)
	Stats(ctx context.Context) (index.Stats, error)
	api.Suggester
	Expansions(query string) ([]index.Expansion, error)
}

// readOnly is a store that only reads: a cluster's writes go to its log.
type readOnly struct{ Reader }

func (readOnly) Add(context.Context, []corpus.Article) (index.AddStats, error) {
	return index.AddStats{}, index.ErrReadOnly
}

func (readOnly) Delete(context.Context, ...string) (int, error) { return 0, index.ErrReadOnly }

// Log is where the writes of a node in a cluster go, and how far the
// node's index has applied them.
type Log interface {
	// PublishArticles publishes articles, the changes first, first+1, …
	// of the write its client called key ("" for none): a write retried
	// with the same key is appended once.
	PublishArticles(ctx context.Context, key string, first int, articles []corpus.Article) (seq uint64, err error)
	PublishDelete(ctx context.Context, key, id string) (seq uint64, err error)
	// WaitApplied waits until the index has applied seq, at most
	// timeout; past it, it returns an error.
	WaitApplied(ctx context.Context, seq uint64, timeout time.Duration) error
	// Applied is the last sequence the index has applied.
	Applied() uint64
}

// healthLog is a Log that can also tell how far behind the stream its
// index is (a cluster.Node can): /healthz and /metrics show it.
type healthLog interface {
	Health(ctx context.Context) (cluster.Health, error)
}

// healthTimeout bounds the question to the stream of /healthz and of a
// scrape of /metrics.
const healthTimeout = 2 * time.Second

// store is what the server asks of its index; *index.Index is one.
// Tests put others in its place, to stall or fail on purpose.
type store interface {
	Search(ctx context.Context, r index.Request) (*index.Result, error)
	Get(ctx context.Context, id string) (corpus.Article, error)
	Add(ctx context.Context, articles []corpus.Article) (index.AddStats, error)
	Delete(ctx context.Context, ids ...string) (int, error)
	Stats(ctx context.Context) (index.Stats, error)
}

// Server answers the HTTP API. It is an http.Handler.
type Server struct {
	ix            store
	token         string
	log           *slog.Logger
	searchTimeout time.Duration
	maxBody       int64
	maxDecoded    int64
	minBodyRate   int64
	bodyGrace     time.Duration
	spoolDir      string
	mux           *http.ServeMux

	// searches holds a token for each search running; writes one for the
	// POST being indexed, so that two large bodies are not indexed at
	// once.
	searches chan struct{}
	writes   chan struct{}

	// ingest tells what the feeds followed and the folders watched have
	// brought in, for GET /stats; nil when there are none.
	ingest func() ingest.Status

	// gate is held for reading by every request while it uses the
	// index, and for writing by Close, which waits for those requests.
	gate   sync.RWMutex
	closed bool

	pageStats statsCache

	// wlog takes the writes when the node is part of a cluster.
	wlog Log

	metrics *metrics
}

// New returns a Server for cfg.
func New(cfg Config) *Server {
	orDefault := func(v, def int64) int64 {
		if v <= 0 {
			return def
		}
		return v
	}
	s := &Server{
		ix:            cfg.Index,
		token:         strings.TrimSpace(cfg.Token),
		log:           cfg.Logger,
		searchTimeout: time.Duration(orDefault(int64(cfg.SearchTimeout), int64(DefaultSearchTimeout))),
		maxBody:       orDefault(cfg.MaxBodyBytes, DefaultMaxBodyBytes),
		maxDecoded:    orDefault(cfg.MaxDecodedBytes, DefaultMaxDecodedBytes),
		minBodyRate:   orDefault(cfg.MinBodyRate, DefaultMinBodyRate),
		bodyGrace:     time.Duration(orDefault(int64(cfg.BodyGrace), int64(DefaultBodyGrace))),
		spoolDir:      cfg.SpoolDir,
		mux:           http.NewServeMux(),
		searches:      make(chan struct{}, orDefault(int64(cfg.MaxSearches), int64(2*runtime.GOMAXPROCS(0)))),
		writes:        make(chan struct{}, 1),
		ingest:        cfg.Ingest,
		wlog:          cfg.Log,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if cfg.Shards != nil {
		s.ix = readOnly{cfg.Shards}
	}
	s.metrics = newMetrics(s)
	s.routes()
	return s
}

// handler is an HTTP handler that returns its error for the Server to
// answer with.
type handler func(w http.ResponseWriter, r *http.Request) error

// routes registers every route, and for each path one more route that
// answers any other method with 405, and for any other path a 404: the
// ServeMux's own answers are plain text.
func (s *Server) routes() {
	routes := []struct {
		method, path string
		h            handler
	}{
		{http.MethodGet, "/{$}", s.page},
		{http.MethodGet, "/a/{id...}", s.articlePage},
		{http.MethodGet, "/search", s.search},
		{http.MethodGet, "/analyze", s.analyze},
		{http.MethodGet, "/suggest", s.suggest},
		{http.MethodGet, "/suggest.js", s.suggestJS},
		{http.MethodGet, "/articles/{id...}", s.getArticle},
		{http.MethodDelete, "/articles/{id...}", s.deleteArticle},
		{http.MethodPost, "/articles", s.postArticles},
		{http.MethodGet, "/stats", s.stats},
		{http.MethodGet, "/healthz", s.healthz},
		{http.MethodGet, "/metrics", s.serveMetrics},
	}
	allowed := map[string][]string{}
	var paths []string
	for _, rt := range routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt.h))
		if _, seen := allowed[rt.path]; !seen {
			paths = append(paths, rt.path)
		}
		allowed[rt.path] = append(allowed[rt.path], rt.method)
		if rt.method == http.MethodGet {
			allowed[rt.path] = append(allowed[rt.path], http.MethodHead)
		}
	}
	for _, path := range paths {
		methods := strings.Join(allowed[path], ", ")
		s.mux.Handle(path, s.wrap(func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", methods)
			return &statusError{http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed on %s: use %s", r.Method, r.URL.Path, methods)}
		}))
	}
	s.mux.Handle("/", s.wrap(func(w http.ResponseWriter, r *http.Request) error {
		return &statusError{http.StatusNotFound, fmt.Sprintf("no such route: %s", r.URL.Path)}
	}))
}

// ServeHTTP logs each request and hands it to its route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	rec.Header().Set("X-Content-Type-Options", "nosniff")
	defer func() {
		// The path only: the query may be long, and headers (the token)
		// are never logged.
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", rec.bytes),
			slog.String("remote", r.RemoteAddr),
		)
		s.metrics.observe(rec.route, rec.status, time.Since(start))
	}()
	defer s.recoverPanic(rec, r)
	if p := r.URL.EscapedPath(); r.Method != http.MethodConnect && p != cleanPath(p) {
		// The ServeMux would redirect to the cleaned path, in plain text;
		// no client of this API means such a path.
		writeJSON(rec, http.StatusBadRequest, api.Error{Error: fmt.Sprintf(
			"path %q has an empty, \".\" or \"..\" segment: no route takes one (IDs never contain /)", p)})
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// cleanPath is the path the ServeMux would redirect p to: "/" first,
// no empty, "." or ".." segments, a trailing slash kept.
func cleanPath(p string) string {
	if p == "" {
		return "/"
	}
	if p[0] != '/' {
		p = "/" + p
	}
	np := path.Clean(p)
	if p[len(p)-1] == '/' && np != "/" {
		np += "/"
	}
	return np
}

// recoverPanic answers a handler's panic with a JSON 500, when nothing
// has been answered yet, and logs it: a bug must not cost the client a
// reset connection without a word. http.ErrAbortHandler is net/http's
// own way to abort, and is passed on.
func (s *Server) recoverPanic(w *recorder, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	s.log.ErrorContext(r.Context(), "handler panicked", "method", r.Method, "path", r.URL.Path,
		"panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if !w.wroteHeader {
		writeJSON(w, http.StatusInternalServerError, api.Error{Error: "internal error: the server failed on this request; it has been logged"})
	}
}

// Close waits for the requests using the index to finish and makes later
// ones answer 503, so that the owner can close the index safely.
func (s *Server) Close() {
	s.gate.Lock()
	s.closed = true
	s.gate.Unlock()
}

// errClosed answers requests that come after Close.
var errClosed = errors.New("the index is closed: the server is shutting down")

// hold keeps the index open until release is called.
func (s *Server) hold() (release func(), err error) {
	s.gate.RLock()
	if s.closed {
		s.gate.RUnlock()
		return nil, errClosed
	}
	return s.gate.RUnlock, nil
}

// recorder notes the status and size of a response for the access log.
type recorder struct {
	http.ResponseWriter
	route       string // the pattern of the route that answered
	status      int
	bytes       int64
	wroteHeader bool
}

func (r *recorder) WriteHeader(status int) {
	if !r.wroteHeader {
		r.status, r.wroteHeader = status, true
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.wroteHeader = true
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// statusError is an error with the HTTP status it answers with.
type statusError struct {
	status int
	msg    string
}

func (e *statusError) Error() string { return e.msg }

// problemsError rejects a POST body, listing what is wrong with it.
type problemsError struct {
	msg      string
	problems []string
}

func (e *problemsError) Error() string { return e.msg }

// appliedError is a failure while indexing a POST body, after the part of
// it that applied says was indexed.
type appliedError struct {
	applied api.Applied
	err     error
}

func (e *appliedError) Error() string { return e.err.Error() }
func (e *appliedError) Unwrap() error { return e.err }

// status maps an error to its HTTP status.
func status(err error) int {
	var se *statusError
	var mbe *http.MaxBytesError
	var pe *problemsError
	switch {
	case errors.As(err, &se):
		return se.status
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &pe), errors.Is(err, index.ErrBadQuery):
		return http.StatusBadRequest
	case errors.Is(err, index.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, errClosed), errors.Is(err, index.ErrBusy), errors.Is(err, index.ErrReadOnly),
		errors.Is(err, index.ErrUnavailable),
		errors.Is(err, index.ErrPreparing),
		// The client left, or the server is stopping: no fault of the
		// server's to log.
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// wrap answers a handler's error as JSON.
func (s *Server) wrap(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec, ok := w.(*recorder); ok {
			rec.route = r.Pattern
		}
		err := h(w, r)
		if err == nil {
			return
		}
		code := status(err)
		body := api.Error{Error: err.Error()}
		if pe, ok := errors.AsType[*problemsError](err); ok {
			body.Problems = pe.problems
		}
		if ae, ok := errors.AsType[*appliedError](err); ok {
			body.Applied = &ae.applied
		}
		if code == http.StatusInternalServerError {
			s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		writeJSON(w, code, body)
	})
}

// writeJSON answers with v. An error writing means the client is gone:
// there is no one left to tell.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = api.WriteJSON(w, v, false)
}

// authorize checks the bearer token of a write.
func (s *Server) authorize(w http.ResponseWriter, r *http.Request) error {
	if s.token == "" {
		return &statusError{http.StatusForbidden, "writes are disabled: start vnsearch serve with VNSEARCH_TOKEN or --token-file"}
	}
	const scheme = "bearer "
	h := r.Header.Get("Authorization")
	if len(h) < len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vnsearch"`)
		return &statusError{http.StatusUnauthorized, "this endpoint writes: send Authorization: Bearer TOKEN"}
	}
	// Hashing first makes the comparison take the same time whatever the
	// lengths.
	got, want := sha256.Sum256([]byte(strings.TrimSpace(h[len(scheme):]))), sha256.Sum256([]byte(s.token))
	if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="vnsearch", error="invalid_token"`)
		return &statusError{http.StatusUnauthorized, "wrong bearer token"}
	}
	return nil
}

// MinPublicTokenLength is the shortest token that may guard a server
// other hosts can reach.
const MinPublicTokenLength = 16

// CheckAddr refuses an address that other hosts can reach unless a token
// of at least MinPublicTokenLength characters (surrounding space aside)
// guards the server: only loopback addresses (127.0.0.0/8, ::1,
// localhost) may go without one.
func CheckAddr(addr, token string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if isLoopback(host) {
		return nil
	}
	shown := host
	if shown == "" {
		shown = "every interface"
	}
	token = strings.TrimSpace(token)
	if token == "" {
		return fmt.Errorf("refusing to serve on %s (%s) without a token: other hosts could reach it; "+
			"set --token-file or VNSEARCH_TOKEN, or listen on 127.0.0.1", addr, shown)
	}
	if n := utf8.RuneCountInString(token); n < MinPublicTokenLength {
		return fmt.Errorf("refusing to serve on %s (%s) with a token of %d characters: other hosts could guess it; "+
			"use at least %d, e.g. from `openssl rand -hex 16`", addr, shown, n, MinPublicTokenLength)
	}
	return nil
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// statsCache keeps the index's statistics for the search page: counting
// outlets reads the whole index, too much for every page view.
type statsCache struct {
	mu    sync.Mutex
	stats index.Stats
	at    time.Time
}

const statsTTL = 30 * time.Second

// invalidate makes the next get load afresh; writes call it.
func (c *statsCache) invalidate() {
	c.mu.Lock()
	c.at = time.Time{}
	c.mu.Unlock()
}

func (c *statsCache) get(load func() (index.Stats, error)) (index.Stats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < statsTTL {
		return c.stats, nil
	}
	st, err := load()
	if err != nil {
		return index.Stats{}, err
	}
	c.stats, c.at = st, time.Now()
	return st, nil
}
