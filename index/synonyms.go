package index

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vnsearch/vnsearch/analyzer"
)

// Synonyms are forms of one thing written differently: an abbreviation
// and what it stands for ("UBND", "Ủy ban nhân dân"), or two names of one
// place ("TP.HCM", "Thành phố Hồ Chí Minh"). They come from three places:
// a small built-in list (BuiltinSynonyms), a file in the synonym format
// of Solr and Elasticsearch (ParseSynonyms), and the indexed text itself,
// where news defines its abbreviations inline: "Ủy ban nhân dân (UBND)"
// (MineAbbreviations).

// SynonymRule is one line of synonyms. An equivalence ("a, b, c") has
// every form in both From and To: each finds the others. An explicit
// mapping ("a, b => c") finds To for a query holding a From form, and not
// the reverse.
type SynonymRule struct {
	From []string `json:"from"`
	To   []string `json:"to"`
	Line int      `json:"line,omitempty"` // the line of the file it was read from; 0 when built in
}

// Synonyms is a list of rules.
type Synonyms struct {
	Rules []SynonymRule
}

// SynonymError is a line of a synonyms file that could not be read.
type SynonymError struct {
	Name string // the file's name
	Line int
	Msg  string
}

func (e *SynonymError) Error() string { return fmt.Sprintf("%s:%d: %s", e.Name, e.Line, e.Msg) }

// ParseSynonyms reads synonyms in the format of Solr's and
// Elasticsearch's synonym files: one rule a line, "a, b, c" for forms
// that find one another, "a, b => c" for forms that find c; blank lines
// and lines starting with # are skipped. Every line that cannot be read
// is reported with its number, and the others are kept; name names the
// source in the errors.
func ParseSynonyms(r io.Reader, name string) (*Synonyms, []error) {
	s := &Synonyms{}
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		bad := func(format string, args ...any) {
			errs = append(errs, &SynonymError{Name: name, Line: line, Msg: fmt.Sprintf(format, args...)})
		}
		if !utf8.ValidString(text) {
			bad("not valid UTF-8")
			continue
		}
		text = strings.TrimSpace(text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		sides := strings.Split(text, "=>")
		if len(sides) > 2 {
			bad("more than one =>")
			continue
		}
		var lists [][]string
		ok := true
		for _, side := range sides {
			forms, msg := synonymForms(side)
			if msg != "" {
				bad("%s", msg)
				ok = false
				break
			}
			lists = append(lists, forms)
		}
		if !ok {
			continue
		}
		if len(lists) == 1 {
			if len(lists[0]) < 2 {
				bad("one form alone: want two or more, separated by commas, or a => b")
				continue
			}
			s.Rules = append(s.Rules, SynonymRule{From: lists[0], To: lists[0], Line: line})
			continue
		}
		s.Rules = append(s.Rules, SynonymRule{From: lists[0], To: lists[1], Line: line})
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, &SynonymError{Name: name, Line: line + 1, Msg: err.Error()})
	}
	return s, errs
}

// synonymForms splits one side of a rule into its forms; msg says what is
// wrong with it.
func synonymForms(side string) (forms []string, msg string) {
	if strings.TrimSpace(side) == "" {
		return nil, "a side of => is empty"
	}
	seen := map[string]bool{}
	for _, f := range strings.Split(side, ",") {
		f = strings.Join(strings.Fields(f), " ")
		if f == "" {
			return nil, "an empty form between commas"
		}
		if strings.ContainsFunc(f, isQuote) {
			return nil, fmt.Sprintf("%q holds a quote: a form is searched as a phrase already", f)
		}
		key := foldedKey(f)
		if key == "" {
			return nil, fmt.Sprintf("%q has no word to search for", f)
		}
		if !seen[key] {
			seen[key] = true
			forms = append(forms, f)
		}
	}
	return forms, ""
}

// builtinSynonyms are the commonest abbreviations of Vietnamese news and
// what they stand for.
const builtinSynonyms = `
TP.HCM, Thành phố Hồ Chí Minh, TP Hồ Chí Minh, TPHCM, TP HCM, HCM
UBND, Ủy ban nhân dân
HĐND, Hội đồng nhân dân
CSGT, Cảnh sát giao thông
ĐBQH, Đại biểu Quốc hội
THPT, Trung học phổ thông
THCS, Trung học cơ sở
BHXH, Bảo hiểm xã hội
BHYT, Bảo hiểm y tế
PCCC, Phòng cháy chữa cháy
CAND, Công an nhân dân
QĐND, Quân đội nhân dân
MTTQ, Mặt trận Tổ quốc
BCH, Ban chấp hành
TAND, Tòa án nhân dân
VKSND, Viện kiểm sát nhân dân
GTVT, Giao thông vận tải
GD-ĐT, GD&ĐT, Giáo dục và Đào tạo
NN&PTNT, NN-PTNT, Nông nghiệp và Phát triển nông thôn
KH-CN, KH&CN, Khoa học và Công nghệ
TN&MT, TN-MT, Tài nguyên và Môi trường
LĐ-TB&XH, LĐTB&XH, Lao động - Thương binh và Xã hội
ATGT, An toàn giao thông
BĐS, Bất động sản
DN, Doanh nghiệp
HLV, Huấn luyện viên
ĐTQG, Đội tuyển quốc gia
`

// BuiltinSynonyms returns the built-in list.
func BuiltinSynonyms() *Synonyms {
	s, errs := ParseSynonyms(strings.NewReader(builtinSynonyms), "built-in")
	if len(errs) > 0 {
		panic(errs[0])
	}
	for i := range s.Rules {
		s.Rules[i].Line = 0
	}
	return s
}

// Abbreviation is an abbreviation the indexed text defines inline, and
// how many articles define it so.
type Abbreviation struct {
	Short    string `json:"short"`    // as written: "UBND"
	Long     string `json:"long"`     // as written most often: "Ủy ban nhân dân"
	Articles int    `json:"articles"` // articles defining it
}

// definition is one inline definition found in a text.
type definition struct{ short, long string }

// maxAbbreviation bounds the letters of an abbreviation.
const maxAbbreviation = 10

// findDefinitions returns the abbreviations text defines inline: a run of
// words followed by a capitalized abbreviation in parentheses whose
// letters are the words' initials, in order ("Cảnh sát giao thông
// (CSGT)", "Thành phố Hồ Chí Minh (TP.HCM)"). Diacritics do not matter
// (Đ is D), nor do dots, hyphens and & in the abbreviation.
func findDefinitions(text string) []definition {
	if !mayDefine(text) {
		return nil
	}
	var out []definition
	syl := analyzer.Syllables(text)
	for k, s := range syl {
		if s.Start == 0 || s.End >= len(text) || text[s.Start-1] != '(' || text[s.End] != ')' {
			continue
		}
		short := text[s.Start:s.End]
		letters := abbreviationLetters(short)
		if len(letters) < 2 || len(letters) > maxAbbreviation {
			continue
		}
		// The words before "(", plain syllables separated by spaces only.
		var words []analyzer.Syllable
		end := s.Start - 1
		for j := k - 1; j >= 0 && len(words) < len(letters); j-- {
			w := syl[j]
			if w.Whole || w.End > end {
				continue // the whole of a compound, or a part of the abbreviation
			}
			if strings.TrimSpace(text[w.End:end]) != "" || !lettersOnly(text[w.Start:w.End]) {
				break
			}
			words = append(words, w)
			end = w.Start
		}
		if len(words) != len(letters) {
			continue
		}
		slices.Reverse(words)
		match := true
		for i, w := range words {
			if w.Folded[0] != letters[i] {
				match = false
				break
			}
		}
		if match {
			out = append(out, definition{short: short, long: text[words[0].Start:words[len(words)-1].End]})
		}
	}
	return out
}

// mayDefine reports whether text holds "(" and ")" around two or more
// capital letters with nothing between them but dots, hyphens and &, as
// every definition's abbreviation stands: most texts do not, and are not
// analyzed (on baomoi, mining took a twentieth of a build).
func mayDefine(text string) bool {
	for {
		i := strings.IndexByte(text, '(')
		if i < 0 {
			return false
		}
		text = text[i+1:]
		end := strings.IndexByte(text, ')')
		if end < 0 {
			return false
		}
		if letters := abbreviationLetters(text[:end]); len(letters) >= 2 {
			return true
		}
	}
}

// abbreviationLetters returns the folded, lowercase letters of an
// abbreviation, or nil when it is not one: two or more capital letters,
// with dots, hyphens or & between them.
func abbreviationLetters(s string) []byte {
	var letters []byte
	for _, r := range s {
		switch {
		case r == '.' || r == '-' || r == '&':
		case unicode.IsUpper(r):
			f := analyzer.Fold(strings.ToLower(string(r)))
			if len(f) != 1 || f[0] < 'a' || f[0] > 'z' {
				return nil
			}
			letters = append(letters, f[0])
		default:
			return nil
		}
	}
	return letters
}

// lettersOnly reports whether s is made of letters only.
func lettersOnly(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.Is(unicode.Mn, r) {
			return false
		}
	}
	return s != ""
}

// mineTally counts definitions over articles: each (short, long) pair,
// by folded key, once an article, with the written forms seen.
type mineTally struct {
	counts map[string]*abbrCount
}

type abbrCount struct {
	articles int
	shorts   map[string]int
	longs    map[string]int
}

func newMineTally() *mineTally { return &mineTally{counts: map[string]*abbrCount{}} }

// add counts the definitions of one article's texts.
func (m *mineTally) add(texts ...string) {
	seen := map[string]bool{}
	for _, t := range texts {
		for _, d := range findDefinitions(t) {
			key := foldedKey(d.short) + "\x00" + foldedKey(d.long)
			c := m.counts[key]
			if c == nil {
				c = &abbrCount{shorts: map[string]int{}, longs: map[string]int{}}
				m.counts[key] = c
			}
			if !seen[key] {
				seen[key] = true
				c.articles++
			}
			c.shorts[d.short]++
			c.longs[d.long]++
		}
	}
}

// merge adds o's counts to m's.
func (m *mineTally) merge(o *mineTally) {
	for key, oc := range o.counts {
		c := m.counts[key]
		if c == nil {
			m.counts[key] = oc
			continue
		}
		c.articles += oc.articles
		for f, n := range oc.shorts {
			c.shorts[f] += n
		}
		for f, n := range oc.longs {
			c.longs[f] += n
		}
	}
}

// list returns what was counted, most defined first, keeping those that
// at least min articles define.
func (m *mineTally) list(min int) []Abbreviation {
	var out []Abbreviation
	for _, c := range m.counts {
		if c.articles < min {
			continue
		}
		out = append(out, Abbreviation{Short: mostSeen(c.shorts), Long: mostSeen(c.longs), Articles: c.articles})
	}
	slices.SortFunc(out, func(a, b Abbreviation) int {
		if a.Articles != b.Articles {
			return cmp.Compare(b.Articles, a.Articles)
		}
		return cmp.Or(cmp.Compare(a.Short, b.Short), cmp.Compare(a.Long, b.Long))
	})
	return out
}

func mostSeen(forms map[string]int) string {
	best, n := "", -1
	for f, c := range forms {
		if c > n || c == n && f < best {
			best, n = f, c
		}
	}
	return best
}
