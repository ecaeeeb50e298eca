package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/cmd/internal/server"
	"github.com/vnsearch/vnsearch/index"
)

// shardDir is where a node of a cluster of several shards keeps the index
// of one shard: DIR/shard-K, DIR being the --index directory.
func shardDir(dir string, shard int) string {
	return filepath.Join(dir, "shard-"+strconv.Itoa(shard))
}

// serveShards serves as a node of a cluster of several shards when the
// cluster of o has several (or --shards asks to create one), and reports
// false, having done nothing, when it has one: the node then serves its
// one index as before.
func (a *app) serveShards(ctx context.Context, o serveOptions, token string) (bool, error) {
	var node *cluster.Node
	err := a.whileElecting(ctx, func() (err error) {
		node, err = cluster.Join(ctx, o.cluster, nil)
		return err
	})
	if err != nil {
		return true, err
	}
	if node.Shards() == 1 {
		node.Close()
		if len(o.cluster.ServeShards) > 0 && (len(o.cluster.ServeShards) != 1 || o.cluster.ServeShards[0] != 0) {
			return true, usagef("--serve-shards: the cluster has one shard, 0")
		}
		return false, nil
	}
	loc, err := a.where()
	if err != nil {
		node.Close()
		return true, err
	}
	if index.Exists(loc.path) {
		node.Close()
		return true, fmt.Errorf("%s holds the index of a node of one shard; the cluster at %s has %d shards, "+
			"whose indexes a node keeps in DIR/shard-K: pass another --index", loc.path, o.cluster.URLs, node.Shards())
	}
	var opened []*index.Index
	closeAll := func() {
		for _, ix := range opened {
			ix.Close()
		}
	}
	sn, err := node.ServeShards(o.cluster.ServeShards, func(shard int) (*index.Index, error) {
		dir := shardDir(loc.path, shard)
		// A new or wiped shard restores its shard's newest snapshot; one
		// behind its shard's purge is moved aside first.
		err := a.whileElecting(ctx, func() error { return a.prepareShard(ctx, o.cluster, dir, shard, node.Shards()) })
		if err != nil {
			return nil, err
		}
		existed := index.Exists(dir)
		ix, err := index.OpenOrCreate(dir)
		if errors.Is(err, index.ErrBusy) {
			return nil, errors.New(busyMessage(dir, "stop that process first, or pass another --index"))
		}
		if err != nil {
			return nil, err
		}
		if !existed {
			fmt.Fprintf(a.stderr, "vnsearch: created a new index for shard %d at %s\n", shard, dir)
		}
		opened = append(opened, ix)
		return ix, nil
	})
	if err != nil {
		closeAll()
		return true, err
	}
	a.fitMemoryLimit(opened...)
	logger := slog.New(slog.NewTextHandler(a.stderr, nil))
	sn.SetSnapshots(ctx, o.cluster.SnapshotEvery, logger)
	applying, stopApplying := context.WithCancel(context.WithoutCancel(ctx))
	ran := make(chan error, 1)
	// stopped tells that the node stopped applying or answering for its
	// shards: it then stops serving.
	stopped := make(chan error, 1)
	go func() {
		err := sn.Run(applying)
		if err != nil {
			stopped <- err
		}
		ran <- err
	}()
	var runErr error
	stopCluster := sync.OnceFunc(func() {
		stopApplying()
		runErr = <-ran
		sn.Close()
		closeAll()
	})
	defer stopCluster()
	var serving []string
	for _, rep := range sn.Replicas() {
		serving = append(serving, fmt.Sprintf("%d (applied up to seq %d)", rep.Shard(), rep.Applied()))
	}
	fmt.Fprintf(a.stderr, "vnsearch: joined the cluster at %s, of %d shards; serving shards %v\n",
		o.cluster.URLs, sn.Shards(), serving)

	handler := server.New(server.Config{Token: token, Logger: logger, SearchTimeout: o.searchTimeout,
		Log: sn, Shards: sn.Sharded()})
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return true, fmt.Errorf("listen: %w", err)
	}
	srv, served, cancelRequests := startHTTP(ctx, handler, ln, logger)
	defer cancelRequests()
	fmt.Fprintf(a.stderr, "vnsearch: serving the shards at %s; %s\n", loc.path, writesNote(token))
	fmt.Fprintf(a.stderr, "vnsearch: listening on http://%s\n", ln.Addr())
	select {
	case err := <-served:
		return true, fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	case err := <-stopped:
		fmt.Fprintf(a.stderr, "vnsearch: the node stopped applying the log to its shards: %v\n", err)
		if errors.Is(err, cluster.ErrBehind) {
			fmt.Fprintf(a.stderr, "vnsearch: start the node again to restore the newest snapshot of the shard and replay from it\n")
		}
	case <-ctx.Done():
	}
	if err := a.shutdown(srv, served, cancelRequests); err != nil {
		return true, fmt.Errorf("serving on %s: %w", ln.Addr(), err)
	}
	handler.Close()
	stopCluster()
	if runErr != nil {
		return true, runErr
	}
	fmt.Fprintf(a.stderr, "vnsearch: stopped\n")
	return true, nil
}
