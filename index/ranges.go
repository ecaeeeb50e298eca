package index

import (
	"runtime"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
)

// A first pass over a large index runs on every core. The segments'
// document numbers are cut into ranges; workers take the ranges in turn,
// each keeping its own top documents, and all share the highest θ any of
// them has reached (topK.bar), so that each skips what another has already
// beaten. The workers' tops are merged at the end: the result is the one a
// single worker would find, since the order of documents is total (ties go
// to the lower key) and a worker skips only documents that k others beat.

// docRange is a range of document numbers of one segment.
type docRange struct {
	seg    int
	offset uint64 // the segment's first number in the snapshot
	lo, hi uint64
}

// splitting says how a search cuts its first pass.
type splitting struct {
	workers int // at most this many at once; 1 runs the ranges in turn
	// minRange is the fewest document numbers worth a range of their own:
	// an index of fewer than about one and a half of them is searched by
	// one worker. Waking a second core costs more than it saves on a small
	// index, and under load every core is busy anyway (measured on baomoi
	// 35k: with ranges of 8,192, in-process one at a time 1.4 ms p50
	// instead of 1.9, over HTTP no gain, under 16 clients ~5% fewer
	// queries a second).
	minRange int
}

func defaultSplitting() splitting {
	return splitting{workers: runtime.GOMAXPROCS(0), minRange: 1 << 15}
}

// ranges cuts the segments the constraints leave something in into about
// four ranges a worker, none shorter than minRange, each starting on a
// block of the block maxima.
func (r *ranker) ranges(c *constraints) []docRange {
	var total uint64
	for i, sv := range r.snap.segs {
		if !c.none[i] {
			total += sv.seg.Count()
		}
	}
	sp := r.snap.split
	size := max(total/uint64(4*max(sp.workers, 1)), uint64(sp.minRange))
	block := uint64(1) << r.snap.blocks.shift
	size = (size + block - 1) / block * block
	var out []docRange
	for i, sv := range r.snap.segs {
		if c.none[i] {
			continue
		}
		n := sv.seg.Count()
		for lo := uint64(0); lo < n; {
			hi := lo + size
			if hi >= n || n-hi < size/2 {
				hi = n // no short tail
			}
			out = append(out, docRange{seg: i, offset: sv.offset, lo: lo, hi: hi})
			lo = hi
		}
	}
	return out
}

// everyRange runs fn on every docRange, on up to the snapshot's workers at
// once, each docRange with the test its candidates pass (see accepter) and its
// worker's top k; it returns the k best documents found.
func (r *ranker) everyRange(c *constraints, k int, fn func(sp docRange, sv *segView, accept func(uint64) bool, top *topK) error) ([]ranked, error) {
	ranges := r.ranges(c)
	run := func(sp docRange, top *topK) error {
		accept, failed, err := r.accepter(c, sp.seg)
		if err != nil {
			return err
		}
		if err := fn(sp, r.snap.segs[sp.seg], accept, top); err != nil {
			return err
		}
		return *failed
	}
	workers := min(r.snap.split.workers, len(ranges))
	if workers <= 1 {
		top := &topK{k: k}
		for _, sp := range ranges {
			if err := r.snap.ctx.Err(); err != nil {
				return nil, err
			}
			if err := run(sp, top); err != nil {
				return nil, err
			}
		}
		return top.best(), nil
	}
	shared := new(bar)
	tops := make([]*topK, workers)
	var next atomic.Int64
	g, ctx := errgroup.WithContext(r.snap.ctx)
	for w := range tops {
		top := &topK{k: k, bar: shared}
		tops[w] = top
		g.Go(func() error {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(ranges) {
					return nil
				}
				if err := ctx.Err(); err != nil {
					return err
				}
				if err := run(ranges[i], top); err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	merged := &topK{k: k}
	for _, t := range tops {
		for _, d := range t.docs {
			merged.offer(d)
		}
	}
	return merged.best(), nil
}
