package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/server"
)

// Server timeouts. POST /articles extends its own deadlines for large
// bodies.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	// shutdownTimeout bounds the wait for in-flight requests on SIGINT or
	// SIGTERM; past it they are canceled.
	shutdownTimeout = 10 * time.Second
)

func newServeCommand(a *app) *cobra.Command {
	var addr, token string
	var feeds ingestFlags
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

Writes need Authorization: Bearer TOKEN, the token set by --token or
$VNSEARCH_TOKEN; without one they are refused. Without a token the server
only listens on a loopback address.

With --follow FILE the server also follows the RSS and Atom feeds listed in
FILE (one URL a line), as "vnsearch follow" does; with --watch DIR it indexes
the files dropped or changed under DIR, and with --prune removes the
articles of files that go away. GET /stats shows both.`,
		Example: `  vnsearch serve
  VNSEARCH_TOKEN=s3cret vnsearch serve --addr :8080`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if token == "" {
				token = a.getenv("VNSEARCH_TOKEN")
			}
			if err := server.CheckAddr(addr, token); err != nil {
				return &usageError{"--addr: " + err.Error()}
			}
			if err := feeds.check(); err != nil {
				return err
			}
			return a.serve(cmd.Context(), addr, token, feeds)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on (host:port; port 0 picks a free one)")
	cmd.Flags().StringVar(&token, "token", "", "bearer token that writes must present (default $VNSEARCH_TOKEN)")
	feeds.register(cmd)
	return cmd
}

// serve runs the server until ctx is canceled.
func (a *app) serve(ctx context.Context, addr, token string, feeds ingestFlags) error {
	loc, err := a.where()
	if err != nil {
		return err
	}
	if err := a.ensureDefault(ctx, loc); err != nil {
		return err
	}
	ix, err := a.open(loc, false, true, "stop that process first, or pass another --index")
	if err != nil {
		return err
	}
	closed := false
	defer func() {
		if !closed {
			ix.Close()
		}
	}()

	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	ingesting, err := feeds.start(ctx, ix, logger)
	if err != nil {
		return err
	}
	defer ingesting.Stop()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	handler := server.New(server.Config{Index: ix, Token: token, Logger: logger, Ingest: ingesting.Status})
	// Requests run on a context of their own, canceled only when a
	// shutdown outlasts its timeout: a signal must not cut a write short.
	requests, cancelRequests := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelRequests()
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		BaseContext:       func(net.Listener) context.Context { return requests },
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	writes := "writes need the bearer token"
	if token == "" {
		writes = "writes are disabled (no token)"
	}
	fmt.Fprintf(a.stderr, "vnsearch: serving the index at %s; %s\n", loc.path, writes)
	fmt.Fprintf(a.stderr, "vnsearch: listening on http://%s\n", ln.Addr())

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	fmt.Fprintf(a.stderr, "vnsearch: shutting down; finishing the requests in flight\n")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		fmt.Fprintf(a.stderr, "vnsearch: requests still running after %s are canceled\n", shutdownTimeout)
		cancelRequests()
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	// Wait for the feeds and folders followed, and for handlers still
	// using the index (after a forced close), before closing it.
	if err := ingesting.Stop(); err != nil {
		fmt.Fprintf(a.stderr, "vnsearch: %v\n", err)
	}
	handler.Close()
	closed = true
	if err := ix.Close(); err != nil {
		return err
	}
	fmt.Fprintf(a.stderr, "vnsearch: stopped\n")
	return nil
}
