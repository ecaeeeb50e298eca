package api

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/index"
)

func date(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestRequest(t *testing.T) {
	tests := []struct {
		name   string
		params SearchParams
		want   index.Request
	}{
		{"defaults", SearchParams{Query: "ma túy"},
			index.Request{Query: "ma túy", Sort: index.ByRelevance, Size: index.DefaultSize}},
		{"size capped", SearchParams{Query: "x", Size: 1000, From: 20},
			index.Request{Query: "x", Size: index.MaxSize, From: 20, Sort: index.ByRelevance}},
		{"lists split and trimmed", SearchParams{Query: "x", Sources: []string{"vov.vn, antv", "", "vnexpress"}, Categories: []string{"Pháp luật,"}},
			index.Request{Query: "x", Sources: []string{"vov.vn", "antv", "vnexpress"}, Categories: []string{"Pháp luật"}, Sort: index.ByRelevance, Size: index.DefaultSize}},
		{"until a month is inclusive", SearchParams{Query: "x", Since: "2023-09", Until: "2023-09", Sort: "date"},
			index.Request{Query: "x", Since: date("2023-09-01"), Until: date("2023-10-01"), Sort: index.ByDate, Size: index.DefaultSize}},
		{"until a year", SearchParams{Query: "x", Until: "2023"},
			index.Request{Query: "x", Until: date("2024-01-01"), Sort: index.ByRelevance, Size: index.DefaultSize}},
		{"until a day", SearchParams{Query: "x", Since: "2023-09-16", Until: "2023-09-16"},
			index.Request{Query: "x", Since: date("2023-09-16"), Until: date("2023-09-17"), Sort: index.ByRelevance, Size: index.DefaultSize}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.params.Request()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRequestErrors(t *testing.T) {
	tests := []struct {
		name   string
		params SearchParams
		says   string // the error names the parameter
	}{
		{"empty query", SearchParams{Query: "  "}, "query"},
		{"query too long", SearchParams{Query: strings.Repeat("á", index.MaxQueryLength+1)}, "1000"},
		{"negative size", SearchParams{Query: "x", Size: -1}, "size"},
		{"negative from", SearchParams{Query: "x", From: -5}, "from"},
		{"bad sort", SearchParams{Query: "x", Sort: "popularity"}, "sort"},
		{"bad since", SearchParams{Query: "x", Since: "yesterday"}, "since"},
		{"bad until", SearchParams{Query: "x", Until: "2023-13"}, "until"},
		{"since after until", SearchParams{Query: "x", Since: "2024", Until: "2023"}, "since"},
		{"from past the window", SearchParams{Query: "x", From: MaxFrom + 1}, "from 10001 is more than 10000"},
		{"from at the largest int", SearchParams{Query: "x", From: math.MaxInt, Size: 100}, "from 9223372036854775807 is more than 10000"},
		{"too many phrases", SearchParams{Query: manyPhrases(MaxPhrases + 1)}, "17 different quoted phrases, more than the 16"},
		{"too many exclusions", SearchParams{Query: "x " + manyExclusions(MaxExclusions+1)}, "excludes 17 different"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.params.Request()
			if !errors.Is(err, index.ErrBadQuery) {
				t.Fatalf("err = %v, want ErrBadQuery", err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("err = %q, want it to name %q", err, tt.says)
			}
		})
	}
}

func TestParamsFromQuery(t *testing.T) {
	v, _ := url.ParseQuery("q=ma+t%C3%BAy&size=5&from=10&source=vov.vn&source=antv&category=a,b&since=2023&until=2023-09&sort=date")
	got, err := ParamsFromQuery(v)
	if err != nil {
		t.Fatal(err)
	}
	want := SearchParams{Query: "ma túy", Size: 5, From: 10, Sources: []string{"vov.vn", "antv"}, Categories: []string{"a", "b"},
		Since: "2023", Until: "2023-09", Sort: "date"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"size=ten", "from=1.5", "size=99999999999999999999", "from=9223372036854775808"} {
		v, _ := url.ParseQuery("q=x&" + bad)
		name, _, _ := strings.Cut(bad, "=")
		if _, err := ParamsFromQuery(v); !errors.Is(err, index.ErrBadQuery) || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v, want a bad query naming %s", bad, err, name)
		}
	}
}

func TestSegments(t *testing.T) {
	type seg = Segment
	tests := []struct {
		name       string
		snippet    string
		highlights [][2]int
		want       []Segment
	}{
		{"none", "abc", nil, []seg{{"abc", false}}},
		{"middle", "trấn áp ma túy; tội", [][2]int{{11, 13}, {14, 18}},
			[]seg{{"trấn áp ", false}, {"ma túy", true}, {"; tội", false}}},
		{"apart", "ma, túy", [][2]int{{0, 2}, {4, 8}},
			[]seg{{"ma", true}, {", ", false}, {"túy", true}}},
		{"whole", "túy", [][2]int{{0, 4}}, []seg{{"túy", true}}},
		{"out of range clamped", "abc", [][2]int{{1, 99}}, []seg{{"a", false}, {"bc", true}}},
		{"inside a character skipped", "túy", [][2]int{{2, 4}}, []seg{{"túy", false}}},
		{"overlap and disorder", "abcdef", [][2]int{{1, 3}, {2, 4}, {0, 1}},
			[]seg{{"a", false}, {"bcd", true}, {"ef", false}}},
		{"empty and negative", "abc", [][2]int{{2, 2}, {-3, -1}}, []seg{{"abc", false}}},
		{"empty snippet", "", [][2]int{{0, 3}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Segments(tt.snippet, tt.highlights)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			var joined strings.Builder
			for _, s := range got {
				joined.WriteString(s.Text)
			}
			if joined.String() != tt.snippet {
				t.Errorf("segments join to %q, want the snippet %q", joined.String(), tt.snippet)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	tokens, err := Analyze("Ma túy", true)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, tokens, false); err != nil {
		t.Fatal(err)
	}
	want := `[{"term":"ma","position":1,"start":0,"end":2},{"term":"tuy","position":2,"start":3,"end":7}]` + "\n"
	if buf.String() != want {
		t.Errorf("got %s, want %s", buf.String(), want)
	}
	if tokens, err := Analyze("", false); err != nil || tokens == nil {
		t.Errorf("empty text: %v, %v; want an empty list", tokens, err)
	}
	for _, bad := range []string{strings.Repeat("a", MaxAnalyzeLength+1), "\xff"} {
		if _, err := Analyze(bad, false); !errors.Is(err, index.ErrBadQuery) {
			t.Errorf("Analyze(%.10q…) = %v, want ErrBadQuery", bad, err)
		}
	}
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"": false, "0": false, "false": false, "off": false, "1": true, "TRUE": true, "on": true, "yes": true} {
		if got, err := ParseBool("folded", in); err != nil || got != want {
			t.Errorf("ParseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseBool("folded", "maybe"); !errors.Is(err, index.ErrBadQuery) || !strings.Contains(err.Error(), "folded") {
		t.Errorf("ParseBool(maybe) = %v, want a bad query naming folded", err)
	}
}

func TestHumanBytes(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 1536: "1.5 KiB", 5 << 30: "5.0 GiB"} {
		if got := HumanBytes(n); got != want {
			t.Errorf("HumanBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// manyPhrases is a query of n different quoted phrases.
func manyPhrases(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "\"bo cong an %d\" ", i)
	}
	return b.String()
}

// manyExclusions is a query of n different excluded words.
func manyExclusions(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "-tu%d ", i)
	}
	return b.String()
}

func TestQueryCostCountsDistinctForms(t *testing.T) {
	// The same phrase in any form, or one word excluded many times, is
	// one check for the index: such queries pass however long.
	for _, q := range []string{
		strings.TrimSpace(strings.Repeat(`"bo cong an" `, 76)),
		strings.Repeat(`"Bộ Công an" "bo cong an" "BỘ CÔNG AN" `, 20),
		"ma túy " + strings.Repeat("-heroin ", 100),
		manyPhrases(MaxPhrases) + manyExclusions(MaxExclusions),
	} {
		if _, err := (SearchParams{Query: q}).Request(); err != nil {
			t.Errorf("%.60s…: %v", q, err)
		}
	}
}
