package cluster

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// BenchmarkSnapshotBaomoi takes a snapshot of an index of the first
// 20,000 baomoi articles (backup, compaction of the copy, upload to a
// loopback NATS server) and restores it into a new directory, reporting
// both times and the snapshot's size. Skipped without the corpus (never
// committed).
func BenchmarkSnapshotBaomoi(b *testing.B) {
	const corpusPath = "/work/shared/corpus/baomoi-35k.jsonl.gz"
	if _, err := os.Stat(corpusPath); err != nil {
		b.Skipf("no corpus at %s", corpusPath)
	}
	const n = 20000
	ctx := context.Background()
	s := natstest.Start(b)
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	if _, err := Open(ctx, nc, 1); err != nil {
		b.Fatal(err)
	}
	ix, err := index.Create(filepath.Join(b.TempDir(), "ix"))
	if err != nil {
		b.Fatal(err)
	}
	defer ix.Close()
	read, _ := corpus.Skip(corpus.Articles(ctx, corpusPath), nil)
	i := 0
	first := func(yield func(corpus.Article) bool) {
		for a := range read {
			if i++; i > n || !yield(a) {
				return
			}
		}
	}
	if _, err := ix.AddStream(ctx, first, index.StreamOptions{}); err != nil {
		b.Fatal(err)
	}
	rep, err := NewReplica(nc, ix)
	if err != nil {
		b.Fatal(err)
	}
	var took, restoreTook time.Duration
	var size uint64
	b.ResetTimer()
	for round := range b.N {
		seq := uint64(n + round)
		if err := ix.SetMeta(SeqKey, []byte(strconv.FormatUint(seq, 10))); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		snap, err := rep.Snapshot(ctx)
		if err != nil || snap.Seq != seq {
			b.Fatalf("snapshot %+v, %v", snap, err)
		}
		took, size = time.Since(start), snap.Size
		dir := filepath.Join(b.TempDir(), "restored")
		start = time.Now()
		p, err := Prepare(ctx, nc, dir)
		if err != nil || p.Restored.Seq != seq {
			b.Fatalf("restore %+v, %v", p, err)
		}
		restoreTook = time.Since(start)
	}
	b.StopTimer()
	b.Logf("%d articles: snapshot %s, %.1f MB; restore %s", n, took.Round(time.Millisecond), float64(size)/1e6, restoreTook.Round(time.Millisecond))
	b.ReportMetric(took.Seconds(), "snapshot-s")
	b.ReportMetric(restoreTook.Seconds(), "restore-s")
	b.ReportMetric(float64(size)/1e6, "MB")
}
