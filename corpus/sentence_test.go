package corpus

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"
)

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"basic", "Câu một. Câu hai! Câu ba? Câu bốn",
			[]string{"Câu một.", "Câu hai!", "Câu ba?", "Câu bốn"}},
		{"abbreviation TP.", "Vụ việc xảy ra tại TP. Hưng Yên vào sáng qua. Công an đã vào cuộc.",
			[]string{"Vụ việc xảy ra tại TP. Hưng Yên vào sáng qua.", "Công an đã vào cuộc."}},
		{"thousands separators", "Tổng thiệt hại là 8.500.000 đồng. Vụ việc đang được điều tra.",
			[]string{"Tổng thiệt hại là 8.500.000 đồng.", "Vụ việc đang được điều tra."}},
		{"Covid-19", "Chống dịch Covid-19 hiệu quả. Dịch Covid-19. Năm nay khác.",
			[]string{"Chống dịch Covid-19 hiệu quả.", "Dịch Covid-19.", "Năm nay khác."}},
		{"initial then lowercase", "Theo ông Nguyễn Văn A. cho biết, dự án đã hoàn thành. Sau đó đoàn rời đi.",
			[]string{"Theo ông Nguyễn Văn A. cho biết, dự án đã hoàn thành.", "Sau đó đoàn rời đi."}},
		{"initial then capital", "Bà Trần Thị B. Nguyễn đã phát biểu. Hội nghị bế mạc.",
			[]string{"Bà Trần Thị B. Nguyễn đã phát biểu.", "Hội nghị bế mạc."}},
		{"curly quotes", "Ông nói: “Chúng tôi sẽ làm. Không lùi bước.” Sau đó ông rời đi.",
			[]string{"Ông nói: “Chúng tôi sẽ làm. Không lùi bước.”", "Sau đó ông rời đi."}},
		{"straight quotes", `Bà nói "Tốt lắm. Cứ thế mà làm." rồi cười. Mọi người vỗ tay.`,
			[]string{`Bà nói "Tốt lắm. Cứ thế mà làm." rồi cười.`, "Mọi người vỗ tay."}},
		{"quote closes after terminal", "Khẩu hiệu là “lắng nghe tốt.” Mọi người đồng ý.",
			[]string{"Khẩu hiệu là “lắng nghe tốt.”", "Mọi người đồng ý."}},
		{"unbalanced quote", "Anh ấy nói “xin chào. Rồi đi. Hết.",
			[]string{"Anh ấy nói “xin chào.", "Rồi đi.", "Hết."}},
		{"domain names", "Theo VOV.VN hôm nay, trời mưa. Mai tạnh.",
			[]string{"Theo VOV.VN hôm nay, trời mưa.", "Mai tạnh."}},
		{"ellipsis", "Ma túy, vũ khí... đều bị thu giữ. Rồi… Hết.",
			[]string{"Ma túy, vũ khí... đều bị thu giữ.", "Rồi…", "Hết."}},
		{"list numbers", "Có ba tuổi may mắn. 1. Tuổi Thìn gặp may. 2. Tuổi Tỵ phát tài.",
			[]string{"Có ba tuổi may mắn.", "1. Tuổi Thìn gặp may.", "2. Tuổi Tỵ phát tài."}},
		{"closing mark", "Hai bên ký 5 văn bản hợp tác./. Tin liên quan",
			[]string{"Hai bên ký 5 văn bản hợp tác./.", "Tin liên quan"}},
		{"blank line", "Dòng không dấu chấm\n\nĐoạn sau.",
			[]string{"Dòng không dấu chấm", "Đoạn sau."}},
		{"newline inside", "Câu một tiếp\ntục ở dòng sau. Câu hai.",
			[]string{"Câu một tiếp\ntục ở dòng sau.", "Câu hai."}},
		{"nbsp after period", "Câu một.\u00a0Câu hai.",
			[]string{"Câu một.", "Câu hai."}},
		{"spaces", "  \n ", nil},
		{"empty", "", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitSentences(tc.text)
			if !slices.Equal(got, tc.want) {
				t.Errorf("SplitSentences(%q)\n got %q\nwant %q", tc.text, got, tc.want)
			}
			checkCovers(t, tc.text, got)
		})
	}
}

// checkCovers asserts that parts are ordered, non-overlapping, trimmed
// substrings of text that together hold all its non-space characters.
func checkCovers(t *testing.T, text string, parts []string) {
	t.Helper()
	off := 0
	for _, p := range parts {
		i := strings.Index(text[off:], p)
		if i < 0 {
			t.Fatalf("%q is not a substring of the text after offset %d", p, off)
		}
		if p == "" || strings.TrimFunc(p, unicode.IsSpace) != p {
			t.Errorf("part %q is empty or untrimmed", p)
		}
		off += i + len(p)
	}
	if a, b := squeeze(strings.Join(parts, "")), squeeze(text); a != b {
		t.Errorf("parts do not cover the text:\n parts %q\n  text %q", a, b)
	}
}

func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// sentences builds text of n sentences of about size characters each.
func sentences(n, size int) string {
	words := strings.Fields("Bộ Công an hai nước đã phối hợp tổ chức các đợt cao điểm về đấu tranh trấn áp tội phạm ma túy và mua bán người qua biên giới")
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		count := 0
		for j := 0; count < size-2; j++ {
			w := words[(i+j)%len(words)]
			if j == 0 {
				r, size := utf8.DecodeRuneInString(w)
				w = string(unicode.ToUpper(r)) + w[size:]
			} else {
				b.WriteByte(' ')
				count++
			}
			b.WriteString(w)
			count += utf8.RuneCountInString(w)
		}
		b.WriteByte('.')
	}
	return b.String()
}

func TestSplitPassages(t *testing.T) {
	noSpace := strings.Repeat("ờ", 1900)
	longSentence := strings.TrimSuffix(sentences(1, 2500), ".") + " và kết thúc."
	tests := []struct {
		name      string
		text      string
		count     int  // number of passages wanted; 0 means more than one
		strictMin bool // every passage but possibly the last ≥ MinPassage
	}{
		{"short stays whole", "  Một đoạn ngắn. Hai câu.  ", 1, false},
		{"exactly max", sentences(8, 100)[:0] + strings.Repeat("a ", 399) + "b.", 1, false},
		{"many short sentences", sentences(60, 90), 0, true},
		{"few long sentences", sentences(6, 500), 0, false},
		{"one overlong sentence", longSentence, 4, true},
		{"no spaces at all", noSpace, 3, false},
		{"mixed", sentences(3, 120) + " " + longSentence + " " + sentences(10, 70), 0, false},
		{"whitespace", " \n\t ", -1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := SplitPassages(tc.text)
			switch {
			case tc.count == -1:
				if len(got) != 0 {
					t.Fatalf("got %d passages, want none", len(got))
				}
				return
			case tc.count > 0 && len(got) != tc.count:
				t.Errorf("got %d passages, want %d", len(got), tc.count)
			case tc.count == 0 && len(got) < 2:
				t.Errorf("got %d passages, want several", len(got))
			}
			checkCovers(t, tc.text, got)
			for i, p := range got {
				n := utf8.RuneCountInString(p)
				if n > MaxPassage {
					t.Errorf("passage %d has %d characters, over %d", i, n, MaxPassage)
				}
				if tc.strictMin && i < len(got)-1 && n < MinPassage {
					t.Errorf("passage %d has %d characters, under %d", i, n, MinPassage)
				}
			}
		})
	}
}

// Passages cut between sentences only: each passage is whole sentences.
func TestSplitPassagesWholeSentences(t *testing.T) {
	text := sentences(40, 130)
	sents := SplitSentences(text)
	var rebuilt []string
	for _, p := range SplitPassages(text) {
		rebuilt = append(rebuilt, SplitSentences(p)...)
	}
	if !slices.Equal(rebuilt, sents) {
		t.Errorf("passages split sentences:\n got %q\nwant %q", rebuilt, sents)
	}
}

func TestRuneCount(t *testing.T) {
	for _, s := range []string{"", "abc", "Việt Nam – Trung Quốc “đẩy mạnh”…", strings.Repeat("ệ", 37) + "x", "😀a😀bc😀"} {
		if got, want := runeCount(s), utf8.RuneCountInString(s); got != want {
			t.Errorf("runeCount(%q) = %d, want %d", s, got, want)
		}
	}
}

// unpunctuated returns n bytes or a little more of words without sentence
// punctuation: one endless sentence, as a scraper that lost every
// period would give.
func unpunctuated(n int) string {
	words := []string{"người", "dân", "thành", "phố", "đã", "cùng", "nhau", "xây", "dựng", "cầu", "mới"}
	var b strings.Builder
	b.Grow(n + 16)
	for i := 0; b.Len() < n; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	return b.String()
}

// Cutting one long sentence into passages takes time linear in its
// length: 16 MiB of unpunctuated text once took 44 s (each piece recounted
// the characters of all the text after it).
func TestSplitPassagesLinear(t *testing.T) {
	for _, text := range []string{unpunctuated(16 << 20), strings.Repeat("ờ", 16<<20/3)} {
		start := time.Now()
		parts := SplitPassages(text)
		if took := time.Since(start); took > 8*time.Second {
			t.Errorf("SplitPassages of %.1f MiB took %s", float64(len(text))/(1<<20), took)
		}
		if want := utf8.RuneCountInString(text) / MaxPassage; len(parts) < want {
			t.Errorf("%d passages, want at least %d", len(parts), want)
		}
		if parts[0] != text[:len(parts[0])] || !strings.HasSuffix(strings.TrimSpace(text), parts[len(parts)-1]) {
			t.Errorf("passages do not start and end with the text")
		}
	}
}
