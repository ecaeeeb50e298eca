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
		caseOfForms := func(l *lexicon) map[string][2]int64 {
			out := map[string][2]int64{}
			for id, f := range l.forms {
				if l.caseSeen[id] != 0 || l.caps[id] != 0 {
					out[f] = [2]int64{l.caseSeen[id], l.caps[id]}
				}
			}
			return out
		}
		if c1, c2 := caseOfForms(counted), caseOfForms(fromTokens); !maps.Equal(c1, c2) || len(c1) == 0 ||
			counted.seenAll != fromTokens.seenAll || counted.capsAll != fromTokens.capsAll {
			t.Errorf("%s: cases counted %d (%d, %d), from the index's analysis %d (%d, %d)", a.ID,
				len(c1), counted.seenAll, counted.capsAll, len(c2), fromTokens.seenAll, fromTokens.capsAll)
		}
	}
}

// Pairs merged in several steps, some removed again, count as pairs
// counted at once, and a saved lexicon reads back the same.
func TestLexiconMergesInSteps(t *testing.T) {
	texts := []string{
		"Cảnh sát bắt giữ đối tượng buôn bán ma túy.", "Đường dây ma túy lớn bị triệt phá.",
		"Con ma trong ngôi nhà cũ.", "Mã số thuế của doanh nghiệp.", "Má tôi nấu cơm.",
		"Ma túy tổng hợp.", "Bộ Tài chính ban hành thông tư.", "Thông tư của Bộ Tài chính.",
	}
	var all []corpus.Article
	for i, s := range texts {
		all = append(all, corpus.Article{ID: string(rune('a' + i)), Title: s, Paragraphs: []string{s + " " + texts[(i+3)%len(texts)]}})
	}
	once := newLexicon()
	once.Committed(all, nil)
	steps := newLexicon()
	for i := range all {
		steps.Committed(all[i:i+1], nil)
		if i%3 == 0 {
			steps.compact()
		}
	}
	steps.Committed(nil, all[2:5])
	steps.compact()
	steps.Committed(all[2:5], nil)
	for _, l := range []*lexicon{once, steps} {
		l.compact()
	}
	u0, p0 := once.lexiconCounts()
	u1, p1 := steps.lexiconCounts()
	if !maps.Equal(u0, u1) || !maps.Equal(p0, p1) {
		t.Fatalf("in steps: %v %v, want %v %v", u1, p1, u0, p0)
	}
	path := filepath.Join(t.TempDir(), lexiconFile)
	if err := steps.save(path); err != nil {
		t.Fatal(err)
	}
	read, err := loadLexicon(path)
	if err != nil || read == nil {
		t.Fatalf("load: %v %v", read, err)
	}
	u2, p2 := read.lexiconCounts()
	if !maps.Equal(u0, u2) || !maps.Equal(p0, p2) {
		t.Fatalf("read back: %v %v, want %v %v", u2, p2, u0, p0)
	}
	for id := range once.forms {
		a := uint32(id)
		b := read.ids[once.forms[id]]
		if once.followers(a) != read.followers(b) {
			t.Errorf("%q: %d followers, read back %d", once.forms[id], once.followers(a), read.followers(b))
		}
	}
	if got, want := read.restore("ma tuy tong hop").Text, once.restore("ma tuy tong hop").Text; got != want || got != "ma túy tổng hợp" {
		t.Errorf("restored %q read back, %q counted, want ma túy tổng hợp", got, want)
	}
}
