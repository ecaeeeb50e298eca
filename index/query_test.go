package index

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseQuery(t *testing.T) {
	tests := []struct {
		in   string
		want Query
	}{
		{"ma túy", Query{Runs: []string{"ma túy"}}},
		{`"Bộ Công an" Trung Quốc`, Query{Runs: []string{"Trung Quốc"}, Phrases: []string{"Bộ Công an"}}},
		{`ma "Bộ Công an" túy`, Query{Runs: []string{"ma", "túy"}, Phrases: []string{"Bộ Công an"}}},
		{`ma túy -heroin`, Query{Runs: []string{"ma túy"}, ExcludeWords: []string{"heroin"}}},
		{`ma túy -"Trung Quốc"`, Query{Runs: []string{"ma túy"}, ExcludePhrases: []string{"Trung Quốc"}}},
		{`“Trùng Khánh”`, Query{Phrases: []string{"Trùng Khánh"}}},
		// Nothing else is special: stray quotes, lone dashes, colons and
		// stars are text.
		{`ma "túy`, Query{Runs: []string{`ma "túy`}}},
		{`a - b`, Query{Runs: []string{"a - b"}}},
		{`title:ma túy*`, Query{Runs: []string{"title:ma túy*"}}},
		{`Covid-19`, Query{Runs: []string{"Covid-19"}}},
		{`""`, Query{}},
		{`-`, Query{Runs: []string{"-"}}},
		{`--x`, Query{ExcludeWords: []string{"-x"}}},
		{"  \t ", Query{}},
	}
	for _, tt := range tests {
		got, err := ParseQuery(tt.in)
		if err != nil {
			t.Errorf("ParseQuery(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseQuery(%q)\n got %#v\nwant %#v", tt.in, got, tt.want)
		}
	}
}

func TestParseQueryRejects(t *testing.T) {
	for _, in := range []string{"ma \xff túy", strings.Repeat("ma ", MaxQueryLength)} {
		if _, err := ParseQuery(in); !errors.Is(err, ErrBadQuery) {
			t.Errorf("ParseQuery(%.20q…) = %v, want ErrBadQuery", in, err)
		}
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`"Bộ Công an" Trung Quốc -"ma túy" -x`, `"`, `-"`, `“a” -“b”`, "-\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := ParseQuery(s)
		if err != nil {
			if !errors.Is(err, ErrBadQuery) {
				t.Fatalf("ParseQuery(%q): unexpected error %v", s, err)
			}
			return
		}
		// Every piece comes from the input; nothing is invented or empty.
		pieces := append(append(append([]string(nil), q.Phrases...), q.ExcludeWords...), q.ExcludePhrases...)
		for _, run := range q.Runs {
			pieces = append(pieces, strings.Fields(run)...)
		}
		for _, p := range pieces {
			if strings.TrimSpace(p) == "" || !strings.Contains(s, p) {
				t.Fatalf("ParseQuery(%q) = %#v: piece %q not in the input", s, q, p)
			}
		}
	})
}
