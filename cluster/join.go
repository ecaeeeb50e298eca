package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/nats-io/nats.go"

	"github.com/vnsearch/vnsearch/index"
)

// Config says how a node joins a cluster.
type Config struct {
	// URLs are the NATS servers, comma-separated as NATS clients take
	// them: nats://host:4222,nats://host2:4222.
	URLs string
	// Creds is a NATS credentials file; "" for none.
	Creds string
	// RootCA, when set, is the CA file that the servers' TLS
	// certificates must chain to.
	RootCA string
	// Replicas is the number of copies of the stream, when the node
	// creates it; 0 means as many servers as the client sees, up to 3.
	Replicas int
	// Shards is the number of shards of a cluster the node creates; 0
	// takes the cluster's (one for a new cluster). Joining a cluster
	// created with another number fails.
	Shards int
	// ServeShards are the shards a node of a sharded cluster keeps and
	// answers for (see JoinShards); none means all.
	ServeShards []int
	// SnapshotEvery is how many changes applied past the newest snapshot
	// make the node take and upload another (see Replica.Snapshot); 0
	// takes none.
	SnapshotEvery int
	// Logger tells of snapshots taken and failed; nil: slog's default.
	Logger *slog.Logger
}

// Join connects to the NATS servers of cfg, makes sure the stream exists
// and returns a Node that publishes writes to it and applies it to ix once
// its Run is called. Close closes the connection. A cluster of several
// shards is joined with JoinShards; with a nil ix, Join only connects and
// opens the log.
func Join(ctx context.Context, cfg Config, ix *index.Index) (*Node, error) {
	if strings.TrimSpace(cfg.URLs) == "" {
		return nil, fmt.Errorf("cluster: no NATS server URL")
	}
	nc, err := Connect(cfg)
	if err != nil {
		return nil, err
	}
	replicas := cfg.Replicas
	if replicas <= 0 {
		replicas = min(3, max(1, len(nc.Servers())))
	}
	log, err := OpenShards(ctx, nc, replicas, cfg.Shards)
	if err != nil {
		nc.Close()
		return nil, err
	}
	if ix == nil {
		return &Node{Log: log, nc: nc}, nil
	}
	if log.Shards() > 1 {
		nc.Close()
		return nil, fmt.Errorf("cluster: the cluster has %d shards: a node keeps one index per shard it serves", log.Shards())
	}
	rep, err := NewReplica(nc, ix)
	if err != nil {
		nc.Close()
		return nil, err
	}
	rep.SetSnapshots(cfg.SnapshotEvery, cfg.Logger)
	if have, err := Snapshots(ctx, nc); err == nil && len(have) > 0 {
		rep.noteSnapshot(have[len(have)-1].Seq)
	}
	return &Node{Log: log, Replica: rep, nc: nc}, nil
}

// Close closes the node's connection (Run stops with its context).
func (n *Node) Close() {
	if n.nc != nil {
		n.nc.Close()
	}
}

// Connect connects to the NATS servers of cfg, with its credentials and
// CA, reconnecting without end.
func Connect(cfg Config) (*nats.Conn, error) {
	if strings.TrimSpace(cfg.URLs) == "" {
		return nil, fmt.Errorf("cluster: no NATS server URL")
	}
	opts := []nats.Option{nats.Name("vnsearch"), nats.MaxReconnects(-1)}
	if cfg.Creds != "" {
		opts = append(opts, nats.UserCredentials(cfg.Creds))
	}
	if cfg.RootCA != "" {
		opts = append(opts, nats.RootCAs(cfg.RootCA))
	}
	nc, err := nats.Connect(cfg.URLs, opts...)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", cfg.URLs, err)
	}
	return nc, nil
}

// DefaultReplicas is the number of stream copies for a client connected
// as nc: as many servers as it sees, up to 3.
func DefaultReplicas(nc *nats.Conn) int {
	return min(3, max(1, len(nc.Servers())))
}
