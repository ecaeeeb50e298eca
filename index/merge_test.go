package index

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

type planSegment struct {
	id   uint64
	docs int64
}

func (s planSegment) Id() uint64          { return s.id }
func (s planSegment) FullSize() int64     { return s.docs }
func (s planSegment) LiveSize() int64     { return s.docs }
func (s planSegment) HasVector() bool     { return false }
func (s planSegment) FileSize() int64     { return s.docs * 5000 }
func (s planSegment) LiveFileSize() int64 { return s.docs * 5000 }

// TestMergesTakeBatchesTenAtATime replays a bulk load of 200 batches of
// 500 articles through Bleve's merge planner, with the options a writer
// opens the index with, merging what each plan says after each batch:
// merges take batches ten at a time (500 → 5,000 → …), so that merges
// write each article about once a level. With Bleve's floor of 2,000
// documents they took batches into uneven groups and wrote each article
// 2.9 times on baomoi.
func TestMergesTakeBatchesTenAtATime(t *testing.T) {
	raw, err := json.Marshal(runtimeConfig(false, DefaultMaxSegmentDocs)["scorchMergePlanOptions"])
	if err != nil {
		t.Fatal(err)
	}
	opts := mergeplan.DefaultMergePlanOptions
	if err := json.Unmarshal(raw, &opts); err != nil {
		t.Fatal(err)
	}
	const batches, batch = 200, 500
	var (
		segs    []mergeplan.Segment
		nextID  uint64
		written int64
		shapes  = map[int]int{} // segments a merge took → merges
	)
	for range batches {
		nextID++
		segs = append(segs, planSegment{nextID, batch})
		plan, err := mergeplan.Plan(segs, &opts)
		if err != nil {
			t.Fatal(err)
		}
		if plan == nil {
			continue
		}
		for _, task := range plan.Tasks {
			var docs int64
			for _, s := range task.Segments {
				docs += s.LiveSize()
				segs = slices.DeleteFunc(segs, func(x mergeplan.Segment) bool { return x.Id() == s.Id() })
			}
			nextID++
			segs = append(segs, planSegment{nextID, docs})
			written += docs
			shapes[len(task.Segments)]++
		}
	}
	perArticle := float64(written) / (batches * batch)
	t.Logf("merges wrote each article %.2f times; merges by segments taken: %v", perArticle, shapes)
	// 100,000 articles in segments of up to 50,000: two levels, 500 →
	// 5,000 → 50,000 (the second reached by half of them).
	if perArticle > 1.6 {
		t.Errorf("merges wrote each article %.2f times (merges by segments taken: %v); want at most 1.6", perArticle, shapes)
	}
	for n, count := range shapes {
		if n < 10 && count > 1 {
			t.Errorf("%d merges of %d segments (all: %v); want merges of ten", count, n, shapes)
		}
	}
}
