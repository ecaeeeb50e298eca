package index

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

// zipfIndex builds an index of n synthetic articles over a small
// vocabulary with Zipf-like frequencies, in several batches (segments),
// with some articles deleted and some replaced.
func zipfIndex(t *testing.T, n int) *Index {
	t.Helper()
	ix, err := Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	vocab := []string{"ma", "túy", "bắt", "giữ", "công", "an", "tỉnh", "hà", "giang", "người", "dân",
		"xe", "khách", "lật", "đèo", "mưa", "lũ", "giá", "vàng", "tăng", "điện", "nước", "trường", "học"}
	rng := rand.New(rand.NewPCG(7, 11))
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1))
	text := func(words int) string {
		var b strings.Builder
		for i := range words {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[zipf.Uint64()])
		}
		return b.String()
	}
	var batch []corpus.Article
	for i := range n {
		a := corpus.Article{ID: fmt.Sprintf("a%04d", i), Title: text(3 + rng.IntN(6)),
			Paragraphs: []string{text(5 + rng.IntN(60)), text(5 + rng.IntN(200))}}
		batch = append(batch, a)
		if len(batch) == n/5 {
			if _, err := ix.Add(context.Background(), batch); err != nil {
				t.Fatal(err)
			}
			batch = nil
		}
	}
	if _, err := ix.Add(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	var gone []string
	for i := 0; i < n; i += 13 {
		gone = append(gone, fmt.Sprintf("a%04d", i))
	}
	if _, err := ix.Delete(context.Background(), gone...); err != nil {
		t.Fatal(err)
	}
	return ix
}

// TestPruningMatchesExhaustiveScoring checks that the top documents found
// with block maxima and MaxScore, by one worker and by several sharing
// their bar, are exactly those of scoring every match.
func TestPruningMatchesExhaustiveScoring(t *testing.T) {
	ix := zipfIndex(t, 3000)
	// Maxima for every list worth them here, over blocks of 16 documents,
	// so that whole blocks are skipped.
	ix.blocks.minDocs, ix.blocks.shift = 16, 4
	queries := []string{"ma túy", "công an", "người dân", "hà giang", "giá vàng tăng", "xe khách lật đèo",
		"mưa lũ", "ma", "trường", "an dân", "điện nước học", "ma túy bắt giữ công an tỉnh hà giang"}
	one := splitting{workers: 1, minRange: 1 << 20}
	// Three workers over ranges of 48 document numbers (rounded up to
	// blocks): each segment cut in a dozen, taken in no set order.
	several := splitting{workers: 3, minRange: 48}
	for _, text := range queries {
		for _, k := range []int{1, 5, 20} {
			for _, split := range []splitting{one, several} {
				ix.split = split
				parsed, _ := ParseQuery(text)
				q, err := analyze(parsed, DefaultParams())
				if err != nil {
					t.Fatal(err)
				}
				snap, err := ix.snapshot(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				r, err := newRanker(snap, q, DefaultParams())
				if err != nil {
					t.Fatal(err)
				}
				c, err := newConstraints(snap, q, &Request{})
				if err != nil {
					t.Fatal(err)
				}
				all := allSyllables(q)
				const everything = 1 << 30
				type run struct {
					name string
					top  func(k int) ([]ranked, error)
				}
				runs := []run{
					{"conjunction", func(k int) ([]ranked, error) { return r.conjunctionTop(c, all, k) }},
					{"disjunction", func(k int) ([]ranked, error) { return r.disjunctionTop(c, all, nil, k, nil) }},
				}
				if len(q.marked) > 0 {
					runs = append(runs, run{"disjunction with exact", func(k int) ([]ranked, error) {
						return r.disjunctionTop(c, all, q.marked, k, nil)
					}})
				}
				for _, run := range runs {
					snap.split = split
					pruned, err := run.top(k)
					if err != nil {
						t.Fatal(err)
					}
					snap.split = one
					full, err := run.top(everything)
					if err != nil {
						t.Fatal(err)
					}
					want := full[:min(k, len(full))]
					if len(pruned) != len(want) {
						t.Errorf("%q %s k=%d workers=%d: %d results, exhaustive %d", text, run.name, k, split.workers, len(pruned), len(want))
						continue
					}
					for i := range want {
						if pruned[i].key != want[i].key || math.Abs(pruned[i].score-want[i].score) > 1e-9 {
							t.Errorf("%q %s k=%d workers=%d: result %d is %d (%.6f), exhaustive %d (%.6f)",
								text, run.name, k, split.workers, i, pruned[i].key, pruned[i].score, want[i].key, want[i].score)
							break
						}
					}
				}
				snap.close()
			}
		}
	}
	if ix.blocks.lru.Len() == 0 {
		t.Error("no block maxima were computed: the test does not test pruning")
	}
}
