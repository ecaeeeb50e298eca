package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// item is one value yielded by an iterator.
type item struct {
	a   Article
	err error
}

func collect(seq func(func(Article, error) bool)) []item {
	var out []item
	for a, err := range seq {
		out = append(out, item{a, err})
	}
	return out
}

func readAll(t *testing.T, input string) []item {
	t.Helper()
	return collect(ReadJSON(strings.NewReader(input), "input"))
}

// articlesOf returns the articles of items and fails on any problem.
func articlesOf(t *testing.T, items []item) []Article {
	t.Helper()
	var as []Article
	for _, it := range items {
		if it.err != nil {
			t.Fatalf("unexpected problem: %v", it.err)
		}
		as = append(as, it.a)
	}
	return as
}

func one(t *testing.T, input string) Article {
	t.Helper()
	as := articlesOf(t, readAll(t, input))
	if len(as) != 1 {
		t.Fatalf("got %d articles, want 1", len(as))
	}
	return as[0]
}

func TestReadJSONDates(t *testing.T) {
	tests := []struct {
		published string
		precision Precision
		str       string
	}{
		{"2023-09-16T08:30:00+07:00", Instant, "2023-09-16T08:30:00+07:00"},
		{"2023-09-16T01:30:00Z", Instant, "2023-09-16T01:30:00Z"},
		{"2023-09-16", Day, "2023-09-16"},
		{"2023-09", Month, "2023-09"},
		{"16/09/2023", Day, "2023-09-16"},
		{"6/9/2023", Day, "2023-09-06"},
		{"2023", Year, "2023"},
		{"", Unknown, ""},
	}
	for _, tc := range tests {
		t.Run(tc.published, func(t *testing.T) {
			a := one(t, fmt.Sprintf(`{"id":"a","title":"T","body":"B.","published":%q}`, tc.published))
			if a.Published.Precision != tc.precision || a.Published.String() != tc.str {
				t.Errorf("published %q read as %v (%q), want precision %v %q",
					tc.published, a.Published.Precision, a.Published, tc.precision, tc.str)
			}
		})
	}
	t.Run("null", func(t *testing.T) {
		if a := one(t, `{"id":"a","body":"B.","published":null}`); !a.Published.IsZero() {
			t.Errorf("published null read as %v", a.Published)
		}
	})
	t.Run("bad date", func(t *testing.T) {
		items := readAll(t, `{"id":"a","body":"B.","published":"16-09-2023"}`)
		if len(items) != 1 || !errors.Is(items[0].err, ErrBadField) {
			t.Fatalf("got %+v, want one ErrBadField problem", items)
		}
	})
}

func TestReadJSONFields(t *testing.T) {
	a := one(t, `{"id":" x1 ","url":"https://vov.vn/a","source":"VOV.VN","title":" Tiêu đề ","summary":"Tóm tắt.",`+
		`"byline":"Minh Anh","category":"Xã hội","paragraphs":["Đoạn một.","  ","Đoạn hai."],`+
		`"extra":{"nested":[1,2.5e3,true,null,{"k":"v"}]},"tags":["a","b"],"score":-0.5}`)
	// Title and paragraphs as given, blank paragraph included; metadata
	// trimmed.
	want := Article{ID: "x1", URL: "https://vov.vn/a", Source: "VOV.VN", Title: " Tiêu đề ", Summary: "Tóm tắt.",
		Byline: "Minh Anh", Category: "Xã hội", Paragraphs: []string{"Đoạn một.", "  ", "Đoạn hai."}, Origin: "input"}
	want.Hash = want.ContentHash()
	if !equalArticles(a, want) {
		t.Errorf("got  %+v\nwant %+v", a, want)
	}
}

func equalArticles(a, b Article) bool {
	return a.ID == b.ID && a.URL == b.URL && a.Source == b.Source && a.Title == b.Title &&
		a.Summary == b.Summary && a.Byline == b.Byline && a.Published == b.Published &&
		a.Category == b.Category && slices.Equal(a.Paragraphs, b.Paragraphs) && a.Hash == b.Hash &&
		a.Origin == b.Origin
}

func TestReadJSONBodyAndParagraphs(t *testing.T) {
	tests := []struct {
		name string
		json string
		want []string
	}{
		{"paragraphs", `{"id":"a","paragraphs":["Một.","Hai."]}`, []string{"Một.", "Hai."}},
		{"body blank lines", `{"id":"a","body":"Một.\n\nHai\ncòn tiếp.\n \n\nBa."}`, []string{"Một.", "Hai\ncòn tiếp.", "Ba."}},
		{"body crlf", `{"id":"a","body":"Một.\r\n\r\nHai."}`, []string{"Một.", "Hai."}},
		{"paragraphs win over body", `{"id":"a","body":"Thân.","paragraphs":["Đoạn."]}`, []string{"Đoạn."}},
		{"empty paragraphs fall back to body", `{"id":"a","paragraphs":[],"body":"Thân."}`, []string{"Thân."}},
		{"null paragraph is empty", `{"id":"a","paragraphs":["Một.",null,"Ba."]}`, []string{"Một.", "", "Ba."}},
		{"blank paragraphs fall back to body", `{"id":"a","paragraphs":[" ",""],"body":"Thân."}`, []string{"Thân."}},
		{"paragraphs as given", `{"id":"a","paragraphs":["  Thụt đầu dòng. ","","\tCuối.\n"]}`, []string{"  Thụt đầu dòng. ", "", "\tCuối.\n"}},
		{"body paragraphs as written", `{"id":"a","body":"\n\n  Một.  \n\nHai.\r\n\r\n\n"}`, []string{"  Một.  ", "Hai."}},
		{"body without breaks trimmed", `{"id":"a","body":"\n  Một. Hai.\n"}`, []string{"Một. Hai."}},
		{"escapes", `{"id":"a","body":"Ông nói \"chào\" \u0111\u1ea5y\tà \ud83d\ude00 a\/b\\c"}`, []string{"Ông nói \"chào\" đấy\tà 😀 a/b\\c"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := one(t, tc.json).Paragraphs; !slices.Equal(got, tc.want) {
				t.Errorf("paragraphs = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReadJSONLongBodySplit(t *testing.T) {
	body := sentences(30, 150)
	a := one(t, fmt.Sprintf(`{"id":"a","body":%q}`, body))
	if len(a.Paragraphs) < 5 {
		t.Fatalf("a body of %d characters gave %d passages", utf8.RuneCountInString(body), len(a.Paragraphs))
	}
	checkCovers(t, body, a.Paragraphs)
}

// A 7 MiB line, near the default record limit, far beyond any buffer.
func TestReadJSONHugeLine(t *testing.T) {
	body := sentences(7<<20/250, 200)
	input := `{"id":"small1","body":"Trước."}` + "\n" +
		`{"id":"huge","title":"Dài","body":"` + body + `"}` + "\n" +
		`{"id":"small2","body":"Sau."}` + "\n"
	as := articlesOf(t, readAll(t, input))
	if len(as) != 3 || as[0].ID != "small1" || as[1].ID != "huge" || as[2].ID != "small2" {
		t.Fatalf("got %d articles", len(as))
	}
	if len(body) < 6<<20 || len(body) > DefaultMaxRecordBytes-100 {
		t.Fatalf("test body of %d bytes", len(body))
	}
	huge := as[1]
	if n := len(huge.Paragraphs); n < len(body)/(MaxPassage*4) {
		t.Errorf("only %d passages", n)
	}
	if strings.Join(huge.Paragraphs, " ") != body {
		t.Error("passages of the huge body do not rebuild it")
	}
}

func TestReadJSONProblems(t *testing.T) {
	lines := []string{
		`{"id":"ok1","body":"Một."}`,
		`{"id":"bad1","body":"Một."`, // 2: truncated
		``,                           // 3: blank, skipped
		`{"id":"ok2","body":"Hai."}`, // 4
		`not json`,                   // 5
		`{"id":"bad2","body":"x ` + "\xff" + ` y"}`,                                                         // 6: invalid UTF-8
		`{"id":"bad3","body":"lone \ud800 surrogate"}`,                                                      // 7
		`{"id":"bad4","title":42,"body":"x."}`,                                                              // 8: wrong type
		`{"id":"bad5","title":"Chỉ có tiêu đề"}`,                                                            // 9: no text
		`{"id":"bad6","body":"x."} trailing`,                                                                // 10
		`{"id":"bad7","paragraphs":"not an array"}`,                                                         // 11
		`{"id":"bad8","body":"control ` + "\x01" + ` char"}`,                                                // 12
		`{"id":"bad9","body":"bad \q escape"}`,                                                              // 13
		`{"id":"bad10","body":"x.","n":01}`,                                                                 // 14: bad number
		`[{"id":"bad11","body":"array on a JSONL line"}]`,                                                   // 15
		`{"id":"ok3","summary":"Chỉ có tóm tắt cũng được."}`,                                                // 16
		`{"id":"bad12","body":"x.","deep":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`, // 17
		`{"id":"ok4","body":"Cuối."}`,                                                                       // 18, no final newline
	}
	items := readAll(t, strings.Join(lines, "\n"))
	type got struct {
		id   string
		line int
		kind error
	}
	want := []got{
		{"ok1", 0, nil}, {"", 2, ErrMalformed}, {"ok2", 0, nil}, {"", 5, ErrMalformed},
		{"", 6, ErrInvalidUTF8}, {"", 7, ErrInvalidUTF8}, {"", 8, ErrBadField}, {"", 9, ErrNoText},
		{"", 10, ErrMalformed}, {"", 11, ErrBadField}, {"", 12, ErrMalformed}, {"", 13, ErrMalformed},
		{"", 14, ErrMalformed}, {"", 15, ErrMalformed}, {"ok3", 0, nil}, {"", 17, ErrMalformed}, {"ok4", 0, nil},
	}
	if len(items) != len(want) {
		for _, it := range items {
			t.Log(it.a.ID, it.err)
		}
		t.Fatalf("got %d items, want %d", len(items), len(want))
	}
	for i, it := range items {
		w := want[i]
		if w.kind == nil {
			if it.err != nil || it.a.ID != w.id {
				t.Errorf("item %d: got %q, %v; want article %q", i, it.a.ID, it.err, w.id)
			}
			continue
		}
		var p *Problem
		if !errors.As(it.err, &p) || p.Line != w.line || p.Path != "input" || !errors.Is(it.err, w.kind) {
			t.Errorf("item %d: got %v; want a problem at input line %d wrapping %v", i, it.err, w.line, w.kind)
		}
		if it.a.ID != "" {
			t.Errorf("item %d: problem comes with article %q", i, it.a.ID)
		}
	}
}

// Records over the size limit are reported and skipped, in both forms.
func TestReadJSONRecordLimit(t *testing.T) {
	long := `{"id":"long","body":"` + strings.Repeat("x", 300) + `."}`
	for _, tc := range []struct {
		name  string
		input string
		line  int // of the long record
		src   func(br *bufio.Reader) recordSource
	}{
		{"lines", `{"id":"a","body":"Một."}` + "\n" + long + "\n" + `{"id":"b","body":"Hai."}`, 2,
			func(br *bufio.Reader) recordSource { return &lineSource{br: br, name: "x", max: 100} }},
		{"array", "[\n" + `{"id":"a","body":"Một."},` + "\n" + long + ",\n" + `{"id":"b","body":"Hai."}]`, 3,
			func(br *bufio.Reader) recordSource {
				br.ReadByte() // '['
				return &arraySource{br: br, name: "x", line: 1, first: true, max: 100}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var items []item
			e := &emitter{ctx: context.Background(), yield: func(a Article, err error) bool {
				items = append(items, item{a, err})
				return true
			}}
			// A reader buffer smaller than the record exercises the
			// fragment path too.
			e.runPipeline(tc.src(bufio.NewReaderSize(strings.NewReader(tc.input), 16)), jsonInput{name: "x", limits: Limits{}.orDefaults()})
			if len(items) != 3 || items[0].a.ID != "a" || items[2].a.ID != "b" {
				t.Fatalf("got %+v", items)
			}
			var p *Problem
			if !errors.As(items[1].err, &p) || !errors.Is(p, ErrTooLarge) || p.Line != tc.line {
				t.Errorf("got %v, want ErrTooLarge at line %d", items[1].err, tc.line)
			}
		})
	}
}

func TestReadJSONNotJSON(t *testing.T) {
	var input strings.Builder
	for range 500 {
		input.WriteString("this is plain text, not JSON\n")
	}
	items := readAll(t, input.String())
	if len(items) > giveUpAfter+1 {
		t.Errorf("%d problems for one non-JSON input, want at most %d", len(items), giveUpAfter+1)
	}
	if last := items[len(items)-1].err; !errors.Is(last, ErrMalformed) || !strings.Contains(last.Error(), "giving up") {
		t.Errorf("last problem = %v, want giving up", last)
	}
}

func TestReadJSONEmpty(t *testing.T) {
	for _, input := range []string{"", "  \n\n\t", "\uFEFF", gzipString(t, ""), gzipString(t, "\n \n")} {
		items := readAll(t, input)
		if len(items) != 1 || !errors.Is(items[0].err, ErrEmpty) {
			t.Errorf("ReadJSON(%q) = %+v, want one ErrEmpty problem", input, items)
		}
	}
	// An empty array is valid and holds nothing.
	if items := readAll(t, " [ ] "); len(items) != 0 {
		t.Errorf("empty array gave %+v", items)
	}
}

func gzipString(t *testing.T, s string) string {
	t.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestReadJSONGzip(t *testing.T) {
	plain := "\uFEFF" + `{"id":"a","body":"Một."}` + "\n" + `{"id":"b","body":"Hai."}` + "\n"
	for _, input := range []string{gzipString(t, plain), gzipString(t, `[{"id":"a","body":"Một."},{"id":"b","body":"Hai."}]`)} {
		as := articlesOf(t, readAll(t, input))
		if len(as) != 2 || as[0].ID != "a" || as[1].ID != "b" {
			t.Errorf("got %d articles from gzip", len(as))
		}
	}
	// Truncated gzip: what was decoded comes through, then a problem.
	gz := gzipString(t, strings.Repeat(`{"id":"a","body":"Một câu."}`+"\n", 2000))
	items := readAll(t, gz[:len(gz)/2])
	last := items[len(items)-1]
	if len(items) < 2 || last.err == nil || items[0].err != nil {
		t.Errorf("truncated gzip: %d items, last %v", len(items), last.err)
	}
}

func TestReadJSONArray(t *testing.T) {
	input := `[
  {"id": "a", "body": "Một."},
  {
    "id": "b",
    "paragraphs": ["Hai.", "Ba."],
    "meta": {"x": [1, "]", "\"}"]}
  },
  {"id": "c", "body": "bad \uDC00"},
  42,
  "str",
  {"id": "d", "body": "Bốn."}
]
`
	items := readAll(t, input)
	if len(items) != 6 {
		t.Fatalf("got %d items, want 6: %+v", len(items), items)
	}
	if items[0].a.ID != "a" || items[1].a.ID != "b" || items[5].a.ID != "d" {
		t.Errorf("articles: %q %q %q", items[0].a.ID, items[1].a.ID, items[5].a.ID)
	}
	for i, line := range map[int]int{2: 8, 3: 9, 4: 10} {
		var p *Problem
		if !errors.As(items[i].err, &p) || p.Line != line {
			t.Errorf("item %d: %v, want a problem at line %d", i, items[i].err, line)
		}
	}

	broken := []struct {
		name, input string
		articles    int
	}{
		{"not closed", `[{"id":"a","body":"Một."}`, 1},
		{"missing comma", `[{"id":"a","body":"Một."} {"id":"b","body":"Hai."}]`, 1},
		{"trailing comma", `[{"id":"a","body":"Một."},]`, 1},
		{"garbage after", `[{"id":"a","body":"Một."}] x`, 1},
		{"leading comma", `[,{"id":"a","body":"Một."}]`, 0},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			items := readAll(t, tc.input)
			n := 0
			for _, it := range items {
				if it.err == nil {
					n++
				}
			}
			if n != tc.articles || items[len(items)-1].err == nil {
				t.Errorf("got %+v, want %d articles then a problem", items, tc.articles)
			}
		})
	}
}

// Order is input order even though records are decoded in parallel.
func TestReadJSONOrder(t *testing.T) {
	var b strings.Builder
	const n = 3000
	for i := range n {
		if i%7 == 3 {
			b.WriteString("{broken\n")
			continue
		}
		fmt.Fprintf(&b, `{"id":"%d","body":%q}`+"\n", i, sentences(1+i%5, 200))
	}
	line := 0
	for a, err := range ReadJSON(strings.NewReader(b.String()), "x") {
		// Each line yields exactly one item: an article or a problem.
		if line%7 == 3 {
			var p *Problem
			if !errors.As(err, &p) || p.Line != line+1 {
				t.Fatalf("want a problem at line %d, got %q %v", line+1, a.ID, err)
			}
		} else if err != nil || a.ID != fmt.Sprint(line) {
			t.Fatalf("line %d: got %q %v", line+1, a.ID, err)
		}
		line++
	}
	if line != n {
		t.Errorf("read %d lines, want %d", line, n)
	}
}

// Breaking off early stops the pipeline's goroutines.
func TestReadJSONBreak(t *testing.T) {
	var b strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&b, `{"id":"%d","body":"Một câu."}`+"\n", i)
	}
	before := runtime.NumGoroutine()
	for range 20 {
		n := 0
		for range ReadJSON(strings.NewReader(b.String()), "x") {
			n++
			if n == 3 {
				break
			}
		}
	}
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before, %d after breaking off", before, after)
	}
}

func TestIDs(t *testing.T) {
	ids := func(input string) []string {
		var out []string
		for _, a := range articlesOf(t, readAll(t, input)) {
			out = append(out, a.ID)
		}
		return out
	}
	input := `{"id":"given","url":"https://x.vn/a","body":"Một."}
{"url":"HTTPS://VOV.VN/xa-hoi/bai-1.vov#top","body":"Một."}
{"url":"https://vov.vn/xa-hoi/bai-1.vov","body":"Khác hẳn."}
{"title":"Tiêu đề","body":"Thân   bài.\n\nĐoạn hai."}
{"title":"Tiêu  đề ","paragraphs":["Thân bài.","Đoạn hai."]}
{"title":"Tiêu đề","body":"Thân bài khác."}
{"id":12345,"body":"Số."}
`
	first, again := ids(input), ids(input)
	if !slices.Equal(first, again) {
		t.Errorf("IDs differ on re-read: %q vs %q", first, again)
	}
	if first[0] != "given" || first[6] != "12345" {
		t.Errorf("given IDs not kept: %q", first)
	}
	if !strings.HasPrefix(first[1], "url-") || first[1] != first[2] {
		t.Errorf("URL IDs %q and %q should match (host case, fragment ignored)", first[1], first[2])
	}
	if !strings.HasPrefix(first[3], "txt-") || first[3] != first[4] || first[3] == first[5] {
		t.Errorf("text IDs %q %q %q: want equal for same text, different otherwise", first[3], first[4], first[5])
	}
	// NFC and NFD spellings of the same text get the same ID.
	nfc := Article{Title: "Hội nghị", Paragraphs: []string{"Việt Nam."}}
	nfd := Article{Title: "Ho\u0302\u0323i nghi\u0323", Paragraphs: []string{"Vie\u0323\u0302t Nam."}}
	if deriveID(&nfc) != deriveID(&nfd) {
		t.Error("NFC and NFD text get different IDs")
	}
}

func TestContextCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	items := collect(Articles(ctx, "seeds"))
	if len(items) != 1 || !errors.Is(items[0].err, context.Canceled) {
		t.Errorf("got %+v, want only context.Canceled", items)
	}
	items = collect(Seeds(ctx))
	if len(items) != 1 || !errors.Is(items[0].err, context.Canceled) {
		t.Errorf("Seeds: got %+v, want only context.Canceled", items)
	}
}

// A damaged gzip stream is named once, as gzip, in the problem.
func TestReadJSONGzipMessages(t *testing.T) {
	gz := gzipString(t, strings.Repeat(`{"id":"a","body":"Một câu."}`+"\n", 2000))
	badHeader := "\x1f\x8b" + strings.Repeat("x", 20)
	badChecksum := gz[:len(gz)-8] + "\x00\x00\x00\x00" + gz[len(gz)-4:]
	for _, tc := range []struct {
		name, input string
		want        string // the problem's message after "input" and any line
	}{
		{"header", badHeader, ": gzip: invalid header"},
		{"truncated header", "\x1f\x8b\x08", ": gzip: unexpected EOF"},
		{"truncated", gz[:len(gz)/2], ": gzip: unexpected EOF"},
		{"checksum", badChecksum, ": gzip: invalid checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			items := readAll(t, tc.input)
			last := items[len(items)-1].err
			if last == nil {
				t.Fatalf("no problem for a damaged gzip stream")
			}
			got := last.Error()
			if !strings.HasPrefix(got, "input") || !strings.HasSuffix(got, tc.want) || strings.Count(got, "gzip") != 1 {
				t.Errorf("problem %q, want \"input[:line]%s\"", got, tc.want)
			}
		})
	}
}

// What a user indexes comes back byte for byte: long paragraphs are not
// cut, NFD text is not composed, nothing is trimmed.
func TestReadJSONFidelity(t *testing.T) {
	long := func(seed int) string {
		var b strings.Builder
		for i := 0; utf8.RuneCountInString(b.String()) < 1500; i++ {
			fmt.Fprintf(&b, "Câu thứ %d của đoạn %d nói về hợp tác phòng, chống tội phạm. ", i, seed)
		}
		return string([]rune(b.String())[:1500])
	}
	nfd := "Vie\u0323\u0302t Nam ho\u0323\u0302i nghi\u0323 " // decomposed: not NFC
	tests := []struct {
		name           string
		title, summary string
		paragraphs     []string
	}{
		{"three paragraphs of 1,500 characters", "Tiêu đề", "Tóm tắt.", []string{long(1), long(2), long(3)}},
		{"NFD", " " + nfd, nfd + "\n", []string{nfd, "  " + nfd + "  ", strings.Repeat(nfd, 100)}},
		{"blank and empty paragraphs", "T", "", []string{"Một.", "", " \t ", "Hai."}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := json.Marshal(map[string]any{"id": "a", "title": tc.title, "summary": tc.summary, "paragraphs": tc.paragraphs})
			if err != nil {
				t.Fatal(err)
			}
			for _, input := range []string{string(rec), "[" + string(rec) + "]"} {
				a := one(t, input)
				if a.Title != tc.title || a.Summary != tc.summary {
					t.Errorf("title %q summary %q, want %q %q", a.Title, a.Summary, tc.title, tc.summary)
				}
				if !slices.Equal(a.Paragraphs, tc.paragraphs) {
					t.Errorf("%d paragraphs came back, %d given, or their text changed", len(a.Paragraphs), len(tc.paragraphs))
				}
			}
		})
	}
}

// Records over the limits are problems naming their line; the records
// around them are read. The limits are a plain value, defaults included.
func TestReadJSONLimits(t *testing.T) {
	paragraphs := func(n int) string {
		ps := make([]string, n)
		for i := range ps {
			ps[i] = fmt.Sprintf("%q", fmt.Sprintf("Đoạn %d.", i))
		}
		return "[" + strings.Join(ps, ",") + "]"
	}
	body := func(n int) string {
		return strings.Repeat("Đoạn.\\n\\n", n)
	}
	ok := `{"id":"ok","body":"Một."}`
	tests := []struct {
		name   string
		limits Limits
		record string
		over   bool
	}{
		{"default record size, over", Limits{}, `{"id":"big","body":"` + strings.Repeat("x", DefaultMaxRecordBytes) + `"}`, true},
		{"small record size, over", Limits{MaxRecordBytes: 1000}, `{"id":"big","body":"` + strings.Repeat("x", 1000) + `"}`, true},
		{"small record size, under", Limits{MaxRecordBytes: 1000}, `{"id":"small","body":"` + strings.Repeat("x", 900) + `"}`, false},
		{"default paragraphs, at", Limits{}, `{"id":"p","paragraphs":` + paragraphs(DefaultMaxParagraphs) + `}`, false},
		{"default paragraphs, over", Limits{}, `{"id":"p","paragraphs":` + paragraphs(DefaultMaxParagraphs+1) + `}`, true},
		{"few paragraphs, over", Limits{MaxParagraphs: 3}, `{"id":"p","paragraphs":["a","b",null,"d"]}`, true},
		{"body paragraphs, at", Limits{MaxParagraphs: 3}, `{"id":"b","body":"` + body(3) + `"}`, false},
		{"body paragraphs, over", Limits{MaxParagraphs: 3}, `{"id":"b","body":"` + body(4) + `"}`, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, input := range []string{
				ok + "\n" + tc.record + "\n" + ok + "\n",
				"[" + ok + ",\n" + tc.record + ",\n" + ok + "]",
			} {
				items := collect(ReadJSONLimits(strings.NewReader(input), "in", tc.limits))
				if len(items) != 3 || items[0].err != nil || items[2].err != nil {
					t.Fatalf("got %d items: %v", len(items), items)
				}
				var p *Problem
				if tc.over {
					if !errors.As(items[1].err, &p) || !errors.Is(p, ErrTooLarge) || p.Line != 2 {
						t.Errorf("got %v, want ErrTooLarge at line 2", items[1].err)
					}
				} else if items[1].err != nil {
					t.Errorf("within the limits: %v", items[1].err)
				}
			}
		})
	}
}
