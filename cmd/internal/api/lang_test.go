package api

import (
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

func TestFormatNumbersAndDates(t *testing.T) {
	for _, tc := range []struct {
		n          uint64
		lowerBound bool
		vi, en     string
	}{
		{0, false, "0", "0"},
		{999, false, "999", "999"},
		{1000, false, "1.000", "1,000"},
		{83095, false, "83.095", "83,095"},
		{143815, false, "143.815", "143,815"},
		{1234567, false, "1.234.567", "1,234,567"},
		{10000, true, "hơn 10.000", "more than 10,000"},
	} {
		if got := FormatTotal(tc.n, tc.lowerBound, Vietnamese); got != tc.vi {
			t.Errorf("%d vi: %q, want %q", tc.n, got, tc.vi)
		}
		if got := FormatTotal(tc.n, tc.lowerBound, English); got != tc.en {
			t.Errorf("%d en: %q, want %q", tc.n, got, tc.en)
		}
	}
	for _, tc := range []struct{ in, vi, en string }{
		{"2026-01-12", "12/01/2026", "2026-01-12"},
		{"2026-01-12T23:30:00+07:00", "12/01/2026", "2026-01-12"},
		{"2023-09", "09/2023", "2023-09"},
		{"2015", "2015", "2015"},
		{"", "", ""},
	} {
		d, err := corpus.ParseDate(tc.in)
		if err != nil {
			t.Fatal(err)
		}
		if got := FormatDate(d, Vietnamese); got != tc.vi {
			t.Errorf("%q vi: %q, want %q", tc.in, got, tc.vi)
		}
		if got := FormatDate(d, English); got != tc.en {
			t.Errorf("%q en: %q, want %q", tc.in, got, tc.en)
		}
	}
	if got := FormatMonth("2023-09", Vietnamese); got != "09/2023" {
		t.Errorf("month: %q", got)
	}
}

func TestLanguageChoice(t *testing.T) {
	for header, want := range map[string]Lang{
		"":                         Vietnamese,
		"vi":                       Vietnamese,
		"en-US,en;q=0.9":           English,
		"vi-VN,vi;q=0.9,en;q=0.8":  Vietnamese,
		"en;q=0.5,vi;q=0.9":        Vietnamese,
		"fr-FR,en;q=0.5":           English,
		"fr-FR,de":                 Vietnamese,
		"not a header;;;q=zzz,,,,": Vietnamese,
	} {
		if got := LangFromAcceptLanguage(header); got != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, got, want)
		}
	}
	for env, want := range map[[3]string]Lang{
		{"", "", ""}:                       English,
		{"", "", "vi_VN.UTF-8"}:            Vietnamese,
		{"", "", "en_US.UTF-8"}:            English,
		{"C", "", "vi_VN.UTF-8"}:           English,
		{"", "vi_VN.UTF-8", "en_US.UTF-8"}: Vietnamese,
	} {
		got := LangFromLocale(func(k string) string {
			return map[string]string{"LC_ALL": env[0], "LC_MESSAGES": env[1], "LANG": env[2]}[k]
		})
		if got != want {
			t.Errorf("locale %v: %s, want %s", env, got, want)
		}
	}
}
