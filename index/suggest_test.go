package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
)

func suggestTexts(t *testing.T, ix *Index, prefix string, n int) []string {
	t.Helper()
	got, err := ix.Suggest(context.Background(), prefix, n)
	if err != nil {
		t.Fatalf("suggest %q: %v", prefix, err)
	}
	var out []string
	for _, s := range got {
		out = append(out, s.Text)
	}
	return out
}

// suggestIndex holds articles with the given titles.
func suggestIndex(t *testing.T, titles ...string) *Index {
	t.Helper()
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	var as []corpus.Article
	for i, title := range titles {
		as = append(as, article(fmt.Sprintf("s%03d", i), title, "Nội dung bài viết số "+fmt.Sprint(i)+"."))
	}
	addArticles(t, ix, as...)
	return ix
}

func TestSuggestCompletesFoldedPrefixes(t *testing.T) {
	ix := suggestIndex(t,
		"Du lịch Trùng Khánh mùa thu",
		"Thác Bản Giốc ở Trùng Khánh đón khách",
		"Trùng Khánh: mưa lớn gây sạt lở",
		"Trung khu điều hành mới của thành phố",
		"Ủy ban nhân dân tỉnh họp phiên thường kỳ",
		"Chủ tịch Ủy ban nhân dân huyện tiếp dân",
		"Ủy ban nhân dân xã công bố kết quả",
	)
	got := suggestTexts(t, ix, "trung kh", 5)
	if len(got) < 2 || got[0] != "Trùng Khánh" || !slices.Contains(got, "Trung khu") {
		t.Errorf(`"trung kh" → %q, want "Trùng Khánh" first (three titles), then "Trung khu"`, got)
	}
	// The reader typed diacritics: what holds them comes first.
	if got := suggestTexts(t, ix, "trùng k", 5); len(got) == 0 || got[0] != "Trùng Khánh" {
		t.Errorf(`"trùng k" → %q, want "Trùng Khánh" first`, got)
	}
	if got := suggestTexts(t, ix, "trung khu", 5); len(got) == 0 || got[0] != "Trung khu" {
		t.Errorf(`"trung khu" → %q, want "Trung khu" first`, got)
	}
	// A phrase most titles continue the same way completes to the whole.
	if got := suggestTexts(t, ix, "uy b", 3); len(got) == 0 || got[0] != "Ủy ban nhân dân" {
		t.Errorf(`"uy b" → %q, want "Ủy ban nhân dân" first`, got)
	}
	// A space after a syllable asks for the next one, not the syllable.
	for _, s := range suggestTexts(t, ix, "khanh ", 5) {
		if strings.EqualFold(s, "Khánh") {
			t.Errorf(`"khanh " suggested %q itself`, s)
		}
	}
	// Punctuation ends a phrase: no "Khánh mưa".
	for _, s := range suggestTexts(t, ix, "khanh m", 5) {
		if strings.Contains(strings.ToLower(s), "khánh: mưa") || strings.EqualFold(s, "khánh mưa") {
			t.Errorf(`"khanh m" suggested %q across a colon`, s)
		}
	}
	if got := suggestTexts(t, ix, "xyzzy", 5); len(got) != 0 {
		t.Errorf(`"xyzzy" → %q, want nothing`, got)
	}
}

func TestSuggestHostilePrefixes(t *testing.T) {
	ix := suggestIndex(t, "Hà Giang mùa hoa tam giác mạch")
	for _, p := range []string{"", " ", "\t\n", "!!!", "\xff\xfe", strings.Repeat("a ", 500), strings.Repeat("ư", 1000), "\x00"} {
		if _, err := ix.Suggest(context.Background(), p, 5); err != nil {
			t.Errorf("suggest %q: %v", p, err)
		}
	}
	got, err := ix.Suggest(context.Background(), "ha", 1000)
	if err != nil || len(got) > MaxSuggestions {
		t.Errorf("n=1000: %d suggestions, %v; want at most %d", len(got), err, MaxSuggestions)
	}
	if got, _ := ix.Suggest(context.Background(), "ha", 0); len(got) != 0 {
		t.Errorf("n=0: %v", got)
	}
}

func TestSuggestFollowsWrites(t *testing.T) {
	ix := suggestIndex(t, "Giá xăng tăng nhẹ", "Giá vàng hôm nay")
	ix.suggest.minRefresh = 0
	if got := suggestTexts(t, ix, "sau r", 5); len(got) != 0 {
		t.Fatalf(`before: "sau r" → %q`, got)
	}
	addArticles(t, ix, article("new1", "Sầu riêng xuất khẩu kỷ lục", "x"), article("new2", "Giá sầu riêng giảm", "y"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := suggestTexts(t, ix, "sau r", 5)
		if slices.Contains(got, "sầu riêng") || slices.Contains(got, "Sầu riêng") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf(`after adding two titles with "sầu riêng", "sau r" still → %q`, got)
		}
		time.Sleep(10 * time.Millisecond) // polling for the rebuild the call started
	}
	if _, err := ix.Delete(context.Background(), "new1", "new2"); err != nil {
		t.Fatal(err)
	}
	for {
		if got := suggestTexts(t, ix, "sau r", 5); len(got) == 0 {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf(`after deleting them, "sau r" still → %q`, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSuggestWaitsBoundedForFirstTable(t *testing.T) {
	ix := suggestIndex(t, "Bão số 3 đổ bộ")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ix.Suggest(ctx, "bao", 5)
	if err != nil && !errors.Is(err, ErrPreparing) {
		t.Fatalf("canceled before the first table: %v, want ErrPreparing or an answer", err)
	}
	// Closing while a build may run ends it.
	ix.PrepareSuggestions()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestPhraseCounterBoundsMemory(t *testing.T) {
	c := newPhraseCounter(1000)
	for i := range 5000 {
		c.addTitle(fmt.Sprintf("Giá vàng hôm nay mã%d số%d", i, i*7))
		if len(c.counts) > 1000+4*10 {
			t.Fatalf("after %d titles the counter holds %d phrases, bound 1000", i+1, len(c.counts))
		}
	}
	tab := c.table(c.floor + 1)
	i, ok := slices.BinarySearch(tab.keys, "gia vang hom nay")
	if !ok {
		t.Fatal(`"gia vang hom nay" lost`)
	}
	if tab.texts[i] != "Giá vàng hôm nay" || tab.counts[i] < 5000*2-c.floor {
		t.Errorf("got %q ×%d (floor %d), want \"Giá vàng hôm nay\" ×~10000", tab.texts[i], tab.counts[i], c.floor)
	}
	if _, ok := slices.BinarySearch(tab.keys, "ma17"); ok {
		t.Error("a phrase held by one title survived pruning")
	}
}

func TestTopOfMatchesSorting(t *testing.T) {
	vals := make([]int, 500)
	for i := range vals {
		vals[i] = (i * 7919) % 101 // many ties
	}
	order := func(a, b int) int {
		if vals[a] != vals[b] {
			return vals[b] - vals[a]
		}
		return a - b
	}
	for _, c := range []struct{ lo, hi, k int }{{0, 500, 50}, {10, 30, 50}, {0, 500, 1}, {5, 5, 3}, {0, 500, 500}} {
		want := make([]int, 0, c.hi-c.lo)
		for i := c.lo; i < c.hi; i++ {
			want = append(want, i)
		}
		slices.SortFunc(want, order)
		want = want[:min(len(want), c.k)]
		if got := topOf(c.lo, c.hi, c.k, order); !slices.Equal(got, want) {
			t.Errorf("topOf(%d, %d, %d) = %v, want %v", c.lo, c.hi, c.k, got, want)
		}
	}
}

// TestSuggestionsSavedForTheNextOpen: the table of title phrases is saved
// beside the index, and a process opening the index unchanged reads it
// instead of counting every title again; one that finds the index changed,
// or the file damaged, counts again.
func TestSuggestionsSavedForTheNextOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	addArticles(t, ix, article("a1", "Giá vàng hôm nay tăng", "x"), article("a2", "Giá vàng thế giới", "y"), article("a3", "Giá xăng giảm", "z"))
	first, err := ix.suggestions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, suggestFile)); err != nil {
		t.Fatalf("no table saved: %v", err)
	}
	reopen := func(opts Options) *Index {
		t.Helper()
		ix, err := Open(dir, opts)
		if err != nil {
			t.Fatal(err)
		}
		return ix
	}

	ro := reopen(Options{ReadOnly: true})
	again, err := ro.suggestions(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if again.took != first.took || !slices.Equal(again.keys, first.keys) || !slices.Equal(again.texts, first.texts) {
		t.Errorf("the unchanged index counted its titles again instead of reading the saved table")
	}
	if got := suggestTexts(t, ro, "gia v", 5); !slices.Contains(got, "Giá vàng") {
		t.Errorf(`saved table: "gia v" → %q`, got)
	}
	ro.Close()

	ix = reopen(Options{})
	addArticles(t, ix, article("a4", "Sầu riêng xuất khẩu", "w"), article("a5", "Sầu riêng giảm giá", "v"))
	ix.Close()
	ix = reopen(Options{})
	if got := suggestTexts(t, ix, "sau r", 5); !slices.Contains(got, "Sầu riêng") {
		t.Errorf(`after two titles with "sầu riêng" were added, a new process's "sau r" → %q: the old table was read`, got)
	}
	ix.Close()

	if err := os.WriteFile(filepath.Join(dir, suggestFile), []byte("not a table"), 0o644); err != nil {
		t.Fatal(err)
	}
	ix = reopen(Options{})
	defer ix.Close()
	if got := suggestTexts(t, ix, "gia v", 5); !slices.Contains(got, "Giá vàng") {
		t.Errorf(`damaged table file: "gia v" → %q`, got)
	}
}

// TestSavedSuggestionsForgottenOnWrite: Bleve gives a new segment the
// identity of one whose file is gone — here a segment emptied by
// deletions — so a saved table keyed by segments could match an index of
// other titles; a writer removes the saved table before it changes the
// articles. (Found by a review: "sau r" offered the deleted titles'
// phrase, "ca p" nothing.)
func TestSavedSuggestionsForgottenOnWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	addArticles(t, ix, article("a1", "Giá vàng hôm nay tăng", "x"), article("a2", "Giá vàng thế giới", "y"), article("a3", "Giá xăng giảm", "z"))
	if err := ix.SetMeta("k", []byte("v")); err != nil { // a batch of no article
		t.Fatal(err)
	}
	addArticles(t, ix, article("b1", "Sầu riêng xuất khẩu", "w"), article("b2", "Sầu riêng giảm giá", "v"))
	if _, err := ix.suggestions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Delete(context.Background(), "b1", "b2"); err != nil {
		t.Fatal(err)
	}
	for range 200 { // Bleve removes the emptied segment's file when its persister idles
		if zaps, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap")); len(zaps) == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	addArticles(t, ix, article("c1", "Cà phê xuất khẩu", "w"), article("c2", "Cà phê tăng giá", "v"))
	if got := suggestTexts(t, ix, "sau r", 5); slices.Contains(got, "Sầu riêng") {
		t.Errorf(`"sau r" → %q: the phrase of deleted articles is suggested (a stale saved table was read)`, got)
	}
	if got := suggestTexts(t, ix, "ca p", 5); !slices.Contains(got, "Cà phê") {
		t.Errorf(`"ca p" → %q; want "Cà phê", held by two titles of the index`, got)
	}
}
