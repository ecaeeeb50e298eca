package server

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// getPage fetches the search page with the given query string.
func (f *fixture) getPage(query string) (int, http.Header, string) {
	f.t.Helper()
	status, header, body := f.do("GET", "/?"+query, "", nil)
	if ct := header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		f.t.Errorf("page %s: Content-Type %q", query, ct)
	}
	return status, header, string(body)
}

func TestPageEscapesAndHighlights(t *testing.T) {
	f := newFixture(t, Config{})
	evil := corpus.Article{
		ID:     "evil",
		Title:  `<script>alert("t")</script> Tin "nóng" & 'lạ'`,
		URL:    "javascript:alert(1)",
		Source: `<b>Báo</b>`,
		Paragraphs: []string{
			`Bắt giữ <i>ma túy</i> & "heroin" <img src=x onerror=alert(1)> tại cửa khẩu.`,
		},
	}
	if _, err := f.ix.Add(context.Background(), []corpus.Article{evil}); err != nil {
		t.Fatal(err)
	}
	status, header, page := f.getPage("q=" + url.QueryEscape(`ma túy cửa khẩu "><script>`))
	if status != http.StatusOK {
		t.Fatalf("status %d:\n%s", status, page)
	}
	if csp := header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("Content-Security-Policy %q", csp)
	}
	// The page's one script is its own, from its own origin.
	const own = `<script src="/suggest.js" defer></script>`
	if strings.Count(page, own) != 1 || !strings.Contains(header.Get("Content-Security-Policy"), "script-src 'self'") {
		t.Errorf("want the page's own script once, allowed by script-src 'self' (CSP %q)", header.Get("Content-Security-Policy"))
	}
	rest := strings.Replace(page, own, "", 1)
	for _, bad := range []string{"<script", "<img", "<i>", "<b>Báo", "javascript:", `"><script`} {
		if strings.Contains(rest, bad) {
			t.Errorf("page holds unescaped %q:\n%s", bad, page)
		}
	}
	for _, good := range []string{
		`&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Tin &#34;nóng&#34; &amp; &#39;lạ&#39;`, // the title
		`&lt;img src=x onerror=alert(1)&gt;`,
		`&lt;i&gt;<mark>ma túy</mark>&lt;/i&gt; &amp; &#34;heroin&#34;`, // highlight inside escaped text
		`<mark>cửa khẩu</mark>`,
		`&lt;b&gt;Báo&lt;/b&gt;`,
		`value="ma túy cửa khẩu &#34;&gt;&lt;script&gt;"`, // the query echoed in the box
		`<meta charset="utf-8">`,
		`<html lang="vi">`,
	} {
		if !strings.Contains(page, good) {
			t.Errorf("page lacks %s:\n%s", good, page)
		}
	}
}

func TestPageDidYouMean(t *testing.T) {
	f := newFixture(t, Config{})
	a := corpus.Article{ID: "a", Title: "Bắt giữ ma túy", Paragraphs: []string{"Đường dây ma túy lớn bị triệt phá."}}
	if _, err := f.ix.Add(context.Background(), []corpus.Article{a}); err != nil {
		t.Fatal(err)
	}
	_, _, page := f.getPage("q=ma+tuy")
	if want := `Có phải bạn muốn tìm: <a href="/?q=ma&#43;t%C3%BAy"><strong>ma túy</strong></a>`; !strings.Contains(page, want) {
		t.Errorf("page lacks %s:\n%s", want, page)
	}
	if _, _, page := f.getPage("q=ma+t%C3%BAy"); strings.Contains(page, "Có phải") {
		t.Errorf("page offers a suggestion for the query as written:\n%s", page)
	}
}

func TestPageStates(t *testing.T) {
	f := newFixture(t, Config{})

	_, _, home := f.getPage("")
	for _, want := range []string{`name="q"`, `<option value="vov.vn">vov.vn (2)</option>`, "Tìm trong 5 bài báo", `<html lang="vi">`, "Tất cả nguồn"} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q:\n%s", want, home)
		}
	}

	_, _, first := f.getPage("q=ma+tuy&size=2")
	if !strings.Contains(first, "Kết quả 1–2 trong khoảng 5") || hitCount(first) != 2 {
		t.Errorf("first page:\n%s", first)
	}
	if !strings.Contains(first, `href="/?from=2&amp;q=ma&#43;tuy&amp;size=2" rel="next"`) || strings.Contains(first, `rel="prev"`) {
		t.Errorf("first page: want a next link and no previous one:\n%s", first)
	}
	_, _, last := f.getPage("q=ma+tuy&size=2&from=4")
	if !strings.Contains(last, "Kết quả 5–5 trong khoảng 5") || !strings.Contains(last, `href="/?from=2&amp;q=ma&#43;tuy&amp;size=2" rel="prev"`) || strings.Contains(last, `rel="next"`) {
		t.Errorf("last page: want a previous link and no next one:\n%s", last)
	}

	_, _, filtered := f.getPage("q=ma+tuy&source=antv")
	if !strings.Contains(filtered, `<option value="antv" selected>`) || !strings.Contains(filtered, "trong khoảng 2") {
		t.Errorf("filtered page:\n%s", filtered)
	}

	_, _, none := f.getPage("q=xyzzyqwert")
	if !strings.Contains(none, "Không tìm thấy kết quả nào cho <strong>xyzzyqwert</strong>") {
		t.Errorf("no results page:\n%s", none)
	}

	status, _, bad := f.getPage("q=ma&since=h%C3%B4m+qua")
	if status != http.StatusBadRequest || !strings.Contains(bad, `class="error"`) || !strings.Contains(bad, "since") {
		t.Errorf("bad parameter: status %d:\n%s", status, bad)
	}
}

// hitCount counts the results a page shows (a story's others aside).
func hitCount(page string) int {
	_, list, ok := strings.Cut(page, `<ol class="hits"`)
	if !ok {
		return 0
	}
	list, _, _ = strings.Cut(list, "</ol>")
	return strings.Count(list, `<div class="title">`)
}

// getPageWith fetches a page with request headers.
func (f *fixture) getPageWith(path string, header map[string]string) (int, string) {
	f.t.Helper()
	req, err := http.NewRequest("GET", f.url+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestPageLanguage(t *testing.T) {
	f := newFixture(t, Config{})
	for _, tc := range []struct {
		name, path, acceptLanguage string
		want                       []string
	}{
		{"default", "/?q=ma+tuy&size=2", "", []string{`<html lang="vi">`, "Kết quả 1–2 trong khoảng 5", "Trang sau →", "Nguồn"}},
		{"hl=en", "/?q=ma+tuy&size=2&hl=en", "", []string{`<html lang="en">`, "Results 1–2 of about 5", "Next →", `name="hl" value="en"`, "Source"}},
		{"Accept-Language en", "/?q=ma+tuy&size=2", "en-US,en;q=0.9", []string{`<html lang="en">`, "Results 1–2 of about 5"}},
		{"Accept-Language prefers vi", "/?q=ma+tuy&size=2", "vi-VN,vi;q=0.9,en;q=0.5", []string{`<html lang="vi">`, "Kết quả 1–2"}},
		{"Accept-Language neither", "/?q=ma+tuy&size=2", "fr-FR", []string{`<html lang="vi">`}},
		{"hl=vi beats Accept-Language", "/?q=ma+tuy&size=2&hl=vi", "en", []string{`<html lang="vi">`, `name="hl" value="vi"`}},
	} {
		status, page := f.getPageWith(tc.path, map[string]string{"Accept-Language": tc.acceptLanguage})
		if status != http.StatusOK {
			t.Errorf("%s: status %d", tc.name, status)
		}
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: page lacks %q:\n%s", tc.name, w, page)
			}
		}
	}
}

// TestPageNumbersAndDates: Vietnamese groups thousands with dots and
// writes dates day first; English with commas, ISO dates.
func TestPageNumbersAndDates(t *testing.T) {
	f := newFixture(t, Config{Index: syntheticIndex(t, 1200)})
	_, home := f.getPageWith("/", nil)
	if !strings.Contains(home, "Tìm trong 1.200 bài báo") {
		t.Errorf("home page does not count 1.200 articles:\n%s", home)
	}
	_, page := f.getPageWith("/?q=tin&size=1&sort=date", nil)
	if !strings.Contains(page, "Kết quả 1–1 trong khoảng 1.200") {
		t.Errorf("vi page does not count 1.200 matches:\n%s", page)
	}
	// The newest article is s1199, published on 28/12/2024.
	if !strings.Contains(page, "28/12/2024") {
		t.Errorf("vi page lacks the date 28/12/2024:\n%s", page)
	}
	_, en := f.getPageWith("/?q=tin&size=1&sort=date&hl=en", nil)
	if !strings.Contains(en, "of about 1,200") || !strings.Contains(en, "2024-12-28") {
		t.Errorf("en page:\n%s", en)
	}
}

// syntheticIndex holds n articles spread over 3 sources, 4 categories
// (one in seven without) and 24 months (one in eleven undated), all
// matching "tin".
func syntheticIndex(t *testing.T, n int) *index.Index {
	t.Helper()
	ix, err := index.Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	sources := []string{"VOV.VN", "Tuổi Trẻ", "ANTV"}
	categories := []string{"Pháp luật", "Thể thao", "Kinh tế", "Thế giới"}
	words := []string{"ma túy", "bóng đá", "mưa lũ", "giá vàng", "bầu cử"}
	var batch []corpus.Article
	for i := range n {
		a := corpus.Article{
			ID:         fmt.Sprintf("s%04d", i),
			Title:      fmt.Sprintf("Tin %s số %d", words[i%5], i),
			Source:     sources[i%3],
			Paragraphs: []string{fmt.Sprintf("Bài viết về %s và %s, lần thứ %d.", words[(i/5)%5], words[(i/7)%5], i)},
		}
		if i%7 != 0 {
			a.Category = categories[i%4]
		}
		if i%11 != 5 {
			a.Published, _ = corpus.ParseDate(fmt.Sprintf("%d-%02d-%02d", 2023+(i/12)%2, 1+i%12, 1+i%28))
		}
		batch = append(batch, a)
		if len(batch) == 400 {
			if _, err := ix.Add(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	if len(batch) > 0 {
		if _, err := ix.Add(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
	}
	return ix
}
