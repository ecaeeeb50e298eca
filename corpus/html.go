package corpus

import (
	"bytes"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/charmap"
)

// HTMLPage says where an HTML page comes from.
type HTMLPage struct {
	// Name names the page in problems, and is the article's Origin: a
	// file path, or empty for a page fetched from the web.
	Name string
	// URL is the address the page was fetched from, if any: relative
	// links resolve against it, and it is the article's URL when the page
	// states no canonical one.
	URL string
	// ContentType is the Content-Type header the page came with, if any,
	// for its charset.
	ContentType string
}

// maxHTMLNodes and maxHTMLDepth bound the nodes of one page and their
// nesting, so that a hostile page cannot make extraction take unbounded
// time or memory (news pages have a few thousand nodes, a few dozen deep).
const (
	maxHTMLNodes = 50_000
	maxHTMLDepth = 256
)

// ParseHTML extracts the article of a news page: its metadata (title,
// outlet, publication time, byline, canonical URL, section) from JSON-LD,
// meta tags, <time> and the page's own text; its lead (sapo) as Summary;
// and its paragraphs as the page has them, without the site's chrome
// (menus, share and comment bars, related-news lists, captions, footer).
//
// The body is found by general rules about how news pages are built, never
// by matching one site: see htmlbody.go. What remains is cleaned by the
// rules that clean scraped text pages (ParsePage): everything from a
// related-news heading ("Tin liên quan", "Xem thêm", ...) or a reader
// invitation on is dropped, as are "Xem thêm:" links, contact and caption
// lines, and a trailing credit becomes the byline.
//
// The page may be in any charset the WHATWG encoding standard names; one
// that is valid UTF-8 is read as UTF-8 whatever it declares (sites do
// send wrong headers), and one that declares nothing and is not UTF-8 is
// read as windows-1258, the Vietnamese code page. Problems (no article
// text, an unreadable page) come back as a *Problem naming page.Name.
func ParseHTML(data []byte, page HTMLPage) (Article, error) {
	name := page.Name
	if name == "" {
		name = page.URL
	}
	text, err := decodeHTML(data, page.ContentType)
	if err != nil {
		return Article{}, &Problem{Path: name, Err: err}
	}
	if strings.TrimSpace(text) == "" {
		return Article{}, &Problem{Path: name, Err: ErrEmpty}
	}
	doc, err := parseHTMLDoc(text)
	if err != nil {
		return Article{}, &Problem{Path: name, Err: err}
	}
	base, _ := url.Parse(page.URL)
	a := extractHTML(doc, base, ownBody)
	if len(a.Paragraphs) == 0 && a.Summary == "" {
		return Article{}, &Problem{Path: name, Err: ErrNoText}
	}
	if a.Paragraphs == nil {
		a.Paragraphs = []string{}
	}
	finish(&a, page.Name)
	return a, nil
}

// parseHTMLDoc parses a page, refusing one with too many elements.
func parseHTMLDoc(text string) (*html.Node, error) {
	doc, err := html.Parse(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	n := 0
	for c := range doc.Descendants() {
		n++
		if n > maxHTMLNodes {
			return nil, fmt.Errorf("%w: more than %d HTML nodes", ErrTooLarge, maxHTMLNodes)
		}
		if c.FirstChild == nil {
			depth := 0
			for p := c; p != nil; p = p.Parent {
				depth++
			}
			if depth > maxHTMLDepth {
				return nil, fmt.Errorf("%w: HTML nested more than %d deep", ErrTooLarge, maxHTMLDepth)
			}
		}
	}
	return doc, nil
}

// bodyExtractor finds the article's lead and paragraphs in a parsed page
// whose metadata is m. It may change doc.
type bodyExtractor func(doc *html.Node, m *pageMeta) (summary string, paragraphs []string, byline string)

// extractHTML builds the article of a parsed page, finding the body with
// body.
func extractHTML(doc *html.Node, base *url.URL, body bodyExtractor) Article {
	m := readMeta(doc, base)
	summary, paras, trailing := body(doc, m)
	a := Article{
		URL:        m.url,
		Source:     m.site,
		Title:      m.title,
		Summary:    summary,
		Byline:     m.byline,
		Published:  m.published,
		Category:   m.category,
		Paragraphs: paras,
	}
	if a.Byline == "" {
		a.Byline = trailing
	}
	if a.Source == "" {
		lead := summary
		if lead == "" && len(paras) > 0 {
			lead = paras[0]
		}
		if src, ok := outletMarker(lead); ok {
			a.Source = src
		}
	}
	if a.Source == "" && m.host != "" {
		a.Source = m.host
	}
	return a
}

// decodeHTML returns the page as UTF-8 text.
func decodeHTML(data []byte, contentType string) (string, error) {
	if enc, name, certain := charset.DetermineEncoding(data, ""); certain && name != "utf-8" {
		// A byte-order mark for UTF-16.
		out, err := enc.NewDecoder().Bytes(data)
		if err != nil {
			return "", fmt.Errorf("decoding %s: %w", name, err)
		}
		return string(out), nil
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return string(data), nil
	}
	// Not UTF-8: believe the header, then the page's own declaration,
	// then take the Vietnamese code page.
	label := ""
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		label = params["charset"]
	}
	enc, name := charset.Lookup(label)
	if enc == nil || name == "utf-8" {
		enc, name = nil, ""
		if declared := declaredCharset(data); declared != "" {
			enc, name = charset.Lookup(declared)
		}
	}
	if enc == nil || name == "utf-8" {
		enc, name = charmap.Windows1258, "windows-1258"
	}
	out, err := enc.NewDecoder().Bytes(data)
	if err != nil {
		return "", fmt.Errorf("decoding %s: %w", name, err)
	}
	if !utf8.Valid(out) {
		return "", fmt.Errorf("%w after decoding %s", ErrInvalidUTF8, name)
	}
	return string(out), nil
}

// declaredCharset returns the charset a page declares in a <meta> tag
// within its first 4 KiB, or "".
func declaredCharset(data []byte) string {
	head := data[:min(len(data), 4096)]
	z := html.NewTokenizer(bytes.NewReader(head))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return ""
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tn, hasAttr := z.TagName()
		if string(tn) != "meta" || !hasAttr {
			continue
		}
		var cs, content string
		httpEquiv := false
		for {
			k, v, more := z.TagAttr()
			switch strings.ToLower(string(k)) {
			case "charset":
				cs = string(v)
			case "content":
				content = string(v)
			case "http-equiv":
				httpEquiv = strings.EqualFold(string(v), "content-type")
			}
			if !more {
				break
			}
		}
		if cs != "" {
			return strings.TrimSpace(cs)
		}
		if httpEquiv {
			if _, params, err := mime.ParseMediaType(content); err == nil && params["charset"] != "" {
				return params["charset"]
			}
		}
	}
}
