package index

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/blevesearch/bleve/v2"
)

// A cluster whose shards each hold part of the articles answers a search
// as one index holding everything would, in three steps over its shards:
//
//  1. QueryStats on every shard, summed with CollectionStats.Plus: the
//     statistics BM25 scores with, as one index would have them;
//  2. Candidates on every shard with those Stats: the first pass's
//     candidates; the one at the rescore depth in their merged order (by
//     tier, then score) is the RescoreCut;
//  3. Search on every shard with the Stats and the cut, hits merged by
//     Before, totals added.

// QueryStats returns this index's statistics for the request's query: its
// documents, body token totals, and the document frequencies of the
// syllables of what it ranks (see lists), folded and (for those written
// with diacritics) exact.
func (ix *Index) QueryStats(ctx context.Context, r Request) (CollectionStats, error) {
	ix.searching.Add(1)
	defer ix.searching.Add(-1)
	params := ix.params
	if r.Params != nil {
		params = *r.Params
	}
	q, err := r.analyze(params)
	if err != nil {
		return CollectionStats{}, err
	}
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return CollectionStats{}, fmt.Errorf("index: stats of %q: %w", r.Query, err)
	}
	defer snap.close()
	st := *snap.stats
	st.DF = map[string]uint64{}
	for _, list := range ix.lists(&r, q, params) {
		for _, t := range list.q.syllables {
			for _, ft := range [][2]string{{fieldBodyFolded, t.folded}, {fieldBodyExact, t.exact}} {
				if ft[0] == fieldBodyExact && t.exact == t.folded {
					continue
				}
				if _, ok := st.DF[statKey(ft[0], ft[1])]; ok {
					continue
				}
				df, err := snap.localDocFrequency(ft[0], ft[1])
				if err != nil {
					return CollectionStats{}, fmt.Errorf("index: stats of %q: %w", r.Query, err)
				}
				st.DF[statKey(ft[0], ft[1])] = df
			}
		}
	}
	return st, nil
}

// Candidates returns, for each list a search by relevance ranks (the
// query, then its alternatives: see lists), the first pass's candidates,
// best first, as tier and score: up to the list's rescore depth or
// From+Size, whichever is more.
func (ix *Index) Candidates(ctx context.Context, r Request) ([][]Cut, error) {
	ix.searching.Add(1)
	defer ix.searching.Add(-1)
	params := ix.params
	if r.Params != nil {
		params = *r.Params
	}
	q, err := r.analyze(params)
	if err != nil {
		return nil, err
	}
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, fmt.Errorf("index: candidates of %q: %w", r.Query, err)
	}
	defer snap.close()
	if r.Stats != nil {
		snap.stats = r.Stats
	}
	var out [][]Cut
	for k, list := range ix.lists(&r, q, params) {
		rk, err := newRanker(snap, list.q, list.p)
		if err != nil {
			return nil, err
		}
		req := r
		if k > 0 {
			req.countBound = AlternativeCounted
		}
		c, err := newConstraints(snap, list.q, &req)
		if err != nil {
			return nil, err
		}
		first, err := chooseRetrieval(list.q, r.Sort).candidates(rk, c, max(r.From+r.Size, list.p.RescoreDepth))
		if err != nil {
			return nil, fmt.Errorf("index: candidates of %q: %w", r.Query, err)
		}
		cuts := make([]Cut, len(first.found))
		for i, f := range first.found {
			cuts[i] = Cut{Tier: f.tier, Score: f.score}
		}
		out = append(out, cuts)
	}
	return out, nil
}

// RescoreCuts returns the cuts of a cluster's search r (RescoreCut, then
// AlternativeCuts), given every shard's Candidates: for each list, the
// candidate at its rescore depth in the merged order of every shard's.
func RescoreCuts(r Request, shards [][][]Cut) (*Cut, []*Cut) {
	p := DefaultParams()
	if r.Params != nil {
		p = *r.Params
	}
	var lists [][]Cut
	for _, cands := range shards {
		for k, cuts := range cands {
			for len(lists) <= k {
				lists = append(lists, nil)
			}
			lists[k] = append(lists[k], cuts...)
		}
	}
	cuts := make([]*Cut, len(lists))
	for k, all := range lists {
		slices.SortStableFunc(all, func(a, b Cut) int {
			return cmp.Or(cmp.Compare(b.Tier, a.Tier), cmp.Compare(b.Score, a.Score))
		})
		depth := p.RescoreDepth
		if k > 0 {
			depth = alternativeParams(p).RescoreDepth
		}
		if len(all) > 0 && depth > 0 {
			cut := all[min(depth, len(all))-1]
			cuts[k] = &cut
		}
	}
	if len(cuts) == 0 {
		return nil, nil
	}
	return cuts[0], cuts[1:]
}

// SearchLists answers a shard's part of a cluster's search r: the totals
// and facets of every match (Result, without hits), and the best n hits of
// each list it ranks (the query, then its alternatives: see lists), each
// in its order with its own scores. MergeLists merges the lists once those
// of every shard are merged by Before.
func (ix *Index) SearchLists(ctx context.Context, r Request, n int) (*Result, [][]Hit, error) {
	ix.searching.Add(1)
	defer ix.searching.Add(-1)
	params := ix.params
	if r.Params != nil {
		params = *r.Params
	}
	q, err := r.analyze(params)
	if err != nil {
		return nil, nil, err
	}
	if n < 0 || n > MaxWindow {
		return nil, nil, fmt.Errorf("%w: %d hits: want 0 to %d", ErrBadQuery, n, MaxWindow)
	}
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	defer snap.close()
	if r.Stats != nil {
		snap.stats = r.Stats
	}
	all := ix.lists(&r, q, params)
	rl, err := ix.rankLists(snap, &r, all, n)
	if err != nil {
		return nil, nil, fmt.Errorf("index: search %q: %w", r.Query, err)
	}
	lists := make([][]Hit, len(all))
	for k, found := range rl.found {
		lists[k] = make([]Hit, len(found))
		if err := snap.hits(all[k].q, found, lists[k]); err != nil {
			return nil, nil, fmt.Errorf("index: search %q: %w", r.Query, err)
		}
	}
	return &Result{Query: r.Query, Total: rl.total, TotalIsLowerBound: rl.lowerBound, Hits: []Hit{}, Facets: rl.facets}, lists, nil
}

// Backup writes a consistent copy of the index as it is now into dir
// (which must not exist), while searches and writes go on. The copy opens
// as an index like any other: a new replica starts from it.
func (ix *Index) Backup(ctx context.Context, dir string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if Exists(dir) {
		return fmt.Errorf("index: backup to %s: an index already exists there", dir)
	}
	copyable, ok := ix.bleve.(bleve.IndexCopyable)
	if !ok {
		return fmt.Errorf("index: backup: Bleve index %T cannot be copied", ix.bleve)
	}
	if err := copyable.CopyTo(bleve.FileSystemDirectory(dir)); err != nil {
		return fmt.Errorf("index: backup to %s: %w", dir, err)
	}
	return nil
}
