package corpus

import (
	"encoding/json"
	"net/url"
	"strings"
	"time"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/unicode/norm"
)

// pageMeta is what a page says about its article outside the body.
type pageMeta struct {
	title, site, url, host, byline, category string
	description                              string
	published                                Date
	h1                                       *html.Node // the headline element, if any
}

// vietnamTime is the zone a machine-readable time without one is read in:
// the pages are Vietnamese news, written on Indochina Time.
var vietnamTime = time.FixedZone("ICT", 7*3600)

// readMeta reads a page's metadata. Every field is the first found of:
//
//	title      JSON-LD headline, <h1>, og:title, <title> (a trailing " - Site" cut)
//	site       JSON-LD publisher, og:site_name, application-name
//	url        <link rel=canonical>, og:url, JSON-LD mainEntityOfPage, the page's URL
//	published  JSON-LD datePublished, article:published_time and kin, <time datetime>,
//	           a visible date line in an element named date or time
//	byline     JSON-LD author, meta author (unless it names the site), an element
//	           named author holding a short name
//	category   JSON-LD articleSection, article:section, the first crumb of a
//	           breadcrumb (JSON-LD or in the page) that is not the home page
func readMeta(doc *html.Node, base *url.URL) *pageMeta {
	m := &pageMeta{}
	metas := map[string]string{}
	var titleTag, canonical string
	var times []*html.Node // <time datetime>
	var ld ldArticle
	var crumbs []string
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		switch n.DataAtom {
		case atom.Meta:
			key := strings.ToLower(strings.TrimSpace(attr(n, "property")))
			if key == "" {
				key = strings.ToLower(strings.TrimSpace(attr(n, "name")))
			}
			if key == "" {
				key = strings.ToLower(strings.TrimSpace(attr(n, "itemprop")))
			}
			if v := collapse(attr(n, "content")); key != "" && v != "" {
				if _, seen := metas[key]; !seen {
					metas[key] = v
				}
			}
		case atom.Title:
			if titleTag == "" && !inSVG(n) {
				titleTag = collapse(textOf(n))
			}
		case atom.Link:
			if canonical == "" && hasToken(attr(n, "rel"), "canonical") {
				canonical = strings.TrimSpace(attr(n, "href"))
			}
		case atom.Script:
			if strings.EqualFold(strings.TrimSpace(attr(n, "type")), "application/ld+json") {
				readJSONLD(textOf(n), &ld, &crumbs)
			}
		case atom.H1:
			if m.h1 == nil && collapse(textOf(n)) != "" {
				m.h1 = n
			}
		case atom.Time:
			if strings.TrimSpace(attr(n, "datetime")) != "" {
				times = append(times, n)
			}
		}
	}

	m.site = firstOf(ld.publisher, metas["og:site_name"], metas["application-name"])
	m.url = resolveURL(base, firstOf(canonical, metas["og:url"], ld.url))
	if m.url == "" && base != nil && base.Host != "" {
		m.url = base.String()
	}
	if u, err := url.Parse(m.url); err == nil {
		m.host = strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	}
	m.description = firstOf(ld.description, metas["og:description"], metas["description"])

	// The headline: <h1> is what readers see; meta titles often carry the
	// site's name.
	switch {
	case ld.headline != "":
		m.title = ld.headline
	case m.h1 != nil:
		m.title = collapse(textOf(m.h1))
	case metas["og:title"] != "":
		m.title = m.cutSiteSuffix(metas["og:title"])
	default:
		m.title = m.cutSiteSuffix(titleTag)
	}

	for _, s := range []string{ld.published, metas["article:published_time"], metas["datepublished"],
		metas["pubdate"], metas["publishdate"], metas["og:published_time"], metas["dc.date.issued"],
		metas["dcterms.created"], metas["dc.date"], attrOf(m.articleFirst(times), "datetime", false)} {
		if d, ok := parseMachineDate(s); ok {
			m.published = d
			break
		}
	}
	if m.published.IsZero() {
		m.published = m.visibleDate(doc)
	}
	if m.published.IsZero() {
		// Only a <time> in the banner: better than nothing.
		m.published, _ = parseMachineDate(attrOf(m.articleFirst(times), "datetime", true))
	}

	m.byline = ld.author
	if m.byline == "" {
		for _, k := range []string{"author", "article:author", "dc.creator"} {
			if v := metas[k]; v != "" && !strings.Contains(v, "://") && !sameName(v, m.site) && !sameName(v, m.host) {
				m.byline = v
				break
			}
		}
	}
	if m.byline == "" {
		m.byline = authorElement(doc)
	}

	m.category = firstOf(ld.section, metas["article:section"])
	if m.category == "" {
		m.category = firstCrumb(crumbs)
	}
	if m.category == "" {
		m.category = firstCrumb(pageCrumbs(doc))
	}
	return m
}

// ldArticle holds what vnsearch reads from JSON-LD.
type ldArticle struct {
	headline, published, author, publisher, section, url, description string
	found                                                             bool
}

// readJSONLD reads one JSON-LD script: the first object whose @type is a
// kind of article fills a (if no earlier script did), and a BreadcrumbList
// adds its names to crumbs. Malformed JSON-LD is ignored, as browsers do.
func readJSONLD(text string, a *ldArticle, crumbs *[]string) {
	text = strings.TrimSpace(text)
	text = strings.TrimPrefix(strings.TrimSuffix(text, "]]>"), "<![CDATA[")
	var v any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		return
	}
	var visit func(v any, depth int)
	visit = func(v any, depth int) {
		if depth > 4 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				visit(e, depth+1)
			}
		case map[string]any:
			if g, ok := x["@graph"]; ok {
				visit(g, depth+1)
			}
			types := ldStrings(x["@type"])
			for _, t := range types {
				switch {
				case t == "BreadcrumbList":
					if len(*crumbs) == 0 {
						*crumbs = ldCrumbs(x)
					}
				case isArticleType(t) && !a.found:
					a.found = true
					a.headline = collapse(firstOf(ldString(x["headline"]), ldString(x["name"])))
					a.published = ldString(x["datePublished"])
					a.author = strings.Join(ldNames(x["author"]), ", ")
					a.publisher = firstOf(ldNames(x["publisher"])...)
					a.section = firstOf(ldStrings(x["articleSection"])...)
					a.description = collapse(ldString(x["description"]))
					a.url = firstOf(ldString(x["url"]), ldID(x["mainEntityOfPage"]))
				}
			}
		}
	}
	visit(v, 0)
}

func isArticleType(t string) bool {
	switch t {
	case "NewsArticle", "Article", "ReportageNews", "AnalysisNewsArticle", "BlogPosting",
		"OpinionNewsArticle", "ReviewNewsArticle", "BackgroundNewsArticle", "LiveBlogPosting":
		return true
	}
	return false
}

func ldString(v any) string {
	s, _ := v.(string)
	return strings.TrimSpace(s)
}

// ldStrings reads a string or an array of strings.
func ldStrings(v any) []string {
	switch x := v.(type) {
	case string:
		if s := strings.TrimSpace(x); s != "" {
			return []string{s}
		}
	case []any:
		var out []string
		for _, e := range x {
			if s := ldString(e); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// ldNames reads a person or organization, or a list of them, given by
// name or as objects with a name.
func ldNames(v any) []string {
	switch x := v.(type) {
	case string:
		if s := collapse(x); s != "" && !strings.Contains(s, "://") {
			return []string{s}
		}
	case map[string]any:
		if s := collapse(ldString(x["name"])); s != "" {
			return []string{s}
		}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, ldNames(e)...)
		}
		return out
	}
	return nil
}

func ldID(v any) string {
	switch x := v.(type) {
	case string:
		return strings.TrimSpace(x)
	case map[string]any:
		return firstOf(ldString(x["@id"]), ldString(x["url"]))
	}
	return ""
}

func ldCrumbs(list map[string]any) []string {
	items, _ := list["itemListElement"].([]any)
	var out []string
	for _, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		name := ldString(m["name"])
		if name == "" {
			if item, ok := m["item"].(map[string]any); ok {
				name = ldString(item["name"])
			}
		}
		if name = collapse(name); name != "" {
			out = append(out, name)
		}
	}
	return out
}

// firstCrumb returns the first breadcrumb that is not the home page.
func firstCrumb(crumbs []string) string {
	for _, c := range crumbs {
		k := lowerKey(c)
		if k == "trang chủ" || k == "home" || k == "trang nhất" || runeLen(c) > 60 {
			continue
		}
		return c
	}
	return ""
}

// pageCrumbs returns the link texts of the page's breadcrumb: an element
// whose class or id names a breadcrumb or path.
func pageCrumbs(doc *html.Node) []string {
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		k := strings.ToLower(attr(n, "class") + " " + attr(n, "id"))
		if !strings.Contains(k, "breadcrumb") && !strings.Contains(k, "bread-crumb") && !hasToken(k, "path") {
			continue
		}
		var out []string
		for c := range n.Descendants() {
			if c.Type == html.ElementNode && c.DataAtom == atom.A {
				if t := collapse(textOf(c)); t != "" {
					out = append(out, t)
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// parseMachineDate reads a date written for machines: RFC 3339 and the
// ISO 8601 variants sites use ("2024-05-12 10:30", "2024-05-12T10:30:00",
// "+0700" zones). A time without a zone is Vietnam's.
func parseMachineDate(s string) (Date, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, false
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return Date{Time: t, Precision: Instant}, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05Z0700", "2006-01-02T15:04Z07:00", "2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05Z0700", "2006-01-02T15:04:05.000Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return Date{Time: t, Precision: Instant}, true
		}
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, vietnamTime); err == nil {
			return Date{Time: t, Precision: Instant}, true
		}
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return Date{Time: t, Precision: Day}, true
	}
	return Date{}, false
}

// articleFirst returns the first of nodes (in document order) that comes
// after the headline and is not in the page's header, else the first not
// in a header, else the first: a date in the site's banner is the day of
// the visit, not of the article.
func (m *pageMeta) articleFirst(nodes []*html.Node) *html.Node {
	var notHeader *html.Node
	for _, n := range nodes {
		if inPageHeader(n) {
			continue
		}
		if m.h1 == nil || before(m.h1, n) {
			return n
		}
		if notHeader == nil {
			notHeader = n
		}
	}
	if notHeader != nil {
		return notHeader
	}
	if len(nodes) > 0 {
		return nodes[0]
	}
	return nil
}

// inPageHeader reports whether n is inside a <header> or <nav>, or an
// element named a page header or top bar, that does not hold the
// headline.
func inPageHeader(n *html.Node) bool {
	for p := n.Parent; p != nil && p.Type == html.ElementNode; p = p.Parent {
		names := strings.ToLower(attr(p, "class") + " " + attr(p, "id"))
		if p.DataAtom == atom.Header || p.DataAtom == atom.Nav || strings.Contains(names, "topbar") ||
			strings.Contains(names, "top-bar") || strings.Contains(names, "page-header") || hasToken(names, "header") {
			for c := range p.Descendants() {
				if c.DataAtom == atom.H1 {
					return false
				}
			}
			return true
		}
	}
	return false
}

// attrOf returns n's attribute key; with banner false, nothing for a
// node in the page's header.
func attrOf(n *html.Node, key string, banner bool) string {
	if n == nil || (!banner && inPageHeader(n)) {
		return ""
	}
	return strings.TrimSpace(attr(n, key))
}

// visibleDate finds a date line ("Thứ Hai, 12/05/2024 10:30 (GMT+7)") in
// a short element whose class names a date or time, preferring one by the
// article to one in the site's banner.
func (m *pageMeta) visibleDate(doc *html.Node) Date {
	var nodes []*html.Node
	dates := map[*html.Node]Date{}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || isSkippedTag(n) {
			continue
		}
		k := strings.ToLower(attr(n, "class") + " " + attr(n, "id") + " " + attr(n, "data-role"))
		if !strings.Contains(k, "date") && !strings.Contains(k, "time") && !strings.Contains(k, "publish") {
			continue
		}
		t := collapse(textOf(n))
		if t == "" || len(t) > 80 {
			continue
		}
		d, ok := dateLine(t)
		if !ok {
			// "Thứ Ba, 15:30, 09/07/2024": the time before the date.
			if loc := reDMY.FindStringIndex(t); loc != nil {
				d, ok = dateLine(t[loc[0]:])
			}
		}
		if ok {
			nodes = append(nodes, n)
			dates[n] = d
		}
	}
	if n := m.articleFirst(nodes); n != nil && !inPageHeader(n) {
		return dates[n]
	}
	return Date{}
}

// authorElement returns the text of the first element whose class,
// itemprop or rel names an author and which holds a short name.
func authorElement(doc *html.Node) string {
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || isSkippedTag(n) {
			continue
		}
		k := strings.ToLower(attr(n, "class") + " " + attr(n, "itemprop") + " " + attr(n, "rel"))
		if !strings.Contains(k, "author") && !strings.Contains(k, "byline") {
			continue
		}
		t := strings.TrimRightFunc(collapse(textOf(n)), func(r rune) bool { return r == ',' || r == '-' || unicode.IsSpace(r) })
		if t != "" && isBylineLike(t) {
			return t
		}
	}
	return ""
}

// cutSiteSuffix removes a trailing " - Site" or " | Site" from a title
// when it names the site (its og:site_name or host) or a newspaper ("Báo …").
func (m *pageMeta) cutSiteSuffix(t string) string {
	for _, sep := range []string{" | ", " - ", " – ", " — "} {
		i := strings.LastIndex(t, sep)
		if i <= 0 {
			continue
		}
		suffix := strings.TrimSpace(t[i+len(sep):])
		k := foldKey(suffix)
		if (m.site != "" && strings.Contains(k, foldKey(m.site))) ||
			(m.host != "" && strings.Contains(k, foldKey(strings.SplitN(m.host, ".", 2)[0]))) ||
			strings.HasPrefix(lowerKey(suffix), "báo ") {
			return strings.TrimSpace(t[:i])
		}
	}
	return t
}

// sameName reports whether two names are the same but for case,
// diacritics and spacing ("TUOI TRE ONLINE", "Tuổi Trẻ Online").
func sameName(a, b string) bool {
	return a != "" && b != "" && foldKey(a) == foldKey(b)
}

// foldKey lowercases s, strips diacritics (đ too) and spaces and dots,
// for comparing names.
func foldKey(s string) string {
	var b strings.Builder
	for _, r := range lowerKey(s) {
		switch {
		case r == 'đ':
			b.WriteRune('d')
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if f := foldRune(r); f != 0 {
				b.WriteRune(f)
			}
		}
	}
	return b.String()
}

// foldRune returns the base letter of a Latin letter with diacritics, or
// r itself.
func foldRune(r rune) rune {
	if r < 0x80 {
		return r
	}
	d := []rune(norm.NFD.String(string(r)))
	if len(d) > 0 && d[0] < 0x80 {
		return d[0]
	}
	return r
}

// Node helpers.

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasToken(list, tok string) bool {
	for _, f := range strings.Fields(strings.ToLower(list)) {
		if f == tok {
			return true
		}
	}
	return false
}

// textOf returns the text under n, with a space for each element
// boundary so that words in adjacent blocks do not run together.
func textOf(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			b.WriteString(n.Data)
		case html.ElementNode:
			if n.DataAtom == atom.Br {
				b.WriteByte(' ')
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if n.Type == html.ElementNode && !isInline(n) {
			b.WriteByte(' ')
		}
	}
	walk(n)
	return b.String()
}

// collapse trims s and collapses its runs of whitespace (NBSP included)
// to one space: whitespace in HTML is not text.
func collapse(s string) string {
	return strings.Join(strings.FieldsFunc(s, isPageSpace), " ")
}

func firstOf(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func resolveURL(base *url.URL, ref string) string {
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	u.Scheme, u.Host = strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return u.String()
}

func inSVG(n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p.DataAtom == atom.Svg {
			return true
		}
	}
	return false
}
