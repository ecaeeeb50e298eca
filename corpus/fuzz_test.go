package corpus

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
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

// FuzzReadJSONDifferential reads one record, as a JSON Lines line and as an
// element of a JSON array, and checks it against encoding/json decoding
// that record by itself: the same records accepted and rejected, the same
// strings. (encoding/json silently replaces a lone surrogate escape;
// vnsearch rejects it, so the reference looks for one itself.)
func FuzzReadJSONDifferential(f *testing.F) {
	for _, rec := range []string{
		`{"id":"a","title":"Tiêu đề","summary":" Tóm tắt ","paragraphs":["Một.","","  Hai. "]}`,
		`{"ID":12,"Title":"T","BODY":"Một.\n\nHai.","published":"2023-09","extra":{"x":[1,2.5e3,null,true]}}`,
		`{"id":"b","title":"a","title":null,"body":"x","paragraphs":null}`,
		`{"id":null,"id":"c","body":"\u0111\u1ea5y \ud83d\ude00 a\/b\\c \"q\""}`,
		`{"id":"d","body":"lone \ud800 x"}`,
		`{"id":"e","body":"x","paragraphs":["a",null,"b"],"paragraphs":["c"]}`,
		`{"id":"f","title":42,"body":"x"}`,
		`{"id":{"x":1},"body":"x"}`,
		`{"id":"g","paragraphs":["a",3]}`,
		`{"id":"h","body":"x","published":"16/09/2023","ſource":"K"}`,
		`{"id":"i","summary":"chỉ tóm tắt"}`,
		`{"id":"j","title":"chỉ tiêu đề"}`,
		`null`, `[1]`, `{"id":"k","body":"x"} x`, `{"id":"l","body":"a\qb"}`,
	} {
		f.Add([]byte(rec))
	}
	good := `{"id":"first","body":"Đầu."}`
	last := `{"id":"last","body":"Cuối."}`
	f.Fuzz(func(t *testing.T, rec []byte) {
		rec = bytes.ReplaceAll(rec, []byte("\n"), []byte(" ")) // one line
		if len(bytes.Trim(rec, " \t\r")) == 0 {
			return // a blank line holds no record
		}
		want, wantErr := referenceArticle(rec)

		inputs := []string{good + "\n" + string(rec) + "\n" + last + "\n"}
		if wantErr == nil {
			// The array scanner only promises to find the elements of a
			// well-formed array.
			inputs = append(inputs, "[\n"+good+",\n"+string(rec)+",\n"+last+"]")
		}
		for _, input := range inputs {
			items := collect(ReadJSON(strings.NewReader(input), "fuzz"))
			if len(items) != 3 || items[0].a.ID != "first" || items[2].a.ID != "last" {
				t.Fatalf("%d items from %q, want the record between two good ones", len(items), input)
			}
			got, err := items[1].a, items[1].err
			switch {
			case (err == nil) != (wantErr == nil):
				t.Fatalf("record %q: ReadJSON says %v, encoding/json %v", rec, err, wantErr)
			case err != nil:
				var p *Problem
				if !errors.As(err, &p) || p.Line != 2 {
					t.Fatalf("problem %v, want one at line 2", err)
				}
				continue
			}
			if got.Title != want.Title || got.Summary != want.Summary || got.URL != want.URL ||
				got.Source != want.Source || got.Byline != want.Byline || got.Category != want.Category ||
				got.Published != want.Published {
				t.Fatalf("record %q:\n got  %+v\n want %+v", rec, got, want)
			}
			if want.ID != "" && got.ID != want.ID {
				t.Fatalf("record %q: ID %q, want %q", rec, got.ID, want.ID)
			}
			if want.Paragraphs != nil && !slices.Equal(got.Paragraphs, want.Paragraphs) {
				t.Fatalf("record %q: paragraphs %q, want %q", rec, got.Paragraphs, want.Paragraphs)
			}
			if want.Paragraphs == nil { // from the body: pieces of it, in order
				body := want.Body
				off := 0
				for _, p := range got.Paragraphs {
					i := strings.Index(body[off:], p)
					if i < 0 || !hasText(p) {
						t.Fatalf("record %q: paragraph %q is not the next piece of the body", rec, p)
					}
					off += i + len(p)
				}
			}
		}
	})
}

// referenceArticle is what a record should give, decoded by encoding/json
// alone. Paragraphs is nil when they come from the body, which Body
// then holds. ID is "" when the record's ID is not a plain string.
func referenceArticle(rec []byte) (refArticle, error) {
	var v struct {
		ID         json.RawMessage
		URL        string
		Source     string
		Title      string
		Summary    string
		Byline     string
		Published  string
		Category   string
		Body       string
		Paragraphs []string
	}
	if !utf8.Valid(rec) {
		return refArticle{}, errors.New("invalid UTF-8")
	}
	if t := bytes.TrimLeft(rec, " \t\r"); t[0] != '{' {
		return refArticle{}, errors.New("not an object")
	}
	if hasLoneSurrogate(rec) {
		return refArticle{}, errors.New("lone surrogate")
	}
	if err := json.Unmarshal(rec, &v); err != nil {
		return refArticle{}, err
	}
	a := refArticle{URL: strings.TrimSpace(v.URL), Source: strings.TrimSpace(v.Source), Title: v.Title,
		Summary: v.Summary, Byline: strings.TrimSpace(v.Byline), Category: strings.TrimSpace(v.Category)}
	switch id := bytes.TrimSpace(v.ID); {
	case len(id) == 0 || id[0] == 'n' || id[0] == '-' || id[0] >= '0' && id[0] <= '9':
	case id[0] == '"':
		var s string
		json.Unmarshal(id, &s)
		a.ID = strings.TrimSpace(s)
	default:
		return refArticle{}, errors.New("id neither string nor number")
	}
	d, err := ParseDate(v.Published)
	if err != nil {
		return refArticle{}, err
	}
	a.Published = d
	text := false
	for _, p := range v.Paragraphs {
		text = text || strings.TrimSpace(p) != ""
	}
	if text {
		a.Paragraphs = v.Paragraphs
	} else {
		a.Body = v.Body
		text = strings.TrimSpace(v.Body) != ""
	}
	if !text && strings.TrimSpace(v.Summary) == "" {
		return refArticle{}, errors.New("no text")
	}
	return a, nil
}

type refArticle struct {
	ID, URL, Source, Title, Summary, Byline, Category string
	Published                                         Date
	Paragraphs                                        []string
	Body                                              string // when Paragraphs is nil
}

// hasLoneSurrogate walks the strings of a JSON text and reports a \u
// escape of half a surrogate pair without its other half.
func hasLoneSurrogate(b []byte) bool {
	inStr := false
	pendingHigh := false // the last escape was a high surrogate
	for i := 0; i < len(b); i++ {
		if !inStr {
			inStr = b[i] == '"'
			continue
		}
		if b[i] == '"' {
			if pendingHigh {
				return true
			}
			inStr = false
			continue
		}
		if b[i] != '\\' {
			if pendingHigh {
				return true
			}
			continue
		}
		if i+1 < len(b) && b[i+1] == 'u' && i+6 <= len(b) {
			v, err := strconv.ParseUint(string(b[i+2:i+6]), 16, 32)
			if err != nil {
				return false // a malformed escape: encoding/json rejects it
			}
			switch {
			case v >= 0xD800 && v < 0xDC00:
				if pendingHigh {
					return true
				}
				pendingHigh = true
			case v >= 0xDC00 && v < 0xE000:
				if !pendingHigh {
					return true
				}
				pendingHigh = false
			default:
				if pendingHigh {
					return true
				}
			}
			i += 5
			continue
		}
		if pendingHigh {
			return true
		}
		i++ // the escaped character
	}
	return pendingHigh
}
