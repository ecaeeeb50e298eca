package corpus

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"testing"
	"time"
)

// referenceHash is ContentHash as first written (with fmt); the faster
// implementation must give the same digests, so stored hashes stay valid.
func referenceHash(a *Article) string {
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s|", len(s), s) }
	field(a.URL)
	field(a.Source)
	field(a.Title)
	field(a.Summary)
	field(a.Byline)
	field(a.Published.String())
	field(a.Category)
	fmt.Fprintf(h, "%d#", len(a.Paragraphs))
	for _, p := range a.Paragraphs {
		field(p)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func TestContentHash(t *testing.T) {
	d, _ := ParseDate("2023-09")
	articles := []Article{
		{},
		{ID: "x", URL: "u", Source: "VOV.VN", Title: "Tiêu đề", Summary: "S", Byline: "BT",
			Published: d, Category: "Xã hội", Paragraphs: []string{"Một.", "", "Ba|4:x"}, Origin: "o"},
	}
	for _, p := range seedPages(t) {
		a, err := ParsePage(p.data, p.name)
		if err != nil {
			t.Fatal(err)
		}
		articles = append(articles, a)
	}
	for _, a := range articles {
		if got, want := a.ContentHash(), referenceHash(&a); got != want {
			t.Errorf("ContentHash = %s, reference %s", got, want)
		}
	}
	// ID and Origin are not content; moving text across fields is.
	a, b := articles[1], articles[1]
	b.ID, b.Origin = "other", "elsewhere"
	if a.ContentHash() != b.ContentHash() {
		t.Error("ID or Origin changed the hash")
	}
	b.Paragraphs = []string{"Một.", "Ba|4:x"}
	if a.ContentHash() == b.ContentHash() {
		t.Error("dropping an empty paragraph did not change the hash")
	}
}

func TestParseDate(t *testing.T) {
	ict := time.FixedZone("", 7*3600)
	tests := []struct {
		in   string
		want Date
		err  bool
	}{
		{"2023-09-16T08:30:00+07:00", Date{time.Date(2023, 9, 16, 8, 30, 0, 0, ict), Instant}, false},
		{" 2023-09-16 ", Date{time.Date(2023, 9, 16, 0, 0, 0, 0, time.UTC), Day}, false},
		{"16/09/2023", Date{time.Date(2023, 9, 16, 0, 0, 0, 0, time.UTC), Day}, false},
		{"2023-09", Date{time.Date(2023, 9, 1, 0, 0, 0, 0, time.UTC), Month}, false},
		{"2023", Date{time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), Year}, false},
		{"", Date{}, false},
		{"2023-13", Date{}, true},
		{"31/02/2023", Date{}, true},
		{"yesterday", Date{}, true},
	}
	for _, tc := range tests {
		got, err := ParseDate(tc.in)
		if (err != nil) != tc.err || got.Precision != tc.want.Precision || !got.Time.Equal(tc.want.Time) {
			t.Errorf("ParseDate(%q) = %v %v, %v; want %v %v, error %v", tc.in, got.Precision, got.Time, err, tc.want.Precision, tc.want.Time, tc.err)
		}
	}
}

func TestDateJSON(t *testing.T) {
	for _, s := range []string{"2023", "2023-09", "2023-09-16", "2023-09-16T08:30:00+07:00"} {
		d, err := ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(d)
		if err != nil || string(b) != `"`+s+`"` {
			t.Errorf("Marshal(%s) = %s, %v", s, b, err)
		}
		var back Date
		if err := json.Unmarshal(b, &back); err != nil || back.String() != s {
			t.Errorf("round trip of %s gave %v, %v", s, back, err)
		}
	}
	if b, _ := json.Marshal(Date{}); string(b) != "null" {
		t.Errorf("zero date marshals as %s", b)
	}
}
