package index

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

func TestRestoreSeeds(t *testing.T) {
	ix, _ := seedIndex(t)
	r := ix.Restore("ma tuy")
	if r.Text != "ma túy" || !r.Changed {
		t.Fatalf("restored %q (%+v), want ma túy", r.Text, r)
	}
	res, err := ix.Search(context.Background(), Request{Query: "ma tuy", Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	if res.DidYouMean != "ma túy" {
		t.Errorf("did_you_mean %q, want ma túy", res.DidYouMean)
	}
	// Typed with its diacritics, or searched as typed: nothing to offer.
	for _, req := range []Request{{Query: "ma túy", Size: 10}, {Query: "ma tuy", Size: 10, AsTyped: true}} {
		res, err := ix.Search(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if res.DidYouMean != "" {
			t.Errorf("%+v: did_you_mean %q, want none", req, res.DidYouMean)
		}
	}
}

func lexiconOf(sentences ...string) *lexicon {
	l := newLexicon()
	for i, s := range sentences {
		a := corpus.Article{ID: string(rune('a' + i)), Paragraphs: []string{s}}
		l.Committed([]corpus.Article{a}, nil)
	}
	return l
}

func TestRestoreModel(t *testing.T) {
	l := lexiconOf(
		"Cảnh sát bắt giữ đối tượng buôn bán ma túy.",
		"Đường dây ma túy lớn bị triệt phá.",
		"Con ma trong ngôi nhà cũ.",
		"Mã số thuế của doanh nghiệp.",
		"Má tôi nấu cơm.",
		"Ma túy tổng hợp.",
		"Bộ Tài chính ban hành thông tư.",
		"Thông tư của Bộ Tài chính.",
	)
	for typed, want := range map[string]string{
		"ma tuy":          "ma túy",
		"Ma tuy":          "Ma túy",
		"bo tai chinh":    "bộ tài chính",
		"thong tu bo tai": "thông tư bộ tài",
		"ma số thue":      "mã số thuế",
	} {
		if got := l.restore(typed); got.Text != want {
			t.Errorf("restore(%q) = %q, want %q", typed, got.Text, want)
		}
	}
	// One syllable alone: its commonest form, unsure.
	r := l.restore("ma")
	if len(r.Syllables) != 1 || r.Syllables[0].Restored != "ma" || r.Confidence >= SuggestMinConfidence {
		t.Errorf("restore(ma) = %+v, want ma, unsure", r)
	}
	if r := l.restore("tuy"); r.Text != "túy" {
		t.Errorf("restore(tuy) = %q", r.Text)
	}
	// Unknown syllables stay as typed.
	if r := l.restore("xyzzy qwrt"); r.Text != "xyzzy qwrt" || r.Changed {
		t.Errorf("restore unknown = %+v", r)
	}
}

func TestLexiconFollowsChanges(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	a := article("a", "Ma túy tổng hợp", "Đường dây ma túy lớn bị triệt phá.")
	b := article("b", "Mã số thuế", "Mã số thuế của doanh nghiệp.")
	addArticles(t, ix, a)
	uni0, pairs0 := ix.lex.lexiconCounts()
	if uni0["túy"] != 2 || pairs0[[2]string{"ma", "túy"}] != 2 {
		t.Fatalf("counts %v %v", uni0, pairs0)
	}
	addArticles(t, ix, b)
	b2 := article("b", "Mã số", "Má tôi nấu cơm ma túy.")
	addArticles(t, ix, b2)
	if _, err := ix.Delete(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	ix.lex.mu.Lock()
	ix.lex.compact()
	ix.lex.mu.Unlock()
	uni, pairs := ix.lex.lexiconCounts()
	if !maps.Equal(uni, uni0) || !maps.Equal(pairs, pairs0) {
		t.Errorf("after add and delete: %v %v, want %v %v", uni, pairs, uni0, pairs0)
	}
	addArticles(t, ix, b)
	uni1, pairs1 := ix.lex.lexiconCounts()
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	// Saved at close, read at open.
	ix, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	uni, pairs = ix.lex.lexiconCounts()
	if !maps.Equal(uni, uni1) || !maps.Equal(pairs, pairs1) {
		t.Errorf("after reopening: %v %v, want %v %v", uni, pairs, uni1, pairs1)
	}
	ix.Close()
	// Counted again from the articles when the file is missing.
	if err := os.Remove(filepath.Join(path, lexiconFile)); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	uni, pairs = ix.lex.lexiconCounts()
	if !maps.Equal(uni, uni1) || !maps.Equal(pairs, pairs1) {
		t.Errorf("counted again: %v %v, want %v %v", uni, pairs, uni1, pairs1)
	}
}

func TestRestoreWhileWriting(t *testing.T) {
	ix, _ := seedIndex(t)
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 20 {
			id := string(rune('a' + i))
			addArticles(t, ix, article(id, "Ma túy tổng hợp", "Đường dây ma túy lớn bị triệt phá."))
			if _, err := ix.Delete(ctx, id); err != nil {
				t.Error(err)
			}
		}
	}()
	for range 50 {
		res, err := ix.Search(ctx, Request{Query: "ma tuy", Size: 3})
		if err != nil {
			t.Fatal(err)
		}
		if res.DidYouMean != "ma túy" {
			t.Errorf("did_you_mean %q", res.DidYouMean)
		}
		_ = ix.Lexicon()
	}
	<-done
}

// TestLexiconTokensAsCounted checks that what the lexicon counts of an
// article from the index's analysis of it (countTokens, as writes do) is
// what it counts analyzing the article again (count, as deletes and a
// recount do): the seeds, and an article of numbers, punctuation and a
// paragraph long enough to be cut into passages.
func TestLexiconTokensAsCounted(t *testing.T) {
	var articles []corpus.Article
	for a, err := range corpus.Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		articles = append(articles, a)
	}
	long := strings.Repeat("Ngày 12/3/2024, lực lượng CSGT tỉnh Hà Giang đã bắt giữ 3 đối tượng vận chuyển 1,5 kg ma túy tổng hợp; "+
		"theo Công an, đây là đường dây lớn (hoạt động từ năm 2020) ", 40)
	articles = append(articles, article("long", "Triệt phá đường dây ma túy: 3 người bị bắt", long, "100% số tiền, 2.000 tỷ đồng — và ma túy."))
	for _, a := range articles {
		counted, fromTokens := newLexicon(), newLexicon()
		counted.count(&a, 1)
		d := analyzeArticle(&a)
		fromTokens.countTokens(&d.lex)
		u1, p1 := counted.lexiconCounts()
		u2, p2 := fromTokens.lexiconCounts()
		if !maps.Equal(u1, u2) || !maps.Equal(p1, p2) || len(u1) == 0 || len(p1) == 0 {
			t.Errorf("%s: counted %d forms and %d pairs, from the index's analysis %d and %d", a.ID, len(u1), len(p1), len(u2), len(p2))
		}
	}
}
