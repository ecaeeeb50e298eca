package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/ingest"
)

func newFollowCommand(a *app) *cobra.Command {
	var (
		feedsFile string
		interval  time.Duration
		hostDelay time.Duration
		once      bool
	)
	cmd := &cobra.Command{
		Use:   "follow [--feeds FILE] [FEED_URL...]",
		Short: "Follow RSS and Atom feeds, indexing each new item's page",
		Long: `Poll each RSS or Atom feed, fetch the page of every new item, extract its
article (title, outlet, date, byline, paragraphs, without the site's chrome)
and index it, until SIGINT or SIGTERM. With --once, poll each feed once and
exit.

Fetching is polite: a User-Agent naming vnsearch, robots.txt honoured, one
request at a time per host with a pause between them, conditional GETs
(ETag, Last-Modified), bounded bodies and timeouts, and exponential backoff
on errors. A feed that fails is retried without holding back the others.
An item whose page cannot be fetched is indexed from the feed's summary and
fetched again later. What was seen is remembered in the index, so a restart
fetches nothing twice; "vnsearch stats" shows each feed's state.`,
		Example: `  vnsearch follow https://vnexpress.net/rss/tin-moi-nhat.rss
  vnsearch follow --feeds feeds.txt --interval 10m
  vnsearch follow --once https://tuoitre.vn/rss/tin-moi-nhat.rss`,
		RunE: func(cmd *cobra.Command, urls []string) error {
			ctx := cmd.Context()
			if feedsFile != "" {
				more, err := ingest.ReadFeedFile(feedsFile)
				if err != nil {
					return usagef("--feeds: %v", err)
				}
				urls = append(urls, more...)
			}
			if len(urls) == 0 {
				return usagef("missing FEED_URL: usage: %s", cmd.UseLine())
			}
			if interval < time.Minute {
				return usagef("--interval %s: want at least 1m, politely", interval)
			}
			if hostDelay < 0 {
				return usagef("--host-delay %s: want 0 or more", hostDelay)
			}
			if hostDelay == 0 {
				hostDelay = -1 // none, as asked
			}
			loc, err := a.where()
			if err != nil {
				return err
			}
			ix, err := a.open(loc, false, true, "stop that process first: vnsearch serve --follow FILE follows feeds too")
			if err != nil {
				return err
			}
			defer ix.Close()
			logger := slog.New(slog.NewTextHandler(a.stderr, nil))
			f, err := ingest.NewFollower(ix, slices.Clip(urls), ingest.FollowOptions{
				Fetcher:  ingest.NewFetcher(ingest.FetchOptions{HostInterval: hostDelay}),
				Interval: interval,
				Logger:   logger,
			})
			if err != nil {
				return usagef("%v", err)
			}
			if once {
				f.PollDue(ctx)
			} else {
				fmt.Fprintf(a.stderr, "vnsearch: following %d feeds into %s every %s; Ctrl-C stops\n", len(urls), loc.path, interval)
				if err := f.Run(ctx); err != nil && !errors.Is(err, ctx.Err()) {
					return err
				}
			}
			out := &errWriter{w: a.stdout}
			failed := 0
			for _, st := range f.Status() {
				line := fmt.Sprintf("%s: %d items known, %d pages fetched, %d from the feed's summary", st.URL, st.Items, st.PagesFetched, st.SummaryOnly)
				if st.LastError != "" {
					failed++
					line += "; failing: " + st.LastError
				}
				out.printf("%s\n", line)
			}
			if out.err != nil {
				return out.err
			}
			if ctx.Err() != nil {
				return nil // stopped by a signal: what was indexed stays
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d feeds failed (listed above)", failed, len(f.Status()))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&feedsFile, "feeds", "", "`FILE` of feed URLs, one a line (# comments)")
	cmd.Flags().DurationVar(&interval, "interval", 15*time.Minute, "time between two polls of a feed")
	cmd.Flags().DurationVar(&hostDelay, "host-delay", time.Second, "least time between two requests to one host")
	cmd.Flags().BoolVar(&once, "once", false, "poll each feed once and exit")
	return cmd
}

// ingestFlags are serve's flags for following feeds and watching folders.
type ingestFlags struct {
	followFile string
	watchDirs  []string
	prune      bool
}

func (f *ingestFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.followFile, "follow", "", "follow the RSS/Atom feeds listed in `FILE`, one URL a line")
	cmd.Flags().StringArrayVar(&f.watchDirs, "watch", nil, "index files dropped or changed under `DIR` (repeatable)")
	cmd.Flags().BoolVar(&f.prune, "prune", false, "with --watch, remove the articles of files that go away")
}

func (f *ingestFlags) check() error {
	if f.prune && len(f.watchDirs) == 0 {
		return usagef("--prune: only with --watch")
	}
	return nil
}

// start follows and watches what the flags name, in the background.
func (f *ingestFlags) start(ctx context.Context, ix *index.Index, logger *slog.Logger) (*ingest.Service, error) {
	var (
		follower *ingest.Follower
		watcher  *ingest.Watcher
	)
	if f.followFile != "" {
		urls, err := ingest.ReadFeedFile(f.followFile)
		if err != nil {
			return nil, usagef("--follow: %v", err)
		}
		follower, err = ingest.NewFollower(ix, urls, ingest.FollowOptions{Logger: logger})
		if err != nil {
			return nil, usagef("--follow %s: %v", f.followFile, err)
		}
	}
	if len(f.watchDirs) > 0 {
		var err error
		watcher, err = ingest.NewWatcher(ix, f.watchDirs, ingest.WatchOptions{Prune: f.prune, Logger: logger})
		if err != nil {
			return nil, usagef("--watch: %v", err)
		}
	}
	if follower == nil && watcher == nil {
		return nil, nil
	}
	return ingest.Start(ctx, follower, watcher), nil
}

// ingestStatus reads what the feeds followed into ix have brought in; nil
// when no feed was ever followed.
func ingestStatus(ix *index.Index) (*ingest.Status, error) {
	st, err := ingest.ReadStatus(ix)
	if err != nil {
		return nil, err
	}
	if len(st.Feeds) == 0 {
		return nil, nil
	}
	return &st, nil
}

// printIngest adds the feeds followed to the human output of stats.
func printIngest(tw *tabwriter.Writer, st *ingest.Status) {
	if st == nil {
		return
	}
	for i, f := range st.Feeds {
		label := ""
		if i == 0 {
			label = "feeds:"
		}
		last := "never polled"
		if !f.LastPoll.IsZero() {
			last = "last polled " + f.LastPoll.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s; %d items, %d pages fetched, %d from the feed's summary, %d page failures\n",
			label, plain(f.URL), last, f.Items, f.PagesFetched, f.SummaryOnly, f.PageFailures)
		if f.LastError != "" {
			fmt.Fprintf(tw, "\t\tfailing (%d in a row): %s\n", f.Failures, plain(f.LastError))
		}
		for _, r := range f.Recent {
			fmt.Fprintf(tw, "\t\t%s %s: %s\n", r.Time.Local().Format("2006-01-02 15:04"), plain(r.URL), plain(r.Reason))
		}
	}
}

// watch indexes what changes under dirs until ctx is canceled; the files
// there were read in full at indexedAt.
func (a *app) watch(ctx context.Context, ix *index.Index, dirs []string, prune bool, indexedAt time.Time) error {
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	w, err := ingest.NewWatcher(ix, dirs, ingest.WatchOptions{
		Prune: prune, IndexedAt: indexedAt, Logger: logger,
		OnReady: func() {
			fmt.Fprintf(a.stderr, "vnsearch: watching %d folders for changes; Ctrl-C stops\n", len(dirs))
		},
	})
	if err != nil {
		return usagef("--watch: %v", err)
	}
	if err := w.Run(ctx); err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}
