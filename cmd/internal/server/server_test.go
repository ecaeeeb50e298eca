package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

const token = "s3cret-token"

// seededIndex returns a new index holding the five seed articles.
func seededIndex(t *testing.T) *index.Index {
	t.Helper()
	ix, err := index.Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	var seeds []corpus.Article
	for a, err := range corpus.Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, a)
	}
	if _, err := ix.Add(context.Background(), seeds); err != nil {
		t.Fatal(err)
	}
	return ix
}

// fixture is a server over a seeded index.
type fixture struct {
	t    *testing.T
	ix   *index.Index
	srv  *Server
	url  string
	log  *bytes.Buffer
	logw *syncWriter
}

// logText returns what the server has logged so far.
func (f *fixture) logText() string {
	f.logw.mu.Lock()
	defer f.logw.mu.Unlock()
	return f.log.String()
}

func newFixture(t *testing.T, cfg Config) *fixture {
	t.Helper()
	return newFixtureWith(t, cfg, nil)
}

// newFixtureWith is newFixture with the http.Server changed by tweak
// before it starts.
func newFixtureWith(t *testing.T, cfg Config, tweak func(*http.Server)) *fixture {
	t.Helper()
	f := &fixture{t: t, log: &bytes.Buffer{}}
	if cfg.Index == nil {
		cfg.Index = seededIndex(t)
	}
	f.ix = cfg.Index
	f.logw = &syncWriter{w: f.log}
	cfg.Logger = slog.New(slog.NewTextHandler(f.logw, nil))
	f.srv = New(cfg)
	// The server as vnsearch serve runs it: its timeouts, and net/http's
	// own errors in JSON.
	ts := httptest.NewUnstartedServer(f.srv)
	ts.Config = HTTPServer(f.srv, context.Background(), log.New(io.Discard, "", 0))
	ts.Listener = JSONErrors(ts.Listener)
	if tweak != nil {
		tweak(ts.Config)
	}
	ts.Start()
	t.Cleanup(ts.Close)
	f.url = ts.URL
	return f
}

// syncWriter serializes writes to w: requests log concurrently.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// do sends a request and returns the status, the headers and the body.
func (f *fixture) do(method, path, auth string, body io.Reader) (int, http.Header, []byte) {
	f.t.Helper()
	req, err := http.NewRequest(method, f.url+path, body)
	if err != nil {
		f.t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, data
}

// wantError checks a JSON error answer and returns its message.
func wantError(t *testing.T, what string, status, wantStatus int, header http.Header, body []byte) string {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d; body %s", what, status, wantStatus, body)
	}
	if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q, want JSON", what, ct)
	}
	var e api.Error
	if err := json.Unmarshal(body, &e); err != nil || e.Error == "" {
		t.Errorf("%s: body %s is not {\"error\": ...}", what, body)
	}
	return e.Error
}

func (f *fixture) search(query string) index.Result {
	f.t.Helper()
	status, _, body := f.do("GET", "/search?"+query, "", nil)
	if status != http.StatusOK {
		f.t.Fatalf("search %s: status %d: %s", query, status, body)
	}
	var resp index.Result
	if err := json.Unmarshal(body, &resp); err != nil {
		f.t.Fatal(err)
	}
	return resp
}

func TestSearch(t *testing.T) {
	f := newFixture(t, Config{})
	status, header, body := f.do("GET", "/search?q=ma+t%C3%BAy&size=3", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		t.Fatalf("status %d, Content-Type %q: %s", status, header.Get("Content-Type"), body)
	}
	// The exact keys of the answer and of a hit.
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		t.Fatal(err)
	}
	if got := sortedKeys(keys); got != "hits query took_ms total" {
		t.Errorf("answer keys %q", got)
	}
	var hits []map[string]json.RawMessage
	if err := json.Unmarshal(keys["hits"], &hits); err != nil || len(hits) != 3 {
		t.Fatalf("hits %s: %v", keys["hits"], err)
	}
	if got := sortedKeys(hits[0]); got != "highlights id paragraph published score snippet source title url" {
		t.Errorf("hit keys %q", got)
	}

	exact, folded := f.search("q=ma+t%C3%BAy"), f.search("q=ma+tuy")
	if exact.Total != 5 || folded.Total != 5 || exact.Hits[0].ID != folded.Hits[0].ID {
		t.Errorf("ma túy: %d hits, top %s; ma tuy: %d hits, top %s; want the same 5", exact.Total, exact.Hits[0].ID, folded.Total, folded.Hits[0].ID)
	}
	for _, h := range exact.Hits {
		if len(h.Highlights) == 0 {
			t.Errorf("hit %s has no highlights in %q", h.ID, h.Snippet)
		}
	}

	// A size past the cap is capped, not refused.
	if resp := f.search("q=ma+tuy&size=1000"); len(resp.Hits) != 5 {
		t.Errorf("size=1000: %d hits, want all 5", len(resp.Hits))
	}
	if resp := f.search("q=ma+tuy&size=2&from=4"); len(resp.Hits) != 1 || resp.Total != 5 {
		t.Errorf("from=4: %d hits of %d, want 1 of 5", len(resp.Hits), resp.Total)
	}
	for _, h := range f.search("q=ma+tuy&source=vov.vn").Hits {
		if h.Source != "VOV.VN" {
			t.Errorf("source=vov.vn found an article of %q", h.Source)
		}
	}
	if resp := f.search("q=ma+tuy&source=nowhere,antv"); resp.Total != 2 {
		t.Errorf("source=nowhere,antv: %d hits, want antv's 2", resp.Total)
	}
	if resp := f.search("q=ma+tuy&since=2024"); resp.Total != 0 {
		t.Errorf("since=2024: %d hits, want none", resp.Total)
	}
	if resp := f.search("q=ma+tuy&until=2023-09&sort=date"); resp.Total == 0 {
		t.Errorf("until=2023-09 (inclusive) found nothing")
	}
}

func sortedKeys(m map[string]json.RawMessage) string {
	return strings.Join(slices.Sorted(maps.Keys(m)), " ")
}

func TestSearchErrors(t *testing.T) {
	f := newFixture(t, Config{})
	tests := []struct {
		query string
		says  string
	}{
		{"", "query"},
		{"q=++", "query"},
		{"q=x&size=-1", "size"},
		{"q=x&size=ten", "size"},
		{"q=x&from=-1", "from"},
		{"q=x&from=9999", "from"},
		{"q=x&sort=popular", "sort"},
		{"q=x&since=hôm+qua", "since"},
		{"q=x&until=2023-02-30", "until"},
		{"q=x&since=2024&until=2023", "since"},
		{"q=" + strings.Repeat("a", index.MaxQueryLength+1), "1000"},
		{"q=%FF", "UTF-8"},
	}
	for _, tt := range tests {
		status, header, body := f.do("GET", "/search?"+tt.query, "", nil)
		msg := wantError(t, tt.query, status, http.StatusBadRequest, header, body)
		if !strings.Contains(msg, tt.says) {
			t.Errorf("%.40s: error %q does not name %q", tt.query, msg, tt.says)
		}
	}
}

func TestAnalyzeRoute(t *testing.T) {
	f := newFixture(t, Config{})
	status, _, body := f.do("GET", "/analyze?text=Ma+t%C3%BAy&folded=true", "", nil)
	want := `[{"term":"ma","position":1,"start":0,"end":2},{"term":"tuy","position":2,"start":3,"end":7}]` + "\n"
	if status != http.StatusOK || string(body) != want {
		t.Errorf("status %d, body %s; want %s", status, body, want)
	}
	_, _, body = f.do("GET", "/analyze?text=Ma+t%C3%BAy", "", nil)
	if !strings.Contains(string(body), `"túy"`) {
		t.Errorf("unfolded: %s", body)
	}
	// expand=true adds what a search for the text is searched as.
	_, _, body = f.do("GET", "/analyze?text=ubnd+t%E1%BB%89nh&expand=true", "", nil)
	wantExpanded := `{"tokens":[{"term":"ubnd","position":1,"start":0,"end":4},{"term":"tỉnh","position":2,"start":5,"end":11}],` +
		`"expansions":[{"form":"ubnd","as":"Ủy ban nhân dân","query":"tỉnh \"Ủy ban nhân dân\""}]}` + "\n"
	if string(body) != wantExpanded {
		t.Errorf("expand: %s, want %s", body, wantExpanded)
	}
	for _, q := range []string{"", "text=x&folded=maybe", "text=x&expand=maybe", "text=" + strings.Repeat("a", api.MaxAnalyzeLength+1)} {
		status, header, body := f.do("GET", "/analyze?"+q, "", nil)
		wantError(t, "analyze "+q[:min(len(q), 30)], status, http.StatusBadRequest, header, body)
	}
}

func TestArticles(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	bearer := "Bearer " + token
	id := f.search("q=ma+tuy").Hits[0].ID

	status, _, body := f.do("GET", "/articles/"+url.PathEscape(id), "", nil)
	var a corpus.Article
	if status != http.StatusOK || json.Unmarshal(body, &a) != nil || a.ID != id || len(a.Paragraphs) == 0 {
		t.Errorf("GET /articles/%s: %d %s", id, status, body)
	}
	status, header, body := f.do("GET", "/articles/no-such-id", "", nil)
	wantError(t, "unknown id", status, http.StatusNotFound, header, body)

	// Writes: JSONL, then the same again, then a JSON array changing one.
	jsonl := `{"id":"n1","title":"Cảnh sát bắt giữ","source":"Tuổi Trẻ","published":"2024-03-01","paragraphs":["Bắt giữ đối tượng vận chuyển heroin qua biên giới."]}
{"id":"n2","title":"Thời tiết","body":"Hà Nội mưa rào.\n\nNhiệt độ giảm."}
`
	for _, want := range []index.AddStats{{Added: 2}, {Unchanged: 2}} {
		status, _, body := f.do("POST", "/articles", bearer, strings.NewReader(jsonl))
		var got index.AddStats
		if status != http.StatusOK || json.Unmarshal(body, &got) != nil || got != want {
			t.Errorf("POST: %d %s, want %+v", status, body, want)
		}
	}
	status, _, body = f.do("POST", "/articles", bearer, strings.NewReader(`[{"id":"n2","title":"Thời tiết","body":"Hà Nội nắng."}]`))
	if status != http.StatusOK || !strings.Contains(string(body), `"updated":1`) {
		t.Errorf("POST array: %d %s", status, body)
	}
	if resp := f.search("q=heroin+bien+gioi"); resp.Total == 0 || resp.Hits[0].ID != "n1" {
		t.Errorf("posted article not found first: %+v", resp)
	}

	status, _, body = f.do("DELETE", "/articles/n1", bearer, nil)
	if status != http.StatusOK || strings.TrimSpace(string(body)) != `{"deleted":1}` {
		t.Errorf("DELETE: %d %s", status, body)
	}
	status, header, body = f.do("DELETE", "/articles/n1", bearer, nil)
	wantError(t, "DELETE again", status, http.StatusNotFound, header, body)
	for _, h := range f.search("q=heroin+bien+gioi").Hits {
		if h.ID == "n1" {
			t.Errorf("deleted article still found")
		}
	}
}

func TestPostRejectsBadBodies(t *testing.T) {
	f := newFixture(t, Config{Token: token, MaxBodyBytes: 4 << 10})
	bearer := "Bearer " + token
	body := `{"id":"good","title":"Tốt","paragraphs":["Một bài tốt về thời sự."]}
{"id":"bad", "title": }

{"id":"empty","title":"Không có nội dung"}
`
	status, header, resp := f.do("POST", "/articles", bearer, strings.NewReader(body))
	wantError(t, "malformed JSONL", status, http.StatusBadRequest, header, resp)
	var e api.Error
	json.Unmarshal(resp, &e)
	if len(e.Problems) != 2 || !strings.HasPrefix(e.Problems[0], "request body:2: ") || !strings.HasPrefix(e.Problems[1], "request body:4: ") {
		t.Errorf("problems %q, want lines 2 and 4", e.Problems)
	}
	// Nothing of a rejected body is indexed, not even its good records.
	if status, _, _ := f.do("GET", "/articles/good", "", nil); status != http.StatusNotFound {
		t.Errorf("the good record of a rejected body was indexed")
	}

	for name, body := range map[string]string{"empty": "", "not JSON": "hello", "array of junk": "[1, 2]"} {
		status, header, resp := f.do("POST", "/articles", bearer, strings.NewReader(body))
		wantError(t, name, status, http.StatusBadRequest, header, resp)
	}

	big := strings.Repeat(`{"id":"x","title":"dài","paragraphs":["`+strings.Repeat("chữ ", 200)+`"]}`+"\n", 10)
	status, header, resp = f.do("POST", "/articles", bearer, strings.NewReader(big))
	if msg := wantError(t, "oversize", status, http.StatusRequestEntityTooLarge, header, resp); !strings.Contains(msg, "4.0 KiB") {
		t.Errorf("oversize: %q does not say the limit", msg)
	}
}

func TestAuth(t *testing.T) {
	body := `{"id":"a","title":"t","paragraphs":["p"]}`
	open := newFixture(t, Config{})
	for _, method := range []string{"POST /articles", "DELETE /articles/a"} {
		m, path, _ := strings.Cut(method, " ")
		status, header, resp := open.do(m, path, "Bearer anything", strings.NewReader(body))
		if msg := wantError(t, method+" without a server token", status, http.StatusForbidden, header, resp); !strings.Contains(msg, "VNSEARCH_TOKEN") {
			t.Errorf("403 %q does not say how to enable writes", msg)
		}
	}

	guarded := newFixture(t, Config{Token: token})
	for _, auth := range []string{"", "Bearer", "Bearer wrong", "Basic " + token, token} {
		for _, method := range []string{"POST /articles", "DELETE /articles/a"} {
			m, path, _ := strings.Cut(method, " ")
			status, header, resp := guarded.do(m, path, auth, strings.NewReader(body))
			wantError(t, method+" with "+auth, status, http.StatusUnauthorized, header, resp)
			if header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s with %q: no WWW-Authenticate", method, auth)
			}
		}
	}
	if status, _, resp := guarded.do("POST", "/articles", "bearer "+token, strings.NewReader(body)); status != http.StatusOK {
		t.Errorf("right token: %d %s", status, resp)
	}
	if strings.Contains(guarded.logText(), token) {
		t.Errorf("the access log holds the token:\n%s", guarded.logText())
	}
	if log := guarded.logText(); !strings.Contains(log, "status=401") || !strings.Contains(log, "path=/articles") {
		t.Errorf("the access log lacks requests:\n%s", log)
	}
}

func TestRoutesAndMethods(t *testing.T) {
	f := newFixture(t, Config{})
	tests := []struct {
		method, path string
		status       int
		allow        string
	}{
		{"GET", "/healthz", http.StatusOK, ""},
		{"GET", "/stats", http.StatusOK, ""},
		{"GET", "/nope", http.StatusNotFound, ""},
		{"GET", "/articles/", http.StatusNotFound, ""},
		{"GET", "/articles", http.StatusMethodNotAllowed, "POST"},
		{"POST", "/search", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"PUT", "/articles/x", http.StatusMethodNotAllowed, "GET, HEAD, DELETE"},
		{"POST", "/", http.StatusMethodNotAllowed, "GET, HEAD"},
		{"DELETE", "/stats", http.StatusMethodNotAllowed, "GET, HEAD"},
	}
	for _, tt := range tests {
		status, header, body := f.do(tt.method, tt.path, "", nil)
		if tt.status != http.StatusOK {
			wantError(t, tt.method+" "+tt.path, status, tt.status, header, body)
		} else if status != http.StatusOK {
			t.Errorf("%s %s: %d %s", tt.method, tt.path, status, body)
		}
		if got := header.Get("Allow"); got != tt.allow {
			t.Errorf("%s %s: Allow %q, want %q", tt.method, tt.path, got, tt.allow)
		}
	}
	_, _, body := f.do("GET", "/stats", "", nil)
	var st index.Stats
	if err := json.Unmarshal(body, &st); err != nil || st.Articles != 5 || len(st.Sources) == 0 || st.SizeBytes == 0 {
		t.Errorf("stats %s: %v", body, err)
	}
}

func TestClosedServerAnswers503(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	f.srv.Close()
	for _, path := range []string{"/healthz", "/search?q=ma", "/stats", "/articles/x", "/"} {
		status, header, body := f.do("GET", path, "", nil)
		wantError(t, path, status, http.StatusServiceUnavailable, header, body)
	}
	status, header, body := f.do("POST", "/articles", "Bearer "+token, strings.NewReader(`{"id":"a","title":"t","paragraphs":["p"]}`))
	wantError(t, "POST", status, http.StatusServiceUnavailable, header, body)
}

func TestCheckAddr(t *testing.T) {
	tests := []struct {
		addr, token string
		ok          bool
	}{
		{"127.0.0.1:8080", "", true},
		{"127.1.2.3:0", "", true},
		{"[::1]:8080", "", true},
		{"localhost:8080", "", true},
		{"[::ffff:127.0.0.1]:80", "", true},
		{":8080", "", false},
		{"0.0.0.0:8080", "", false},
		{"192.168.1.5:8080", "", false},
		{"example.com:80", "", false},
		{"0.0.0.0:8080", "0123456789abcdef", true},
		{"0.0.0.0:8080", "  0123456789abcdef\n", true},
		{"[::]:8080", "mật khẩu dài đủ 16", true},
		{"0.0.0.0:8080", "t", false},
		{"0.0.0.0:8080", "0123456789abcde", false},
		{"0.0.0.0:8080", "                    ", false},
		{"0.0.0.0:8080", " 0123456789abcde \t", false},
		{"127.0.0.1:8080", "t", true},
		{"no-port", "0123456789abcdef", false},
	}
	for _, tt := range tests {
		err := CheckAddr(tt.addr, tt.token)
		if (err == nil) != tt.ok {
			t.Errorf("CheckAddr(%q, %q) = %v, want ok=%v", tt.addr, tt.token, err, tt.ok)
		}
	}
}
