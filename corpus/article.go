// Package corpus turns article sources — scraped news pages and JSON exports —
// into clean Article values: title, outlet, date and the article's own
// paragraphs, with site chrome and related-headline lists left out.
package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Article is one news article. Text is kept as written (only surrounding
// whitespace is trimmed); normalization is the analyzer's job.
type Article struct {
	ID         string   `json:"id"`
	URL        string   `json:"url,omitempty"`
	Source     string   `json:"source,omitempty"` // the outlet, e.g. "VOV.VN"
	Title      string   `json:"title,omitempty"`
	Summary    string   `json:"summary,omitempty"` // lead / sapo
	Byline     string   `json:"byline,omitempty"`
	Published  Date     `json:"published,omitzero"`
	Category   string   `json:"category,omitempty"`
	Paragraphs []string `json:"paragraphs"`
	// Hash identifies the content (every field above but ID) for change
	// detection; readers fill it with ContentHash.
	Hash string `json:"hash,omitempty"`
	// Origin names where the article was read from (a file path), so an
	// index can prune articles whose source no longer holds them. It is not
	// content: it takes no part in Hash and is not serialized.
	Origin string `json:"-"`
}

// ContentHash returns a hex digest of the article's content. Two articles
// with the same text, metadata and paragraph breaks hash alike whatever
// their ID or Origin.
func (a *Article) ContentHash() string {
	h := sha256.New()
	var num [24]byte
	field := func(s string) {
		// Length-prefix every field so that moving text across a field
		// boundary changes the hash: the bytes are "<len>:<s>|". (Written
		// without fmt, which copied every paragraph once more.)
		h.Write(append(strconv.AppendInt(num[:0], int64(len(s)), 10), ':'))
		io.WriteString(h, s)
		h.Write([]byte{'|'})
	}
	field(a.URL)
	field(a.Source)
	field(a.Title)
	field(a.Summary)
	field(a.Byline)
	field(a.Published.String())
	field(a.Category)
	h.Write(append(strconv.AppendInt(num[:0], int64(len(a.Paragraphs)), 10), '#'))
	for _, p := range a.Paragraphs {
		field(p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Precision says how much of a Date is known.
type Precision uint8

const (
	Unknown Precision = iota // no date
	Year                     // 2023
	Month                    // 2023-09
	Day                      // 2023-09-16
	Instant                  // 2023-09-16T08:30:00+07:00
)

// Date is a publication date that may be partial: a page may state only
// "2023-09". Time holds the first instant of the known period (UTC for
// partial dates).
type Date struct {
	Time      time.Time
	Precision Precision
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d.Precision == Unknown }

// String formats the date at its precision: "", "2023", "2023-09",
// "2023-09-16" or RFC 3339.
func (d Date) String() string {
	switch d.Precision {
	case Year:
		return d.Time.Format("2006")
	case Month:
		return d.Time.Format("2006-01")
	case Day:
		return d.Time.Format("2006-01-02")
	case Instant:
		return d.Time.Format(time.RFC3339)
	}
	return ""
}

// ParseDate accepts RFC 3339, YYYY-MM-DD, YYYY-MM, YYYY and DD/MM/YYYY.
// An empty string is the unknown date, not an error.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Date{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return Date{Time: t, Precision: Instant}, nil
	}
	layouts := []struct {
		layout    string
		precision Precision
	}{
		{"2006-01-02", Day},
		{"2/1/2006", Day},
		{"2006-01", Month},
		{"2006", Year},
	}
	for _, l := range layouts {
		if t, err := time.Parse(l.layout, s); err == nil {
			return Date{Time: t, Precision: l.precision}, nil
		}
	}
	return Date{}, fmt.Errorf("date %q: want RFC 3339, YYYY-MM-DD, YYYY-MM or DD/MM/YYYY", s)
}

// MarshalJSON writes the date as the string String gives, or null when unknown.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads any form ParseDate accepts, or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date: %w", err)
	}
	parsed, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}
