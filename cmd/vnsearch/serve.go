package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/cmd/internal/server"
	"github.com/vnsearch/vnsearch/index"
)

// shutdownTimeout bounds the wait for in-flight requests on SIGINT or
// SIGTERM; past it they are canceled.
const shutdownTimeout = 10 * time.Second

// defaultMemoryLimit is the room the Go runtime's soft memory limit
// (GOMEMLIMIT) leaves requests while serving, unless --memory-limit or
// $GOMEMLIMIT says otherwise: the garbage collector works harder as the
// heap nears the limit, instead of letting it grow to twice what is live.
// The limit is this much over what the open index keeps on the heap (its
// lexicon, what it holds of each segment, its caches at their bound):
// a fixed limit that a large index alone fills makes the collector run
// without pause (at a million articles, 86 MB live before its caches
// filled, under a limit of 128 MiB: searches took 1.6× as long). The
// index's mapped files come on top.
const defaultMemoryLimit = 128 << 20

// serveOptions are the flags of serve.
type serveOptions struct {
	addr          string
	token         string
	tokenFile     string
	searchTimeout time.Duration
	memoryLimit   string
	ingest        ingestFlags
	cluster       cluster.Config
}

func newServeCommand(a *app) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the index over HTTP: a JSON API and a search page",
		Long: `Serve the index over HTTP until SIGINT or SIGTERM, then finish the requests
in flight and exit.

  GET    /                    search page
  GET    /search?q=&size=&from=&source=&category=&since=&until=&sort=
  GET    /analyze?text=&folded=
  GET    /articles/{id}
  POST   /articles            JSON array or JSON Lines body (token)
  DELETE /articles/{id}       (token)
  GET    /stats
  GET    /healthz

Writes need Authorization: Bearer TOKEN, the token read from --token-file,
$VNSEARCH_TOKEN or --token (visible to other users in the process list:
prefer the other two); without one they are refused. Without a token the
server only listens on a loopback address; on any other address the token
must be at least 16 characters long.

With --follow FILE the server also follows the RSS and Atom feeds listed in
FILE (one URL a line), as "vnsearch follow" does; with --watch DIR it indexes
the files dropped or changed under DIR, and with --prune removes the
articles of files that go away. GET /stats shows both.

With --nats URLS the node joins a cluster: writes are published to a
JetStream stream and answered with their sequence, every node applies the
stream to its own index, and GET /search?min_seq=N waits until N is applied
(see "Running a cluster" in the README). A cluster created with --shards N
splits its articles over N shards; a node keeps the shards of --serve-shards
(default: all) in DIR/shard-K and searches every shard through NATS.`,
		Example: `  vnsearch serve
  vnsearch serve --addr :8080 --token-file ~/.config/vnsearch/token
  vnsearch serve --follow feeds.txt --watch ~/news --prune`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, err := o.readToken(a, cmd.Flags().Changed("token"))
			if err != nil {
				return err
			}
			if err := server.CheckAddr(o.addr, token); err != nil {
				return &usageError{"--addr: " + err.Error()}
			}
			if o.searchTimeout <= 0 {
				return usagef("--search-timeout %s: want a positive duration, e.g. 2s", o.searchTimeout)
			}
			if err := o.ingest.check(); err != nil {
				return err
			}
			if o.cluster.URLs == "" && (cmd.Flags().Changed("shards") || cmd.Flags().Changed("serve-shards")) {
				return usagef("--shards and --serve-shards need --nats")
			}
			if o.cluster.Shards < 0 || o.cluster.Shards > cluster.MaxShards {
				return usagef("--shards %d: want 1 to %d", o.cluster.Shards, cluster.MaxShards)
			}
			if o.cluster.SnapshotEvery < 0 {
				return usagef("--snapshot-every %d: want 0 (never) or a positive number", o.cluster.SnapshotEvery)
			}
			if o.cluster.URLs != "" && (o.ingest.followFile != "" || len(o.ingest.watchDirs) > 0) {
				return usagef("--nats: --follow and --watch write to the local index only; run them on a node without --nats, or post to the cluster")
			}
			a.boundHeap()
			if err := a.setMemoryLimit(o.memoryLimit); err != nil {
				return err
			}
			return a.serve(cmd.Context(), o, token)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	f.StringVar(&o.tokenFile, "token-file", "", "read the bearer token that writes must present from this file")
	f.StringVar(&o.token, "token", "", "bearer token that writes must present (default $VNSEARCH_TOKEN; prefer --token-file or $VNSEARCH_TOKEN: other users can read command lines)")
	f.DurationVar(&o.searchTimeout, "search-timeout", server.DefaultSearchTimeout, "cancel a search that takes longer, answering 503")
	f.StringVar(&o.memoryLimit, "memory-limit", "",
		fmt.Sprintf("soft limit of the Go heap, e.g. 256MiB, or off (default $GOMEMLIMIT, else %dMiB over what the open index keeps)", defaultMemoryLimit>>20))
	f.StringVar(&o.cluster.URLs, "nats", "", "join a cluster: NATS server `URLs`, comma-separated; writes go through a JetStream stream")
	f.StringVar(&o.cluster.Creds, "creds", "", "with --nats, a NATS credentials `FILE`")
	f.StringVar(&o.cluster.RootCA, "tls-ca", "", "with --nats, the CA `FILE` the NATS servers' certificates chain to")
	f.IntVar(&o.cluster.Shards, "shards", 0, "with --nats, the number of shards of a cluster this node creates (default: the cluster's, 1 for a new one)")
	f.IntSliceVar(&o.cluster.ServeShards, "serve-shards", nil, "with --nats, the shards this node keeps and answers for, e.g. 0,2 (default: all)")
	f.IntVar(&o.cluster.SnapshotEvery, "snapshot-every", cluster.DefaultSnapshotEvery,
		"with --nats, upload a snapshot of the index once it has applied `N` changes past the newest one (0: never)")
	o.ingest.register(cmd)
	return cmd
}

// readToken returns the token of --token-file, --token or
// $VNSEARCH_TOKEN, without surrounding space; "" for none.
func (o *serveOptions) readToken(a *app, tokenSet bool) (string, error) {
	switch {
	case o.tokenFile != "" && tokenSet:
		return "", usagef("--token and --token-file both give the token: pass one")
	case o.tokenFile != "":
		data, err := os.ReadFile(o.tokenFile)
		if err != nil {
			return "", fmt.Errorf("--token-file: %w", err)
		}
		token := strings.TrimSpace(string(data))
		if token == "" {
			return "", usagef("--token-file %s holds no token", o.tokenFile)
		}
		return token, nil
	case tokenSet:
		token := strings.TrimSpace(o.token)
		if token == "" {
			return "", usagef("--token is blank")
		}
		fmt.Fprintf(a.stderr, "vnsearch: note: other users of this machine can read --token in the process list; prefer --token-file or $VNSEARCH_TOKEN\n")
		return token, nil
	}
	raw := a.getenv("VNSEARCH_TOKEN")
	token := strings.TrimSpace(raw)
	if token == "" && raw != "" {
		return "", usagef("$VNSEARCH_TOKEN is blank")
	}
	return token, nil
}

// setMemoryLimit sets the Go runtime's soft memory limit: limit ("off",
// or a size such as 256MiB), else $GOMEMLIMIT as the runtime read it, else
// defaultMemoryLimit until fitMemoryLimit sees the open index.
func (a *app) setMemoryLimit(limit string) error {
	if limit == "" {
		if a.getenv("GOMEMLIMIT") != "" {
			return nil // the runtime has read it already
		}
		a.fitLimit = true
		debug.SetMemoryLimit(defaultMemoryLimit)
		return nil
	}
	n, err := parseSize(limit)
	if err != nil {
		return usagef("--memory-limit %q: %v", limit, err)
	}
	debug.SetMemoryLimit(n)
	return nil
}

// fitMemoryLimit sets the default soft memory limit over what the open
// indexes (one, or a cluster node's shards) keep on the heap: the live
// heap once they are open, and the bound of the caches that fill as they
// are searched. The limit of --memory-limit or
// $GOMEMLIMIT is left as it is.
func (a *app) fitMemoryLimit(ixs ...*index.Index) {
	if !a.fitLimit {
		return
	}
	var cache int64
	for _, ix := range ixs {
		cache += ix.CacheBudget()
	}
	runtime.GC()
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	var live int64
	if sample[0].Value.Kind() == metrics.KindUint64 {
		live = int64(sample[0].Value.Uint64())
	}
	debug.SetMemoryLimit(memoryLimitOver(live, cache))
}

// memoryLimitOver is the default soft memory limit for an index that
// keeps live bytes on the heap once open, and caches of up to cache bytes.
func memoryLimitOver(live, cache int64) int64 {
	return defaultMemoryLimit + max(live, 0) + max(cache, 0)
}

// parseSize reads a size as GOMEMLIMIT takes it: a number of bytes with
// an optional unit B, KiB, MiB, GiB or TiB; or "off".
func parseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		return math.MaxInt64, nil
	}
	units := []struct {
		suffix string
		scale  int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}}
	scale := int64(1)
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, scale = rest, u.scale
			break
		}
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n <= 0 || n > math.MaxInt64/scale {
		return 0, errors.New("want a size such as 256MiB or 1GiB, or off")
	}
	return n * scale, nil
}

// serve runs the server until ctx is canceled.
func (a *app) serve(ctx context.Context, o serveOptions, token string) error {
	if o.cluster.URLs != "" {
		if sharded, err := a.serveShards(ctx, o, token); sharded || err != nil {
			return err
		}
	}
	loc, err := a.where()
	if err != nil {
		return err
	}
	if o.cluster.URLs != "" {
		err := a.whileElecting(ctx, func() error { return a.prepareNode(ctx, o.cluster, loc.path) })
		if err != nil {
			return err
		}
	}
	if err := a.ensureDefault(ctx, loc); err != nil {
		return err
	}
	ix, err := a.open(loc, false, true, "stop that process first, or pass another --index")
	if err != nil {
		return err
	}
	a.fitMemoryLimit(ix)
	closed := false
	defer func() {
		if !closed {
			a.releaseHolder()
			ix.Close()
		}
	}()

	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	ingesting, err := o.ingest.start(ctx, ix, logger)
	if err != nil {
		return err
	}
	defer ingesting.Stop()
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	url := "http://" + ln.Addr().String()
	a.recordHolder(loc.path, url)
	ix.PrepareSuggestions() // in the background, for the search box's first reader
	cfg := server.Config{Index: ix, Token: token, Logger: logger, SearchTimeout: o.searchTimeout, Ingest: ingesting.Status}
	// stopCluster stops applying the log and leaves the cluster, before
	// the index is closed.
	stopCluster := func() {}
	defer func() { stopCluster() }()
	// behind tells that the node stopped applying the log: the stream was
	// purged past it.
	behind := make(chan error, 1)
	if o.cluster.URLs != "" {
		o.cluster.Logger = logger
		var node *cluster.Node
		err := a.whileElecting(ctx, func() (err error) {
			node, err = cluster.Join(ctx, o.cluster, ix)
			return err
		})
		if err != nil {
			return err
		}
		applying, stopApplying := context.WithCancel(context.WithoutCancel(ctx))
		applied := make(chan error, 1)
		go func() {
			err := node.Run(applying)
			if err != nil {
				behind <- err
			}
			applied <- err
		}()
		stopCluster = sync.OnceFunc(func() { stopApplying(); <-applied; node.Close() })
		cfg.Log = node
		fmt.Fprintf(a.stderr, "vnsearch: joined the cluster at %s; applied up to seq %d\n", o.cluster.URLs, node.Applied())
	}
	handler := server.New(cfg)
	srv, served, cancelRequests := startHTTP(ctx, handler, ln, logger)
	defer cancelRequests()
	fmt.Fprintf(a.stderr, "vnsearch: serving the index at %s; %s\n", loc.path, writesNote(token))
	fmt.Fprintf(a.stderr, "vnsearch: listening on %s\n", url)
	var stopped error
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case err := <-behind:
		stopped = fmt.Errorf("%w; stopping: start the node again to restore the newest snapshot and replay from it", err)
		logger.Error("cluster: this node can no longer apply the log", "err", err)
	case <-ctx.Done():
	}
	if err := a.shutdown(srv, served, cancelRequests); err != nil {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	// Wait for the feeds and folders followed, and for handlers still
	// using the index (after a forced close), before closing it.
	if err := ingesting.Stop(); err != nil {
		fmt.Fprintf(a.stderr, "vnsearch: %v\n", err)
	}
	handler.Close()
	stopCluster()
	closed = true
	a.releaseHolder()
	if err := ix.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "vnsearch: stopped\n")
	return stopped
}

// startHTTP serves handler on ln and returns the server, what its Serve
// returns once it ends, and what cancels the requests. Requests run on a
// context of their own, canceled only when a shutdown outlasts its
// timeout (see shutdown): a signal must not cut a write short.
func startHTTP(ctx context.Context, handler http.Handler, ln net.Listener, logger *slog.Logger) (*http.Server, <-chan error, context.CancelFunc) {
	requests, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	srv := server.HTTPServer(handler, requests, slog.NewLogLogger(logger.Handler(), slog.LevelWarn))
	served := make(chan error, 1)
	go func() { served <- srv.Serve(server.JSONErrors(ln)) }()
	return srv, served, cancelRequests
}

// writesNote says at start whether writes are open to the token holder.
func writesNote(token string) string {
	if token == "" {
		return "writes are disabled (no token)"
	}
	return "writes need the bearer token"
}

// shutdown stops srv, letting the requests in flight finish for up to
// shutdownTimeout before canceling them; served is what srv.Serve
// returned, an error unless it was the shutdown.
func (a *app) shutdown(srv *http.Server, served <-chan error, cancelRequests context.CancelFunc) error {
	fmt.Fprintf(a.stderr, "vnsearch: shutting down; finishing the requests in flight\n")
	ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		fmt.Fprintf(a.stderr, "vnsearch: requests still running after %s are canceled\n", shutdownTimeout)
		cancelRequests()
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// electionWait bounds how long a node starting retries what JetStream
// times out on: a NATS cluster just started elects its leaders first.
const electionWait = 30 * time.Second

// whileElecting runs f, and again while JetStream elects its leaders (see
// electing), up to electionWait.
func (a *app) whileElecting(ctx context.Context, f func() error) error {
	deadline := time.Now().Add(electionWait)
	for {
		err := f()
		if err == nil || !electing(err) || ctx.Err() != nil || time.Now().After(deadline) {
			return err
		}
		fmt.Fprintf(a.stderr, "vnsearch: %v; trying again (JetStream may be electing its leaders)\n", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// electing tells the errors of JetStream while it has no leader: a
// request that times out, one answered 503 (temporarily unavailable), or
// a read of a stream whose leader is not there yet (no responders).
func electing(err error) bool {
	var api *jetstream.APIError
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrTimeout) ||
		errors.Is(err, nats.ErrNoResponders) ||
		(errors.As(err, &api) && api.Code == http.StatusServiceUnavailable)
}

// prepareNode readies the index directory of a node before it opens it
// (see cluster.Prepare): a new node restores the newest snapshot, one
// behind the stream's retention has its index moved aside first.
func (a *app) prepareNode(ctx context.Context, cfg cluster.Config, dir string) error {
	return a.prepareShard(ctx, cfg, dir, 0, 1)
}

// prepareShard is prepareNode for the index directory of shard of a
// cluster of shards (see cluster.PrepareShard).
func (a *app) prepareShard(ctx context.Context, cfg cluster.Config, dir string, shard, shards int) error {
	nc, err := cluster.Connect(cfg)
	if err != nil {
		return err
	}
	defer nc.Close()
	p, err := cluster.PrepareShard(ctx, nc, dir, shard, shards)
	if errors.Is(err, index.ErrBusy) {
		return nil // opening it says who holds it
	}
	if err != nil {
		return err
	}
	if p.MovedAside != "" {
		fmt.Fprintf(a.stderr, "vnsearch: the index at %s had applied the log up to seq %d, but the stream was purged past it after a snapshot: moved it to %s\n",
			dir, p.AsideApplied, p.MovedAside)
	}
	if p.Restored.Seq > 0 {
		fmt.Fprintf(a.stderr, "vnsearch: restored the snapshot at seq %d (%d bytes) into %s; replaying the stream from seq %d\n",
			p.Restored.Seq, p.Restored.Size, dir, p.Restored.Seq+1)
	}
	return nil
}
