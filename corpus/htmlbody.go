package corpus

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// How ownBody finds an article in a news page, by rules about how such
// pages are built rather than about any one site:
//
//   - The body is the element whose paragraphs hold the most text that is
//     not link text, counting a paragraph fully for its parent and half
//     for its grandparent (as Readability does), and not counting text
//     inside elements whose class or id names chrome (menus, comments,
//     share bars, related lists, sidebars, footers).
//   - The lead (sapo) is an element before the first paragraph whose class
//     names a lead ("sapo", "description", "summary", "lead"), else the
//     first paragraph-shaped block between the headline and the body.
//   - Inside the body, chrome elements are dropped (figures and captions,
//     embedded players, boxes of related links, ads), and every block
//     element is a paragraph, split at <br>. Blocks that are all link
//     text (a related headline set inside the article) are dropped.
//   - The text rules of scraped pages apply to what remains: a related-
//     news heading or a reader invitation ends the article; "Xem thêm:"
//     links, photo credits, contact and date lines are dropped; a short
//     line without closing punctuation is a caption or widget label unless
//     it is a heading or set in bold (a subheading); a centered italic
//     line is a caption; a trailing credit ("Thanh Hà/VOV.VN") is the
//     byline.

// ownBody is the body extractor ParseHTML uses.
func ownBody(doc *html.Node, m *pageMeta) (string, []string, string) {
	removeAll(doc, isSkippedTag)
	body := bestContainer(doc)
	if body == nil {
		return "", nil, ""
	}
	sapo := findSapo(doc, m, body)
	summary := ""
	if sapo != nil {
		summary = collapse(textOf(sapo))
		detach(sapo)
	}
	ts := newTextShares(body)
	removeAll(body, func(n *html.Node) bool { return ts.isChrome(n) || isRelatedBox(n) })
	paras, byline := cleanBlocks(collectBlocks(body), m, summary)
	return summary, paras, byline
}

// isSkippedTag reports elements that never hold text a reader sees.
func isSkippedTag(n *html.Node) bool {
	if n.Type == html.CommentNode {
		return true
	}
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Svg, atom.Iframe, atom.Object,
		atom.Embed, atom.Canvas, atom.Head, atom.Title, atom.Meta, atom.Link, atom.Math:
		return true
	}
	if _, hidden := attrOK(n, "hidden"); hidden {
		return true
	}
	st := strings.ReplaceAll(strings.ToLower(attr(n, "style")), " ", "")
	return strings.Contains(st, "display:none") || strings.Contains(st, "visibility:hidden")
}

// isChromeTag reports elements that are never article text inside a body.
func isChromeTag(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	switch n.DataAtom {
	case atom.Nav, atom.Aside, atom.Footer, atom.Header, atom.Form, atom.Button, atom.Input, atom.Select,
		atom.Textarea, atom.Figure, atom.Figcaption, atom.Picture, atom.Video, atom.Audio, atom.Img:
		return true
	}
	return false
}

// chromeWords are parts of class and id names that mark site chrome.
var chromeWords = []string{
	"related", "relate", "lienquan", "tinkhac", "othernews", "comment", "binhluan", "share", "social",
	"breadcrumb", "menu", "caption", "footer", "header", "sidebar", "banner", "advert", "quangcao",
	"mostview", "xemnhieu", "docnhieu", "keyword", "tukhoa", "subscribe", "newsletter", "popup",
	"modal", "toolbar", "login", "search", "hotline", "slogan", "reaction", "mainnav", "topbar",
	"author", "tagcontent", "tagcotnent", "boxcategory", "ratelink", "videocms", "photocms",
}

// chromeTokens are whole class-name parts that mark chrome.
var chromeTokens = map[string]bool{
	"nav": true, "tag": true, "tags": true, "ad": true, "ads": true, "aside": true, "print": true,
	"rate": true, "vote": true, "share": true, "widget": true,
}

// layoutWords are chrome words that sites also give the columns and
// wrappers holding the article ("sidebar-1" on VnExpress, "page-header",
// "content-share"): they mark chrome only on an element holding less than
// half the page's text. The other words (footer, comment, related, menu,
// caption, ...) mark chrome wherever they are.
var layoutWords = []string{"sidebar", "header", "aside", "widget", "author", "search", "share", "social",
	"keyword", "tukhoa", "subscribe", "newsletter", "popup", "modal", "toolbar", "login", "reaction"}

// layoutTokens are the whole-part names of the same kind.
var layoutTokens = map[string]bool{"aside": true, "widget": true, "share": true, "tag": true, "tags": true,
	"print": true, "rate": true, "vote": true}

// chromeNames reports whether n's class, id or type names chrome, and
// whether only by a layout word.
func chromeNames(n *html.Node) (chrome, layoutOnly bool) {
	if n.Type != html.ElementNode {
		return false, false
	}
	names := strings.ToLower(attr(n, "class") + " " + attr(n, "id") + " " + attr(n, "type"))
	if strings.TrimSpace(names) == "" {
		return false, false
	}
	layoutOnly = true
	for _, word := range strings.Fields(names) {
		joined := strings.NewReplacer("-", "", "_", "").Replace(word)
		for _, c := range chromeWords {
			if strings.Contains(joined, c) {
				chrome = true
				if !slices.Contains(layoutWords, c) {
					layoutOnly = false
				}
			}
		}
		for _, part := range strings.FieldsFunc(word, func(r rune) bool { return r == '-' || r == '_' }) {
			if chromeTokens[part] {
				chrome = true
				if !layoutTokens[part] {
					layoutOnly = false
				}
			}
		}
	}
	return chrome, chrome && layoutOnly
}

// isRelatedBox reports a box that opens with a related-news heading
// ("Tin liên quan", "Xem thêm") followed by links.
func isRelatedBox(n *html.Node) bool {
	if n.Type != html.ElementNode || isInline(n) {
		return false
	}
	first := firstTextLine(n)
	if first == "" || !isRelatedHeading(first) {
		return false
	}
	text := runeLen(collapse(textOf(n)))
	links := linkTextLen(n)
	return text <= 2*runeLen(first)+10 || links*2 >= text-runeLen(first)
}

// firstTextLine returns the collapsed text of the first non-empty block
// under n (or of n's first run of inline text).
func firstTextLine(n *html.Node) string {
	var found string
	var walk func(*html.Node) bool
	walk = func(c *html.Node) bool {
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			if k.Type == html.TextNode {
				if t := collapse(k.Data); t != "" {
					// The text of the innermost block holding it.
					b := k.Parent
					for b != n && isInline(b) {
						b = b.Parent
					}
					found = collapse(textOf(b))
					if b == n {
						found = t
					}
					return true
				}
			} else if k.Type == html.ElementNode && walk(k) {
				return true
			}
		}
		return false
	}
	walk(n)
	return found
}

// linkTextLen counts the runes of text inside links under n.
func linkTextLen(n *html.Node) int {
	total := 0
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && c.DataAtom == atom.A {
			total += runeLen(collapse(textOf(c)))
		}
	}
	return total
}

// textShares holds how much paragraph text each element contains, so
// that a class name that looks like chrome ("sidebar-1" on VnExpress's
// main column) is not taken for chrome on an element that holds most of
// the text.
type textShares struct {
	total     float64
	contained map[*html.Node]float64
	under     map[*html.Node]bool // memo of underChrome
}

func newTextShares(root *html.Node) *textShares {
	ts := &textShares{contained: map[*html.Node]float64{}, under: map[*html.Node]bool{}}
	for n := range root.Descendants() {
		if n.Type != html.ElementNode || !isParagraphBlock(n) {
			continue
		}
		s := float64(runeLen(collapse(textOf(n))) - linkTextLen(n))
		if s <= 0 {
			continue
		}
		ts.total += s
		for p := n; p != nil && p != root; p = p.Parent {
			ts.contained[p] += s
		}
	}
	return ts
}

// isChrome reports whether n is chrome by its tag or names; a name that
// is only a layout word counts when n holds less than half the text.
func (ts *textShares) isChrome(n *html.Node) bool {
	if isChromeTag(n) {
		return n.DataAtom != atom.Header || ts.contained[n]*2 < ts.total
	}
	chrome, layoutOnly := chromeNames(n)
	if !chrome {
		return false
	}
	return !layoutOnly || ts.contained[n]*2 < ts.total || ts.total == 0
}

// underChrome reports whether n or an ancestor is chrome.
func (ts *textShares) underChrome(n *html.Node) bool {
	if n == nil || n.Type != html.ElementNode {
		return false
	}
	if u, ok := ts.under[n]; ok {
		return u
	}
	u := ts.isChrome(n) || ts.underChrome(n.Parent)
	ts.under[n] = u
	return u
}

// bestContainer returns the element holding the article's paragraphs.
func bestContainer(doc *html.Node) *html.Node {
	ts := newTextShares(doc)
	scores := map[*html.Node]float64{}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || !isParagraphBlock(n) || ts.underChrome(n) {
			continue
		}
		l := runeLen(collapse(textOf(n)))
		if l < 25 {
			continue
		}
		s := float64(l - linkTextLen(n))
		if s <= 0 {
			continue
		}
		if p := n.Parent; p != nil && p.Type == html.ElementNode {
			scores[p] += s
			if g := p.Parent; g != nil && g.Type == html.ElementNode {
				scores[g] += s / 2
			}
		}
	}
	var best *html.Node
	for n, s := range scores {
		if best == nil || s > scores[best] || (s == scores[best] && before(n, best)) {
			best = n
		}
	}
	return best
}

// isParagraphBlock reports elements that hold a paragraph of text: a <p>,
// or a block whose own children include text.
func isParagraphBlock(n *html.Node) bool {
	switch n.DataAtom {
	case atom.P, atom.Blockquote, atom.Pre:
		return true
	case atom.Div, atom.Td, atom.Section, atom.Article, atom.Li:
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode && runeLen(collapse(c.Data)) >= 25 {
				return true
			}
		}
	}
	return false
}

// findSapo returns the article's lead: an element before the body's first
// paragraph whose class names a lead, else the first paragraph-shaped
// block between the headline and the body.
func findSapo(doc *html.Node, m *pageMeta, body *html.Node) *html.Node {
	ts := newTextShares(doc)
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode || isInline(n) || ts.underChrome(n) {
			continue
		}
		if n == body || isAncestor(n, body) {
			continue
		}
		names := strings.ToLower(attr(n, "class") + " " + attr(n, "id") + " " + attr(n, "data-role") + " " + attr(n, "itemprop"))
		hinted := false
		for _, w := range []string{"sapo", "description", "summary", "lead", "chapeau", "excerpt", "intro", "abstract", "standfirst"} {
			if strings.Contains(names, w) {
				hinted = true
				break
			}
		}
		if !hinted {
			continue
		}
		if !before(n, body) && !isAncestor(body, n) {
			continue
		}
		if isAncestor(body, n) && !leadsBody(body, n, m.h1) {
			continue
		}
		if t := collapse(textOf(n)); isParagraphLike(t) && !hasBlockChildWithText(n, 2) {
			return n
		}
	}
	if m.h1 == nil || !before(m.h1, body) {
		return nil
	}
	// Blocks after the headline and before the body.
	after := false
	for n := range doc.Descendants() {
		if n == m.h1 {
			after = true
			continue
		}
		if !after || n.Type != html.ElementNode || isAncestor(n, m.h1) || isAncestor(m.h1, n) {
			continue
		}
		if n == body || isAncestor(n, body) || !before(n, body) {
			if n == body || !isAncestor(n, body) {
				break
			}
			continue
		}
		if isInline(n) || ts.underChrome(n) || hasBlockChildWithText(n, 1) {
			continue
		}
		t := collapse(textOf(n))
		if t == "" {
			continue
		}
		if isParagraphLike(t) && endsSentence(t) {
			return n
		}
	}
	return nil
}

// leadsBody reports whether n comes before any of body's paragraphs:
// only the headline and short lines (a date, a section) precede it.
func leadsBody(body, n, h1 *html.Node) bool {
	before := 0
	for c := range body.Descendants() {
		if c == n {
			return true
		}
		if c.Type == html.TextNode && (h1 == nil || !isAncestor(h1, c)) {
			before += runeLen(collapse(c.Data))
			if before > 120 {
				return false
			}
		}
	}
	return false
}

// hasBlockChildWithText reports whether more than max block descendants
// of n hold text of their own: n is a container, not a paragraph.
func hasBlockChildWithText(n *html.Node, limit int) bool {
	count := 0
	for c := range n.Descendants() {
		if c == n || c.Type != html.ElementNode || isInline(c) {
			continue
		}
		for k := c.FirstChild; k != nil; k = k.NextSibling {
			if k.Type == html.TextNode && strings.TrimSpace(k.Data) != "" {
				count++
				break
			}
		}
		if count >= limit {
			return true
		}
	}
	return false
}

// block is one paragraph-shaped piece of a page's body.
type block struct {
	text      string
	heading   bool // <h2>…<h6>
	bold      bool // all its text is bold
	italic    bool // all its text is italic
	centered  bool
	right     bool // right-aligned, as credits are
	listItem  bool // an <li>: lists need no closing punctuation
	linkRunes int
}

// collectBlocks returns the paragraphs under n in document order: each
// block element without block children is one, split at <br>, and so is
// each run of text between blocks.
func collectBlocks(n *html.Node) []block {
	var out []block
	var run []*html.Node // inline nodes waiting to form a block
	var ctx *html.Node   // the block element the run is in
	flush := func() {
		if len(run) == 0 {
			return
		}
		// Split the run at <br>.
		var part []*html.Node
		emit := func() {
			if b, ok := makeBlock(part, ctx); ok {
				out = append(out, b)
			}
			part = nil
		}
		for _, r := range run {
			if r.Type == html.ElementNode && r.DataAtom == atom.Br {
				emit()
				continue
			}
			part = append(part, r)
		}
		emit()
		run = nil
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode || (c.Type == html.ElementNode && isInline(c) && !hasBlockDescendant(c)) {
				if ctx != n {
					flush()
					ctx = n
				}
				if c.Type == html.ElementNode && c.DataAtom != atom.Br && containsBr(c) {
					// Breaks inside an inline element (<em>a<br>b</em>):
					// its pieces join the run, the breaks splitting it.
					walkInlineWithBr(c, &run)
					continue
				}
				run = append(run, c)
				continue
			}
			if c.Type != html.ElementNode {
				continue
			}
			flush()
			walk(c)
			flush()
			ctx = nil
		}
	}
	walk(n)
	flush()
	return out
}

// walkInlineWithBr appends the inline pieces of c to run, keeping each
// <br> as a separator.
func walkInlineWithBr(c *html.Node, run *[]*html.Node) {
	for k := c.FirstChild; k != nil; k = k.NextSibling {
		if k.Type == html.ElementNode && k.DataAtom != atom.Br && containsBr(k) {
			walkInlineWithBr(k, run)
			continue
		}
		*run = append(*run, k)
	}
}

func containsBr(n *html.Node) bool {
	for c := range n.Descendants() {
		if c.Type == html.ElementNode && c.DataAtom == atom.Br {
			return true
		}
	}
	return false
}

func hasBlockDescendant(n *html.Node) bool {
	for c := range n.Descendants() {
		if c != n && c.Type == html.ElementNode && !isInline(c) {
			return true
		}
	}
	return false
}

// makeBlock builds a block from a run of inline nodes inside element ctx.
func makeBlock(run []*html.Node, ctx *html.Node) (block, bool) {
	var sb strings.Builder
	var b block
	boldRunes, italicRunes, total := 0, 0, 0
	for _, r := range run {
		var visit func(n *html.Node, bold, italic, link bool)
		visit = func(n *html.Node, bold, italic, link bool) {
			if n.Type == html.TextNode {
				sb.WriteString(n.Data)
				k := runeLen(strings.Join(strings.FieldsFunc(n.Data, isPageSpace), ""))
				total += k
				if bold {
					boldRunes += k
				}
				if italic {
					italicRunes += k
				}
				if link {
					b.linkRunes += k
				}
				return
			}
			if n.Type != html.ElementNode {
				return
			}
			switch n.DataAtom {
			case atom.B, atom.Strong:
				bold = true
			case atom.I, atom.Em:
				italic = true
			case atom.A:
				link = true
			case atom.Br:
				sb.WriteByte(' ')
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				visit(c, bold, italic, link)
			}
		}
		visit(r, false, false, false)
	}
	b.text = collapse(sb.String())
	if b.text == "" {
		return b, false
	}
	for p := ctx; p != nil && p.Type == html.ElementNode; p = p.Parent {
		switch p.DataAtom {
		case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
			b.heading = true
		case atom.Li:
			b.listItem = true
		case atom.B, atom.Strong:
			boldRunes = total
		case atom.I, atom.Em:
			italicRunes = total
		}
		st := strings.ReplaceAll(strings.ToLower(attr(p, "style")), " ", "")
		al := strings.ToLower(attr(p, "align"))
		if strings.Contains(st, "text-align:center") || al == "center" {
			b.centered = true
		}
		if strings.Contains(st, "text-align:right") || al == "right" {
			b.right = true
		}
		if p.DataAtom == atom.P || p.DataAtom == atom.Div || p.DataAtom == atom.Li || p.DataAtom == atom.Td {
			break
		}
	}
	b.bold = total > 0 && boldRunes == total
	b.italic = total > 0 && italicRunes == total
	return b, true
}

// cleanBlocks applies the text rules to a body's blocks and returns the
// paragraphs and a trailing byline.
func cleanBlocks(blocks []block, m *pageMeta, summary string) ([]string, string) {
	// The article ends at a related-news heading or a reader invitation.
	for i, b := range blocks {
		if isRelatedHeading(b.text) || isReaderInvite(b.text) {
			blocks = blocks[:i]
			break
		}
	}
	// A trailing credit is the byline.
	byline := ""
	for len(blocks) > 0 {
		last := blocks[len(blocks)-1]
		if isBylineLike(last.text) && (last.bold || last.right || last.italic || runeLen(last.text) <= 40) {
			if byline == "" {
				byline = strings.TrimSpace(last.text)
			}
			blocks = blocks[:len(blocks)-1]
			continue
		}
		break
	}
	seen := map[string]bool{}
	for _, t := range []string{m.title, summary} {
		if t != "" {
			seen[lowerKey(t)] = true
		}
	}
	var paras []string
	for _, b := range blocks {
		t := b.text
		n := runeLen(t)
		letters := runeLen(strings.Join(strings.FieldsFunc(t, isPageSpace), ""))
		switch {
		case letters > 0 && b.linkRunes*10 >= letters*8:
			continue // a related headline set in the article
		case isInlineLink(t), isContact(t), isDateLineText(t), isCategoryDate(t), isPhotoCaption(t, n):
			continue
		case b.centered && b.italic && n <= 300:
			continue // a caption under a picture
		case !endsSentence(t) && n <= 160 && !((b.heading || b.bold || b.listItem) && !b.italic && !b.centered):
			continue // caption or widget label; headings and bold lines are subheadings
		}
		k := lowerKey(t)
		if seen[k] {
			continue
		}
		seen[k] = true
		paras = append(paras, t)
	}
	return paras, byline
}

// isInline reports inline (phrasing) elements.
func isInline(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return n.Type == html.TextNode
	}
	switch n.DataAtom {
	case atom.A, atom.Span, atom.B, atom.Strong, atom.Em, atom.I, atom.U, atom.Small, atom.Sup, atom.Sub,
		atom.Mark, atom.Font, atom.Abbr, atom.Cite, atom.Code, atom.Q, atom.S, atom.Time, atom.Label,
		atom.Br, atom.Img, atom.Big, atom.Del, atom.Ins, atom.Dfn, atom.Kbd, atom.Var, atom.Wbr, atom.Bdi, atom.Bdo:
		return true
	}
	return false
}

// removeAll detaches every node under root (root excluded) for which drop
// reports true.
func removeAll(root *html.Node, drop func(*html.Node) bool) {
	var next *html.Node
	for c := root.FirstChild; c != nil; c = next {
		next = c.NextSibling
		if drop(c) {
			root.RemoveChild(c)
			continue
		}
		removeAll(c, drop)
	}
}

func detach(n *html.Node) {
	if n.Parent != nil {
		n.Parent.RemoveChild(n)
	}
}

func isAncestor(a, n *html.Node) bool {
	for p := n.Parent; p != nil; p = p.Parent {
		if p == a {
			return true
		}
	}
	return false
}

// before reports whether a starts before b in document order.
func before(a, b *html.Node) bool {
	pa, pb := nodePath(a), nodePath(b)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		for s := pa[i]; s != nil; s = s.NextSibling {
			if s == pb[i] {
				return true
			}
		}
		return false
	}
	return len(pa) < len(pb)
}

// nodePath returns the chain from the root down to n.
func nodePath(n *html.Node) []*html.Node {
	var p []*html.Node
	for ; n != nil; n = n.Parent {
		p = append(p, n)
	}
	for i, j := 0, len(p)-1; i < j; i, j = i+1, j-1 {
		p[i], p[j] = p[j], p[i]
	}
	return p
}

func attrOK(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}
