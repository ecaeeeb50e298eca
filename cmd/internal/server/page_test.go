package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
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
	for _, bad := range []string{"<script", "<img", "<i>", "<b>Báo", "javascript:", `"><script`} {
		if strings.Contains(page, bad) {
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

func TestPageStates(t *testing.T) {
	f := newFixture(t, Config{})

	_, _, home := f.getPage("")
	for _, want := range []string{`name="q"`, `<option value="vov.vn">vov.vn (2)</option>`, "Search 5 indexed articles"} {
		if !strings.Contains(home, want) {
			t.Errorf("home page lacks %q:\n%s", want, home)
		}
	}

	_, _, first := f.getPage("q=ma+tuy&size=2")
	if !strings.Contains(first, "Results 1–2 of about 5") || strings.Count(first, "<li>") != 2 {
		t.Errorf("first page:\n%s", first)
	}
	if !strings.Contains(first, `href="/?from=2&amp;q=ma&#43;tuy&amp;size=2" rel="next"`) || strings.Contains(first, `rel="prev"`) {
		t.Errorf("first page: want a next link and no previous one:\n%s", first)
	}
	_, _, last := f.getPage("q=ma+tuy&size=2&from=4")
	if !strings.Contains(last, "Results 5–5 of about 5") || !strings.Contains(last, `href="/?from=2&amp;q=ma&#43;tuy&amp;size=2" rel="prev"`) || strings.Contains(last, `rel="next"`) {
		t.Errorf("last page: want a previous link and no next one:\n%s", last)
	}

	_, _, filtered := f.getPage("q=ma+tuy&source=antv")
	if !strings.Contains(filtered, `<option value="antv" selected>`) || !strings.Contains(filtered, "of about 2") {
		t.Errorf("filtered page:\n%s", filtered)
	}

	_, _, none := f.getPage("q=xyzzyqwert")
	if !strings.Contains(none, "No results for <strong>xyzzyqwert</strong>") {
		t.Errorf("no results page:\n%s", none)
	}

	status, _, bad := f.getPage("q=ma&since=h%C3%B4m+qua")
	if status != http.StatusBadRequest || !strings.Contains(bad, `class="error"`) || !strings.Contains(bad, "since") {
		t.Errorf("bad parameter: status %d:\n%s", status, bad)
	}
}
