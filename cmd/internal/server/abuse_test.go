package server

// The server under abuse, in process: what an attacker or a careless
// client sends, and what each must get — a JSON error with the right
// status, in bounded time, with nothing of a rejected write indexed and
// no work outliving its request. `go test -run Abuse ./cmd/...` runs
// these and the end-to-end ones against the real binary.

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// rawRequest sends data on a new connection and reads one answer.
func (f *fixture) rawRequest(t *testing.T, data string) (*http.Response, []byte) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, data); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the answer to %.60q: %v", data, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

func TestAbuseNetHTTPOwnErrorsAreJSON(t *testing.T) {
	f := newFixture(t, Config{})
	tests := []struct {
		name, request string
		status        int
		says          string
	}{
		{"garbage", "GARBAGE\r\n\r\n", 400, "malformed HTTP request"},
		{"no Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "missing required Host header"},
		{"bad header line", "GET /healthz HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", 400, "malformed HTTP request"},
		{"huge headers", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("a", MaxHeaderBytes+8192) + "\r\n\r\n", 431, "larger than 64.0 KiB"},
		{"unknown transfer encoding", "POST /articles HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "Transfer-Encoding"},
		{"bad HTTP version", "GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n", 505, "unsupported protocol version"},
		{"odd expectation", "POST /articles HTTP/1.1\r\nHost: x\r\nExpect: coffee\r\nContent-Length: 2\r\n\r\n[]", 417, "Expect"},
		// The ServeMux would redirect these to the cleaned path, in
		// plain text.
		{"dot-dot path", "GET /articles/../stats HTTP/1.1\r\nHost: x\r\n\r\n", 400, `".."`},
		{"dot path", "DELETE /articles/./x HTTP/1.1\r\nHost: x\r\n\r\n", 400, `segment`},
		{"double slash", "GET //search?q=x HTTP/1.1\r\nHost: x\r\n\r\n", 400, `segment`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := f.rawRequest(t, tt.request)
			if msg := wantError(t, tt.name, resp.StatusCode, tt.status, resp.Header, body); !strings.Contains(msg, tt.says) {
				t.Errorf("error %q does not say %q", msg, tt.says)
			}
		})
	}
	// Still serving.
	if status, _, body := f.do("GET", "/healthz", "", nil); status != http.StatusOK {
		t.Errorf("healthz after abuse: %d %s", status, body)
	}
}

func TestAbuseHeaderTimeout(t *testing.T) {
	f := newFixtureWith(t, Config{}, func(s *http.Server) { s.ReadHeaderTimeout = 200 * time.Millisecond })
	for _, tt := range []struct {
		name, sent string
		answered   bool
	}{
		// net/http answers a request line cut short with 400, in plain
		// text but for JSONErrors…
		{"partial request line", "GET /sea", true},
		// …and closes a connection whose headers stop coming without a
		// word.
		{"partial headers", "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(f.url, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			io.WriteString(conn, tt.sent)
			conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			start := time.Now()
			got, err := io.ReadAll(conn)
			if err != nil {
				t.Fatalf("the connection was not closed: %v", err)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("slow headers held the connection for %s", took)
			}
			if !tt.answered {
				if len(got) > 0 {
					t.Errorf("answered %q", got)
				}
				return
			}
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
			if err != nil {
				t.Fatalf("answer %q: %v", got, err)
			}
			body, _ := io.ReadAll(resp.Body)
			wantError(t, tt.name, resp.StatusCode, http.StatusBadRequest, resp.Header, body)
		})
	}
}

func TestAbuseBadIDsInPaths(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	for _, path := range []string{"/articles/a%2Fb", "/articles/a/b", "/articles/%00", "/articles/x%0Ay", "/articles/%7F"} {
		for _, method := range []string{"GET", "DELETE"} {
			status, header, body := f.do(method, path, "Bearer "+token, nil)
			if msg := wantError(t, method+" "+path, status, http.StatusBadRequest, header, body); !strings.Contains(msg, "the ID") {
				t.Errorf("%s %s: %q does not explain the ID rule", method, path, msg)
			}
		}
	}
}

func TestAbuseBadIDsInBodies(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	for name, id := range map[string]string{"NUL": "a\x00b", "newline": "a\nb", "escape": "\x1b[31mred", "slash": "a/b", "C1": "a\u0085b"} {
		idJSON, _ := json.Marshal(id)
		body := `{"id":"fine","title":"t","paragraphs":["p"]}` + "\n" + `{"id":` + string(idJSON) + `,"title":"t","paragraphs":["p"]}` + "\n"
		status, header, resp := f.do("POST", "/articles", "Bearer "+token, strings.NewReader(body))
		wantError(t, name, status, http.StatusBadRequest, header, resp)
		var e api.Error
		json.Unmarshal(resp, &e)
		if len(e.Problems) != 1 || !strings.HasPrefix(e.Problems[0], "request body:2: bad field: id: the ID") {
			t.Errorf("%s: problems %q, want line 2's ID", name, e.Problems)
		}
	}
	if status, _, _ := f.do("GET", "/articles/fine", "", nil); status != http.StatusNotFound {
		t.Errorf("a record of a rejected body was indexed")
	}
}

func TestAbuseFromOverflow(t *testing.T) {
	f := newFixture(t, Config{})
	for _, q := range []string{"q=ma&from=9223372036854775807&size=100", "q=ma&from=10001", "q=ma&from=99999999999999999999"} {
		status, header, body := f.do("GET", "/search?"+q, "", nil)
		if msg := wantError(t, q, status, http.StatusBadRequest, header, body); !strings.Contains(msg, "from") {
			t.Errorf("%s: %q does not name from", q, msg)
		}
		status, _, body = f.do("GET", "/?"+q, "", nil)
		if status != http.StatusBadRequest || !bytes.Contains(body, []byte("from")) {
			t.Errorf("search page %s: %d %s", q, status, body)
		}
	}
}

func TestAbuseQueryCost(t *testing.T) {
	f := newFixture(t, Config{})
	// 76 times the same phrase is one phrase to check: answered.
	same := strings.TrimSpace(strings.Repeat(`"bo cong an" `, 76))
	start := time.Now()
	if resp := f.search("q=" + url.QueryEscape(same)); time.Since(start) > DefaultSearchTimeout {
		t.Errorf("76 copies of one phrase took %s", time.Since(start))
	} else if resp.Total == 0 {
		t.Errorf("76 copies of one phrase found nothing")
	}
	var many strings.Builder
	for i := range 40 {
		fmt.Fprintf(&many, `"cong an %d" `, i)
	}
	status, header, body := f.do("GET", "/search?q="+url.QueryEscape(many.String()), "", nil)
	if msg := wantError(t, "40 phrases", status, http.StatusBadRequest, header, body); !strings.Contains(msg, "16") {
		t.Errorf("40 phrases: %q does not say the limit", msg)
	}
}

// stallStore is an index whose searches take until their context ends,
// or, with ignoreCtx, until the test closes unblock, whatever happens to
// their context.
type stallStore struct {
	*index.Index
	ignoreCtx bool
	unblock   chan struct{}
	started   chan struct{}
	ended     chan error // how each search ended
}

func newStallStore(ix *index.Index) *stallStore {
	return &stallStore{Index: ix, unblock: make(chan struct{}), started: make(chan struct{}, 16), ended: make(chan error, 16)}
}

func (s *stallStore) Search(ctx context.Context, r index.Request) (*index.Result, error) {
	s.started <- struct{}{}
	if s.ignoreCtx {
		<-s.unblock // a pass that never looks at its context
		s.ended <- nil
		return &index.Result{Query: r.Query, Hits: []index.Hit{}}, nil
	}
	<-ctx.Done()
	s.ended <- context.Cause(ctx)
	return nil, ctx.Err()
}

func TestAbuseSearchDeadline(t *testing.T) {
	f := newFixture(t, Config{SearchTimeout: 300 * time.Millisecond})
	stall := newStallStore(f.ix)
	f.srv.ix = stall
	for _, path := range []string{"/search?q=ma+tuy", "/?q=ma+tuy"} {
		start := time.Now()
		status, header, body := f.do("GET", path, "", nil)
		took := time.Since(start)
		if path == "/search?q=ma+tuy" {
			if msg := wantError(t, path, status, http.StatusServiceUnavailable, header, body); !strings.Contains(msg, "took longer than 300ms") {
				t.Errorf("%s: %q does not say the search ran out of time", path, msg)
			}
		} else if status != http.StatusServiceUnavailable || !bytes.Contains(body, []byte("took longer than 300ms")) {
			t.Errorf("search page: %d %s", status, body)
		}
		// Not before the deadline; soon after it, though a loaded machine
		// may take a while.
		if took < 300*time.Millisecond || took > 10*time.Second {
			t.Errorf("%s answered after %s, want about 300ms", path, took)
		}
		if cause := <-stall.ended; !errors.Is(cause, errSearchTimeout) {
			t.Errorf("%s: the search ended by %v, want the search timeout", path, cause)
		}
	}
}

func TestAbuseClientHangUpCancelsSearch(t *testing.T) {
	f := newFixture(t, Config{SearchTimeout: time.Minute})
	stall := newStallStore(f.ix)
	f.srv.ix = stall
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", f.url+"/search?q=ma+tuy", nil)
	go func() {
		<-stall.started
		cancel() // the client hangs up while the search runs
	}()
	if _, err := http.DefaultClient.Do(req); err == nil {
		t.Fatal("the request was answered")
	}
	select {
	case cause := <-stall.ended:
		if !errors.Is(cause, context.Canceled) {
			t.Errorf("the search ended by %v, want the request's cancellation", cause)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the search still runs 5s after its client hung up")
	}
}

func TestAbuseSlowSearchKeepsItsTurn(t *testing.T) {
	// A search that does not stop at its deadline is answered on time,
	// but keeps its turn until it really stops: such searches cannot pile
	// up past MaxSearches.
	f := newFixture(t, Config{SearchTimeout: 200 * time.Millisecond, MaxSearches: 1})
	stall := newStallStore(f.ix)
	stall.ignoreCtx = true
	f.srv.ix = stall
	defer close(stall.unblock)
	// Answered, though the search goes on until unblocked.
	status, header, body := f.do("GET", "/search?q=ma", "", nil)
	if msg := wantError(t, "first", status, http.StatusServiceUnavailable, header, body); !strings.Contains(msg, "took longer") {
		t.Errorf("first search: %q, want it to run out of time", msg)
	}
	status, header, body = f.do("GET", "/search?q=ma", "", nil)
	if msg := wantError(t, "second", status, http.StatusServiceUnavailable, header, body); !strings.Contains(msg, "waited") {
		t.Errorf("second search: %q, want it to wait for a turn in vain", msg)
	}
	if n := len(stall.started); n != 1 {
		t.Errorf("%d searches ran at once, want 1", n)
	}
}

func TestAbuseSlowBody(t *testing.T) {
	f := newFixture(t, Config{Token: token, BodyGrace: 300 * time.Millisecond, MinBodyRate: 1 << 10})
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	// A body announced at 1 MB, of which 20 bytes come.
	fmt.Fprintf(conn, "POST /articles HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 1000000\r\n\r\n{\"id\":\"slow\",\"title\"", token)
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if msg := wantError(t, "stalled body", resp.StatusCode, http.StatusRequestTimeout, resp.Header, body); !strings.Contains(msg, "too slowly") {
		t.Errorf("stalled body: %q", msg)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("a stalled body was cut off after %s", took)
	}

	// A body that keeps the pace gets in, however long it takes: here
	// records of 2 KiB every 100 ms, each buying 2 s at 1 KiB/s, for
	// longer than the grace period.
	pr, pw := io.Pipe()
	go func() {
		text := strings.Repeat("Gửi từng chút một. ", 100)
		for i := range 8 {
			time.Sleep(100 * time.Millisecond)
			fmt.Fprintf(pw, `{"id":"paced%d","title":"Đều đặn","paragraphs":["%s"]}`+"\n", i, text)
		}
		pw.Close()
	}()
	status, _, out := f.do("POST", "/articles", "Bearer "+token, pr)
	if status != http.StatusOK || !bytes.Contains(out, []byte(`"added":8`)) {
		t.Errorf("paced body: %d %s", status, out)
	}
}

// gzipped compresses data.
func gzipped(t *testing.T, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// records returns n JSON Lines records with IDs prefix0…, each with a
// paragraph of about size bytes.
func records(prefix string, n, size int) []byte {
	var buf bytes.Buffer
	para := strings.Repeat("Công an tỉnh bắt giữ đối tượng. ", max(1, size/36))
	for i := range n {
		fmt.Fprintf(&buf, `{"id":"%s%d","title":"Tin %d","paragraphs":["%s"]}`+"\n", prefix, i, i, para)
	}
	return buf.Bytes()
}

func TestAbuseDecompressedLimit(t *testing.T) {
	f := newFixture(t, Config{Token: token, MaxDecodedBytes: 1 << 20})
	bearer := "Bearer " + token
	// 2 MB of good records in a body of a few KB.
	bomb := gzipped(t, records("bomb", 2000, 1000))
	if len(bomb) > 1<<20 {
		t.Fatalf("the compressed body is %d bytes, meant to be under the limit", len(bomb))
	}
	status, header, body := f.do("POST", "/articles", bearer, bytes.NewReader(bomb))
	if msg := wantError(t, "gzip bomb", status, http.StatusRequestEntityTooLarge, header, body); !strings.Contains(msg, "1.0 MiB once decompressed") {
		t.Errorf("gzip bomb: %q does not name the limit", msg)
	}
	if status, _, _ := f.do("GET", "/articles/bomb0", "", nil); status != http.StatusNotFound {
		t.Errorf("a record of a body over the limit was indexed")
	}
	// Under the limit, gzipped, several bodies concatenated: indexed.
	small := append(gzipped(t, records("gz", 3, 100)), gzipped(t, records("more", 2, 100))...)
	status, _, body = f.do("POST", "/articles", bearer, bytes.NewReader(small))
	if status != http.StatusOK || !bytes.Contains(body, []byte(`"added":5`)) {
		t.Errorf("small gzip body: %d %s", status, body)
	}
	// Damaged gzip: said once, as such.
	damaged := gzipped(t, records("dmg", 3, 100))
	damaged[len(damaged)-5] ^= 0xff // the checksum
	status, header, body = f.do("POST", "/articles", bearer, bytes.NewReader(damaged))
	if msg := wantError(t, "damaged gzip", status, http.StatusBadRequest, header, body); !strings.Contains(msg, "damaged gzip") || strings.Count(msg, "gzip:") > 1 {
		t.Errorf("damaged gzip: %q", msg)
	}
	status, header, body = f.do("POST", "/articles", bearer, bytes.NewReader([]byte{0x1f, 0x8b, 0, 0, 1, 2, 3}))
	if msg := wantError(t, "not gzip", status, http.StatusBadRequest, header, body); !strings.Contains(msg, "starts like gzip") {
		t.Errorf("not gzip: %q", msg)
	}
	if status, _, _ := f.do("GET", "/articles/dmg0", "", nil); status != http.StatusNotFound {
		t.Errorf("a record of a damaged body was indexed")
	}
}

func TestAbuseRecordBounds(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	bearer := "Bearer " + token
	// 200,000 paragraphs in a 1 MB body (the end-to-end suite sends 2M
	// in 10 MB to the real binary and bounds its memory).
	many := `{"id":"many","title":"t","paragraphs":["a"` + strings.Repeat(`,"a"`, 200_000-1) + "]}\n"
	status, header, body := f.do("POST", "/articles", bearer, strings.NewReader(many))
	wantError(t, "200,000 paragraphs", status, http.StatusBadRequest, header, body)
	var e api.Error
	json.Unmarshal(body, &e)
	// The JSON reader may say it first, or the server: either names the
	// limit.
	if len(e.Problems) != 1 || !strings.Contains(e.Problems[0], "paragraphs") || !strings.Contains(e.Problems[0], "10000") {
		t.Errorf("200,000 paragraphs: problems %q", e.Problems)
	}
	if status, _, _ := f.do("GET", "/articles/many", "", nil); status != http.StatusNotFound {
		t.Errorf("an article of 200,000 paragraphs was indexed")
	}
}

func TestAbuseMalformedBodies(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	bearer := "Bearer " + token
	tests := map[string]string{
		"malformed JSON":  `{"id":"x","title": }`,
		"invalid UTF-8":   "{\"id\":\"x\",\"title\":\"\xff\xfe\",\"paragraphs\":[\"p\"]}",
		"deep nesting":    strings.Repeat("[", 1_000_000) + strings.Repeat("]", 1_000_000),
		"deep in record":  `{"id":"x","title":"t","paragraphs":["p"],"extra":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}",
		"binary":          string(bytes.Repeat([]byte{0, 1, 2, 0xff}, 10_000)),
		"array of arrays": "[[1],[2]]",
	}
	for name, body := range tests {
		status, header, resp := f.do("POST", "/articles", bearer, strings.NewReader(body))
		wantError(t, name, status, http.StatusBadRequest, header, resp)
	}
	if status, _, body := f.do("GET", "/stats", "", nil); status != http.StatusOK || !bytes.Contains(body, []byte(`"articles":5`)) {
		t.Errorf("after malformed bodies: %d %s", status, body)
	}
}

func TestAbusePostIndexesInBatches(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	bearer := "Bearer " + token
	// More records than a batch holds, an ID given twice across batches
	// (the later wins, as in one batch), and a bad record last: nothing.
	body := append(records("b", postBatchArticles+50, 50), `{"id":"b0","title":"Bản sau","paragraphs":["Bản thay thế."]}`+"\n"...)
	bad := append(bytes.Clone(body), `{"id":"bad/one","title":"t","paragraphs":["p"]}`+"\n"...)
	status, header, resp := f.do("POST", "/articles", bearer, bytes.NewReader(bad))
	wantError(t, "bad last record", status, http.StatusBadRequest, header, resp)
	if status, _, _ := f.do("GET", "/articles/b1", "", nil); status != http.StatusNotFound {
		t.Errorf("a record of a rejected body was indexed")
	}
	status, _, resp = f.do("POST", "/articles", bearer, bytes.NewReader(body))
	var got index.AddStats
	if status != http.StatusOK || json.Unmarshal(resp, &got) != nil || got != (index.AddStats{Added: postBatchArticles + 50, Updated: 1}) {
		t.Errorf("POST of %d records: %d %s", postBatchArticles+51, status, resp)
	}
	status, _, resp = f.do("GET", "/articles/b0", "", nil)
	var a corpus.Article
	if status != http.StatusOK || json.Unmarshal(resp, &a) != nil || a.Title != "Bản sau" {
		t.Errorf("b0 is %d %s, want the later record", status, resp)
	}
}

// failStore is an index whose Add fails from the failAt-th call on.
type failStore struct {
	*index.Index
	failAt int
	calls  atomic.Int32
}

func (s *failStore) Add(ctx context.Context, articles []corpus.Article) (index.AddStats, error) {
	if int(s.calls.Add(1)) >= s.failAt {
		return index.AddStats{}, errors.New("disk full")
	}
	return s.Index.Add(ctx, articles)
}

func TestAbusePostFailingMidwaySaysWhatWasApplied(t *testing.T) {
	f := newFixture(t, Config{Token: token})
	f.srv.ix = &failStore{Index: f.ix, failAt: 2}
	n := postBatchArticles + 10
	status, header, body := f.do("POST", "/articles", "Bearer "+token, bytes.NewReader(records("m", n, 50)))
	msg := wantError(t, "failing write", status, http.StatusInternalServerError, header, body)
	var e api.Error
	json.Unmarshal(body, &e)
	want := api.Applied{Records: postBatchArticles, AddStats: index.AddStats{Added: postBatchArticles}}
	if e.Applied == nil || *e.Applied != want {
		t.Errorf("applied %+v, want %+v", e.Applied, want)
	}
	if !strings.Contains(msg, fmt.Sprintf("first %d of the body's %d records", postBatchArticles, n)) || !strings.Contains(msg, "disk full") {
		t.Errorf("error %q does not say what was applied and why it stopped", msg)
	}
	// Exactly that: the first batch is in, the rest is not.
	if status, _, _ := f.do("GET", fmt.Sprintf("/articles/m%d", postBatchArticles-1), "", nil); status != http.StatusOK {
		t.Errorf("the last record reported applied is not indexed")
	}
	if status, _, _ := f.do("GET", fmt.Sprintf("/articles/m%d", postBatchArticles), "", nil); status != http.StatusNotFound {
		t.Errorf("the first record reported not applied is indexed")
	}
}

// panicStore panics on Stats.
type panicStore struct{ *index.Index }

func (panicStore) Stats(context.Context) (index.Stats, error) { panic("a bug") }

func TestAbusePanicIsJSON(t *testing.T) {
	f := newFixture(t, Config{})
	f.srv.ix = panicStore{f.ix}
	status, header, body := f.do("GET", "/stats", "", nil)
	wantError(t, "panic", status, http.StatusInternalServerError, header, body)
	if log := f.logText(); !strings.Contains(log, "handler panicked") || !strings.Contains(log, "a bug") {
		t.Errorf("the panic was not logged:\n%s", log)
	}
	if status, _, _ := f.do("GET", "/healthz", "", nil); status != http.StatusOK {
		t.Errorf("healthz after a panic: %d", status)
	}
}

// brokenStore fails every search as a damaged index would.
type brokenStore struct{ *index.Index }

func (brokenStore) Search(context.Context, index.Request) (*index.Result, error) {
	return nil, errors.New("segment 3 is damaged")
}

func TestAbuseIndexFailureIsNotATimeout(t *testing.T) {
	f := newFixture(t, Config{})
	f.srv.ix = brokenStore{f.ix}
	for range 20 { // the answer must not depend on timing
		status, header, body := f.do("GET", "/search?q=ma", "", nil)
		if msg := wantError(t, "broken index", status, http.StatusInternalServerError, header, body); !strings.Contains(msg, "damaged") {
			t.Fatalf("%q does not say what failed", msg)
		}
	}
}
