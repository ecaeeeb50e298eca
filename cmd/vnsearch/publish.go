package main

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/corpus"
)

// publishSources publishes the articles under roots to the cluster's
// log, showing progress on stderr and a summary on stdout. Each article
// is named by its file, its record number there and its content hash, so
// that a load run again is de-duplicated by JetStream.
func (a *app) publishSources(ctx context.Context, cfg cluster.Config, roots []string, window int) error {
	start := time.Now()
	nc, err := cluster.Connect(cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	replicas := cfg.Replicas
	if replicas <= 0 {
		replicas = cluster.DefaultReplicas(nc)
	}
	log, err := cluster.Open(ctx, nc, replicas)
	if err != nil {
		return err
	}

	bulk, err := log.Bulk(window)
	if err != nil {
		return err
	}

	meter, stopCounting := a.articleMeter(ctx, roots)
	defer stopCounting()

	var problems atomic.Int64
	read, readErr := corpus.Skip(corpus.Articles(ctx, roots...), func(p *corpus.Problem) {
		problems.Add(1)
		meter.Println(p.Error())
	})
	records := map[string]int{} // articles read so far from each file
	var sent int64
	var stopped error
	for art := range read {
		n := records[art.Origin]
		records[art.Origin]++
		hash := art.Hash
		if hash == "" {
			hash = art.ContentHash()
		}
		if err := bulk.Add(ctx, cluster.Change{Article: &art}, cluster.BulkID(art.Origin, n, hash)); err != nil {
			if ctx.Err() != nil {
				stopped = ctx.Err()
				break
			}
			problems.Add(1)
			meter.Println(fmt.Sprintf("%s: record %d: %v", art.Origin, n+1, err))
			continue
		}
		sent++
		meter.Set(sent + problems.Load())
	}
	st := bulk.Wait()
	stopCounting()
	meter.Stop()
	if stopped == nil {
		stopped = readErr()
	}

	out := &errWriter{w: a.stdout}
	out.printf("published %d articles in %s: %d new, %d duplicates, %d failed; %d problems; last seq %d\n",
		st.Published+st.Duplicates, time.Since(start).Round(time.Millisecond),
		st.Published, st.Duplicates, st.Failed, problems.Load(), st.LastSeq)
	switch {
	case stopped != nil && ctx.Err() != nil:
		return fmt.Errorf("interrupted: the %d articles acknowledged before stay in the log", st.Published+st.Duplicates)
	case stopped != nil:
		return stopped
	case st.Failed > 0:
		return fmt.Errorf("%d publishes failed (run the same command again: what was acknowledged is not appended twice): %w", st.Failed, st.FirstErr)
	}
	if out.err != nil {
		return out.err
	}
	if n := problems.Load(); n > 0 {
		return fmt.Errorf("%d problems in the input (listed above); everything else was published", n)
	}
	return nil
}
