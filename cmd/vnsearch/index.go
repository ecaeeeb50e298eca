package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/cmd/internal/progress"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

func newIndexCommand(a *app) *cobra.Command {
	var (
		prune     bool
		batchSize int
		watch     []string
		nats      cluster.Config
		window    int
	)
	cmd := &cobra.Command{
		Use:   "index SOURCE...",
		Short: "Add articles from files and directories to the index",
		Long: `Add the articles of each SOURCE to the index, creating it if need be. A
SOURCE is a file or a directory, read recursively: scraped pages (.txt), web
pages (.html, .htm), JSON Lines (.jsonl, .ndjson) or JSON arrays (.json), any
of them gzipped (.gz).

Indexing is incremental: articles already indexed with the same content are
left alone, changed ones are replaced. With --prune, articles once read from
under a SOURCE that no longer holds them are removed.

Problems in the input are listed as file:line and skipped; everything else
is indexed, and the exit code is 1 if there was any problem.

With --watch DIR, DIR is indexed too, then watched until SIGINT or SIGTERM:
files dropped or changed under it are indexed once they stop changing
(.tmp and .part files are left alone), and with --prune the articles of
files that go away are removed.

With --nats URLS the articles are not written to a local index but published
to a cluster's JetStream stream (see "Running a cluster" in the README), up to
--window at a time, each named by its file, record number and content: the
same load run again within the stream's duplicate window (2 minutes) is not
appended twice. The exit code is 1 if any publish failed.`,
		Example: `  vnsearch index ~/news/
  vnsearch index --prune export.jsonl.gz pages/
  vnsearch index --watch ~/news/ --prune
  vnsearch index --nats nats://127.0.0.1:4222 export.jsonl.gz`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, sources []string) error {
			ctx := cmd.Context()
			if len(sources)+len(watch) == 0 {
				return usagef("missing SOURCE: usage: %s", cmd.UseLine())
			}
			sources = append(sources, watch...)
			a.boundHeap()
			if batchSize <= 0 {
				return usagef("--batch-size %d: want a positive number", batchSize)
			}
			// Absolute, clean paths make the articles' origins absolute,
			// which is what --prune compares them with.
			roots := make([]string, len(sources))
			for i, s := range sources {
				abs, err := filepath.Abs(s)
				if err != nil {
					return fmt.Errorf("source %s: %w", s, err)
				}
				roots[i] = abs
			}
			if nats.URLs != "" {
				if prune || len(watch) > 0 {
					return usagef("--nats: --prune and --watch work on a local index only")
				}
				if window <= 0 {
					return usagef("--window %d: want a positive number", window)
				}
				return a.publishSources(ctx, nats, roots, window)
			}
			loc, err := a.where()
			if err != nil {
				return err
			}
			ix, err := a.open(loc, false, true, "send the articles to that server instead, e.g. "+
				`curl -H "Authorization: Bearer $VNSEARCH_TOKEN" --data-binary @articles.jsonl http://127.0.0.1:8080/articles`)
			if err != nil {
				return err
			}
			defer ix.Close()
			indexedAt := time.Now()
			err = a.indexSources(ctx, ix, roots, prune, batchSize)
			if len(watch) == 0 || ctx.Err() != nil {
				return err
			}
			if err != nil {
				fmt.Fprintf(a.stderr, "vnsearch: %v\n", err) // keep watching
			}
			return a.watch(ctx, ix, roots[len(roots)-len(watch):], prune, indexedAt)
		},
	}
	cmd.Flags().BoolVar(&prune, "prune", false, "remove articles whose SOURCE no longer holds them")
	cmd.Flags().StringArrayVar(&watch, "watch", nil, "index `DIR`, then keep indexing what changes under it until interrupted (repeatable)")
	cmd.Flags().IntVar(&batchSize, "batch-size", 500, "articles per batch written to disk")
	cmd.Flags().StringVar(&nats.URLs, "nats", "", "publish to a cluster instead: NATS server `URLs`, comma-separated")
	cmd.Flags().StringVar(&nats.Creds, "creds", "", "with --nats, a NATS credentials `FILE`")
	cmd.Flags().StringVar(&nats.RootCA, "tls-ca", "", "with --nats, the CA `FILE` the NATS servers' certificates chain to")
	cmd.Flags().IntVar(&window, "window", cluster.DefaultWindow, "with --nats, publishes awaiting their acknowledgment at most")
	return cmd
}

// articleMeter starts the progress meter of articles read from roots,
// its total counted meanwhile (the ETA); stop ends the count.
func (a *app) articleMeter(ctx context.Context, roots []string) (meter *progress.Meter, stop context.CancelFunc) {
	interval := progress.PlainInterval
	if a.stderrTTY {
		interval = progress.TerminalInterval
	}
	meter = progress.Start(a.stderr, a.stderrTTY, "articles", interval)
	countCtx, stop := context.WithCancel(ctx)
	go func() {
		if n, ok := countArticles(countCtx, roots); ok {
			meter.SetTotal(n)
		}
	}()
	return meter, stop
}

// indexSources streams the articles under roots into ix, showing
// progress on stderr and a summary on stdout.
func (a *app) indexSources(ctx context.Context, ix *index.Index, roots []string, prune bool, batchSize int) error {
	start := time.Now()
	meter, stopCounting := a.articleMeter(ctx, roots)
	defer stopCounting()

	var (
		problems   atomic.Int64
		unreadable = map[string]bool{} // roots that could not be read at all
		keep       map[string]bool     // IDs read in this run, with --prune only: a million of them are 80 MB
	)
	if prune {
		keep = map[string]bool{}
	}
	isRoot := map[string]bool{}
	for _, r := range roots {
		isRoot[r] = true
	}
	read, readErr := corpus.Skip(corpus.Articles(ctx, roots...), func(p *corpus.Problem) {
		problems.Add(1)
		if isRoot[p.Path] && p.Line == 0 {
			unreadable[p.Path] = true
		}
		meter.Println(p.Error())
	})
	articles := func(yield func(corpus.Article) bool) {
		for art := range read {
			if keep != nil {
				keep[art.ID] = true
			}
			if !yield(art) {
				return
			}
		}
	}
	stats, err := ix.AddStream(ctx, articles, index.StreamOptions{
		BatchSize: batchSize,
		Progress: func(s index.AddStats) {
			meter.Set(int64(s.Added+s.Updated+s.Unchanged) + problems.Load())
		},
	})
	stopCounting()
	meter.Stop()
	if err == nil {
		err = readErr() // what ended the reading early
	}

	out := &errWriter{w: a.stdout}
	out.printf("indexed %d articles in %s: %d added, %d updated, %d unchanged; %d problems\n",
		stats.Added+stats.Updated+stats.Unchanged, time.Since(start).Round(time.Millisecond),
		stats.Added, stats.Updated, stats.Unchanged, problems.Load())
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("interrupted: the %d articles written before stay indexed", stats.Added+stats.Updated)
		}
		return fmt.Errorf("indexing into %s: %w", ix.Path(), err)
	}
	if prune {
		var pruneRoots []string
		for _, r := range roots {
			if unreadable[r] {
				fmt.Fprintf(a.stderr, "vnsearch: not pruning %s: it could not be read\n", r)
				continue
			}
			pruneRoots = append(pruneRoots, r)
		}
		n, err := ix.Prune(ctx, pruneRoots, keep)
		if err != nil {
			return fmt.Errorf("pruning %s: %w", ix.Path(), err)
		}
		out.printf("pruned %d articles that their source no longer holds\n", n)
	}
	// After a bulk load, merge the index's segments at once: it ends
	// smaller, and searches visit one segment.
	if stats.Added+stats.Updated >= compactAfter {
		if err := ix.Compact(ctx); err != nil {
			return err
		}
	}
	if out.err != nil {
		return out.err
	}
	if n := problems.Load(); n > 0 {
		return fmt.Errorf("%d problems in the input (listed above); everything else was indexed", n)
	}
	return nil
}

// compactAfter is how many articles added or changed make a run a bulk
// load, worth compacting the index after.
const compactAfter = 1000

// countArticles estimates the number of articles under roots, for the
// progress meter's ETA: one per page, one per non-blank line of JSON
// Lines (gzipped or not). A JSON array cannot be counted without decoding
// it; then the total is unknown (ok is false). It counts the files that
// corpus.Articles reads, walked by the same walker.
func countArticles(ctx context.Context, roots []string) (n int64, ok bool) {
	for f, err := range corpus.Files(ctx, roots...) {
		if err != nil {
			if ctx.Err() != nil {
				return 0, false
			}
			continue // a problem, which corpus.Articles reports
		}
		name := strings.ToLower(f.Path)
		switch {
		case f.Format == corpus.FormatPage, f.Format == corpus.FormatHTML:
			n++
		case strings.HasSuffix(strings.TrimSuffix(name, ".gz"), ".json"):
			return 0, false
		default:
			lines, err := countLines(ctx, f)
			if err != nil {
				return 0, false
			}
			n += lines
		}
	}
	return n, true
}

// countLines counts the lines of a JSON Lines file, gunzipped if its name
// ends in .gz, that hold more than whitespace. A file that cannot be read
// counts what was read of it: corpus.Articles reports the problem.
func countLines(ctx context.Context, file corpus.File) (int64, error) {
	f, err := file.Open()
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(strings.ToLower(file.Path), ".gz") {
		zr, err := gzip.NewReader(f)
		if err != nil {
			return 0, nil
		}
		defer zr.Close()
		r = zr
	}
	var (
		n    int64
		text bool // the current line holds text
		buf  = make([]byte, 256<<10)
	)
	for {
		m, err := r.Read(buf)
		chunk := buf[:m]
		for len(chunk) > 0 {
			i := bytes.IndexByte(chunk, '\n')
			line := chunk
			if i >= 0 {
				line = chunk[:i]
			}
			if !text && len(bytes.TrimSpace(line)) > 0 {
				text = true
			}
			if i < 0 {
				break
			}
			if text {
				n++
			}
			text = false
			chunk = chunk[i+1:]
		}
		if err != nil {
			if text {
				n++
			}
			return n, nil
		}
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
	}
}
