package index

import (
	"context"
	"fmt"
	"hash/fnv"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
)

// searchShards answers r over shards as a cluster does: the query
// understood from every shard's lexicon and mined abbreviations, then the
// three steps of shard.go, the lists merged.
func searchShards(t *testing.T, shards []*Index, r Request) []Hit {
	t.Helper()
	ctx := context.Background()
	var parts []LexiconPart
	var mined [][]Abbreviation
	for _, sh := range shards {
		parts = append(parts, sh.LexiconPart(r.Query))
		mined = append(mined, sh.Mined())
	}
	u, _, err := NewUnderstander(nil, mined...).Understand(r, parts)
	if err != nil {
		t.Fatal(err)
	}
	r.Understood = &u
	var stats CollectionStats
	for i, sh := range shards {
		st, err := sh.QueryStats(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			stats = st
		} else {
			stats = stats.Plus(st)
		}
	}
	r.Stats = &stats
	var cands [][][]Cut
	for _, sh := range shards {
		c, err := sh.Candidates(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		cands = append(cands, c)
	}
	r.RescoreCut, r.AlternativeCuts = RescoreCuts(r, cands)
	wanted := r.From + r.Size
	var lists [][]Hit
	for _, sh := range shards {
		_, got, err := sh.SearchLists(ctx, r, wanted)
		if err != nil {
			t.Fatal(err)
		}
		for k, l := range got {
			for len(lists) <= k {
				lists = append(lists, nil)
			}
			lists[k] = append(lists[k], l...)
		}
	}
	for k := range lists {
		slices.SortStableFunc(lists[k], func(a, b Hit) int {
			if Before(a, b) {
				return -1
			}
			if Before(b, a) {
				return 1
			}
			return 0
		})
		lists[k] = lists[k][:min(len(lists[k]), wanted)]
	}
	hits := MergeLists(lists, DefaultParams())
	return hits[min(r.From, len(hits)):min(len(hits), wanted)]
}

// TestShardsAnswerAsOneIndex splits articles over three indexes by a hash
// of their IDs and checks that searching them with the cluster's
// statistics and rescore cut gives the one index's top ten, in order.
func TestShardsAnswerAsOneIndex(t *testing.T) {
	whole := zipfIndex(t, 1200)
	ctx := context.Background()
	shards := make([]*Index, 3)
	for i := range shards {
		var err error
		if shards[i], err = Create(filepath.Join(t.TempDir(), fmt.Sprint("shard", i))); err != nil {
			t.Fatal(err)
		}
		defer shards[i].Close()
	}
	var parts [3][]corpus.Article
	for i := range 1200 {
		id := fmt.Sprintf("a%04d", i)
		a, err := whole.Get(ctx, id)
		if err != nil {
			continue // deleted
		}
		h := fnv.New32a()
		h.Write([]byte(id))
		parts[h.Sum32()%3] = append(parts[h.Sum32()%3], a)
	}
	for i, p := range parts {
		if _, err := shards[i].Add(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	queries := []string{"ma túy", "công an", "người dân", "hà giang", "giá vàng tăng", "mưa", "ma tuy bat giu",
		"xe khách lật đèo ở hà giang khiến người dân lo", `"công an" tỉnh`, "trường học -điện"}
	for _, q := range queries {
		for _, text := range []string{q, analyzer.Fold(q)} {
			want, err := whole.Search(ctx, Request{Query: text, Size: 10})
			if err != nil {
				t.Fatal(err)
			}
			got := searchShards(t, shards, Request{Query: text, Size: 10})
			if !slices.Equal(hitIDs(got), hitIDs(want.Hits)) {
				t.Errorf("%q: shards %v\n one index %v", text, hitIDs(got), hitIDs(want.Hits))
			}
		}
	}
}

func TestBackupOpensAsTheIndex(t *testing.T) {
	ctx := context.Background()
	ix, seeds := seedIndex(t)
	if err := ix.SetMeta("applied", []byte("42")); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "copy")
	if err := ix.Backup(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if err := ix.Backup(ctx, dir); err == nil {
		t.Error("a backup over an index was allowed")
	}
	cp, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if v, err := cp.Meta("applied"); err != nil || string(v) != "42" {
		t.Errorf("meta in the copy: %q, %v", v, err)
	}
	for _, q := range []string{"ma túy", "Quách Thanh Côn"} {
		a, _ := ix.Search(ctx, Request{Query: q})
		b, err := cp.Search(ctx, Request{Query: q})
		if err != nil || !slices.Equal(hitIDs(a.Hits), hitIDs(b.Hits)) || a.Total != b.Total {
			t.Errorf("%s: copy answers %v, the index %v (%v)", q, hitIDs(b.Hits), hitIDs(a.Hits), err)
		}
	}
	if check, err := cp.VerifyLengths(ctx); err != nil || check.Drift() || check.Articles != uint64(len(seeds)) {
		t.Errorf("lengths of the copy: %+v, %v", check, err)
	}
	if _, err := cp.Add(ctx, []corpus.Article{article("new", "Bài mới", "Nội dung.")}); err != nil {
		t.Errorf("the copy does not take writes: %v", err)
	}
}

func TestApplyIsAtomicAndLastOpWins(t *testing.T) {
	ctx := context.Background()
	ix, _ := seedIndex(t)
	a, b := article("x", "Một", "Hai."), article("y", "Ba", "Bốn.")
	applied, err := ix.Apply(ctx, Ops{Ops: []Op{{Article: &a}, {Article: &b}, {Delete: "x"}, {Delete: "none"}},
		Meta: map[string][]byte{"seq": []byte("7")}})
	if err != nil {
		t.Fatal(err)
	}
	if applied != (Applied{AddStats: AddStats{Added: 1}}) {
		t.Errorf("applied %+v, want y added and nothing else", applied)
	}
	if _, err := ix.Get(ctx, "x"); err == nil {
		t.Error("x was added then deleted in one batch, but is there")
	}
	if v, _ := ix.Meta("seq"); string(v) != "7" {
		t.Errorf("meta seq %q", v)
	}
	applied, err = ix.Apply(ctx, Ops{Ops: []Op{{Delete: "y"}, {Article: &b}}})
	if err != nil || applied != (Applied{AddStats: AddStats{Unchanged: 1}}) {
		t.Errorf("delete then the same article: %+v, %v", applied, err)
	}
	if check, err := ix.VerifyLengths(ctx); err != nil || check.Drift() {
		t.Errorf("lengths after Apply: %+v, %v", check, err)
	}
}

type recorder struct{ added, removed []string }

func (r *recorder) Committed(added, removed []corpus.Article) {
	for _, a := range added {
		r.added = append(r.added, a.ID+":"+a.Title)
	}
	for _, a := range removed {
		r.removed = append(r.removed, a.ID+":"+a.Title)
	}
}

func TestObserverSeesEveryChange(t *testing.T) {
	ctx := context.Background()
	rec := &recorder{}
	ix, err := CreateWith(filepath.Join(t.TempDir(), "idx"), Options{Observer: rec})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	a, b := article("a", "Một", "x."), article("b", "Hai", "y.")
	addArticles(t, ix, a, b)
	addArticles(t, ix, a) // unchanged: not told
	a2 := article("a", "Ba", "z.")
	addArticles(t, ix, a2)
	if _, err := ix.Delete(ctx, "b", "none"); err != nil {
		t.Fatal(err)
	}
	if want := []string{"a:Một", "b:Hai", "a:Ba"}; !slices.Equal(rec.added, want) {
		t.Errorf("added %v, want %v", rec.added, want)
	}
	if want := []string{"a:Một", "b:Hai"}; !slices.Equal(rec.removed, want) {
		t.Errorf("removed %v, want %v", rec.removed, want)
	}
}
