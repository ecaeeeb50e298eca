package api

import (
	"strconv"
	"strings"

	"golang.org/x/text/language"

	"github.com/vnsearch/vnsearch/corpus"
)

// Lang is a language vnsearch speaks to people: Vietnamese or English.
type Lang string

const (
	Vietnamese Lang = "vi"
	English    Lang = "en"
)

// ParseLang reads a language parameter (hl=vi, hl=en, "vi-VN"…); ok is
// false when it names neither language.
func ParseLang(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "vi" || strings.HasPrefix(s, "vi-") || strings.HasPrefix(s, "vi_"):
		return Vietnamese, true
	case s == "en" || strings.HasPrefix(s, "en-") || strings.HasPrefix(s, "en_"):
		return English, true
	}
	return "", false
}

var langMatcher = language.NewMatcher([]language.Tag{language.Vietnamese, language.English})

// LangFromAcceptLanguage picks Vietnamese or English from an
// Accept-Language header, Vietnamese when the header prefers neither.
func LangFromAcceptLanguage(header string) Lang {
	tags, _, err := language.ParseAcceptLanguage(header)
	if err != nil || len(tags) == 0 {
		return Vietnamese
	}
	_, i, conf := langMatcher.Match(tags...)
	if conf == language.No || i != 1 {
		return Vietnamese
	}
	return English
}

// LangFromLocale picks the language of command-line output from the
// locale variables (LC_ALL, then LC_MESSAGES, then LANG, as POSIX orders
// them): Vietnamese for a vi locale (vi_VN.UTF-8), English otherwise, as
// command-line tools speak by default.
func LangFromLocale(getenv func(string) string) Lang {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if l, ok := ParseLang(v); ok && l == Vietnamese {
				return Vietnamese
			}
			return English
		}
	}
	return English
}

// FormatCount writes a count as the language groups digits: 83.095 in
// Vietnamese, 83,095 in English.
func FormatCount(n uint64, l Lang) string {
	sep := ","
	if l == Vietnamese {
		sep = "."
	}
	s := strconv.FormatUint(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// FormatTotal writes a search's total: "83.095", or "hơn 10.000" ("more
// than 10,000") when the total is a lower bound.
func FormatTotal(n uint64, lowerBound bool, l Lang) string {
	s := FormatCount(n, l)
	if !lowerBound {
		return s
	}
	if l == Vietnamese {
		return "hơn " + s
	}
	return "more than " + s
}

// FormatDate writes a publication date as the language does: 12/01/2026
// (a month 01/2026, a year 2026) in Vietnamese, 2026-01-12 in English; ""
// when unknown.
func FormatDate(d corpus.Date, l Lang) string {
	if d.IsZero() {
		return ""
	}
	if l != Vietnamese {
		return DisplayDate(d)
	}
	switch d.Precision {
	case corpus.Year:
		return d.Time.Format("2006")
	case corpus.Month:
		return d.Time.Format("01/2006")
	}
	return d.Time.Format("02/01/2006")
}

// FormatMonth writes a month facet's value ("2023-09") as the language
// does: 09/2023 in Vietnamese, as it is in English.
func FormatMonth(month string, l Lang) string {
	if l != Vietnamese || len(month) != 7 || month[4] != '-' {
		return month
	}
	return month[5:] + "/" + month[:4]
}
