package bench

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/index/baseline"
)

func TestMarkerWordIsOneToken(t *testing.T) {
	m := markerWord("inc1a2b-l-", 12)
	toks := analyzer.Tokens("Tin "+m+" mới", false)
	var terms []string
	for _, tok := range toks {
		terms = append(terms, tok.Term)
	}
	if !slices.Contains(terms, m) {
		t.Errorf("marker %q analyzed into %q", m, terms)
	}
}

func TestIncrementalLibraryAndPeer(t *testing.T) {
	ctx := context.Background()
	pool, _ := loadSynthPool(t, 20)
	gen := NewGenerator(pool, 1)
	var base []corpus.Article
	for i := range 30 {
		base = append(base, gen.Article(i))
	}

	dir := filepath.Join(t.TempDir(), "vn")
	ix, err := index.Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ix.Add(ctx, base); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	res, err := IncrementalLibrary(ctx, dir, gen.WithPrefix("inc-l-"), 3, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Batches != 3 || res.Searchable != 3 || res.Ack.P50 <= 0 || res.Engine != Vnsearch || res.Via != "library" {
		t.Errorf("vnsearch: %+v", res)
	}
	ix, err = index.Open(dir, index.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := ix.Stats(ctx)
	ix.Close()
	if err != nil || st.Articles != 60 {
		t.Errorf("after 3 batches of 10 on 30 articles: %d articles (%v)", st.Articles, err)
	}

	peerDir := filepath.Join(t.TempDir(), "peer")
	peer, err := baseline.CreateStatic(peerDir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peer.AddStream(ctx, slices.Values(base), 1000); err != nil {
		t.Fatal(err)
	}
	peer.Close()
	res, err = IncrementalPeer(ctx, peerDir, gen.WithPrefix("inc-p-"), 2, 10)
	if err != nil {
		t.Fatal(err)
	}
	if res.Batches != 2 || res.Searchable != 2 || res.Engine != Peer {
		t.Errorf("peer: %+v", res)
	}
}

// TestIncrementalNoticesUnsearchable: a batch that a search does not find
// whole is not counted as searchable.
func TestIncrementalNoticesUnsearchable(t *testing.T) {
	pool, _ := loadSynthPool(t, 5)
	adder := Adder{
		Engine: "lossy", Via: "test",
		Add:  func(context.Context, []corpus.Article) error { return nil },
		Find: func(context.Context, string) ([]string, error) { return []string{"g1-0"}, nil },
	}
	res, err := Incremental(context.Background(), adder, NewGenerator(pool, 1), 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	if res.Searchable != 0 {
		t.Errorf("%d batches counted searchable, want 0", res.Searchable)
	}
}
