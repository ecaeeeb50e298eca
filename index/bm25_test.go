package index

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// TestCountTokensIsWhatTheAnalyzersIndex checks that the lengths kept for
// BM25 are exactly the tokens the body fields' analyzers produce.
func TestCountTokensIsWhatTheAnalyzersIndex(t *testing.T) {
	texts := []string{
		"", "Bộ Công an", "“Bộ Công an” – Trung Quốc…", "21,2 triệu, tăng 20,4%",
		"Du\u031bo\u031b\u0300ng", "ma túy Covid-19", "TP.HCM, 12/3/2024 lúc 8h30; email a@b.vn https://vov.vn/x?y=1",
		"Café Zürich naïve", "   ", "ĐẠI HỘI Đảng lần thứ XIII",
	}
	for a, err := range corpus.Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		texts = append(texts, a.Title, a.Summary)
		texts = append(texts, a.Paragraphs...)
	}
	folded, marked := positionsOnly{analyzer.New(true)}, markedOnly{analyzer.New(false)}
	for _, text := range texts {
		want := tokens{int64(len(folded.Analyze([]byte(text)))), int64(len(marked.Analyze([]byte(text))))}
		if got := countTokens(text); got != want {
			t.Errorf("countTokens(%.40q) = %+v, the analyzers index %+v", text, got, want)
		}
	}
}

func TestStampRoundTrip(t *testing.T) {
	st := stamp{hash: "abc", tokens: tokens{412, 300}, origin: "/tmp/a b/c.jsonl"}
	got, err := parseStamp(st.String())
	if err != nil || got != st {
		t.Errorf("parseStamp(%q) = %+v, %v", st.String(), got, err)
	}
	if _, err := parseStamp("abc twelve 3 /x"); err == nil {
		t.Error("damaged stamp accepted")
	}
}

// TestLengthTotalsFollowWrites checks that the totals BM25 averages over
// stay equal to the lengths of the articles indexed, through adds,
// updates, deletes, concurrent streams and a reopen.
func TestLengthTotalsFollowWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	live := map[string]corpus.Article{}
	want := func() tokens {
		var n tokens
		for _, a := range live {
			for _, text := range append([]string{a.Title, a.Summary}, a.Paragraphs...) {
				n = n.plus(countTokens(text))
			}
		}
		return n
	}
	add := func(as ...corpus.Article) {
		t.Helper()
		if _, err := ix.Add(ctx, as); err != nil {
			t.Fatal(err)
		}
		for _, a := range as {
			a.Hash = ""
			live[a.ID] = a
		}
	}
	add(article("a", "Một hai ba", "Bốn năm sáu bảy."), article("b", "Tám", "Chín mười."))
	add(article("a", "Một hai", "Bốn năm."))
	var stream []corpus.Article
	for i := range 300 {
		a := crashArticle(i/30, i%30)
		stream = append(stream, a)
		live[a.ID] = a
	}
	if _, err := ix.AddStream(ctx, func(yield func(corpus.Article) bool) {
		for _, a := range stream {
			if !yield(a) {
				return
			}
		}
	}, StreamOptions{BatchSize: 20, Workers: 4}); err != nil {
		t.Fatal(err)
	}
	// Writes of one ID at once — two adds and a delete — must not both
	// apply a delta against the same old stamp.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				_, err = ix.Add(ctx, []corpus.Article{article("race", "Một", strings.Repeat("Hai ba bốn. ", i+1))})
			case 1:
				_, err = ix.Add(ctx, []corpus.Article{article("race", "Năm", "Sáu.")})
			default:
				_, err = ix.Delete(ctx, "race")
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if got, err := ix.Get(ctx, "race"); err == nil {
		got.Hash = ""
		live["race"] = got
	}
	if _, err := ix.Delete(ctx, "b", stream[0].ID); err != nil {
		t.Fatal(err)
	}
	delete(live, "b")
	delete(live, stream[0].ID)
	if got := ix.lengths.total(); got != want() {
		t.Errorf("totals %+v, want %+v", got, want())
	}
	check, err := ix.VerifyLengths(ctx)
	if err != nil || check.Drift() || check.Counted != want().totals() || check.Articles != uint64(len(live)) {
		t.Errorf("VerifyLengths = %+v, %v; want no drift from %+v over %d articles", check, err, want(), len(live))
	}
	ix.Close()
	ix, err = Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if got := ix.lengths.total(); got != want() {
		t.Errorf("after reopen: totals %+v, want %+v", got, want())
	}
}

// TestCompactRecountsDriftedTotals damages the kept totals as a lost
// update would, and checks that VerifyLengths tells and Compact repairs.
func TestCompactRecountsDriftedTotals(t *testing.T) {
	ctx := context.Background()
	ix, _ := seedIndex(t)
	before, err := ix.VerifyLengths(ctx)
	if err != nil || before.Drift() || before.Counted.Tokens == 0 {
		t.Fatalf("fresh index: %+v, %v", before, err)
	}
	// A write whose delta went missing.
	slot := <-ix.lengths.free
	if err := ix.commit(ix.bleve.NewBatch(), slot, tokens{all: 1234, marked: 56}); err != nil {
		t.Fatal(err)
	}
	ix.lengths.free <- slot
	drifted, err := ix.VerifyLengths(ctx)
	if err != nil || !drifted.Drift() || drifted.Recorded.Tokens != before.Counted.Tokens+1234 {
		t.Fatalf("after a lost update: %+v, %v; want drift of 1234 tokens", drifted, err)
	}
	if err := ix.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if after, err := ix.VerifyLengths(ctx); err != nil || after.Drift() || after.Counted != before.Counted {
		t.Errorf("after Compact: %+v, %v; want the totals recounted", after, err)
	}
}
