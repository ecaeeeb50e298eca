package server

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// bruteFacets pages through every hit of a search and counts the
// articles' sources, categories and months.
func bruteFacets(f *fixture, query string) (map[string]map[string]uint64, uint64) {
	f.t.Helper()
	want := map[string]map[string]uint64{"source": {}, "category": {}, "month": {}}
	var seen uint64
	for from := 0; ; from += index.MaxSize {
		page := f.search(fmt.Sprintf("q=%s&size=%d&from=%d", url.QueryEscape(query), index.MaxSize, from))
		for _, h := range page.Hits {
			seen++
			status, _, body := f.do("GET", "/articles/"+url.PathEscape(h.ID), "", nil)
			if status != http.StatusOK {
				f.t.Fatalf("article %s: %d", h.ID, status)
			}
			var a corpus.Article
			if err := json.Unmarshal(body, &a); err != nil {
				f.t.Fatal(err)
			}
			if a.Source != "" {
				want["source"][analyzer.Normalize(a.Source)]++
			}
			if a.Category != "" {
				want["category"][analyzer.Normalize(a.Category)]++
			}
			if a.Published.Precision >= corpus.Month {
				want["month"][a.Published.Time.Format("2006-01")]++
			}
		}
		if len(page.Hits) < index.MaxSize {
			return want, seen
		}
	}
}

// TestSearchFacets checks the facets of GET /search against a count of
// every hit, on the seeds and on a synthetic set.
func TestSearchFacets(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ix      func(t *testing.T) *index.Index
		queries []string
	}{
		{"seeds", seededIndex, []string{"ma túy", "trung quoc", `"Bộ Công an" -heroin`}},
		{"synthetic", func(t *testing.T) *index.Index { return syntheticIndex(t, 600) }, []string{"tin", "bóng đá", "mua lu -vàng"}},
	} {
		f := newFixture(t, Config{Index: tc.ix(t)})
		for _, q := range tc.queries {
			res := f.search("q=" + url.QueryEscape(q) + "&size=1&facets=source,category,month")
			want, seen := bruteFacets(f, q)
			if seen != res.Total || seen == 0 {
				t.Fatalf("%s %q: %d hits paged, total %d", tc.name, q, seen, res.Total)
			}
			for name, counts := range want {
				got := map[string]uint64{}
				for _, c := range res.Facets[name] {
					got[c.Value] = c.Count
				}
				if fmt.Sprint(got) != fmt.Sprint(counts) {
					t.Errorf("%s %q: facet %s = %v, counted %v", tc.name, q, name, got, counts)
				}
			}
		}
		// Without facets= the answer has none; an unknown one is a 400.
		if res := f.search("q=tin"); res.Facets != nil {
			t.Errorf("%s: facets without asking: %v", tc.name, res.Facets)
		}
		status, header, body := f.do("GET", "/search?q=tin&facets=author", "", nil)
		if msg := wantError(t, "facets=author", status, http.StatusBadRequest, header, body); !strings.Contains(msg, "author") {
			t.Errorf("facets=author: %q does not name the facet", msg)
		}
	}
}

var (
	facetLinkRE = regexp.MustCompile(`<a href="([^"]+)"[^>]*>([^<]+)</a> <span class="count">([^<]+)</span>`)
	barRE       = regexp.MustCompile(`<a href="([^"]+)"><title>([^<]+)</title>`)
	removeRE    = regexp.MustCompile(`<li>([^:<]+): <strong>([^<]+)</strong><a href="([^"]+)"`)
	summaryRE   = regexp.MustCompile(`trong khoảng ([0-9.]+)`)
)

// section returns the part of page from the first marker on to the end of
// its element (the next closing tag given).
func section(page, marker, end string) string {
	_, rest, ok := strings.Cut(page, marker)
	if !ok {
		return ""
	}
	rest, _, _ = strings.Cut(rest, end)
	return rest
}

// pageTotal reads the total of a Vietnamese results page: "83.095" is 83095.
func pageTotal(t *testing.T, page string) string {
	t.Helper()
	m := summaryRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no total on the page:\n%s", page)
	}
	return m[1]
}

// TestPageFacets clicks through the page's filters: a facet value
// narrows the search to its count and shows as active; its ✕ removes it;
// a bar of the timeline narrows to its month.
func TestPageFacets(t *testing.T) {
	f := newFixture(t, Config{Index: syntheticIndex(t, 600)})
	_, page := f.getPageWith("/?q=tin", nil)
	if got := pageTotal(t, page); got != "600" {
		t.Fatalf("total %s, want 600", got)
	}
	sources := facetLinkRE.FindAllStringSubmatch(section(page, `data-facet="source"`, "</section>"), -1)
	if len(sources) != 3 {
		t.Fatalf("source facet shows %d values, want 3:\n%s", len(sources), page)
	}
	href, value, count := html.UnescapeString(sources[0][1]), sources[0][2], sources[0][3]
	if count != "200" {
		t.Errorf("source %s counts %s, want 200", value, count)
	}
	_, narrowed := f.getPageWith(href, nil)
	if got := pageTotal(t, narrowed); got != count {
		t.Errorf("clicking %s: total %s, want the facet's %s", value, got, count)
	}
	chips := removeRE.FindAllStringSubmatch(section(narrowed, `<ul class="chips"`, "</ul>"), -1)
	if len(chips) != 1 || chips[0][1] != "Nguồn" || chips[0][2] != value {
		t.Fatalf("active filters %v, want source %s:\n%s", chips, value, narrowed)
	}
	if !strings.Contains(section(narrowed, `data-facet="source"`, "</section>"), `class="active" aria-current="true">`+value) {
		t.Errorf("the chosen source is not marked active")
	}
	_, back := f.getPageWith(html.UnescapeString(chips[0][3]), nil)
	if got := pageTotal(t, back); got != "600" || strings.Contains(back, `<ul class="chips"`) {
		t.Errorf("after removing the filter: total %s, chips shown: %v", got, strings.Contains(back, `<ul class="chips"`))
	}

	// The timeline: one bar a month from the first to the last, each with
	// the month's count, linking to the month.
	bars := barRE.FindAllStringSubmatch(section(page, `<figure class="timeline"`, "</figure>"), -1)
	if len(bars) != 24 {
		t.Fatalf("timeline has %d bars, want 24 months", len(bars))
	}
	// syntheticIndex dates article i in month 1+i%12 of 2023+(i/12)%2,
	// unless i%11 == 5.
	january := 0
	for i := range 600 {
		if i%12 == 0 && (i/12)%2 == 0 && i%11 != 5 {
			january++
		}
	}
	if want := fmt.Sprintf("01/2023: %d bài", january); bars[0][2] != want {
		t.Errorf("first bar %q, want %s", bars[0][2], want)
	}
	_, month := f.getPageWith(html.UnescapeString(bars[0][1]), nil)
	if got := pageTotal(t, month); got != fmt.Sprint(january) {
		t.Errorf("clicking 01/2023: total %s, want %d", got, january)
	}
	if !strings.Contains(month, "Tháng: <strong>01/2023</strong>") {
		t.Errorf("the month filter is not shown as active:\n%s", section(month, `<ul class="chips"`, "</ul>"))
	}
	_, since := f.getPageWith("/?q=tin&since=2024", nil)
	chips = removeRE.FindAllStringSubmatch(section(since, `<ul class="chips"`, "</ul>"), -1)
	if len(chips) != 1 || chips[0][1] != "Thời gian" || chips[0][2] != "2024 –" || html.UnescapeString(chips[0][3]) != "/?q=tin" {
		t.Errorf("since=2024 shows the filters %v", chips)
	}
}

// nearCopies are one report as three outlets ran it, and an unrelated
// article on the same subject.
func nearCopies() []corpus.Article {
	body := []string{
		"Chiều 10/6, Trung tâm Dự báo Khí tượng Thủy văn Trung ương cho biết vùng áp thấp trên khu vực phía đông Biển Đông đã mạnh lên thành áp thấp nhiệt đới.",
		"Hồi 19 giờ, vị trí tâm áp thấp nhiệt đới ở vào khoảng 14,2 độ vĩ Bắc, 117,5 độ kinh Đông. Sức gió mạnh nhất ở vùng gần tâm áp thấp nhiệt đới mạnh cấp 6, giật cấp 8.",
		"Dự báo trong 24 giờ tới, áp thấp nhiệt đới di chuyển theo hướng Bắc Tây Bắc, mỗi giờ đi được khoảng 10 km và có khả năng mạnh lên thành bão.",
		"Do ảnh hưởng của áp thấp nhiệt đới, vùng biển phía đông của khu vực Bắc và giữa Biển Đông có gió mạnh cấp 6, giật cấp 8, biển động mạnh. Tàu thuyền cần đề phòng.",
	}
	a := corpus.Article{ID: "atnd-1", Title: "Áp thấp nhiệt đới trên Biển Đông", Source: "Báo A", Paragraphs: body}
	a.Published, _ = corpus.ParseDate("2017-06-10")
	b := a
	b.ID, b.Title, b.Source = "atnd-2", "Xuất hiện áp thấp nhiệt đới trên biển Đông", "Báo B"
	c := a
	c.ID, c.Title, c.Source = "atnd-3", "Áp thấp nhiệt đới có khả năng mạnh lên thành bão", "Báo C"
	c.Paragraphs = append([]string{"Tin mới nhất về áp thấp nhiệt đới trên Biển Đông."}, body[:3]...)
	other := corpus.Article{ID: "bao-khac", Title: "Bão số 2 suy yếu thành áp thấp nhiệt đới", Source: "Báo A", Paragraphs: []string{
		"Sáng 20/7, sau khi đi vào đất liền các tỉnh Thanh Hóa, Nghệ An, bão số 2 đã suy yếu thành áp thấp nhiệt đới, gây mưa to đến rất to ở Bắc Trung Bộ.",
		"Lượng mưa phổ biến từ 100 đến 200 mm, có nơi trên 300 mm. Nguy cơ cao xảy ra lũ quét, sạt lở đất ở vùng núi và ngập úng ở vùng trũng thấp.",
	}}
	other.Published, _ = corpus.ParseDate("2017-07-20")
	return []corpus.Article{a, b, c, other}
}

// TestStoryGrouping: group=story gathers near copies under one hit and
// leaves the unrelated article alone; the page shows the others behind
// "và N bài cùng sự kiện".
func TestStoryGrouping(t *testing.T) {
	f := newFixture(t, Config{})
	if _, err := f.ix.Add(context.Background(), nearCopies()); err != nil {
		t.Fatal(err)
	}
	res := f.search("q=" + url.QueryEscape("áp thấp nhiệt đới") + "&group=story")
	if res.Total != 4 || len(res.Hits) != 2 {
		t.Fatalf("total %d, %d groups, want 4 articles in 2 groups: %+v", res.Total, len(res.Hits), res.Hits)
	}
	for _, h := range res.Hits {
		if h.Story == nil || h.Story.ID != h.ID {
			t.Fatalf("hit %s: story %+v", h.ID, h.Story)
		}
		ids := []string{h.ID}
		for _, o := range h.Story.Others {
			ids = append(ids, o.ID)
		}
		switch {
		case h.ID == "bao-khac" || slices.Contains(ids, "bao-khac"):
			if h.Story.Size != 1 || len(ids) != 1 {
				t.Errorf("the unrelated article is grouped with %v", ids)
			}
		case h.Story.Size != 3 || len(ids) != 3:
			t.Errorf("near copies: story %+v holding %v, want the three", h.Story, ids)
		}
	}
	// The same search without grouping lists every article, no story.
	if plain := f.search("q=" + url.QueryEscape("áp thấp nhiệt đới")); len(plain.Hits) != 4 || plain.Hits[0].Story != nil {
		t.Errorf("ungrouped: %d hits, story %v", len(plain.Hits), plain.Hits[0].Story)
	}
	status, header, body := f.do("GET", "/search?q=tin&group=topic", "", nil)
	wantError(t, "group=topic", status, http.StatusBadRequest, header, body)

	_, page := f.getPageWith("/?q="+url.QueryEscape("áp thấp nhiệt đới"), nil)
	if n := hitCount(page); n != 2 {
		t.Errorf("the page shows %d results, want 2 stories", n)
	}
	details := section(page, `<details class="story"><summary>`, "</details>")
	if !strings.HasPrefix(details, "và 2 bài cùng sự kiện</summary>") || strings.Count(details, "<li>") != 2 {
		t.Errorf("story group:\n%s", details)
	}
	_, en := f.getPageWith("/?hl=en&q="+url.QueryEscape("áp thấp nhiệt đới"), nil)
	if !strings.Contains(en, "and 2 more on the same story") {
		t.Errorf("English page lacks the story group")
	}
	// group= (empty) on the page turns grouping off.
	_, flat := f.getPageWith("/?group=&q="+url.QueryEscape("áp thấp nhiệt đới"), nil)
	if n := hitCount(flat); n != 4 || strings.Contains(flat, "<details") {
		t.Errorf("group= shows %d results", n)
	}
}

// TestArticleView: the article view shows the whole article with the
// query's matches marked, anchored at each paragraph so that a result
// opens at the paragraph of its snippet; everything is escaped; an
// unknown article is a 404.
func TestArticleView(t *testing.T) {
	f := newFixture(t, Config{})
	evil := corpus.Article{
		ID:        "evil <1>",
		Title:     `<script>alert("t")</script> Tin nóng`,
		URL:       "https://example.com/a?x=1&y=<2>",
		Source:    `<b>Báo</b>`,
		Summary:   "Tóm tắt không có gì.",
		Published: corpus.Date{},
		Paragraphs: []string{
			"Đoạn đầu không nói gì.",
			"",
			"Đoạn thứ ba cũng vậy.",
			`Bắt giữ <i>ma túy</i> & "heroin" <img src=x onerror=alert(1)> tại cửa khẩu.`,
		},
	}
	evil.Published, _ = corpus.ParseDate("2026-01-12")
	if _, err := f.ix.Add(context.Background(), []corpus.Article{evil}); err != nil {
		t.Fatal(err)
	}
	_, results := f.getPageWith("/?q="+url.QueryEscape("ma tuy cửa khẩu heroin"), nil)
	links := regexp.MustCompile(`<div class="title"><a href="(/a/evil[^"]*)">`).FindStringSubmatch(results)
	if links == nil {
		t.Fatalf("no link to the article view:\n%s", results)
	}
	link := html.UnescapeString(links[1])
	if !strings.HasSuffix(link, "#p3") {
		t.Errorf("link %q does not open at paragraph 3, where the snippet is", link)
	}
	status, page := f.getPageWith(link, map[string]string{"Accept": "text/html"})
	if status != http.StatusOK {
		t.Fatalf("%s: status %d", link, status)
	}
	for _, bad := range []string{"<script", "<img", "<i>", "<b>Báo", `"><`} {
		if strings.Contains(page, bad) {
			t.Errorf("article view holds unescaped %q", bad)
		}
	}
	for _, want := range []string{
		`<html lang="vi">`,
		`&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt; Tin nóng`,
		`&lt;b&gt;Báo&lt;/b&gt; · 12/01/2026`,
		`<a href="https://example.com/a?x=1&amp;y=%3c2%3e" rel="noopener noreferrer nofollow">Xem bài gốc</a>`,
		`<p id="p3">Bắt giữ &lt;i&gt;<mark>ma túy</mark>&lt;/i&gt; &amp; &#34;<mark>heroin</mark>&#34; &lt;img src=x onerror=alert(1)&gt; tại <mark>cửa khẩu</mark>.</p>`,
		`<p id="p0">Đoạn đầu không nói gì.</p>`,
		`<p id="p2">Đoạn thứ ba cũng vậy.</p>`,
		`<p class="lead" id="summary">Tóm tắt không có gì.</p>`,
		`href="/?q=ma&#43;tuy&#43;c%E1%BB%ADa&#43;kh%E1%BA%A9u&#43;heroin">← Quay lại kết quả`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("article view lacks %s", want)
		}
	}
	if strings.Contains(page, `id="p1"`) {
		t.Errorf("the empty paragraph 1 is shown")
	}
	if _, en := f.getPageWith("/a/"+url.PathEscape(evil.ID)+"?hl=en", nil); !strings.Contains(en, "Original article") || strings.Contains(en, "<mark>") {
		t.Errorf("article view in English, no query: %s", section(en, "<article>", "</article>"))
	}

	status, header, body := f.do("GET", "/a/nope", "", nil)
	if msg := wantError(t, "unknown article", status, http.StatusNotFound, header, body); !strings.Contains(msg, `"nope"`) {
		t.Errorf("404 message %q does not name the ID", msg)
	}
	status, page = f.getPageWith("/a/nope%3Cscript%3E", map[string]string{"Accept": "text/html,application/xhtml+xml"})
	if status != http.StatusNotFound || !strings.Contains(page, `class="error"`) || strings.Contains(page, "<script>") || !strings.Contains(page, "nope&lt;script&gt;") {
		t.Errorf("404 page: status %d:\n%s", status, page)
	}
	status, header, body = f.do("GET", "/a/x%01y", "", nil)
	wantError(t, "bad ID", status, http.StatusBadRequest, header, body)
}

// TestArticleViewHighlightsSynonyms: an article found by another form of
// a synonym than the one typed shows that form marked.
func TestArticleViewHighlightsSynonyms(t *testing.T) {
	f := newFixture(t, Config{})
	a := corpus.Article{ID: "uyban", Title: "Ủy ban nhân dân tỉnh họp", Paragraphs: []string{"Ủy ban nhân dân tỉnh Yên Bái họp về mưa lũ."}}
	if _, err := f.ix.Add(context.Background(), []corpus.Article{a}); err != nil {
		t.Fatal(err)
	}
	status, page := f.getPageWith("/a/uyban?q=ubnd", map[string]string{"Accept": "text/html"})
	if status != http.StatusOK || !strings.Contains(page, `<p id="p0"><mark>Ủy ban nhân dân</mark> tỉnh Yên Bái`) {
		t.Errorf("status %d; article view: %s", status, section(page, "<article>", "</article>"))
	}
}
