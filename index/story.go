package index

import (
	"context"
	"fmt"

	"github.com/vnsearch/vnsearch/internal/mix"
)

// Same story, grouped. Outlets re-post one another's articles, and one
// event is written up by several outlets from one agency dispatch: a
// reader searching sees the same text five times. Each article gets, at
// index time, a MinHash signature of the set of its shingles — runs of
// three consecutive folded syllables within one unit (the title, the
// summary, a passage), so that diacritics, case and tone style do not
// matter — stored beside it as its story key. The share of equal places
// of two signatures estimates the Jaccard similarity of the two shingle
// sets; a search grouped by story (Request.Group) gathers the hits whose
// similarity to the best hit of a group reaches StoryThreshold.

// storyHashes is the length of a signature. The standard error of the
// estimate is sqrt(J(1-J)/storyHashes): 0.0625 at J = 0.5.
const storyHashes = 64

// storyShingle is the number of syllables of a shingle.
const storyShingle = 3

// StoryThreshold is the estimated Jaccard similarity of the shingles of
// two articles at or above which they report the same story. It was
// chosen on 200 pairs of the baomoi corpus, sampled evenly across
// similarities 0.2 to 1 and labeled by reading them
// (TestStoryPairsForLabeling): of the labeled pairs at 0.5 or above, 91%
// were one story; at 0.6, 96%; at 0.8, all. Below 0.6 the mistakes are
// articles written from one template on different days (gold prices,
// lottery draws, live reports of other matches): grouping them would hide
// news from the reader, a worse failure than showing a re-post twice.
const StoryThreshold = 0.6

// storyVersion leads a stored signature, so that another kind of
// signature is never compared with this one.
const storyVersion = 2

// A signature keeps one byte of each minimum (b-bit MinHash, Li & König
// 2010): two different minima agree on it by chance once in 256, which
// storySimilarity takes back out. A quarter of the 32-bit places' room —
// 192 bytes less an article — for a standard error at the threshold of
// 0.0614 instead of 0.0612.
const storyChance = 1.0 / 256

// storySeeds are the seeds of the signature's hash functions: fixed, so
// that signatures made by any process compare.
var storySeeds = func() [storyHashes]uint64 {
	var seeds [storyHashes]uint64
	x := uint64(0x9e3779b97f4a7c15)
	for i := range seeds {
		x = mix.SplitMix64(x + uint64(i))
		seeds[i] = x
	}
	return seeds
}()

// storySignature is the MinHash signature of an analyzed article's
// shingles, as stored; nil when the article has fewer than storyShingle
// syllables in every unit.
func storySignature(l *layout) []byte {
	last := 0
	for _, positions := range l.positions {
		if n := len(positions); n > 0 {
			last = max(last, positions[n-1])
		}
	}
	// The folded term at each position; 0 where there is none (between
	// units), which ends a shingle.
	at := make([]uint64, last+1)
	for id, positions := range l.positions {
		sum := mix.FNV1a(l.terms[id]) | 1
		for _, p := range positions {
			at[p] = sum
		}
	}
	var mins [storyHashes]uint64
	for i := range mins {
		mins[i] = ^uint64(0)
	}
	found := false
	for p := 0; p+storyShingle <= len(at); p++ {
		run := at[p : p+storyShingle]
		var sh uint64
		ok := true
		for _, h := range run {
			if h == 0 {
				ok = false
				break
			}
			sh = mix.SplitMix64(sh*0x100000001b3 ^ h)
		}
		if !ok {
			continue
		}
		found = true
		for i, seed := range storySeeds {
			if v := mix.SplitMix64(sh ^ seed); v < mins[i] {
				mins[i] = v
			}
		}
	}
	if !found {
		return nil
	}
	out := make([]byte, 1+storyHashes)
	out[0] = storyVersion
	for i, v := range mins {
		out[1+i] = byte(v) // the low bits: a minimum's high ones are mostly 0
	}
	return out
}

// storySimilarity estimates the Jaccard similarity of the shingles of the
// articles of two signatures; 0 when either has none.
func storySimilarity(a, b []byte) float64 {
	if len(a) != 1+storyHashes || len(b) != len(a) || a[0] != storyVersion || b[0] != storyVersion {
		return 0
	}
	same := 0
	for i := 1; i < len(a); i++ {
		if a[i] == b[i] {
			same++
		}
	}
	return max(0, (float64(same)/storyHashes-storyChance)/(1-storyChance))
}

// Story is the group of hits of one story that a hit stands for.
type Story struct {
	// ID is the ID of the group's best hit: the same for every page of
	// one search.
	ID string `json:"id"`
	// Size counts the group's articles among the matches grouped (see
	// Request.Group), the hit itself included.
	Size int `json:"size"`
	// Others are the group's other hits, best first.
	Others []Hit `json:"others,omitempty"`
}

// StoryWindow is the least number of a search's best matches that a
// search grouped by story groups: three times as many as the hits asked for, up to
// MaxWindow, and never fewer than this.
const StoryWindow = 30

// GroupStory is the Request.Group that groups the hits of one story.
// Grouping works within one index: a cluster searching its shards (see
// shard.go) would search them ungrouped and group the merged hits.
const GroupStory = "story"

// searchStories runs a request with the hits of one story grouped: each
// group's best hit stands for it, in the search's order, with the others
// in its Story; From and Size count groups. The groups are made among the
// search's best max(StoryWindow, 3×(From+Size)) matches, in order: a hit
// joins the earliest group whose best hit it is most like, at
// StoryThreshold or above, else starts one. Groups made among fewer
// matches stay the same among more, so that paging is consistent. Total
// counts articles, as Search does.
func (ix *Index) searchStories(ctx context.Context, r Request) (*Result, error) {
	if r.Group != GroupStory {
		return nil, fmt.Errorf("%w: group %q: want %q or nothing", ErrBadQuery, r.Group, GroupStory)
	}
	r.Group = ""
	if err := r.check(); err != nil {
		return nil, err
	}
	window := StoryWindowOf(r.From, r.Size)
	wide := r
	wide.From, wide.Size = 0, min(MaxSize, window)
	res, err := ix.Search(ctx, wide)
	if err != nil {
		return nil, err
	}
	hits := res.Hits
	for len(hits) < window && uint64(len(hits)) < res.Total {
		more := r
		more.From, more.Size, more.Facets = len(hits), min(MaxSize, window-len(hits)), nil
		page, err := ix.Search(ctx, more)
		if err != nil {
			return nil, err
		}
		if len(page.Hits) == 0 {
			break
		}
		hits = append(hits, page.Hits...)
		res.TookMS += page.TookMS
	}
	sigs, err := ix.storyKeys(ctx, hits)
	if err != nil {
		return nil, err
	}
	res.Hits = GroupStories(hits, sigs, r.From, r.Size)
	return res, nil
}

// StoryWindowOf is how many of a search's best hits a search grouped by
// story groups (see searchStories).
func StoryWindowOf(from, size int) int {
	return min(MaxWindow, max(StoryWindow, 3*(from+size)))
}

// GroupStories groups hits, best first, whose story keys are keys (see
// StoryKeys), and returns the page of groups from, size: each group's best
// hit with the others in its Story. A cluster searching its shards groups
// their merged hits with it.
func GroupStories(hits []Hit, keys [][]byte, from, size int) []Hit {
	groups := groupStories(keys)
	out := make([]Hit, 0, size)
	for _, g := range groups[min(from, len(groups)):min(from+size, len(groups))] {
		h := hits[g[0]]
		h.Story = &Story{ID: h.ID, Size: len(g)}
		for _, k := range g[1:] {
			h.Story.Others = append(h.Story.Others, hits[k])
		}
		out = append(out, h)
	}
	return out
}

// StoryKeys reads the stored story keys of the articles with the IDs
// given; nil for one without a key, or not in the index.
func (ix *Index) StoryKeys(ctx context.Context, ids []string) ([][]byte, error) {
	hits := make([]Hit, len(ids))
	for i, id := range ids {
		hits[i].ID = id
	}
	return ix.storyKeys(ctx, hits)
}

// groupStories groups the hits of the signatures given, best first: each
// group lists its hits' places, its best first.
func groupStories(sigs [][]byte) [][]int {
	var groups [][]int
	for i, sig := range sigs {
		best, bestSim := -1, 0.0
		for g, members := range groups {
			if sim := storySimilarity(sigs[members[0]], sig); sim >= StoryThreshold && sim > bestSim {
				best, bestSim = g, sim
			}
		}
		if best < 0 {
			groups = append(groups, []int{i})
		} else {
			groups[best] = append(groups[best], i)
		}
	}
	return groups
}

// storyKeys reads the stored story keys of hits; nil for an article
// without one, or gone since the search.
func (ix *Index) storyKeys(ctx context.Context, hits []Hit) ([][]byte, error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("index: story keys: %w", err)
	}
	defer snap.close()
	out := make([][]byte, len(hits))
	for i, h := range hits {
		seg, doc, err := snap.locate(h.ID)
		if err != nil {
			continue // deleted since: a story of its own
		}
		raw, err := snap.segs[seg].stored(doc, fieldStory)
		if err != nil {
			return nil, fmt.Errorf("index: story key of %q: %w", h.ID, err)
		}
		out[i] = raw
	}
	return out, nil
}
