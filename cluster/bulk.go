package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/vnsearch/vnsearch/corpus"
)

// DefaultWindow is how many publishes a Bulk keeps in flight.
const DefaultWindow = 256

// BulkStats counts what a Bulk published.
type BulkStats struct {
	// Published counts the changes JetStream acknowledged as new;
	// Duplicates those it had already within DuplicateWindow (a re-run);
	// Failed those not acknowledged.
	Published, Duplicates, Failed int
	// LastSeq is the highest sequence acknowledged, duplicates included.
	LastSeq uint64
	// FirstErr is the first failure, nil when there was none.
	FirstErr error
}

// Bulk publishes many changes without waiting for each acknowledgment:
// at most its window are in flight at once. It is for bulk loads; the
// order of changes to the same ID is kept only as JetStream receives
// them, which for one connection is the order of Add.
type Bulk struct {
	js     jetstream.JetStream
	shards int // of the cluster: each change goes to its shard's subject
	sem    chan struct{}
	acks   chan pending
	done   chan struct{}

	mu    sync.Mutex
	stats BulkStats
}

type pending struct {
	fut jetstream.PubAckFuture
}

// BulkAckTimeout is how long a Bulk waits for the acknowledgment of a
// publish before it counts it failed.
const BulkAckTimeout = 30 * time.Second

// Bulk starts a bulk load with window publishes in flight at most
// (DefaultWindow when window <= 0). Call Wait when done adding.
func (l *Log) Bulk(window int) (*Bulk, error) {
	if window <= 0 {
		window = DefaultWindow
	}
	js, err := jetstream.New(l.js.Conn(), jetstream.WithPublishAsyncMaxPending(window),
		jetstream.WithPublishAsyncTimeout(BulkAckTimeout))
	if err != nil {
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	b := &Bulk{js: js, shards: l.shards, sem: make(chan struct{}, window), acks: make(chan pending, window), done: make(chan struct{})}
	go b.collect()
	return b, nil
}

// collect waits for the acknowledgments in the order of publishing.
func (b *Bulk) collect() {
	defer close(b.done)
	for p := range b.acks {
		var ack *jetstream.PubAck
		var err error
		select {
		case ack = <-p.fut.Ok():
		case err = <-p.fut.Err():
		}
		b.mu.Lock()
		switch {
		case err != nil:
			b.fail(err)
		case ack.Duplicate:
			b.stats.Duplicates++
		default:
			b.stats.Published++
		}
		if ack != nil && ack.Sequence > b.stats.LastSeq {
			b.stats.LastSeq = ack.Sequence
		}
		b.mu.Unlock()
		<-b.sem
	}
}

// fail counts a failure; b.mu is held.
func (b *Bulk) fail(err error) {
	b.stats.Failed++
	if b.stats.FirstErr == nil {
		b.stats.FirstErr = fmt.Errorf("cluster: publish: %w", err)
	}
}

// Add publishes c under the message ID id, waiting while the window is
// full. An error means ctx ended or c is not a valid change; a publish
// that fails later is counted in Stats and Wait.
func (b *Bulk) Add(ctx context.Context, c Change, id string) error {
	if (c.Article == nil) == (c.Delete == "") {
		return errors.New("cluster: publish: a change is an article or an ID to delete, exactly one")
	}
	if c.Article != nil {
		if err := corpus.CheckID(c.Article.ID); err != nil {
			return fmt.Errorf("cluster: publish: %w", err)
		}
	}
	if id == "" {
		return errors.New("cluster: publish: no message ID")
	}
	body, err := json.Marshal(c)
	if err != nil {
		return fmt.Errorf("cluster: publish: encode: %w", err)
	}
	select {
	case b.sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	fut, err := b.js.PublishAsync(subject(ShardOf(c.target(), b.shards)), body, jetstream.WithMsgID(id))
	if err != nil {
		<-b.sem
		b.mu.Lock()
		b.fail(err)
		b.mu.Unlock()
		return nil
	}
	b.acks <- pending{fut}
	return nil
}

// Stats returns the counts so far.
func (b *Bulk) Stats() BulkStats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.stats
}

// Wait waits for the acknowledgment of every change added and returns
// the counts. No Add may follow.
func (b *Bulk) Wait() BulkStats {
	close(b.acks)
	<-b.done
	return b.Stats()
}

// BulkID names the n-th record (from 0) read from the file origin, whose
// content hash is hash: a bulk load run again over the same files names
// its changes alike, and JetStream appends them once within
// DuplicateWindow. A record whose content changed is a new change.
func BulkID(origin string, n int, hash string) string {
	sum := sha256.Sum256([]byte("bulk\x00" + origin + "\x00" + strconv.Itoa(n) + "\x00" + hash))
	return hex.EncodeToString(sum[:16])
}
