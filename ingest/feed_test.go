package ingest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// clock is a settable clock for tests.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2024, 5, 12, 8, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// site is a local news site: feeds, pages and robots.txt, counting the
// requests it answers.
type site struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	hits     map[string]int
	agents   map[string]bool
	handlers map[string]http.HandlerFunc
}

func newSite(t *testing.T) *site {
	s := &site{t: t, hits: map[string]int{}, agents: map[string]bool{}, handlers: map[string]http.HandlerFunc{}}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.agents[r.UserAgent()] = true
		h := s.handlers[r.URL.Path]
		s.mu.Unlock()
		if h == nil {
			http.NotFound(w, r)
			return
		}
		h(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *site) handle(path string, h http.HandlerFunc) {
	s.mu.Lock()
	s.handlers[path] = h
	s.mu.Unlock()
}

func (s *site) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

func (s *site) url(path string) string { return s.srv.URL + path }

// serveFeed answers with body and an ETag, and 304 to a request that
// presents it.
func serveFeed(body, contentType string, etag bool) http.HandlerFunc {
	tag := fmt.Sprintf(`"%x"`, len(body))
	return func(w http.ResponseWriter, r *http.Request) {
		if etag {
			if r.Header.Get("If-None-Match") == tag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
			w.Header().Set("ETag", tag)
		}
		w.Header().Set("Content-Type", contentType)
		fmt.Fprint(w, body)
	}
}

func servePage(t *testing.T, fixture, contentType string) http.HandlerFunc {
	page, err := os.ReadFile(filepath.Join("../corpus/testdata/html", fixture))
	if err != nil {
		t.Fatal(err)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(page)
	}
}

func rss(title string, items ...[3]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>%s</title><link>https://example.vn/</link>`, title)
	for _, it := range items {
		fmt.Fprintf(&b, `<item><title>%s</title><link>%s</link><guid>%s</guid><pubDate>Sun, 12 May 2024 10:30:00 +0700</pubDate>`+
			`<description><![CDATA[<a href="%s"><img src="x.jpg"></a></br>%s]]></description></item>`, it[0], it[1], it[1], it[1], it[2])
	}
	b.WriteString(`</channel></rss>`)
	return b.String()
}

func atom(title string, entries ...[3]string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>%s</title><id>urn:x</id><updated>2024-05-12T10:00:00Z</updated>`, title)
	for _, e := range entries {
		fmt.Fprintf(&b, `<entry><title>%s</title><link href="%s"/><id>%s</id><updated>2024-05-12T03:00:00Z</updated><summary>%s</summary></entry>`, e[0], e[1], e[1], e[2])
	}
	b.WriteString(`</feed>`)
	return b.String()
}

func newIndex(t *testing.T) *index.Index {
	t.Helper()
	ix, err := index.Create(filepath.Join(t.TempDir(), "ix"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

// pageArticle is the article a fixture page gives when fetched from url.
func pageArticle(t *testing.T, fixture, url string) corpus.Article {
	t.Helper()
	page, err := os.ReadFile(filepath.Join("../corpus/testdata/html", fixture))
	if err != nil {
		t.Fatal(err)
	}
	a, err := corpus.ParseHTML(page, corpus.HTMLPage{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func testFollower(t *testing.T, ix Index, clk *clock, feeds ...string) *Follower {
	t.Helper()
	f, err := NewFollower(ix, feeds, FollowOptions{
		Fetcher:    NewFetcher(FetchOptions{HostInterval: -1, Now: clk.Now, Timeout: 5 * time.Second}),
		Interval:   10 * time.Minute,
		MinBackoff: time.Minute,
		MaxBackoff: time.Hour,
		Now:        clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func feedStatusOf(t *testing.T, f *Follower, url string) FeedStatus {
	t.Helper()
	for _, st := range f.Status() {
		if st.URL == url {
			return st
		}
	}
	t.Fatalf("no status for %s", url)
	return FeedStatus{}
}

func TestFollowerIndexesFeedsPolitely(t *testing.T) {
	ctx := context.Background()
	news := newSite(t)
	other := newSite(t) // another host (port): its feed is broken
	news.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n\nUser-agent: OtherBot\nDisallow: /\n")
	})
	news.handle("/rss.xml", serveFeed(rss("Tin mới nhất",
		[3]string{"Hà Nội cấm xe tải trên cầu Thăng Long", news.url("/thoi-su/cau-thang-long.html"), "Từ ngày 20/5, xe tải trên 10 tấn không được đi qua cầu."},
		[3]string{"Bài riêng", news.url("/private/bai-rieng.html"), "Tóm tắt của bài riêng, lấy từ feed."},
		[3]string{"Giá vàng nhẫn vượt 80 triệu đồng", news.url("/kinh-doanh/gia-vang.html"), "Giá vàng nhẫn tăng thêm gần một triệu đồng."},
	), "application/rss+xml", true))
	news.handle("/atom.xml", serveFeed(atom("Dân trí",
		[3]string{"Hà Nội đón hơn 2 triệu lượt khách dịp Tết", news.url("/du-lich/tet.html"), "Trong 9 ngày nghỉ Tết Nguyên đán, Hà Nội đón khoảng 2,1 triệu lượt khách."},
		[3]string{"Hà Tĩnh thu hoạch lúa xuân", news.url("/nong-nghiep/lua-xuan.html"), "Nông dân Hà Tĩnh thu hoạch lúa xuân."},
	), "application/atom+xml", false))
	news.handle("/thoi-su/cau-thang-long.html", servePage(t, "vnexpress-1.html", "text/html; charset=utf-8"))
	// The page is UTF-8 but the header says Latin-1.
	news.handle("/du-lich/tet.html", servePage(t, "nfd-dantri-3.html", "text/html; charset=iso-8859-1"))
	// The page is windows-1258 but the header says UTF-8.
	news.handle("/nong-nghiep/lua-xuan.html", servePage(t, "hatinh-1258.html", "text/html; charset=utf-8"))
	goldUp := false
	news.handle("/kinh-doanh/gia-vang.html", func(w http.ResponseWriter, r *http.Request) {
		news.mu.Lock()
		up := goldUp
		news.mu.Unlock()
		if !up {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		servePage(t, "vnexpress-2.html", "text/html")(w, r)
	})
	news.handle("/private/bai-rieng.html", servePage(t, "vov-2.html", "text/html"))
	other.handle("/feed.rss", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database down", http.StatusInternalServerError)
	})

	ix := newIndex(t)
	clk := newClock()
	rssURL, atomURL, brokenURL := news.url("/rss.xml"), news.url("/atom.xml"), other.url("/feed.rss")
	f := testFollower(t, ix, clk, rssURL, atomURL, brokenURL)
	f.PollDue(ctx)

	// Pages fetched and indexed with clean paragraphs, titles and dates.
	for _, c := range []struct{ fixture, path string }{
		{"vnexpress-1.html", "/thoi-su/cau-thang-long.html"},
		{"nfd-dantri-3.html", "/du-lich/tet.html"},
		{"hatinh-1258.html", "/nong-nghiep/lua-xuan.html"},
	} {
		want := pageArticle(t, c.fixture, news.url(c.path))
		got, err := ix.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if norm.NFC.String(got.Title) != norm.NFC.String(want.Title) || got.Published != want.Published ||
			len(got.Paragraphs) != len(want.Paragraphs) || len(got.Paragraphs) < 3 {
			t.Errorf("%s: indexed %q %s with %d paragraphs; want %q %s with %d", c.path, got.Title, got.Published, len(got.Paragraphs),
				want.Title, want.Published, len(want.Paragraphs))
		}
		for _, p := range got.Paragraphs {
			if strings.Contains(p, "Tin liên quan") || strings.Contains(p, "Xem thêm") || strings.Contains(p, "�") {
				t.Errorf("%s: paragraph %q is chrome or mis-decoded", c.path, p)
			}
		}
	}
	// The Hà Tĩnh page reads right whatever its header said.
	res, err := ix.Search(ctx, index.Request{Query: "thu hoạch lúa xuân Cẩm Xuyên", Size: 5})
	if err != nil || len(res.Hits) == 0 || !strings.Contains(norm.NFC.String(res.Hits[0].Title), "Hà Tĩnh") {
		t.Errorf("search for the windows-1258 page: %+v, %v", res, err)
	}

	// robots.txt: the private page is never fetched; its item is indexed
	// from the feed's summary.
	if n := news.count("/private/bai-rieng.html"); n != 0 {
		t.Errorf("a page robots.txt disallows was fetched %d times", n)
	}
	private := summaryID(news.url("/private/bai-rieng.html"))
	if a, err := ix.Get(ctx, private); err != nil || a.Summary != "Tóm tắt của bài riêng, lấy từ feed." || len(a.Paragraphs) != 0 {
		t.Errorf("the disallowed item: %+v, %v; want it indexed from its summary", a, err)
	}
	// The page that 500s is indexed from its summary and marked so.
	gold := summaryID(news.url("/kinh-doanh/gia-vang.html"))
	if a, err := ix.Get(ctx, gold); err != nil || a.Summary != "Giá vàng nhẫn tăng thêm gần một triệu đồng." || a.Title != "Giá vàng nhẫn vượt 80 triệu đồng" {
		t.Errorf("the failing item: %+v, %v; want it indexed from its summary", a, err)
	}
	st := feedStatusOf(t, f, rssURL)
	if st.SummaryOnly != 2 || st.PagesFetched != 1 || st.PageFailures != 2 || st.Title != "Tin mới nhất" {
		t.Errorf("rss status %+v: want 2 summary-only items, 1 page fetched, 2 failures", st)
	}
	// The broken feed failed without stopping the others, and waits.
	st = feedStatusOf(t, f, brokenURL)
	if st.Failures != 1 || !strings.Contains(st.LastError, "500") || !st.NextPoll.Equal(clk.Now().Add(time.Minute)) {
		t.Errorf("broken feed status %+v: want 1 failure, HTTP 500, retried in 1 min", st)
	}
	for agent := range news.agents {
		if !strings.Contains(agent, "vnsearch") {
			t.Errorf("User-Agent %q does not name vnsearch", agent)
		}
	}
	if n := news.count("/robots.txt"); n != 1 {
		t.Errorf("robots.txt fetched %d times, want once (cached)", n)
	}

	// Before the interval nothing is polled but... the broken feed is due
	// after its backoff: 1 min.
	pages := news.count("/thoi-su/cau-thang-long.html") + news.count("/du-lich/tet.html")
	clk.Advance(30 * time.Second)
	f.PollDue(ctx)
	if n := other.count("/feed.rss"); n != 1 {
		t.Errorf("the broken feed was polled %d times before its backoff passed", n)
	}
	clk.Advance(31 * time.Second) // its backoff (1 min) has passed
	f.PollDue(ctx)
	if st := feedStatusOf(t, f, brokenURL); other.count("/feed.rss") != 2 || st.Failures != 2 || !st.NextPoll.Equal(clk.Now().Add(2*time.Minute)) {
		t.Errorf("broken feed after its retry: %d requests, status %+v; want 2 requests, 2 failures, next in 2 min", other.count("/feed.rss"), st)
	}
	if n := news.count("/rss.xml"); n != 1 {
		t.Errorf("rss polled %d times before its interval", n)
	}

	// The failing page comes back; its item is upgraded at its retry.
	news.mu.Lock()
	goldUp = true
	news.mu.Unlock()
	clk.Advance(10 * time.Minute)
	f.PollDue(ctx)
	want := pageArticle(t, "vnexpress-2.html", news.url("/kinh-doanh/gia-vang.html"))
	if a, err := ix.Get(ctx, want.ID); err != nil || len(a.Paragraphs) != len(want.Paragraphs) {
		t.Errorf("after the page came back: %+v, %v; want the page's article", a, err)
	}
	if want.ID != gold {
		if _, err := ix.Get(ctx, gold); err == nil {
			t.Errorf("the summary-only article %s is still there beside its page's %s", gold, want.ID)
		}
	}
	// Second poll: the RSS feed answers 304, nothing is fetched again.
	if st := feedStatusOf(t, f, rssURL); st.NotModified != 1 || st.SummaryOnly != 1 || st.PagesFetched != 2 {
		t.Errorf("rss status after the second poll %+v: want one 304, 1 summary-only (robots), 2 pages", st)
	}
	if n := news.count("/thoi-su/cau-thang-long.html") + news.count("/du-lich/tet.html"); n != pages {
		t.Errorf("pages fetched again on the second poll: %d requests, want %d", n, pages)
	}

	// Restart: a new follower over the same index fetches no page again,
	// even from the Atom feed, which has no validators.
	before := map[string]int{}
	for _, p := range []string{"/thoi-su/cau-thang-long.html", "/du-lich/tet.html", "/nong-nghiep/lua-xuan.html", "/kinh-doanh/gia-vang.html"} {
		before[p] = news.count(p)
	}
	f2 := testFollower(t, ix, clk, rssURL, atomURL)
	clk.Advance(10 * time.Minute)
	f2.PollDue(ctx)
	for p, n := range before {
		if news.count(p) != n {
			t.Errorf("after a restart %s was fetched again", p)
		}
	}
	if n := news.count("/atom.xml"); n != 3 {
		t.Errorf("atom feed polled %d times, want 3", n)
	}
	if st := feedStatusOf(t, f2, rssURL); st.NotModified != 2 || st.Polls != 3 {
		t.Errorf("after a restart the rss status is %+v: want its counts kept, and a 304", st)
	}

	// vnsearch stats reads the same from the index.
	stored, err := ReadStatus(ix)
	if err != nil || len(stored.Feeds) != 3 {
		t.Fatalf("ReadStatus = %+v, %v; want the 3 feeds", stored, err)
	}
}

// summaryID is the ID of the article indexed from a feed item's summary.
func summaryID(link string) string {
	a := corpus.Article{URL: link}
	corpus.Complete(&a)
	return a.ID
}

func TestFollowerRunStopsWithNothingLeft(t *testing.T) {
	news := newSite(t)
	slow := make(chan struct{})
	news.handle("/rss.xml", serveFeed(rss("T", [3]string{"A", news.url("/slow.html"), "s"}), "application/rss+xml", false))
	news.handle("/slow.html", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-slow:
		case <-r.Context().Done():
		}
	})
	defer close(slow)
	ix := newIndex(t)
	before := countGoroutines()
	f, err := NewFollower(ix, []string{news.url("/rss.xml")}, FollowOptions{
		Fetcher: NewFetcher(FetchOptions{HostInterval: -1}), Interval: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	waitFor(t, func() bool { return news.count("/slow.html") == 1 }, "the page request to start")
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was canceled")
	}
	news.srv.CloseClientConnections()
	waitFor(t, func() bool { return countGoroutines() <= before }, "goroutines to end")
}

func countGoroutines() int { return runtime.NumGoroutine() }

func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestReadFeedList(t *testing.T) {
	urls, err := ReadFeedList(strings.NewReader("# feeds\nhttps://vnexpress.net/rss/tin-moi-nhat.rss\n\n  https://tuoitre.vn/rss/tin-moi-nhat.rss  \n"), "feeds.txt")
	if err != nil || len(urls) != 2 || urls[1] != "https://tuoitre.vn/rss/tin-moi-nhat.rss" {
		t.Fatalf("ReadFeedList = %q, %v", urls, err)
	}
	if _, err := ReadFeedList(strings.NewReader("vnexpress.net/rss\n"), "feeds.txt"); err == nil || !strings.Contains(err.Error(), "feeds.txt line 1") {
		t.Errorf("a line that is not a URL: err = %v, want it named by file and line", err)
	}
}

func TestFollowerGivesUpOnWhatIsNotAnArticle(t *testing.T) {
	ctx := context.Background()
	news := newSite(t)
	news.handle("/rss.xml", serveFeed(rss("T",
		[3]string{"Báo cáo thường niên", news.url("/report.pdf"), "Báo cáo thường niên năm 2023 của ngân hàng."},
		[3]string{"Video: bão đổ bộ", news.url("/video.html"), "Video bão đổ bộ vào Quảng Ninh."},
		[3]string{"Chuyển hướng", news.url("/moved.html"), "Bài đã chuyển sang trang khác."},
	), "application/rss+xml", false))
	news.handle("/report.pdf", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4"))
	})
	news.handle("/video.html", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `<html><body><nav><a>Trang chủ</a></nav><video src="v.mp4"></video></body></html>`)
	})
	// A redirect to a host whose robots.txt forbids vnsearch.
	closed := newSite(t)
	closed.handle("/robots.txt", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "User-agent: vnsearch\nDisallow: /\n") })
	closed.handle("/a.html", servePage(t, "vov-1.html", "text/html"))
	news.handle("/moved.html", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, closed.url("/a.html"), http.StatusMovedPermanently)
	})
	ix := newIndex(t)
	clk := newClock()
	f := testFollower(t, ix, clk, news.url("/rss.xml"))
	f.PollDue(ctx)
	if n := closed.count("/a.html"); n != 0 {
		t.Errorf("followed a redirect robots.txt forbids (%d requests)", n)
	}
	for _, p := range []string{"/report.pdf", "/video.html", "/moved.html"} {
		if a, err := ix.Get(ctx, summaryID(news.url(p))); err != nil || a.Summary == "" {
			t.Errorf("%s: %+v, %v; want it indexed from its summary", p, a, err)
		}
	}
	// A PDF and a page without an article are not fetched again; the
	// redirect (robots.txt may change) is.
	clk.Advance(2 * time.Hour)
	f.PollDue(ctx)
	if news.count("/report.pdf") != 1 || news.count("/video.html") != 1 || news.count("/moved.html") != 2 {
		t.Errorf("fetched again: pdf %d, video %d, redirect %d; want 1, 1, 2",
			news.count("/report.pdf"), news.count("/video.html"), news.count("/moved.html"))
	}
}
