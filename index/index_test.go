package index

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashChildEnv); dir != "" {
		crashChild(dir)
		return
	}
	code := m.Run()
	if searchIndexes.dir != "" {
		searchIndexes.vn.Close()
		searchIndexes.stock.Close()
		os.RemoveAll(searchIndexes.dir)
	}
	if facetIndex.dir != "" {
		if facetIndex.ix != nil {
			facetIndex.ix.Close()
		}
		os.RemoveAll(facetIndex.dir)
	}
	os.Exit(code)
}

// seedIndex returns a new index holding the five seed pages, and the ID of
// each seed by its number ("000" … "004").
func seedIndex(t *testing.T) (*Index, map[string]string) {
	t.Helper()
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	ids := map[string]string{}
	var seeds []corpus.Article
	for a, err := range corpus.Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, a)
		ids[strings.TrimPrefix(a.Origin, "seeds/")[:3]] = a.ID
	}
	if len(seeds) != 5 {
		t.Fatalf("got %d seeds, want 5", len(seeds))
	}
	if _, err := ix.Add(context.Background(), seeds); err != nil {
		t.Fatal(err)
	}
	return ix, ids
}

func search(t *testing.T, ix *Index, q string) []Hit {
	t.Helper()
	res, err := ix.Search(context.Background(), Request{Query: q, Size: MaxSize})
	if err != nil {
		t.Fatalf("search %q: %v", q, err)
	}
	return res.Hits
}

func hitIDs(hits []Hit) []string {
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	return ids
}

// rank returns the 1-based rank of id in hits, or 0.
func rank(hits []Hit, id string) int {
	return slices.Index(hitIDs(hits), id) + 1
}

func article(id, title string, paragraphs ...string) corpus.Article {
	return corpus.Article{ID: id, Title: title, Source: "Test", Paragraphs: paragraphs}
}

func addArticles(t *testing.T, ix *Index, articles ...corpus.Article) AddStats {
	t.Helper()
	stats, err := ix.Add(context.Background(), articles)
	if err != nil {
		t.Fatal(err)
	}
	return stats
}

func TestSeedRanking(t *testing.T) {
	ix, seed := seedIndex(t)

	if hits := search(t, ix, "ma túy"); len(hits) != 5 {
		t.Errorf("ma túy: got %d hits %v, want all five seeds", len(hits), hitIDs(hits))
	}
	for _, q := range []string{"Trùng Khánh", "trung khanh", "Trùng khanh", "TRÙNG KHÁNH"} {
		hits := search(t, ix, q)
		if len(hits) == 0 || hits[0].ID != seed["000"] {
			t.Errorf("%s: got %v, want seed 000 (%s) first", q, hitIDs(hits), seed["000"])
		}
	}
	hits := search(t, ix, "Quách Thanh Côn")
	if len(hits) < 2 || !sameSet(hitIDs(hits[:2]), []string{seed["001"], seed["003"]}) {
		t.Errorf("Quách Thanh Côn: got %v, want seeds 001 and 003 first", hitIDs(hits))
	}
	// Only boilerplate of the pages mentions these.
	for _, q := range []string{"Cuba", "24Gold", "Đắk Lắk", "dak lak", "Haivl", "Venezuela"} {
		if hits := search(t, ix, q); len(hits) != 0 {
			t.Errorf("%s: got %v, want nothing", q, hitIDs(hits))
		}
	}
}

func TestBestParagraph(t *testing.T) {
	ix, seed := seedIndex(t)
	hits := search(t, ix, "Trùng Khánh")
	if len(hits) == 0 || hits[0].ID != seed["000"] {
		t.Fatalf("Trùng Khánh: got %v", hitIDs(hits))
	}
	h := hits[0]
	a, err := ix.Get(context.Background(), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if h.Paragraph < 0 || !strings.Contains(a.Paragraphs[h.Paragraph], "Trùng Khánh") {
		t.Fatalf("best paragraph %d does not mention Trùng Khánh", h.Paragraph)
	}
	if !strings.Contains(h.Snippet, "Trùng Khánh") {
		t.Errorf("snippet %q does not show Trùng Khánh", h.Snippet)
	}
	if n := len([]rune(h.Snippet)); n < 160 || n > 245 {
		t.Errorf("snippet has %d characters, want about 160–240: %q", n, h.Snippet)
	}
	var marked []string
	for _, r := range h.Highlights {
		marked = append(marked, h.Snippet[r[0]:r[1]])
	}
	if !slices.Contains(marked, "Trùng") || !slices.Contains(marked, "Khánh") {
		t.Errorf("highlights %q do not mark Trùng and Khánh", marked)
	}
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestDiacriticsRankExactFirst(t *testing.T) {
	ix, seed := seedIndex(t)
	// A short article that only says "mà tùy": BM25 favours short texts,
	// so only the diacritics can put it below the seeds.
	addArticles(t, ix, article("mà-tùy", "Mỗi người một cách", "Mà tùy theo điều kiện, mỗi người chọn cách riêng."))

	hits := search(t, ix, "ma túy")
	distractor := rank(hits, "mà-tùy")
	if distractor == 0 {
		t.Fatalf("ma túy: distractor not found at all: %v", hitIDs(hits))
	}
	for n, id := range seed {
		if r := rank(hits, id); r == 0 || r > distractor {
			t.Errorf("ma túy: seed %s at rank %d, distractor \"mà tùy\" at %d", n, r, distractor)
		}
	}
	// Without diacritics every variant matches.
	if r := rank(search(t, ix, "ma tuy"), "mà-tùy"); r == 0 {
		t.Error("ma tuy: does not find the article saying \"mà tùy\"")
	}
}

func TestAdjacentSyllablesRankFirst(t *testing.T) {
	ix, _ := seedIndex(t)
	addArticles(t, ix,
		article("adjacent", "Tin vắn", "Lực lượng chức năng thu giữ ma túy tại cửa khẩu."),
		article("apart", "Tin vắn", "Ngôi nhà bị đồn có ma, chủ nhà say túy lúy suốt ngày."),
	)
	for _, q := range []string{"ma túy", "ma tuy"} {
		hits := search(t, ix, q)
		adj, apart := rank(hits, "adjacent"), rank(hits, "apart")
		if adj == 0 || apart == 0 || adj > apart {
			t.Errorf("%s: adjacent at %d, apart at %d: %v", q, adj, apart, hitIDs(hits))
		}
	}
}

func TestAllSyllablesRankAboveSome(t *testing.T) {
	ix, _ := seedIndex(t)
	addArticles(t, ix,
		article("all", "Tin vắn", "Hội nghị bàn về an ninh mạng và tội phạm công nghệ cao."),
		article("some", "Tin vắn", "Hội nghị hội nghị hội nghị bàn về kinh tế."),
	)
	hits := search(t, ix, "hội nghị an ninh mạng")
	if all, some := rank(hits, "all"), rank(hits, "some"); all == 0 || some == 0 || all > some {
		t.Errorf("all syllables at %d, some at %d", all, some)
	}
}

func TestTitleCountsMore(t *testing.T) {
	ix, _ := seedIndex(t)
	filler := strings.Repeat("Nội dung bài viết không liên quan đến chủ đề chính. ", 3)
	addArticles(t, ix,
		article("body", "Thời tiết hôm nay", filler+"Cuối bài có nhắc đến giá xăng dầu."),
		article("title", "Giá xăng dầu tăng mạnh", filler),
	)
	hits := search(t, ix, "giá xăng dầu")
	if title, body := rank(hits, "title"), rank(hits, "body"); title == 0 || body == 0 || title > body {
		t.Errorf("title match at %d, body match at %d", title, body)
	}
	// The boost is a parameter: without it, the title match's score is a
	// third of what it was (1 + 2 × all of the query in the title), the
	// body match's unchanged.
	p := DefaultParams()
	if err := p.Set("title_boost=0"); err != nil {
		t.Fatal(err)
	}
	res, err := ix.Search(context.Background(), Request{Query: "giá xăng dầu", Size: MaxSize, Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	score := func(hits []Hit, id string) float64 { return hits[rank(hits, id)-1].Score }
	if got := score(hits, "title") / score(res.Hits, "title"); math.Abs(got-3) > 1e-9 {
		t.Errorf("title match: default score / score without title boost = %v, want 3", got)
	}
	if got := score(hits, "body") / score(res.Hits, "body"); math.Abs(got-1) > 1e-9 {
		t.Errorf("body match: default score / score without title boost = %v, want 1", got)
	}
}

func TestParams(t *testing.T) {
	p := DefaultParams()
	if err := p.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if err := p.Set("pair_boost = 2.5"); err != nil || p.PairBoost != 2.5 {
		t.Errorf("Set pair_boost: %v, %v", err, p.PairBoost)
	}
	if err := p.Set("rescore_depth=50"); err != nil || p.RescoreDepth != 50 {
		t.Errorf("Set rescore_depth: %v, %v", err, p.RescoreDepth)
	}
	for _, bad := range []string{"rescore_depth=2.5", "common_share=0", "nope=1", "=1", "title_boost=x"} {
		if err := p.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	names := ParamNames()
	if len(names) == 0 || names[0] != "keyword_syllables" || len(names) != len(slices.Compact(slices.Sorted(slices.Values(names)))) {
		t.Errorf("ParamNames() = %v: want every field named once", names)
	}
	for _, name := range names {
		q := DefaultParams()
		if err := q.Set(name + "=1"); err != nil {
			t.Errorf("Set(%s=1): %v", name, err)
		}
		if q == DefaultParams() && name != "exact_weight" && name != "question_passage_boost" && name != "min_informative" && name != "passage_proximity" && name != "passage_pairs" {
			t.Errorf("Set(%s=1) changed nothing", name)
		}
	}
	if _, err := (&Request{Query: "x", Params: &Params{}}).analyze(DefaultParams()); !errors.Is(err, ErrBadQuery) {
		t.Errorf("zero Params accepted: %v", err)
	}
}

func TestSpellingNeverChangesResults(t *testing.T) {
	ix, _ := seedIndex(t)
	addArticles(t, ix, article("hoa-binh", "Hòa bình", "Giữ gìn hoà bình và thuý"), article("mà-tùy", "Mỗi", "Mà tùy theo"))
	groups := [][]string{
		{"ma túy", "ma tuý", norm.NFD.String("ma túy"), norm.NFD.String("ma tuý"), "MA TÚY", "Ma Tuý"},
		{"hòa bình", "hoà bình", norm.NFD.String("hoà bình"), "HOÀ BÌNH"},
		{"Trùng Khánh", norm.NFD.String("Trùng Khánh"), "trùng khánh"},
	}
	for _, group := range groups {
		want := search(t, ix, group[0])
		for _, q := range group[1:] {
			got := search(t, ix, q)
			if !slices.Equal(hitIDs(got), hitIDs(want)) {
				t.Errorf("%q gives %v, but %q gives %v", q, hitIDs(got), group[0], hitIDs(want))
			}
		}
	}
}

func TestPhrasesAndExclusions(t *testing.T) {
	ix, seed := seedIndex(t)
	addArticles(t, ix,
		article("scattered", "Tin vắn", "Bộ trưởng Bộ Công Thương gặp lực lượng công an địa phương."),
		article("phrase", "Tin vắn", "Bộ Công an tổ chức hội nghị."),
	)
	hits := search(t, ix, `"Bộ Công an"`)
	if rank(hits, "phrase") == 0 || rank(hits, "scattered") != 0 {
		t.Errorf(`"Bộ Công an": got %v, want the phrase article and not the scattered one`, hitIDs(hits))
	}
	if len(search(t, ix, `"bo cong an"`)) != len(hits) {
		t.Error(`"bo cong an" and "Bộ Công an" differ`)
	}
	hits = search(t, ix, `"Bộ Công an" Trung Quốc`)
	if len(hits) < 6 || rank(hits, "phrase") < 6 {
		t.Errorf(`"Bộ Công an" Trung Quốc: got %v, want the seeds (which also say Trung Quốc) above the phrase-only article`, hitIDs(hits))
	}
	hits = search(t, ix, `ma túy -"Trùng Khánh"`)
	if len(hits) != 4 || rank(hits, seed["000"]) != 0 {
		t.Errorf(`ma túy -"Trùng Khánh": got %v, want the four seeds other than 000`, hitIDs(hits))
	}
	hits = search(t, ix, `ma túy -Quách`)
	if rank(hits, seed["001"]) != 0 || rank(hits, seed["003"]) != 0 || len(hits) != 3 {
		t.Errorf("ma túy -Quách: got %v, want the three seeds not naming Quách", hitIDs(hits))
	}
	// Only exclusions: everything else.
	if hits := search(t, ix, "-Quách"); len(hits) != 5 {
		t.Errorf("-Quách: got %d hits, want 5", len(hits))
	}
}

func TestBadQueries(t *testing.T) {
	ix, _ := seedIndex(t)
	ctx := context.Background()
	for _, r := range []Request{
		{Query: ""},
		{Query: " ,.;!? "},
		{Query: `""`},
		{Query: "-"},
		{Query: "ma \xff túy"},
		{Query: strings.Repeat("túy ", 300)},
		{Query: "ma túy", Size: MaxSize + 1},
		{Query: "ma túy", From: -1},
		{Query: "ma túy", From: MaxWindow},
		{Query: "ma túy", Sort: "title"},
		{Query: "ma túy", Since: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		if _, err := ix.Search(ctx, r); !errors.Is(err, ErrBadQuery) {
			t.Errorf("Search(%+.40v) = %v, want ErrBadQuery", r, err)
		}
	}
	// Odd but valid: never a syntax error.
	for _, q := range []string{`ma "túy`, "a - b", "title:ma", "túy*", "ma -", "(ma túy)", strings.Repeat("túy ", 200)} {
		if _, err := ix.Search(ctx, Request{Query: q}); err != nil {
			t.Errorf("Search(%.30q): %v", q, err)
		}
	}
}

func TestFiltersSortAndPaging(t *testing.T) {
	ix, seed := seedIndex(t) // seed 002 alone states a date: 2023-09
	date := func(s string) corpus.Date {
		d, err := corpus.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	old := article("old", "Ma túy năm cũ", "Bắt giữ ma túy.")
	old.Published, old.Source, old.Category = date("2019-05-01"), "Tuổi Trẻ", "Pháp luật"
	mid := article("mid", "Ma túy năm giữa", "Bắt giữ ma túy.")
	mid.Published, mid.Source, mid.Category = date("2021-03"), "Thanh Niên", "Pháp luật"
	recent := article("new", "Ma túy năm nay", "Bắt giữ ma túy.")
	recent.Published, recent.Source, recent.Category = date("2024-02-10"), "Thanh Niên", "Xã hội"
	addArticles(t, ix, old, mid, recent)
	ctx := context.Background()
	ids := func(r Request) []string {
		t.Helper()
		r.Query = "ma túy"
		res, err := ix.Search(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		return hitIDs(res.Hits)
	}
	if got := ids(Request{Sources: []string{"thanh niên"}}); !sameSet(got, []string{"mid", "new"}) {
		t.Errorf("source thanh niên: %v", got)
	}
	if got := ids(Request{Sources: []string{"Tuổi Trẻ", "THANH NIÊN"}}); !sameSet(got, []string{"old", "mid", "new"}) {
		t.Errorf("two sources: %v", got)
	}
	if got := ids(Request{Categories: []string{"pháp luật"}}); !sameSet(got, []string{"old", "mid"}) {
		t.Errorf("category: %v", got)
	}
	since := date("2021-01").Time
	if got := ids(Request{Since: since}); !sameSet(got, []string{"mid", "new", seed["002"]}) {
		t.Errorf("since 2021-01: %v", got)
	}
	if got := ids(Request{Until: since}); !sameSet(got, []string{"old"}) {
		t.Errorf("until 2021-01: %v", got)
	}
	if got := ids(Request{Sort: ByDate, Size: 4}); !slices.Equal(got, []string{"new", seed["002"], "mid", "old"}) {
		t.Errorf("by date: %v", got)
	}
	all := ids(Request{Size: 8})
	var paged []string
	for from := 0; from < 8; from += 3 {
		paged = append(paged, ids(Request{From: from, Size: 3})...)
	}
	if !slices.Equal(all, paged) {
		t.Errorf("pages of 3 give %v, one page gives %v", paged, all)
	}
	res, err := ix.Search(ctx, Request{Query: "ma túy", Size: 2})
	if err != nil || res.Total != 8 || len(res.Hits) != 2 {
		t.Errorf("total %d with %d hits (%v), want 8 and 2", res.Total, len(res.Hits), err)
	}
}

func TestIncrementalUpdates(t *testing.T) {
	ix, _ := seedIndex(t)
	ctx := context.Background()
	a := article("x1", "Thị trường hôm nay", "Giá vàng tăng mạnh.")
	b := article("x2", "Thời tiết", "Trời nắng nóng.")
	if got := addArticles(t, ix, a, b); got != (AddStats{Added: 2}) {
		t.Errorf("first add: %+v", got)
	}
	if got := addArticles(t, ix, a, b); got != (AddStats{Unchanged: 2}) {
		t.Errorf("re-add: %+v", got)
	}
	a.Paragraphs = []string{"Giá bạc giảm nhẹ."}
	a.Hash = ""
	if got := addArticles(t, ix, a, b); got != (AddStats{Updated: 1, Unchanged: 1}) {
		t.Errorf("modify: %+v", got)
	}
	if rank(search(t, ix, "vàng tăng mạnh"), "x1") != 0 {
		t.Error("old text of x1 still found after update")
	}
	if rank(search(t, ix, "bạc giảm"), "x1") == 0 {
		t.Error("new text of x1 not found after update")
	}
	got, err := ix.Get(ctx, "x1")
	if err != nil || !slices.Equal(got.Paragraphs, a.Paragraphs) || got.Title != a.Title {
		t.Errorf("Get(x1) = %+v, %v", got, err)
	}
	n, err := ix.Delete(ctx, "x1", "no-such-id")
	if err != nil || n != 1 {
		t.Errorf("Delete = %d, %v; want 1", n, err)
	}
	if _, err := ix.Get(ctx, "x1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get after delete: %v, want ErrNotFound", err)
	}
	if rank(search(t, ix, "bạc giảm"), "x1") != 0 {
		t.Error("deleted article still found")
	}
	// The same source twice leaves the index unchanged.
	var seeds []corpus.Article
	for a, err := range corpus.Seeds(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, a)
	}
	if got := addArticles(t, ix, seeds...); got != (AddStats{Unchanged: 5}) {
		t.Errorf("seeds again: %+v", got)
	}
	// Within one batch the last article with an ID wins.
	c1, c2 := article("dup", "Một", "Bản thứ nhất."), article("dup", "Hai", "Bản thứ hai.")
	if got := addArticles(t, ix, c1, c2); got != (AddStats{Added: 1}) {
		t.Errorf("duplicate IDs in a batch: %+v", got)
	}
	if got, _ := ix.Get(ctx, "dup"); got.Title != "Hai" {
		t.Errorf("duplicate IDs: kept %q, want the last", got.Title)
	}
}

func TestPrune(t *testing.T) {
	ix, _ := seedIndex(t)
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "news")
	in := func(id, file string) corpus.Article {
		a := article(id, "Tin "+id, "Nội dung "+id+".")
		a.Origin = filepath.Join(root, file)
		return a
	}
	addArticles(t, ix, in("p1", "a.jsonl"), in("p2", "a.jsonl"), in("p3", "sub/b.txt"))
	other := article("elsewhere", "Tin khác", "Nội dung khác.")
	other.Origin = root + "-other/c.jsonl"
	addArticles(t, ix, other)
	n, err := ix.Prune(ctx, []string{root}, map[string]bool{"p1": true})
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	for id, want := range map[string]bool{"p1": true, "p2": false, "p3": false, "elsewhere": true} {
		if _, err := ix.Get(ctx, id); (err == nil) != want {
			t.Errorf("after prune, Get(%s) = %v", id, err)
		}
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	addArticles(t, ix, article("a", "Một", "Hai ba."))
	ix.Close()
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Add(context.Background(), []corpus.Article{article("b", "B", "C.")}); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Add on read-only: %v", err)
	}
	if hits := search(t, ro, "hai ba"); len(hits) != 1 {
		t.Errorf("read-only search: %v", hitIDs(hits))
	}
}

func TestIncompatibleIndexRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := ix.bleve.SetInternal([]byte(versionKey), []byte("vnsearch-0")); err != nil {
		t.Fatal(err)
	}
	ix.Close()
	_, err = Open(path, Options{})
	if !errors.Is(err, ErrIncompatible) || !strings.Contains(err.Error(), "index the articles again") {
		t.Errorf("Open of an old index: %v", err)
	}
	if _, err := Open(filepath.Join(t.TempDir(), "none"), Options{}); !errors.Is(err, ErrNotExist) {
		t.Errorf("Open of nothing: %v", err)
	}
}

// TestOutdatedHoldingOnly checks what lets the command line rebuild an
// outdated default index: only an index of another version holding no
// article but those named.
func TestOutdatedHoldingOnly(t *testing.T) {
	build := func(version string, ids ...string) string {
		path := filepath.Join(t.TempDir(), "idx")
		ix, err := Create(path)
		if err != nil {
			t.Fatal(err)
		}
		var arts []corpus.Article
		for _, id := range ids {
			arts = append(arts, article(id, "Tin "+id, "Nội dung của bài "+id+"."))
		}
		if _, err := ix.Add(context.Background(), arts); err != nil {
			t.Fatal(err)
		}
		if version != "" {
			if err := ix.bleve.SetInternal([]byte(versionKey), []byte(version)); err != nil {
				t.Fatal(err)
			}
		}
		ix.Close()
		return path
	}
	seeds := []string{"s1", "s2", "s3"}
	for _, c := range []struct {
		name string
		path string
		want bool
	}{
		{"old, the seeds", build("vnsearch-0", "s1", "s2", "s3"), true},
		{"old, some seeds", build("vnsearch-0", "s2"), true},
		{"old, a seed and another", build("vnsearch-0", "s1", "mine"), false},
		{"old, only another", build("vnsearch-0", "mine"), false},
		{"current, the seeds", build("", "s1", "s2", "s3"), false},
		{"none", filepath.Join(t.TempDir(), "none"), false},
	} {
		if got := OutdatedHoldingOnly(c.path, seeds); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

func TestAddRefusesArticlesWithoutID(t *testing.T) {
	ix, _ := seedIndex(t)
	_, err := ix.Add(context.Background(), []corpus.Article{article("ok", "A", "B."), article("", "No ID", "C.")})
	if err == nil {
		t.Fatal("Add of an article without ID succeeded")
	}
	if _, err := ix.Get(context.Background(), "ok"); !errors.Is(err, ErrNotFound) {
		t.Errorf("a refused batch was partly indexed: %v", err)
	}
}

func TestSnippetCut(t *testing.T) {
	long := strings.Repeat("Mở đầu bài viết dài dòng. ", 20) + "Đoạn này nói về ma túy ở giữa. " + strings.Repeat("Kết thúc bài viết dài dòng. ", 20)
	m := newMatcher(mustPlan(t, "ma túy"))
	text, highlights := cut(long, m.find(long, nil))
	if !strings.HasPrefix(text, ellipsis) || !strings.HasSuffix(text, ellipsis) {
		t.Errorf("snippet %q: want ellipses at both cut ends", text)
	}
	if n := len([]rune(text)); n < 160 || n > 245 {
		t.Errorf("snippet has %d characters: %q", n, text)
	}
	var marked []string
	for _, h := range highlights {
		marked = append(marked, text[h[0]:h[1]])
	}
	if !slices.Equal(marked, []string{"ma", "túy"}) {
		t.Errorf("highlights %q, want ma and túy", marked)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(text, ellipsis), ellipsis)
	if !strings.Contains(long, inner) || !strings.HasPrefix(long[strings.Index(long, inner)-1:], " ") {
		t.Errorf("snippet %q is not cut at a word boundary", inner)
	}
	// Folded matches are highlighted too.
	if spans := m.find("Mà tùy theo", nil); len(spans) != 2 {
		t.Errorf("folded matches: %v", spans)
	}
}

func mustPlan(t *testing.T, q string) *analyzedQuery {
	t.Helper()
	parsed, err := ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	p, err := analyze(parsed, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func ExampleIndex_Search() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "vnsearch-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ix, err := Create(filepath.Join(dir, "idx"))
	if err != nil {
		panic(err)
	}
	defer ix.Close()
	_, _ = ix.Add(ctx, []corpus.Article{{ID: "1", Title: "Bắt giữ ma túy", Paragraphs: []string{"Công an bắt giữ 2 kg ma túy."}}})
	res, _ := ix.Search(ctx, Request{Query: "ma tuy"})
	for _, h := range res.Hits {
		fmt.Println(h.ID, h.Title, h.Snippet, h.Highlights)
	}
	// Output: 1 Bắt giữ ma túy Công an bắt giữ 2 kg ma túy. [[26 28] [29 33]]
}

func TestStats(t *testing.T) {
	ix, _ := seedIndex(t)
	a := article("dated", "Tin", "Nội dung.")
	a.Published, _ = corpus.ParseDate("2021-05-04")
	a.Source = "Tuổi Trẻ"
	addArticles(t, ix, a)
	st, err := ix.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Articles != 6 || st.SizeBytes <= 0 {
		t.Errorf("stats: %+v", st)
	}
	if st.Oldest.String() != "2021-05-04" || st.Newest.String() != "2023-09" {
		t.Errorf("date range %s .. %s, want 2021-05-04 .. 2023-09", st.Oldest, st.Newest)
	}
	want := map[string]int{"antv": 2, "vov.vn": 2, "tuổi trẻ": 1}
	got := map[string]int{}
	for _, s := range st.Sources {
		got[s.Source] = s.Articles
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("source %q: %d articles, want %d (all: %v)", k, got[k], v, st.Sources)
		}
	}
}

func TestOldDatesAreFilteredAndSorted(t *testing.T) {
	ix, _ := seedIndex(t)
	a := article("ancient", "Sử cũ", "Chuyện xưa kể rằng.")
	a.Published, _ = corpus.ParseDate("1500-01-01")
	b := article("later", "Sử sau", "Chuyện xưa kể lại.")
	b.Published, _ = corpus.ParseDate("1700-06-15")
	if _, err := ix.Add(context.Background(), []corpus.Article{a, b}); err != nil {
		t.Fatalf("articles dated 1500 and 1700 are refused: %v", err)
	}
	got, err := ix.Get(context.Background(), "ancient")
	if err != nil || got.Published.String() != "1500-01-01" {
		t.Errorf("Get = %v, %v", got.Published, err)
	}
	for _, tt := range []struct {
		since, until time.Time
		want         []string
	}{
		{time.Date(1200, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, []string{"later", "ancient"}},
		{time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), time.Time{}, []string{"later"}},
		{time.Time{}, time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC), []string{"ancient"}},
		{time.Time{}, time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC), nil},
	} {
		res, err := ix.Search(context.Background(), Request{Query: `"chuyện xưa"`, Since: tt.since, Until: tt.until, Sort: ByDate})
		if err != nil {
			t.Fatalf("since %v until %v: %v", tt.since, tt.until, err)
		}
		if got := hitIDs(res.Hits); !slices.Equal(got, tt.want) && !(len(got) == 0 && tt.want == nil) {
			t.Errorf("since %v until %v: %v, want %v", tt.since, tt.until, got, tt.want)
		}
	}
}

func TestVerboseQueriesSkipCommonSyllables(t *testing.T) {
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	var as []corpus.Article
	for i := range 10 {
		as = append(as, article(fmt.Sprintf("c%d", i), "Tin", fmt.Sprintf("Chuyện của làng số %d.", i)))
	}
	as = append(as, article("target", "Tin", "Giá vàng của thế giới tăng vọt."))
	addArticles(t, ix, as...)
	// Six syllables: a verbose query; "của" is in every document.
	hits := search(t, ix, "giá vàng của thế giới tăng")
	if len(hits) != 1 || hits[0].ID != "target" {
		t.Errorf("got %v: want only the article holding the informative syllables", hitIDs(hits))
	}
	// A keyword query matches on every syllable, but an article holding
	// only the commonest of them holds too little of it to be a result.
	if hits := search(t, ix, "của làng"); len(hits) != 10 || slices.Contains(hitIDs(hits), "target") {
		t.Errorf("của làng: %v, want the ten holding both", hitIDs(hits))
	}
}

func TestCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for batch := range 5 {
		var as []corpus.Article
		for i := range 20 {
			as = append(as, crashArticle(batch, i))
		}
		addArticles(t, ix, as...)
	}
	if err := ix.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	segments, _ := filepath.Glob(filepath.Join(path, "store", "*.zap"))
	if len(segments) != 1 {
		t.Errorf("%d segment files after Compact, want 1: %v", len(segments), segments)
	}
	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if res, err := ro.Search(context.Background(), Request{Query: `"kiểm tra độ bền"`}); err != nil || res.Total != 100 {
		t.Errorf("after Compact: %v hits, %v; want 100", res.Total, err)
	}
	if err := ro.Compact(context.Background()); !errors.Is(err, ErrReadOnly) {
		t.Errorf("Compact on a read-only index: %v", err)
	}
}

// TestResultJSON pins the JSON answer of GET /search and search --json,
// which Result is.
func TestResultJSON(t *testing.T) {
	d, _ := corpus.ParseDate("2023-09-16")
	res := &Result{
		Query:  "ma túy",
		Total:  7,
		TookMS: 1.235,
		Hits: []Hit{
			{ID: "a", Title: "T", Source: "VOV.VN", Published: d, Score: 1.5, Paragraph: 2, Snippet: "ma túy", Highlights: [][2]int{{0, 2}}},
		},
	}
	got, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"query":"ma túy","total":7,"took_ms":1.235,"hits":[` +
		`{"id":"a","title":"T","source":"VOV.VN","published":"2023-09-16","url":"","score":1.5,"paragraph":2,"snippet":"ma túy","highlights":[[0,2]]}]}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	ix, _ := seedIndex(t)
	for _, q := range []string{"không có trong bài nào", "ma túy"} {
		res, err := ix.Search(context.Background(), Request{Query: q})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(res)
		if strings.Contains(string(raw), "null") && !strings.Contains(string(raw), `"published":null`) {
			t.Errorf("%s: a list is null: %s", q, raw)
		}
	}
}

// TestParagraphsAsGiven checks that long paragraphs, cut into passages
// inside the index, come back as given, and that a hit names the user's
// paragraph and highlights inside it.
func TestParagraphsAsGiven(t *testing.T) {
	ctx := context.Background()
	ix, _ := seedIndex(t)
	long := func(topic string, n int) string {
		var b strings.Builder
		for i := 0; utf8.RuneCountInString(b.String()) < 1500; i++ {
			fmt.Fprintf(&b, "Câu thứ %d nói về %s của vùng này, kể lại nhiều chi tiết. ", i+n, topic)
		}
		return strings.TrimSpace(b.String())
	}
	a := corpus.Article{
		ID:    "long",
		Title: "Ba đoạn dài",
		// NFD text, and text with surrounding spaces: kept byte for byte.
		Summary: norm.NFD.String("  Tóm tắt bài viết ba đoạn.  "),
		Paragraphs: []string{
			long("ruộng lúa", 0),
			norm.NFD.String(long("dòng sông", 100)),
			long("khu rừng nguyên sinh", 200) + " Cuối đoạn ba có con voi trắng quý hiếm.",
		},
	}
	for _, p := range a.Paragraphs {
		if n := len([]rune(p)); n < 1500 {
			t.Fatalf("paragraph of %d characters, want at least 1,500", n)
		}
	}
	addArticles(t, ix, a)
	got, err := ix.Get(ctx, "long")
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != a.Title || got.Summary != a.Summary || !slices.Equal(got.Paragraphs, a.Paragraphs) {
		t.Errorf("Get changed the article: %d paragraphs, summary %q", len(got.Paragraphs), got.Summary)
	}
	hits := search(t, ix, "voi trắng")
	if len(hits) == 0 || hits[0].ID != "long" {
		t.Fatalf("voi trắng: %v", hitIDs(hits))
	}
	h := hits[0]
	if h.Paragraph != 2 {
		t.Errorf("paragraph %d, want 2", h.Paragraph)
	}
	inner := strings.TrimSuffix(strings.TrimPrefix(h.Snippet, ellipsis), ellipsis)
	if !strings.Contains(a.Paragraphs[2], inner) {
		t.Errorf("snippet %q is not a stretch of paragraph 2", h.Snippet)
	}
	var marked []string
	for _, r := range h.Highlights {
		marked = append(marked, h.Snippet[r[0]:r[1]])
	}
	if !slices.Equal(marked, []string{"voi", "trắng"}) {
		t.Errorf("highlights %q, want voi and trắng", marked)
	}
	// A match in the NFD paragraph names it, found as NFC was typed.
	if hits := search(t, ix, "dòng sông"); len(hits) == 0 || hits[0].ID != "long" || hits[0].Paragraph != 1 {
		t.Errorf("dòng sông: %+v", hits)
	}
	if hits := search(t, ix, "tóm tắt"); len(hits) == 0 || hits[0].Paragraph != ParagraphSummary {
		t.Errorf("a match in the summary only: %+v", hits)
	}
	if stats := addArticles(t, ix, a); stats != (AddStats{Unchanged: 1}) {
		t.Errorf("adding the same article again: %+v, want unchanged", stats)
	}
}

func TestPackRoundTrip(t *testing.T) {
	dates := []string{"", "2023", "2023-09", "2023-09-16", "2023-09-16T08:30:00+07:00"}
	for _, d := range dates {
		a := corpus.Article{ID: "x", URL: "https://a.vn/1", Source: "VOV.VN", Title: " T ", Summary: "S\n",
			Byline: "B", Category: "C", Hash: "h", Paragraphs: []string{"", "một", norm.NFD.String("Đường")}}
		a.Published, _ = corpus.ParseDate(d)
		var pk packer
		raw, err := pk.pack(&a)
		if err != nil {
			t.Fatal(err)
		}
		got, err := unmarshalArticle("x", raw)
		if err != nil {
			t.Fatal(err)
		}
		if got.Published.String() != a.Published.String() || got.Published.Precision != a.Published.Precision {
			t.Errorf("date %q came back %q", d, got.Published.String())
		}
		got.Published, a.Published = corpus.Date{}, corpus.Date{}
		if !reflect.DeepEqual(got, a) {
			t.Errorf("got %+v\nwant %+v", got, a)
		}
		if _, err := unmarshalArticle("x", raw[:len(raw)/2]); err == nil {
			t.Error("a truncated article was read")
		}
	}
}

func TestPhrasesOfEveryLength(t *testing.T) {
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	addArticles(t, ix,
		article("whole", "Tin một", "Lực lượng Bộ Công an vào cuộc."),
		article("apart", "Tin hai", "Bộ Tài chính và Công an tỉnh, công an huyện, bộ công cụ."),
		article("pairs-apart", "Tin ba", "Bộ công nghệ; công an phường."),
		article("punct", "Tin bốn", "Bộ, Công an, nói."),
		article("covid", "Tin năm", "Dịch Covid-19 lan rộng."),
	)
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{`"công an"`, []string{"apart", "pairs-apart", "punct", "whole"}},
		{`"Bộ Công an"`, []string{"punct", "whole"}}, // positions, as Bleve's phrases: punctuation between is no gap
		{`"bo cong"`, []string{"apart", "pairs-apart", "punct", "whole"}},
		{`"tỉnh"`, []string{"apart"}},
		{`"covid-19"`, []string{"covid"}},
		{`"covid 19"`, []string{"covid"}},
		{`tin -"công an"`, []string{"covid"}},
		{`tin -"bộ công an"`, []string{"apart", "covid", "pairs-apart"}},
		{`tin -"công an" -tỉnh`, []string{"covid"}},
	} {
		res, err := ix.Search(context.Background(), Request{Query: tt.q, Size: MaxSize})
		if err != nil {
			t.Fatalf("%s: %v", tt.q, err)
		}
		got := hitIDs(res.Hits)
		slices.Sort(got)
		if !slices.Equal(got, tt.want) || res.Total != uint64(len(tt.want)) {
			t.Errorf("%s: %v (total %d), want %v", tt.q, got, res.Total, tt.want)
		}
	}
}

// TestCompactKeepsSegmentsBounded checks that Compact merges segments up to
// MaxSegmentDocs and no further, so that merging never maps more than
// that much of a large index at once.
func TestCompactKeepsSegmentsBounded(t *testing.T) {
	ix, err := CreateWith(filepath.Join(t.TempDir(), "idx"), Options{MaxSegmentDocs: 100})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for batch := range 20 {
		var as []corpus.Article
		for i := range 30 {
			as = append(as, crashArticle(batch, i))
		}
		addArticles(t, ix, as...)
	}
	if err := ix.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	snap, err := ix.snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer snap.close()
	var sizes []uint64
	for _, sv := range snap.segs {
		sizes = append(sizes, sv.seg.Count())
	}
	if len(sizes) >= 20 || len(sizes) < 6 {
		t.Errorf("segments after Compact: %v; want the 600 documents in about 6 to 10", sizes)
	}
	for _, n := range sizes {
		if n > 2*100 {
			t.Errorf("a segment of %d documents, over twice MaxSegmentDocs: %v", n, sizes)
		}
	}
	if res, err := ix.Search(context.Background(), Request{Query: `"kiểm tra độ bền"`}); err != nil || res.Total != 600 {
		t.Errorf("after Compact: %v hits, %v; want 600", res.Total, err)
	}
}

// TestPartialMatchesHoldEnough is issue 13's: keyword queries' partial
// matches must hold enough of the query to be worth showing.
func TestPartialMatchesHoldEnough(t *testing.T) {
	ix, seed := seedIndex(t)
	if hits := search(t, ix, "ha giang"); len(hits) != 0 {
		t.Errorf("ha giang on the seeds: %v, want nothing (they hold Hà Nội, Hạ Vinh)", hitIDs(hits))
	}
	addArticles(t, ix, article("hg", "Mưa lớn ở Hà Giang", "Tỉnh Hà Giang có mưa lớn kéo dài."))
	if hits := search(t, ix, "ha giang"); len(hits) != 1 || hits[0].ID != "hg" {
		t.Errorf("ha giang: %v, want only the Hà Giang article", hitIDs(hits))
	}
	hits := search(t, ix, "Quách Thanh Côn")
	if !sameSet(hitIDs(hits), []string{seed["001"], seed["003"]}) {
		t.Errorf("Quách Thanh Côn: %v, want only the two articles about him", hitIDs(hits))
	}
	res, err := ix.Search(context.Background(), Request{Query: "ha giang"})
	if err != nil || res.Total != 1 {
		t.Errorf("ha giang: total %d, %v; want 1", res.Total, err)
	}
}

// TestPlainSyllablesAsTyped is issue 13's: in a query that carries
// diacritics, a syllable typed plain is taken as plain for ranking and
// highlighting, and still matches its marked forms when nothing better
// exists.
func TestPlainSyllablesAsTyped(t *testing.T) {
	ix, seed := seedIndex(t)
	// highlighted returns the folded-"thanh" words a hit's snippet marks.
	highlighted := func(h Hit) []string {
		var out []string
		for _, s := range h.Highlights {
			for _, w := range strings.Fields(h.Snippet[s[0]:s[1]]) {
				if analyzer.Fold(strings.ToLower(w)) == "thanh" {
					out = append(out, w)
				}
			}
		}
		return out
	}
	hits := search(t, ix, "Quách Thanh Côn")
	if !sameSet(hitIDs(hits), []string{seed["001"], seed["003"]}) {
		t.Fatalf("Quách Thanh Côn: %v, want only the two articles about him", hitIDs(hits))
	}
	for _, h := range hits {
		if words := highlighted(h); len(words) == 0 || slices.ContainsFunc(words, func(w string) bool { return w != "Thanh" }) {
			t.Errorf("Quách Thanh Côn: %s highlights %q in %q; want only \"Thanh\"", h.ID, words, h.Snippet)
		}
	}
	// The article view: "chân thành" is not the Thanh asked for.
	a, err := ix.Get(context.Background(), seed["001"])
	if err != nil {
		t.Fatal(err)
	}
	hl, err := NewHighlighter("Quách Thanh Côn")
	if err != nil {
		t.Fatal(err)
	}
	hl = hl.Within(append([]string{a.Title, a.Summary}, a.Paragraphs...)...)
	sawThanh := false
	for _, p := range a.Paragraphs {
		for _, s := range hl.Highlights(p) {
			w := p[s[0]:s[1]]
			if strings.Contains(w, "thành") || strings.Contains(w, "Thành") {
				t.Errorf("article view highlights %q", w)
			}
			sawThanh = sawThanh || strings.Contains(w, "Thanh")
		}
	}
	if !sawThanh {
		t.Error("article view highlights no Thanh")
	}

	// An article that only says "Thành" still matches, when nothing better
	// does, highlighted; it ranks below the two holding the name as typed,
	// though it is short and holds it in its title.
	addArticles(t, ix, article("thanh", "Ông Quách Thành Côn về thăm quê",
		"Ông Quách Thành Côn chân thành cảm ơn bà con."))
	hits = search(t, ix, "Quách Thanh Côn")
	if len(hits) != 3 || hits[2].ID != "thanh" {
		t.Errorf("Quách Thanh Côn: %v, want the seeds, then the article saying Thành", hitIDs(hits))
	} else if words := highlighted(hits[2]); !slices.Contains(words, "Thành") {
		t.Errorf("Quách Thanh Côn: the article saying Thành highlights %q in %q", words, hits[2].Snippet)
	}
	if hits := search(t, ix, "Quách Thành Côn"); len(hits) == 0 || hits[0].ID != "thanh" {
		t.Errorf("Quách Thành Côn: %v, want the article saying Thành first", hitIDs(hits))
	}
	// Without diacritics, nothing is taken as typed.
	if hits := search(t, ix, "quach thanh con"); len(hits) != 3 {
		t.Errorf("quach thanh con: %v, want all three", hitIDs(hits))
	}
}

func TestMarkedForms(t *testing.T) {
	for folded, want := range map[string][]string{
		"thanh": {"thành", "thánh", "thạnh", "thảnh", "thãnh"},
		"duong": {"đường", "dương", "dưỡng", "đương"},
		"giang": {"giảng", "giáng", "giàng"},
		"hoa":   {"hòa", "hoá", "họa", "hoà"},
	} {
		forms, ok := markedForms(folded)
		if !ok {
			t.Errorf("%s: no forms", folded)
			continue
		}
		for _, w := range want {
			if !slices.Contains(forms, analyzer.Normalize(w)) {
				t.Errorf("%s: forms %q lack %q", folded, forms, w)
			}
		}
		for _, f := range forms {
			if analyzer.Fold(f) != folded || !isMarked(f) {
				t.Errorf("%s: form %q", folded, f)
			}
		}
	}
	if forms, ok := markedForms("2015"); !ok || len(forms) != 0 {
		t.Errorf("2015: %q, %v; want no forms", forms, ok)
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func (c *countingReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.n++
	}
	return b, err
}

// TestTitleWithoutTheBody: the suggestions read the title of every
// article, twice, when their table is built; a stored article gives its
// title without the body being inflated (at a million articles, inflating
// whole articles took a third of a server's CPU while it answered).
func TestTitleWithoutTheBody(t *testing.T) {
	body := make([]string, 200)
	for i := range body {
		body[i] = fmt.Sprintf("Đoạn %d: người dân xã %d đã nhận được hỗ trợ của chính quyền địa phương sau trận lũ lịch sử.", i, i*7919%1000)
	}
	a := corpus.Article{ID: "vn-1", URL: "https://a.vn/tin/1", Source: "VOV.VN", Title: "Lũ lịch sử ở miền Trung",
		Summary: "Tóm tắt", Paragraphs: body}
	var pk packer
	packed, err := pk.pack(&a)
	if err != nil {
		t.Fatal(err)
	}
	r := &countingReader{r: bytes.NewReader(packed)}
	title, err := readTitle(r)
	if err != nil || title != a.Title {
		t.Fatalf("title %q, %v; want %q", title, err, a.Title)
	}
	if r.n > len(packed)/4 {
		t.Errorf("reading the title read %d of the article's %d packed bytes", r.n, len(packed))
	}
	got, err := unmarshalArticle("vn-1", packed)
	if err != nil || !reflect.DeepEqual(got.Paragraphs, a.Paragraphs) || got.Title != a.Title {
		t.Errorf("the whole article did not come back: %v", err)
	}
}
