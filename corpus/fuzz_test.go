package corpus

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

// Fuzz targets: no panic on any input, no invented text, valid UTF-8 out
// when it came in. Run briefly with e.g.
//
//	go test -run=^$ -fuzz=FuzzParsePage -fuzztime=60s ./corpus/

func FuzzParsePage(f *testing.F) {
	for _, p := range seedPages(f) {
		f.Add(p.data)
	}
	f.Add([]byte(syntheticANTV))
	f.Add([]byte(syntheticVOV))
	f.Add([]byte(" date 2023-09 Trong chuyến thăm. Hết."))
	f.Add([]byte("Tiêu đề bài báo thử nghiệm\r\nBT\r(ANTV) - Nội dung. “Trích dẫn.”\n"))
	f.Fuzz(func(t *testing.T, page []byte) {
		a, err := ParsePage(page, "fuzz.txt")
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) || p.Path != "fuzz.txt" {
				t.Fatalf("error %v is not a *Problem for fuzz.txt", err)
			}
			return
		}
		if !utf8.Valid(page) {
			t.Fatal("invalid UTF-8 accepted")
		}
		checkInvariants(t, page, a)
		for _, s := range append([]string{a.Title, a.Byline, a.Source}, a.Paragraphs...) {
			if !utf8.ValidString(s) {
				t.Errorf("invalid UTF-8 in output %q", s)
			}
		}
	})
}

func addTextSeeds(f *testing.F) {
	for _, p := range seedPages(f) {
		f.Add(string(p.data))
		f.Add(strings.Join(strings.Fields(string(p.data)), " "))
	}
	f.Add("Ông nói: “Câu một. Câu hai.” Rồi TP. Hưng Yên 8.500.000 đồng… 1. Hết")
	f.Add(strings.Repeat("ờ", 1000))
	f.Add(strings.Repeat("a \"b. C", 300))
}

func checkSplit(t *testing.T, text string, parts []string, maxRunes int) {
	t.Helper()
	off := 0
	for _, p := range parts {
		i := strings.Index(text[off:], p)
		if i < 0 || p == "" {
			t.Fatalf("part %q is empty or not a substring after offset %d", p, off)
		}
		off += i + len(p)
	}
	if !utf8.ValidString(text) {
		return
	}
	for _, p := range parts {
		if !utf8.ValidString(p) {
			t.Errorf("invalid UTF-8 out of valid input: %q", p)
		}
		if n := utf8.RuneCountInString(p); maxRunes > 0 && n > maxRunes {
			t.Errorf("part of %d characters, over %d", n, maxRunes)
		}
	}
	if a, b := squeeze(strings.Join(parts, "")), squeeze(text); a != b {
		t.Errorf("parts lose or invent text:\n parts %q\n  text %q", a, b)
	}
}

func FuzzSplitPassages(f *testing.F) {
	addTextSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkSplit(t, text, SplitPassages(text), MaxPassage)
	})
}

func FuzzSplitSentences(f *testing.F) {
	addTextSeeds(f)
	f.Fuzz(func(t *testing.T, text string) {
		checkSplit(t, text, SplitSentences(text), 0)
	})
}

func FuzzReadJSON(f *testing.F) {
	f.Add([]byte(`{"id":"a","title":"T","body":"Một.\n\nHai.","published":"2023-09"}` + "\n" + `{"url":"https://x.vn/a","paragraphs":["P."]}`))
	f.Add([]byte(`[{"id":"a","body":"B \u00e0 \ud83d\ude00"}, {"x": [1, {"y": null}]}, 3]`))
	f.Add([]byte("{\"id\":\"a\",\"body\":\"\xff\"}\n{bad\n"))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(`{"id":"z","body":"Nén."}`))
	zw.Close()
	f.Add(gz.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		for a, err := range ReadJSON(bytes.NewReader(data), "fuzz") {
			if err != nil {
				var p *Problem
				if !errors.As(err, &p) || p.Path != "fuzz" {
					t.Fatalf("error %v is not a *Problem for fuzz", err)
				}
				continue
			}
			if a.ID == "" || a.Hash != a.ContentHash() || a.Origin != "fuzz" {
				t.Errorf("article not finished: %+v", a)
			}
			for _, p := range a.Paragraphs {
				if !utf8.ValidString(p) {
					t.Errorf("invalid UTF-8 in paragraph %q", p)
				}
			}
		}
	})
}
