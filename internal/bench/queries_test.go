package bench

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/analyzer"
)

func TestQueries(t *testing.T) {
	titles := []string{
		"Bắt giữ đối tượng buôn ma túy",
		"Giá xăng giảm mạnh, dân mừng",
		"Covid-19: Hà Nội có 12 ca mới",
	}
	sets := Queries(titles, 300, 1)
	var names []string
	for _, s := range sets {
		names = append(names, s.Name)
		if len(s.Queries) != 300 {
			t.Errorf("%s: %d queries, want 300", s.Name, len(s.Queries))
		}
	}
	want := []string{"1-syllable/written", "2-syllable/written", "3-syllable/written",
		"1-syllable/folded", "2-syllable/folded", "3-syllable/folded", "headline"}
	if !slices.Equal(names, want) {
		t.Fatalf("sets %q, want %q", names, want)
	}
	inTitle := func(q string) bool {
		for _, title := range titles {
			if strings.Contains(title, q) {
				return true
			}
		}
		return false
	}
	for n := 1; n <= 3; n++ {
		written, folded := sets[n-1], sets[n+2]
		for i, q := range written.Queries {
			if !inTitle(q) || len(strings.Fields(q)) != n {
				t.Errorf("%s: %q is not %d adjacent words of a title", written.Name, q, n)
			}
			// Punctuation, numbers and compounds end a run of words.
			if strings.ContainsAny(q, ",:-0123456789") {
				t.Errorf("%s: %q holds more than words", written.Name, q)
			}
			if folded.Queries[i] != analyzer.Fold(q) {
				t.Errorf("%s: %q is not %q without diacritics", folded.Name, folded.Queries[i], q)
			}
		}
	}
	for _, q := range sets[6].Queries {
		if !slices.Contains(titles, q) {
			t.Errorf("headline %q is no title", q)
		}
	}
	if again := Queries(titles, 300, 1); !slices.EqualFunc(sets, again, func(a, b QuerySet) bool { return slices.Equal(a.Queries, b.Queries) }) {
		t.Error("the same seed drew different queries")
	}
}

// TestQueriesFollowFrequency: a run of syllables that titles hold three
// times as often is drawn about three times as often.
func TestQueriesFollowFrequency(t *testing.T) {
	titles := []string{"ma túy", "ma túy", "ma túy", "giá xăng"}
	sets := Queries(titles, 2000, 1)
	count := 0
	for _, q := range sets[1].Queries { // 2-syllable/written
		if q == "ma túy" {
			count++
		}
	}
	if share := float64(count) / 2000; share < 0.7 || share > 0.8 {
		t.Errorf("\"ma túy\" drawn %.2f of the time, want about 0.75", share)
	}
}

func TestMix(t *testing.T) {
	sets := Queries([]string{"Bắt giữ đối tượng buôn ma túy"}, 50, 1)
	mix, err := NewMix(sets, 0.2)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	heads := 0
	for range 5000 {
		q, headline := mix.Next(r)
		if headline != (q == "Bắt giữ đối tượng buôn ma túy") {
			t.Fatalf("%q reported as headline=%v", q, headline)
		}
		if headline {
			heads++
		}
	}
	if share := float64(heads) / 5000; share < 0.18 || share > 0.22 {
		t.Errorf("headlines are %.3f of the mix, want 0.2", share)
	}
	if _, err := NewMix(nil, 0.2); err == nil {
		t.Error("a mix of no queries")
	}
}
