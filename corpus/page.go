package corpus

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// A scraped page is plain text: site chrome (date banner, contact bullets,
// slogan, menu), the headline, the article, then lists of related
// headlines. ParsePage keeps the article by general rules about the shape
// of such pages, never by matching a particular page:
//
//   - Everything from a related-news heading ("Tin liên quan", "Tin cùng
//     chuyên mục", "Tin mới nhất", "Xem thêm", ...) or a "Mời quý độc giả
//     theo dõi ... trên" invitation on is dropped, once some article text
//     has been seen. A headline line repeated on the next line (how related
//     lists render) ends the article too.
//   - The lead is the first line opening with an outlet marker: "(ANTV) -",
//     "VOV.VN -", "(Dân trí) -". It gives Source; the headline is the
//     headline-shaped line just above it, with a byline ("BT") or a date
//     possibly in between. Without a marker, the headline is the first line
//     after the chrome when it is headline-shaped and a paragraph follows.
//   - Lines above the headline are chrome; a short bullet item ("• ANTV")
//     there can still name the outlet.
//   - A stated date ("date 2023-09", even at the start of a paragraph) or a
//     date line between headline and lead gives Published. The date banner
//     above the headline is the day of the scrape, not of the article.
//   - In the article, lines are paragraphs, except: copies of the headline
//     or of an earlier paragraph; photo captions ("(Ảnh: ...)", short lines
//     padded with spaces as scrapers render figure captions); short lines
//     without closing punctuation (captions, subheadings, widget labels);
//     date, contact and "Xem thêm: ..." link lines. A short name-shaped
//     last line ("Thanh Hà/VOV.VN", "Theo TTXVN") is the byline.
//
// Text is never rewritten: title, byline and paragraphs are substrings of
// the page.

// pageLine is one non-blank line of a page.
type pageLine struct {
	text   string // trimmed
	no     int    // 1-based line number
	padded bool   // had spaces (often NBSP) around the text
}

// ParsePage parses one scraped .txt page. Problems (invalid UTF-8, an
// empty page, a page without article text) come back as a *Problem naming
// name, which is also the article's Origin.
func ParsePage(text []byte, name string) (Article, error) {
	if !utf8.Valid(text) {
		off := invalidUTF8At(text)
		line := 1 + bytes.Count(text[:off], []byte{'\n'})
		col := off - (bytes.LastIndexByte(text[:off], '\n') + 1) + 1
		return Article{}, &Problem{Path: name, Line: line, Err: fmt.Errorf("%w at column %d", ErrInvalidUTF8, col)}
	}
	lines := splitPageLines(string(text))
	if len(lines) == 0 {
		return Article{}, &Problem{Path: name, Err: ErrEmpty}
	}
	a := parseLines(lines)
	if len(a.Paragraphs) == 0 {
		return Article{}, &Problem{Path: name, Err: ErrNoText}
	}
	finish(&a, name)
	return a, nil
}

func isPageSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff'
}

// splitPageLines splits s at \n, \r\n or \r and keeps the non-blank lines.
func splitPageLines(s string) []pageLine {
	var lines []pageLine
	for no := 1; s != ""; no++ {
		raw := s
		if i := strings.IndexAny(s, "\r\n"); i >= 0 {
			raw = s[:i]
			if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			s = s[i+1:]
		} else {
			s = ""
		}
		t := strings.TrimFunc(raw, isPageSpace)
		if t != "" {
			lines = append(lines, pageLine{text: t, no: no, padded: len(t) != len(raw)})
		}
	}
	return lines
}

func parseLines(lines []pageLine) Article {
	var a Article

	// The article ends where the related-news lists begin.
	substantial := false
	for i, l := range lines {
		if substantial && (isRelatedHeading(l.text) || isReaderInvite(l.text)) {
			lines = lines[:i]
			break
		}
		if runeLen(l.text) >= 80 && wordCount(l.text) >= 12 {
			substantial = true
		}
	}

	// A stated date may open a line, even one that goes on with text.
	for i := range lines {
		if d, rest, ok := statedDate(lines[i].text); ok {
			if a.Published.IsZero() {
				a.Published = d
			}
			lines[i].text, lines[i].padded = rest, false
		}
	}

	// The lead opens the article: look for it only before the first
	// finished paragraph, so a later paragraph that happens to start with
	// "ASEAN - " cannot make everything above it header.
	lead := -1
	for i, l := range lines {
		if src, ok := outletMarker(l.text); ok && wordCount(l.text) >= 6 {
			lead, a.Source = i, src
			break
		}
		if isFinishedParagraph(l.text) {
			break
		}
	}

	title, bodyStart := -1, 0
	if lead >= 0 {
		bodyStart = lead
		title = a.titleAbove(lines, lead)
	} else {
		k := 0
		for k < len(lines) && (lines[k].text == "" || isHeaderChrome(lines[k].text)) {
			k++
		}
		bodyStart = k
		if k < len(lines) && isTitleLike(lines[k].text) && nextIsParagraph(lines, k) {
			title = k
			bodyStart = a.metaBelow(lines, k+1)
		}
	}
	header := bodyStart
	if title >= 0 {
		a.Title = lines[title].text
		header = title
	}
	if a.Source == "" {
		a.Source = outletFromBullets(lines[:header])
	}

	a.Paragraphs = a.body(lines, bodyStart, lead, title)
	return a
}

// titleAbove finds the headline above the lead at index lead, taking a
// byline or a date line in between; it returns the headline's index or -1.
func (a *Article) titleAbove(lines []pageLine, lead int) int {
	byline := ""
	var date Date
	for j := lead - 1; j >= 0; j-- {
		t := lines[j].text
		if t == "" {
			continue
		}
		if d, ok := dateLine(t); ok {
			if date.IsZero() {
				date = d
			}
			continue
		}
		if byline == "" && isBylineLike(t) {
			// A short capitalised headline looks like a byline too: it is
			// the byline only if a headline sits above it.
			if !isTitleLike(t) || (j > 0 && isTitleLike(prevText(lines, j))) {
				byline = t
				continue
			}
		}
		if !isTitleLike(t) {
			return -1
		}
		a.Byline = byline
		if a.Published.IsZero() {
			a.Published = date
		}
		return j
	}
	return -1
}

func prevText(lines []pageLine, j int) string {
	for j--; j >= 0; j-- {
		if lines[j].text != "" {
			return lines[j].text
		}
	}
	return ""
}

// metaBelow takes byline and date lines right under the headline and
// returns the index of the first other line.
func (a *Article) metaBelow(lines []pageLine, i int) int {
	for ; i < len(lines); i++ {
		t := lines[i].text
		if t == "" {
			continue
		}
		if d, ok := dateLine(t); ok {
			if a.Published.IsZero() {
				a.Published = d
			}
			continue
		}
		if a.Byline == "" && isBylineLike(t) && !isTitleLike(t) {
			a.Byline = t
			continue
		}
		break
	}
	return i
}

func nextIsParagraph(lines []pageLine, k int) bool {
	for _, l := range lines[k+1:] {
		if l.text == "" {
			continue
		}
		return isParagraphLike(l.text) || isBylineLike(l.text) || isDateLineText(l.text)
	}
	return false
}

func isDateLineText(t string) bool {
	_, ok := dateLine(t)
	return ok
}

// body collects the article paragraphs from lines[start:].
func (a *Article) body(lines []pageLine, start, lead, title int) []string {
	// Trailing byline.
	last := -1
	for i := len(lines) - 1; i >= start; i-- {
		if lines[i].text != "" {
			last = i
			break
		}
	}
	if last > start && last != lead && isBylineLike(lines[last].text) {
		if a.Byline == "" {
			a.Byline = lines[last].text
		}
		lines = lines[:last]
	}

	// Padding marks captions only where most lines are not padded.
	padded, total := 0, 0
	for _, l := range lines[start:] {
		if l.text != "" {
			total++
			if l.padded {
				padded++
			}
		}
	}
	padRule := padded*2 < total

	// Repeats on one page are byte-identical, so the text is its own key.
	seen := map[string]bool{}
	if title >= 0 {
		seen[lines[title].text] = true
	}
	var paras []string
	for i := start; i < len(lines); i++ {
		l := lines[i]
		t := l.text
		if t == "" {
			continue
		}
		if i != lead && dropLine(lines, i, padRule) {
			if len(paras) > 0 && repeatsNext(lines, i) {
				break // a related list rendered without a heading
			}
			continue
		}
		if seen[t] {
			continue
		}
		seen[t] = true
		paras = append(paras, t)
	}
	if len(paras) == 1 {
		// A page that lost its paragraph breaks: cut its one long line
		// into passages, as a body without blank lines.
		return appendPassages(paras[:0], paras[0])
	}
	return paras
}

// dropLine reports whether body line i is not article text.
func dropLine(lines []pageLine, i int, padRule bool) bool {
	t := lines[i].text
	n := runeLen(t)
	switch {
	case isRelatedHeading(t), isReaderInvite(t), isInlineLink(t), isContact(t),
		isDateLineText(t), isCategoryDate(t), isPhotoCaption(t, n):
		return true
	case !endsSentence(t) && n <= 160:
		return true // caption, subheading or widget label
	case padRule && lines[i].padded && n <= 120 && len(SplitSentences(t)) == 1:
		return true // figure caption
	}
	return false
}

// repeatsNext reports whether line i is repeated by the next line.
func repeatsNext(lines []pageLine, i int) bool {
	for _, l := range lines[i+1:] {
		if l.text != "" {
			return l.text == lines[i].text
		}
	}
	return false
}

// Line shapes.

var (
	// "Thứ Hai, 12/01/2026 07:36 GMT+7", "Chủ nhật, 3/9/2023".
	reDateBanner = regexp.MustCompile(`(?i)^(?:thứ\s*(?:hai|ba|tư|năm|sáu|bảy|[2-7])|chủ\s*nhật|t[2-7]|cn)[\s,|–-]*(?:ngày\s*)?\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]\s*\d{4}`)
	// "12/01/2026 07:36 GMT+7", "Ngày 16/9/2023".
	reDateOnly = regexp.MustCompile(`(?i)^(?:(?:ngày|cập nhật|đăng|đăng lúc|xuất bản)\s*:?\s*)?\d{1,2}/\d{1,2}/\d{4}(?:\s*[-|,]?\s*\d{1,2}[:h]\d{2}(?::\d{2})?)?(?:\s*\(?\s*GMT\s*[+-]\s*\d{1,2}(?::?\d{2})?\s*\)?)?$`)
	reDMY      = regexp.MustCompile(`(\d{1,2})/(\d{1,2})/(\d{4})`)
	reHM       = regexp.MustCompile(`\b(\d{1,2})[:h](\d{2})\b`)
	reGMT      = regexp.MustCompile(`(?i)GMT\s*([+-])\s*(\d{1,2})`)
	// "Kinh tế 11/01/2026": a section and a date under a related headline.
	reCategoryDate = regexp.MustCompile(`^\pL[\pL ]{1,30}\s\d{1,2}/\d{1,2}/\d{4}$`)
	// "date 2023-09 ..." as a scraper states the publication date.
	reStatedDate = regexp.MustCompile(`(?i)^date:?\s+(\S+)(?:\s+|$)`)
	// "(ANTV) - ", "(Dân trí) -".
	reOutletParen = regexp.MustCompile(`^\(\s*([^()]{2,40}?)\s*\)\s*[-–—:]+\s*\S`)
	// "VOV.VN - ", "TTO - ", "VOV.VN -Tại".
	reOutletBare = regexp.MustCompile(`^(\p{Lu}[\pL\d]*(?:\.[\pL\d]+)*)\s*[-–—]+\s*\S`)
)

// relatedHeadings open the lists that follow an article.
var relatedHeadings = map[string]bool{
	"tin liên quan": true, "tin cùng chuyên mục": true, "tin mới nhất": true,
	"xem thêm": true, "tin khác": true, "bài liên quan": true,
	"bài viết liên quan": true, "tin tức liên quan": true, "tin bài liên quan": true,
	"tin nổi bật": true, "đọc thêm": true, "có thể bạn quan tâm": true,
	"bạn có thể quan tâm": true, "tin cùng chủ đề": true, "cùng chuyên mục": true,
	"đọc nhiều": true, "đọc nhiều nhất": true, "xem nhiều": true, "xem nhiều nhất": true,
	"tin đọc nhiều": true, "tin xem nhiều": true, "tin mới": true, "tin hot": true,
	"các tin khác": true, "các tin đã đưa": true, "tin đã đưa": true, "tin tức khác": true,
	"video liên quan": true, "chủ đề liên quan": true, "bình luận": true,
	"ý kiến bạn đọc": true, "gửi bình luận": true,
}

// lowerKey is t lowercased in NFC, for matching words whatever the
// page's normalization.
func lowerKey(t string) string {
	return strings.ToLower(norm.NFC.String(t))
}

// lowerPrefix is lowerKey of about the first n bytes of t, cut at a rune
// boundary: enough to match a leading label without normalizing a whole
// paragraph.
func lowerPrefix(t string, n int) string {
	if len(t) > n {
		for n > 0 && !utf8.RuneStart(t[n]) {
			n--
		}
		t = t[:n]
	}
	return lowerKey(t)
}

func isRelatedHeading(t string) bool {
	if len(t) > 80 {
		return false
	}
	k := strings.TrimFunc(lowerKey(t), func(r rune) bool {
		return isPageSpace(r) || strings.ContainsRune(":：»›>«‹<|", r)
	})
	return relatedHeadings[k]
}

// isReaderInvite matches "Mời quý độc giả theo dõi VOV.VN trên ...".
func isReaderInvite(t string) bool {
	if len(t) > 300 {
		return false
	}
	k := lowerKey(t)
	for _, p := range []string{"mời quý độc giả", "mời độc giả", "mời bạn đọc", "mời quý vị"} {
		if strings.HasPrefix(k, p) {
			return strings.Contains(k, "theo dõi")
		}
	}
	return false
}

func isInlineLink(t string) bool {
	if len(t) > 600 {
		return false
	}
	k := lowerPrefix(t, 40)
	for _, p := range []string{"xem thêm:", "xem thêm >", "đọc thêm:", "tin liên quan:", "xem tiếp:", "xem video:", ">>", "»"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func isContact(t string) bool {
	if len(t) > 200 || wordCount(t) > 15 {
		return false
	}
	k := lowerPrefix(trimBullet(t), 40)
	for _, p := range []string{"hotline", "email:", "e-mail", "điện thoại:", "đường dây nóng", "fax:", "tel:", "liên hệ quảng cáo"} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

func isCategoryDate(t string) bool {
	return len(t) <= 80 && reCategoryDate.MatchString(t)
}

func isPhotoCaption(t string, n int) bool {
	if n > 300 {
		return false
	}
	k := lowerKey(t)
	return strings.Contains(k, "(ảnh") || strings.HasPrefix(k, "ảnh:") ||
		strings.HasPrefix(k, "ảnh minh họa") || strings.HasPrefix(k, "ảnh minh hoạ") ||
		strings.Contains(k, "nguồn ảnh") || strings.HasPrefix(k, "video:")
}

// trimBullet removes a leading bullet character.
func trimBullet(t string) string {
	r, size := utf8.DecodeRuneInString(t)
	if strings.ContainsRune("•·◦▪●■‣", r) {
		return strings.TrimFunc(t[size:], isPageSpace)
	}
	return t
}

func isBullet(t string) bool { return trimBullet(t) != t }

// isSlogan matches a line of three or more short capitalised phrases
// between dashes or bars: "Nhân Văn - Tin Cậy - Kịp Thời - Hấp dẫn".
func isSlogan(t string) bool {
	if len(t) > 200 || endsSentence(t) {
		return false
	}
	parts := reSeparators.Split(t, -1)
	if len(parts) < 3 {
		return false
	}
	for _, p := range parts {
		if n := wordCount(p); n < 1 || n > 3 || strings.ContainsAny(p, "0123456789") {
			return false
		}
	}
	return true
}

var reSeparators = regexp.MustCompile(`\s+[-–—|]\s+`)

func isMenuLike(t string) bool {
	return wordCount(t) <= 3 && runeLen(t) <= 30 && !endsSentence(t)
}

// isHeaderChrome reports lines that are never the headline or the article
// when they come before the headline.
func isHeaderChrome(t string) bool {
	return isBullet(t) || isContact(t) || isSlogan(t) || isMenuLike(t) ||
		isDateLineText(t) || isCategoryDate(t) ||
		isRelatedHeading(t) || isReaderInvite(t)
}

// isTitleLike: a headline has a few words and no closing period.
func isTitleLike(t string) bool {
	n := wordCount(t)
	if n < 4 || n > 40 || runeLen(t) > 300 {
		return false
	}
	if r, _ := utf8.DecodeLastRuneInString(t); r == ',' || r == ';' || r == ':' ||
		(r == '.' && !strings.HasSuffix(t, "...")) {
		return false
	}
	if _, ok := outletMarker(t); ok {
		return false
	}
	return !isBullet(t) && !isContact(t) && !isSlogan(t) && !isDateLineText(t) &&
		!isCategoryDate(t) && !isRelatedHeading(t) && !isReaderInvite(t)
}

// isFinishedParagraph: a dozen words or more ending with a period or an
// ellipsis, which a headline or a chrome line never does.
func isFinishedParagraph(t string) bool {
	r, _ := utf8.DecodeLastRuneInString(t)
	return (r == '.' || r == '…') && wordCount(t) >= 12
}

func isParagraphLike(t string) bool {
	return runeLen(t) >= 80 || (endsSentence(t) && wordCount(t) >= 6)
}

// isBylineLike matches a short credit: "BT", "Thanh Hà/VOV.VN", "Theo TTXVN".
func isBylineLike(t string) bool {
	s := strings.TrimFunc(t, func(r rune) bool { return isPageSpace(r) || r == '(' || r == ')' })
	k := lowerKey(s)
	if strings.HasPrefix(k, "theo ") || strings.HasPrefix(k, "nguồn:") {
		return wordCount(s) <= 8 && runeLen(s) <= 60 && !endsSentence(strings.TrimSuffix(s, "."))
	}
	if runeLen(s) > 40 || strings.ContainsAny(s, "0123456789@:") {
		return false
	}
	if r, _ := utf8.DecodeLastRuneInString(s); strings.ContainsRune(".,;!?…\"”", r) {
		return false
	}
	words := strings.Fields(s)
	if len(words) < 1 || len(words) > 5 {
		return false
	}
	for _, w := range words {
		switch w {
		case "và", "-", "–", "&", "/":
			continue
		}
		r, _ := utf8.DecodeRuneInString(w)
		if !unicode.IsUpper(r) {
			return false
		}
	}
	return true
}

// outletMarker returns the outlet named at the start of a lead paragraph.
func outletMarker(t string) (string, bool) {
	if m := reOutletParen.FindStringSubmatch(t); m != nil {
		name := m[1]
		r, _ := utf8.DecodeRuneInString(name)
		k := lowerKey(name)
		if unicode.IsUpper(r) && wordCount(name) <= 4 && !strings.HasPrefix(k, "ảnh") &&
			!strings.HasPrefix(k, "theo") && !strings.ContainsAny(name, ",;") {
			return name, true
		}
		return "", false
	}
	if m := reOutletBare.FindStringSubmatch(t); m != nil {
		name := m[1]
		upper := 0
		for _, r := range name {
			if unicode.IsUpper(r) {
				upper++
			}
		}
		if upper >= 2 && runeLen(name) <= 20 && !strings.HasPrefix(name, "TP.") {
			return name, true
		}
	}
	return "", false
}

// outletFromBullets returns the first bullet item in the page header that
// is a short name ("• ANTV"), or "".
func outletFromBullets(header []pageLine) string {
	for _, l := range header {
		if !isBullet(l.text) || isContact(l.text) {
			continue
		}
		item := trimBullet(l.text)
		if wordCount(item) <= 3 && runeLen(item) <= 30 && !strings.ContainsAny(item, ":@/") {
			return item
		}
	}
	return ""
}

// statedDate matches "date 2023-09 rest..." and returns the date and rest.
func statedDate(t string) (Date, string, bool) {
	m := reStatedDate.FindStringSubmatchIndex(t)
	if m == nil {
		return Date{}, "", false
	}
	d, err := ParseDate(t[m[2]:m[3]])
	if err != nil || d.IsZero() {
		return Date{}, "", false
	}
	return d, t[m[1]:], true
}

// dateLine parses a line that is only a date (possibly with weekday, time
// and zone): Day precision, or Instant when time and GMT offset are given.
func dateLine(t string) (Date, bool) {
	if len(t) > 80 {
		return Date{}, false
	}
	k := norm.NFC.String(t)
	if !reDateOnly.MatchString(k) && !(reDateBanner.MatchString(k) && runeLen(k) <= 60) {
		return Date{}, false
	}
	m := reDMY.FindStringSubmatch(k)
	if m == nil {
		return Date{}, false
	}
	day, _ := strconv.Atoi(m[1])
	month, _ := strconv.Atoi(m[2])
	year, _ := strconv.Atoi(m[3])
	if month < 1 || month > 12 || day < 1 || day > 31 {
		return Date{}, false
	}
	d := Date{Time: time.Date(year, time.Month(month), day, 0, 0, 0, 0, time.UTC), Precision: Day}
	if d.Time.Day() != day {
		return Date{}, false // 31/02
	}
	hm, zone := reHM.FindStringSubmatch(k), reGMT.FindStringSubmatch(k)
	if hm != nil && zone != nil {
		h, _ := strconv.Atoi(hm[1])
		mi, _ := strconv.Atoi(hm[2])
		off, _ := strconv.Atoi(zone[2])
		if zone[1] == "-" {
			off = -off
		}
		if h < 24 && mi < 60 && off <= 14 {
			loc := time.FixedZone("", off*3600)
			d = Date{Time: time.Date(year, time.Month(month), day, h, mi, 0, 0, loc), Precision: Instant}
		}
	}
	return d, true
}

// Small text helpers.

func runeLen(s string) int { return utf8.RuneCountInString(s) }

func wordCount(s string) int {
	n, in := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// endsSentence reports whether t ends like a finished sentence or clause.
func endsSentence(t string) bool {
	r, _ := utf8.DecodeLastRuneInString(t)
	return strings.ContainsRune(".!?…:;”\"’')]»", r)
}
