package index

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// TestMergedLexiconRestoresAsOne splits sentences over three lexicons and
// checks that the parts they give of a query, added up, restore it as the
// lexicon of every sentence does: the same forms, the same confidences.
func TestMergedLexiconRestoresAsOne(t *testing.T) {
	vocab := []string{"ma", "mà", "má", "mã", "mạ", "túy", "tụy", "tuy", "bắt", "bật", "giữ", "đối", "tượng",
		"con", "cọn", "trong", "nhà", "nha", "nhã", "cũ", "cú", "thuế", "mua", "bán", "ban", "bàn", "bạn"}
	rng := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(rng, 1.2, 1, uint64(len(vocab)-1))
	whole := newLexicon()
	parts := []*lexicon{newLexicon(), newLexicon(), newLexicon()}
	for i := range 3000 {
		w := make([]string, 3+rng.IntN(12))
		for j := range w {
			w[j] = vocab[zipf.Uint64()]
		}
		a := corpus.Article{ID: fmt.Sprint(i), Paragraphs: []string{strings.Join(w, " ")}}
		whole.Committed([]corpus.Article{a}, nil)
		parts[i%3].Committed([]corpus.Article{a}, nil)
	}
	whole.compact()
	for _, p := range parts {
		p.compact()
	}
	for _, q := range []string{"ma tuy", "Ma tuy bat giu", "con ma trong nha cu", "mua ban", "ban ma", "tuy", "ma túy ban",
		"doi tuong mua ban ma tuy", "xyz ma"} {
		var got []LexiconPart
		for _, p := range parts {
			got = append(got, p.part([]string{q}))
		}
		want, have := whole.restore(q), mergedLexicon(got).restore(q)
		if want.Text != have.Text || len(want.Syllables) != len(have.Syllables) {
			t.Errorf("%q: parts restore %q, the whole lexicon %q", q, have.Text, want.Text)
			continue
		}
		for i, s := range want.Syllables {
			if math.Abs(s.Confidence-have.Syllables[i].Confidence) > 1e-9 {
				t.Errorf("%q: %s confidence %v from parts, %v from the whole", q, s.Restored, have.Syllables[i].Confidence, s.Confidence)
			}
		}
	}
}

// TestFollowerSketchUnion checks how many forms several shards' sketches
// say follow a form: exactly while few, within 15% when many.
func TestFollowerSketchUnion(t *testing.T) {
	sketchOf := func(forms []string) FollowerSketch {
		var h []uint64
		for _, f := range forms {
			h = append(h, formHash(f))
		}
		slices.Sort(h)
		return newFollowerSketch("", len(h), h[:min(len(h), followerSketch)])
	}
	names := func(from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			out = append(out, fmt.Sprint("form", i))
		}
		return out
	}
	if n := unionSize([]FollowerSketch{sketchOf(names(0, 100)), sketchOf(names(50, 150))}); n != 150 {
		t.Errorf("few: %d, want 150", n)
	}
	for _, c := range []struct{ a, b, c [2]int }{
		{[2]int{0, 3000}, [2]int{1000, 5000}, [2]int{4000, 6000}},
		{[2]int{0, 20000}, [2]int{0, 20000}, [2]int{0, 20000}},
	} {
		want := max(c.a[1], c.b[1], c.c[1]) - min(c.a[0], c.b[0], c.c[0])
		n := unionSize([]FollowerSketch{sketchOf(names(c.a[0], c.a[1])), sketchOf(names(c.b[0], c.b[1])), sketchOf(names(c.c[0], c.c[1]))})
		if math.Abs(float64(n-want)) > 0.15*float64(want) {
			t.Errorf("%v: %d, want about %d", c, n, want)
		}
	}
}

// TestShardsUnderstandAsOneIndex splits articles that define and use
// abbreviations, and others that hold "ma túy" or its look-alikes, over
// three indexes, and checks that the cluster's way (searchShards) finds
// what one index finds, in its order, for queries typed without
// diacritics and for abbreviations and what they stand for.
func TestShardsUnderstandAsOneIndex(t *testing.T) {
	ctx := context.Background()
	var articles []corpus.Article
	// Bodies of different lengths: scores that do not tie.
	add := func(title string, paragraphs ...string) {
		n := len(articles)
		filler := strings.TrimSpace(strings.Repeat("tin tức trong ngày ", 1+n))
		articles = append(articles, article(fmt.Sprintf("u%03d", n), title, append(paragraphs, filler)...))
	}
	// Few articles of each form, so that what else is found shows in a
	// top ten.
	for i := range 12 {
		if i < 3 {
			add(fmt.Sprintf("Ủy ban nhân dân (UBND) tỉnh họp phiên %d", i), "Chủ tịch Ủy ban nhân dân (UBND) tỉnh cho biết kế hoạch.")
			add(fmt.Sprintf("UBND huyện ra quyết định số %d", i), "UBND huyện yêu cầu các xã báo cáo.")
			add(fmt.Sprintf("Cảnh sát giao thông (CSGT) xử phạt xe khách %d", i), "Lực lượng CSGT kiểm tra nồng độ cồn.")
			add(fmt.Sprintf("Bắt giữ đối tượng buôn bán ma túy số %d", i), "Công an thu giữ nhiều ma túy tổng hợp.")
		}
		if i < 6 {
			add(fmt.Sprintf("Ủy ban nhân dân xã tiếp dân lần %d", i), "Ủy ban nhân dân xã lắng nghe người dân.")
			add(fmt.Sprintf("Xe khách bị cảnh sát giao thông dừng lần %d", i), "Cảnh sát giao thông xử phạt tài xế.")
		}
		add(fmt.Sprintf("Con ma trong ngôi nhà cũ kể lần %d", i), "Mà chuyện con ma thì ai cũng biết, mã số nhà bị mờ.")
		add(fmt.Sprintf("Mạ non xanh mướt trên đồng %d", i), "Nông dân gieo mạ, tùy thời tiết mà cấy; ma túy là chuyện xa.")
		add(fmt.Sprintf("Tuy mưa nhưng mạ vẫn lên %d", i), "Tụy là một cơ quan; mã bưu chính của xã.")
	}
	whole, err := Create(filepath.Join(t.TempDir(), "whole"))
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	if _, err := whole.Add(ctx, articles); err != nil {
		t.Fatal(err)
	}
	shards := make([]*Index, 3)
	for k := range shards {
		if shards[k], err = Create(filepath.Join(t.TempDir(), fmt.Sprint("shard", k))); err != nil {
			t.Fatal(err)
		}
		defer shards[k].Close()
		var part []corpus.Article
		for i, a := range articles {
			if i%3 == k {
				part = append(part, a)
			}
		}
		if _, err := shards[k].Add(ctx, part); err != nil {
			t.Fatal(err)
		}
	}
	for _, ix := range append([]*Index{whole}, shards...) {
		if err := ix.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	var mined [][]Abbreviation
	for _, sh := range shards {
		mined = append(mined, sh.Mined())
	}
	if got, want := mergeMined(mined), whole.Mined(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the shards mined %v together, one index %v", got, want)
	}
	for _, q := range []string{"ubnd", "UBND tỉnh", "ủy ban nhân dân", "uy ban nhan dan", "csgt xu phat", "cảnh sát giao thông",
		"ma tuy", "bat giu ma tuy", "con ma", "ma", "ma -tuy", `"ma tuy"`} {
		for _, r := range []Request{{Query: q, Size: 10}, {Query: q, Size: 5, From: 5}, {Query: analyzer.Fold(q), Size: 10}} {
			want, err := whole.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			got := searchShards(t, shards, r)
			if !slices.Equal(hitIDs(got), hitIDs(want.Hits)) {
				t.Errorf("%+v: shards %v\n one index %v", r, hitIDs(got), hitIDs(want.Hits))
			}
			var parts []LexiconPart
			for _, sh := range shards {
				parts = append(parts, sh.LexiconPart(r.Query))
			}
			if _, dym, _ := NewUnderstander(nil, mined...).Understand(r, parts); dym != want.DidYouMean {
				t.Errorf("%q: the shards offer %q, one index %q", r.Query, dym, want.DidYouMean)
			}
		}
	}
	// Suggestions merged from the shards' parts are one index's.
	for _, prefix := range []string{"u", "uy ban", "ủy b", "ma", "con m", "canh sat g", "xe kh", "mạ", "t"} {
		want, err := whole.Suggest(ctx, prefix, 5)
		if err != nil {
			t.Fatal(err)
		}
		var parts []SuggestPart
		for _, sh := range shards {
			p, err := sh.SuggestPart(ctx, prefix)
			if err != nil {
				t.Fatal(err)
			}
			parts = append(parts, p)
		}
		if got := MergeSuggestions(prefix, parts, 5); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("suggest %q: the shards' %v, one index's %v", prefix, got, want)
		}
	}
	// The cluster's way searches what one index searches.
	if alts, _ := whole.Expansions("ubnd"); len(alts) == 0 {
		t.Error("ubnd has no alternatives")
	}
	if res, _ := whole.Search(ctx, Request{Query: "ma tuy"}); res.DidYouMean != "ma túy" {
		t.Errorf("ma tuy: did you mean %q", res.DidYouMean)
	}
}
