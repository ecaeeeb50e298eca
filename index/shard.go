package index

import (
	"context"
	"fmt"

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
// query's syllables, folded and (for those typed with diacritics) exact.
func (ix *Index) QueryStats(ctx context.Context, r Request) (CollectionStats, error) {
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
	for _, t := range q.syllables {
		for _, ft := range [][2]string{{fieldBodyFolded, t.folded}, {fieldBodyExact, t.exact}} {
			if ft[0] == fieldBodyExact && t.exact == t.folded {
				continue
			}
			df, err := snap.localDocFrequency(ft[0], ft[1])
			if err != nil {
				return CollectionStats{}, fmt.Errorf("index: stats of %q: %w", r.Query, err)
			}
			st.DF[statKey(ft[0], ft[1])] = df
		}
	}
	return st, nil
}

// Candidates returns the first pass's candidates of a search by relevance,
// best first, as tier and score: up to Params.RescoreDepth or From+Size,
// whichever is more.
func (ix *Index) Candidates(ctx context.Context, r Request) ([]Cut, error) {
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
	rk, err := newRanker(snap, q, params)
	if err != nil {
		return nil, err
	}
	c, err := newConstraints(snap, q, &r)
	if err != nil {
		return nil, err
	}
	first, err := chooseRetrieval(q, r.Sort).candidates(rk, c, max(r.From+r.Size, params.RescoreDepth))
	if err != nil {
		return nil, fmt.Errorf("index: candidates of %q: %w", r.Query, err)
	}
	out := make([]Cut, len(first.found))
	for i, f := range first.found {
		out[i] = Cut{Tier: f.tier, Score: f.score}
	}
	return out, nil
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
