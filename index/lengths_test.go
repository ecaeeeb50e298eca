package index

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

func TestCountTokens(t *testing.T) {
	tests := []struct {
		in   string
		want tokens
	}{
		{"", tokens{}},
		{"Bộ Công an", tokens{3, 2}},
		{"“Bộ Công an” – Trung Quốc…", tokens{5, 3}},
		{"21,2 triệu, tăng 20,4%", tokens{6, 2}}, // the analyzer keeps 21,2 whole; an estimate may not
		{"Du\u031bo\u031b\u0300ng", tokens{1, 1}},
		{"ma túy Covid-19", tokens{4, 1}},
	}
	for _, tt := range tests {
		if got := countTokens(tt.in); got != tt.want {
			t.Errorf("countTokens(%q) = %d, want %d", tt.in, got, tt.want)
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
		var pk packer
		for _, a := range live {
			doc, _, err := pk.document(&a)
			if err != nil {
				t.Fatal(err)
			}
			n = n.plus(bodyTokens(&doc))
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
	if _, err := ix.Delete(ctx, "b", stream[0].ID); err != nil {
		t.Fatal(err)
	}
	delete(live, "b")
	delete(live, stream[0].ID)
	if got := ix.lengths.total(); got != want() {
		t.Errorf("totals %+v, want %+v", got, want())
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
