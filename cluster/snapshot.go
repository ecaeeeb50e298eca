package cluster

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vnsearch/vnsearch/index"
)

// SnapshotBucket is the JetStream object store that holds snapshots of
// an index, each a tar of an index directory as it was after applying
// the log up to a sequence.
const SnapshotBucket = "VNSEARCH_SNAPSHOTS"

// KeepSnapshots is how many snapshots the bucket keeps, the newest ones.
// The stream is purged up to the oldest kept: a node restoring either can
// replay the rest.
const KeepSnapshots = 2

// DefaultSnapshotEvery is how many changes applied since the newest
// snapshot make a node take another.
const DefaultSnapshotEvery = 10000

// ErrBehind means the stream no longer holds the changes that follow the
// index's applied sequence: they were purged after a snapshot. The node
// cannot replay them; its index must be set aside and a snapshot
// restored (Prepare does, when a node starts).
var ErrBehind = errors.New("cluster: the stream was purged past this index's applied sequence")

// Snapshot names one snapshot in the bucket.
type Snapshot struct {
	// Seq is the last sequence of the log applied to the index it holds.
	Seq  uint64 `json:"seq"`
	Name string `json:"name"`
	Size uint64 `json:"size"`
}

// snapshotPrefix begins the names of the snapshots of shard of a cluster
// of shards: "" for a cluster of one shard, whose snapshots are named as
// before shards existed, and "shard-K/" for shard K of several, each
// shard's snapshots a series of their own.
func snapshotPrefix(shard, shards int) string {
	if shards <= 1 {
		return ""
	}
	return "shard-" + strconv.Itoa(shard) + "/"
}

func snapshotName(prefix string, seq uint64) string {
	return prefix + fmt.Sprintf("index-%020d.tar", seq)
}

// parseSnapshotName reads the sequence from the name of a snapshot of the
// series prefix (see snapshotPrefix); another series' name is not one.
func parseSnapshotName(prefix, name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, prefix+"index-")
	if !ok {
		return 0, false
	}
	if s, ok = strings.CutSuffix(s, ".tar"); !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(s, 10, 64)
	return seq, err == nil && seq > 0
}

// snapshotStore opens the bucket, creating it (with as many replicas as
// the stream) when create is set; nil without error when it does not
// exist and create is not set.
func snapshotStore(ctx context.Context, js jetstream.JetStream, create bool) (jetstream.ObjectStore, error) {
	obs, err := js.ObjectStore(ctx, SnapshotBucket)
	if err == nil {
		return obs, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("cluster: snapshot bucket: %w", err)
	}
	if !create {
		return nil, nil
	}
	replicas := 1
	if st, err := js.Stream(ctx, Stream); err == nil {
		replicas = max(1, st.CachedInfo().Config.Replicas)
	}
	obs, err = js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      SnapshotBucket,
		Description: "vnsearch index snapshots, each the index after the log up to a sequence",
		Storage:     jetstream.FileStorage,
		Replicas:    replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: create snapshot bucket: %w", err)
	}
	return obs, nil
}

// listSnapshots returns the snapshots of the series prefix (see
// snapshotPrefix) in obs, oldest first.
func listSnapshots(ctx context.Context, obs jetstream.ObjectStore, prefix string) ([]Snapshot, error) {
	if obs == nil {
		return nil, nil
	}
	infos, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: list snapshots: %w", err)
	}
	var out []Snapshot
	for _, info := range infos {
		if seq, ok := parseSnapshotName(prefix, info.Name); ok && !info.Deleted {
			out = append(out, Snapshot{Seq: seq, Name: info.Name, Size: info.Size})
		}
	}
	slices.SortFunc(out, func(a, b Snapshot) int { return cmpSeq(a.Seq, b.Seq) })
	return out, nil
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Snapshots lists the snapshots in the bucket of a cluster of one shard,
// oldest first.
func Snapshots(ctx context.Context, nc *nats.Conn) ([]Snapshot, error) {
	return ShardSnapshots(ctx, nc, 0, 1)
}

// ShardSnapshots lists the snapshots of shard of a cluster of shards,
// oldest first: each shard's replicas snapshot their index under names
// of their own (see snapshotPrefix).
func ShardSnapshots(ctx context.Context, nc *nats.Conn, shard, shards int) ([]Snapshot, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	obs, err := snapshotStore(ctx, js, false)
	if err != nil {
		return nil, err
	}
	return listSnapshots(ctx, obs, snapshotPrefix(shard, shards))
}

// snapshotPrefix is the series of the replica's snapshots.
func (r *Replica) snapshotPrefix() string { return snapshotPrefix(r.shard, r.shards) }

// Snapshot takes a consistent copy of the replica's index, compacts the
// copy, and uploads it to the bucket under the applied sequence the copy
// holds; then it deletes all but the newest KeepSnapshots snapshots and
// purges the stream up to the oldest kept one. When the bucket already
// holds a snapshot at or past the copy's sequence, nothing is uploaded.
// It returns the newest snapshot in the bucket.
func (r *Replica) Snapshot(ctx context.Context) (Snapshot, error) {
	snap, _, err := r.snapshot(ctx)
	return snap, err
}

// snapshot is Snapshot, and says whether it uploaded one.
func (r *Replica) snapshot(ctx context.Context) (Snapshot, bool, error) {
	obs, err := snapshotStore(ctx, r.js, true)
	if err != nil {
		return Snapshot{}, false, err
	}
	tmp, err := os.MkdirTemp(filepath.Dir(r.ix.Path()), "."+filepath.Base(r.ix.Path())+".snapshot-")
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("cluster: snapshot: %w", err)
	}
	defer os.RemoveAll(tmp)
	dir := filepath.Join(tmp, "index")
	if err := r.ix.Backup(ctx, dir); err != nil {
		return Snapshot{}, false, fmt.Errorf("cluster: snapshot: %w", err)
	}
	seq, err := compactCopy(ctx, dir)
	if err != nil {
		return Snapshot{}, false, err
	}
	if seq == 0 {
		return Snapshot{}, false, errors.New("cluster: snapshot: the index has applied nothing of the log")
	}
	have, err := listSnapshots(ctx, obs, r.snapshotPrefix())
	if err != nil {
		return Snapshot{}, false, err
	}
	if n := len(have); n > 0 && have[n-1].Seq >= seq {
		r.noteSnapshot(have[n-1].Seq)
		return have[n-1], false, nil
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(writeTar(pw, dir)) }()
	info, err := obs.Put(ctx, jetstream.ObjectMeta{
		Name:        snapshotName(r.snapshotPrefix(), seq),
		Description: r.snapshotDescription(seq),
		Metadata:    map[string]string{"seq": strconv.FormatUint(seq, 10)},
	}, pr)
	pr.Close()
	if err != nil {
		return Snapshot{}, false, fmt.Errorf("cluster: upload snapshot %d: %w", seq, err)
	}
	if err := r.trim(ctx, obs); err != nil {
		return Snapshot{}, false, err
	}
	r.noteSnapshot(seq)
	return Snapshot{Seq: seq, Name: info.Name, Size: info.Size}, true, nil
}

// compactCopy merges the segments of the index copied at dir into as few
// as it can and returns the applied sequence it holds.
func compactCopy(ctx context.Context, dir string) (uint64, error) {
	cp, err := index.Open(dir, index.Options{})
	if err != nil {
		return 0, fmt.Errorf("cluster: snapshot: %w", err)
	}
	defer cp.Close()
	if err := cp.Compact(ctx); err != nil {
		return 0, fmt.Errorf("cluster: snapshot: %w", err)
	}
	return appliedSeq(cp)
}

// appliedSeq reads the sequence ix has applied up to.
func appliedSeq(ix *index.Index) (uint64, error) {
	v, err := ix.Meta(SeqKey)
	if err != nil {
		return 0, fmt.Errorf("cluster: %w", err)
	}
	if v == nil {
		return 0, nil
	}
	seq, err := strconv.ParseUint(string(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("cluster: index meta %s = %q: %w", SeqKey, v, err)
	}
	return seq, nil
}

func (r *Replica) snapshotDescription(seq uint64) string {
	if r.shards > 1 {
		return fmt.Sprintf("vnsearch index of shard %d of %d after its log up to seq %d", r.shard, r.shards, seq)
	}
	return fmt.Sprintf("vnsearch index after the log up to seq %d", seq)
}

// trim deletes all but the newest KeepSnapshots snapshots and purges the
// stream below the oldest kept one: what it removes, a node restoring a
// kept snapshot does not need. The replica of one shard of several trims
// its shard's snapshots and purges its shard's subject only, having first
// recorded how far (see recordPurge).
func (r *Replica) trim(ctx context.Context, obs jetstream.ObjectStore) error {
	have, err := listSnapshots(ctx, obs, r.snapshotPrefix())
	if err != nil {
		return err
	}
	if len(have) == 0 {
		return nil
	}
	for _, s := range have[:max(0, len(have)-KeepSnapshots)] {
		if err := obs.Delete(ctx, s.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
			return fmt.Errorf("cluster: delete snapshot %d: %w", s.Seq, err)
		}
	}
	oldest := have[max(0, len(have)-KeepSnapshots)].Seq
	st, err := r.js.Stream(ctx, Stream)
	if err != nil {
		return fmt.Errorf("cluster: purge: %w", err)
	}
	// Purging "up to sequence N" keeps N on: the stream starts right
	// after the oldest kept snapshot.
	opts := []jetstream.StreamPurgeOpt{jetstream.WithPurgeSequence(oldest + 1)}
	if r.shards > 1 {
		// Stream sequences count every shard's messages: the shard's
		// snapshot at oldest holds its messages up to oldest, and the
		// other shards' messages below it are theirs to purge.
		if err := recordPurge(ctx, r.js, r.shard, oldest); err != nil {
			return err
		}
		opts = append(opts, jetstream.WithPurgeSubject(subject(r.shard)))
	}
	if err := st.Purge(ctx, opts...); err != nil {
		return fmt.Errorf("cluster: purge the stream below %d: %w", oldest+1, err)
	}
	return nil
}

// writeTar writes the regular files under dir to w as a tar.
func writeTar(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		hdr := &tar.Header{Name: filepath.ToSlash(rel), Mode: 0o644, Size: info.Size(), ModTime: info.ModTime(), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// readTar writes the regular files of the tar r into dir; a name that
// would land outside dir is refused.
func readTar(r io.Reader, dir string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if hdr.Typeflag != tar.TypeReg {
			return fmt.Errorf("snapshot entry %q: not a regular file", hdr.Name)
		}
		name := filepath.FromSlash(hdr.Name)
		if !filepath.IsLocal(name) {
			return fmt.Errorf("snapshot entry %q: outside the index", hdr.Name)
		}
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return err
		}
		_, err = io.Copy(f, tr)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}

// restore downloads the snapshot s into dir, which must not exist, and
// checks that the index there opens and holds s.Seq.
func restore(ctx context.Context, obs jetstream.ObjectStore, s Snapshot, dir string) error {
	// A new node's DIR of DIR/shard-K may not exist yet.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".restore-")
	if err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	defer os.RemoveAll(tmp)
	res, err := obs.Get(ctx, s.Name)
	if err != nil {
		return fmt.Errorf("cluster: restore snapshot %d: %w", s.Seq, err)
	}
	err = readTar(res, filepath.Join(tmp, "index"))
	res.Close()
	if err != nil {
		return fmt.Errorf("cluster: restore snapshot %d: %w", s.Seq, err)
	}
	ix, err := index.Open(filepath.Join(tmp, "index"), index.Options{})
	if err != nil {
		return fmt.Errorf("cluster: restore snapshot %d: %w", s.Seq, err)
	}
	seq, err := appliedSeq(ix)
	if cerr := ix.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cluster: restore snapshot %d: %w", s.Seq, err)
	}
	if seq != s.Seq {
		return fmt.Errorf("cluster: restore snapshot %s: it holds seq %d", s.Name, seq)
	}
	if err := os.Rename(filepath.Join(tmp, "index"), dir); err != nil {
		return fmt.Errorf("cluster: restore: %w", err)
	}
	return nil
}

// Prepared tells what Prepare did to an index directory.
type Prepared struct {
	// Restored is the snapshot restored, when one was (Seq 0 otherwise).
	Restored Snapshot
	// MovedAside is where an index behind the stream was moved, "" when
	// none was; it had applied up to AsideApplied.
	MovedAside   string
	AsideApplied uint64
	// Applied is the sequence the index at the directory has applied now.
	Applied uint64
}

// Prepare readies the index directory dir of a node before it opens it:
// when there is no index there and the bucket holds a snapshot, it
// restores the newest; when the index there has applied less than the
// stream still holds the next of (the stream was purged past it after a
// snapshot), it moves the index aside to dir.behind-TIME and restores the
// newest snapshot in its place. Replaying the stream from the snapshot's
// sequence on brings the node up to date. A node that cannot catch up
// (behind, and no snapshot that the stream follows) is an error, and its
// index is left where it is.
func Prepare(ctx context.Context, nc *nats.Conn, dir string) (Prepared, error) {
	return PrepareShard(ctx, nc, dir, 0, 1)
}

// PrepareShard is Prepare for the index directory of shard of a cluster
// of shards: it restores the shard's snapshots, and the index is behind
// when the shard's subject was purged past it (see recordPurge), whatever
// the other shards' messages.
func PrepareShard(ctx context.Context, nc *nats.Conn, dir string, shard, shards int) (Prepared, error) {
	var p Prepared
	if shards < 1 || shard < 0 || shard >= shards {
		return p, fmt.Errorf("cluster: prepare shard %d of %d: no such shard", shard, shards)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		return p, fmt.Errorf("cluster: jetstream: %w", err)
	}
	// purged is the sequence up to which the stream no longer holds the
	// index's messages; 0 when it holds them all.
	var purged uint64
	if shards > 1 {
		if purged, err = shardPurged(ctx, js, shard); err != nil {
			return p, err
		}
	} else {
		st, err := js.Stream(ctx, Stream)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
		case err != nil:
			return p, fmt.Errorf("cluster: stream %s: %w", Stream, err)
		default:
			if first := st.CachedInfo().State.FirstSeq; first > 0 {
				purged = first - 1
			}
		}
	}
	exists := index.Exists(dir)
	if exists {
		ix, err := index.Open(dir, index.Options{ReadOnly: true})
		if err != nil {
			return p, fmt.Errorf("cluster: %w", err)
		}
		p.Applied, err = appliedSeq(ix)
		if cerr := ix.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return p, err
		}
		if p.Applied >= purged {
			return p, nil // the stream holds what follows
		}
	}
	obs, err := snapshotStore(ctx, js, false)
	if err != nil {
		return p, err
	}
	have, err := listSnapshots(ctx, obs, snapshotPrefix(shard, shards))
	if err != nil {
		return p, err
	}
	if len(have) == 0 || have[len(have)-1].Seq < purged {
		if !exists && purged == 0 {
			return p, nil // a new node of a stream never purged: replay it all
		}
		what := "the stream starts at"
		if shards > 1 {
			what = fmt.Sprintf("the stream holds shard %d's messages from", shard)
		}
		return p, fmt.Errorf("%w: the index at %s applied up to seq %d, %s %d, and no snapshot to restore",
			ErrBehind, dir, p.Applied, what, purged+1)
	}
	newest := have[len(have)-1]
	if exists {
		if newest.Seq <= p.Applied {
			return p, nil // cannot happen with purged > applied, but never go back
		}
		p.MovedAside = dir + ".behind-" + time.Now().UTC().Format("20060102T150405.000Z")
		p.AsideApplied = p.Applied
		if err := os.Rename(dir, p.MovedAside); err != nil {
			return p, fmt.Errorf("cluster: move the index behind the stream aside: %w", err)
		}
	} else if err := os.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return p, fmt.Errorf("cluster: restore into %s: not an index, and not an empty directory: %w", dir, err)
	}
	if err := restore(ctx, obs, newest, dir); err != nil {
		return p, err
	}
	p.Restored, p.Applied = newest, newest.Seq
	return p, nil
}

// purgedKey is the key of Bucket that records the sequence up to which
// the stream was purged of shard's messages.
func purgedKey(shard int) string { return "purged." + strconv.Itoa(shard) }

// shardPurged reads the sequence up to which the stream was purged of the
// messages of shard (of a cluster of several): every message of its
// subject up to it is gone, and it is the sequence of one of them (a
// snapshot's). 0 when none was purged.
//
// The stream cannot tell it: its first sequence is the first message of
// any shard, and a shard's first message left says nothing of those
// before it, which may be other shards' messages or purged.
func shardPurged(ctx context.Context, js jetstream.JetStream, shard int) (uint64, error) {
	kv, err := js.KeyValue(ctx, Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cluster: key-value bucket %s: %w", Bucket, err)
	}
	seq, _, err := readPurged(ctx, kv, shard)
	return seq, err
}

// readPurged reads purgedKey(shard) and its revision; 0, 0 when unset.
func readPurged(ctx context.Context, kv jetstream.KeyValue, shard int) (uint64, uint64, error) {
	e, err := kv.Get(ctx, purgedKey(shard))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, fmt.Errorf("cluster: read %s.%s: %w", Bucket, purgedKey(shard), err)
	}
	seq, err := strconv.ParseUint(string(e.Value()), 10, 64)
	if err != nil {
		return 0, 0, fmt.Errorf("cluster: %s.%s = %q: not a sequence", Bucket, purgedKey(shard), e.Value())
	}
	return seq, e.Revision(), nil
}

// recordPurge raises the sequence recorded for shard (see shardPurged) to
// seq, before the stream is purged of the shard's messages up to it: a
// replica reading it then never misses a purge. Nodes trimming together
// leave the highest.
func recordPurge(ctx context.Context, js jetstream.JetStream, shard int, seq uint64) error {
	kv, err := js.KeyValue(ctx, Bucket)
	if err != nil {
		return fmt.Errorf("cluster: key-value bucket %s: %w", Bucket, err)
	}
	val := []byte(strconv.FormatUint(seq, 10))
	for attempt := 0; ; attempt++ {
		have, rev, err := readPurged(ctx, kv, shard)
		if err != nil {
			return err
		}
		if have >= seq {
			return nil
		}
		if rev == 0 {
			_, err = kv.Create(ctx, purgedKey(shard), val)
		} else {
			_, err = kv.Update(ctx, purgedKey(shard), val, rev)
		}
		if err == nil {
			return nil
		}
		if attempt == 4 || ctx.Err() != nil {
			return fmt.Errorf("cluster: record shard %d purged up to %d: %w", shard, seq, err)
		}
		// Another node wrote it in between: read it again.
	}
}

// snapshotter is the state of a replica's periodic snapshots.
type snapshotter struct {
	every  uint64 // changes applied between snapshots; 0: none taken
	logger *slog.Logger

	mu     sync.Mutex
	newest uint64 // the newest snapshot's seq known to this node
	// since counts the changes the replica of one shard of several has
	// applied since newest rose: its stream sequences count every
	// shard's messages, and not its changes.
	since   uint64
	running bool
	failed  time.Time // when the last snapshot failed
	wg      sync.WaitGroup
}

func (s *snapshotter) wait() { s.wg.Wait() }

// SetSnapshots makes the replica take a snapshot (see Snapshot) once it
// has applied every changes past the newest one, in the background; 0
// takes none. The replica of one shard of several counts the changes of
// its shard it has applied since the newest snapshot of its shard that it
// knows of (it starts counting when it starts). Failures are logged to logger (nil: slog's default).
// Call it before Run.
func (r *Replica) SetSnapshots(every int, logger *slog.Logger) {
	if logger == nil {
		logger = slog.Default()
	}
	r.snapshots.every = uint64(max(0, every))
	r.snapshots.logger = logger
}

// SnapshotSeq is the sequence of the newest snapshot this node knows of
// (taken, found in the bucket, or restored); 0 for none.
func (r *Replica) SnapshotSeq() uint64 {
	r.snapshots.mu.Lock()
	defer r.snapshots.mu.Unlock()
	return r.snapshots.newest
}

func (r *Replica) noteSnapshot(seq uint64) {
	r.snapshots.mu.Lock()
	if seq > r.snapshots.newest {
		r.snapshots.newest = seq
		r.snapshots.since = 0
	}
	r.snapshots.mu.Unlock()
}

// noteApplied counts n changes applied (see snapshotter.since).
func (r *Replica) noteApplied(n int) {
	r.snapshots.mu.Lock()
	r.snapshots.since += uint64(n)
	r.snapshots.mu.Unlock()
}

// due tells whether the replica, having applied up to applied, is every
// changes past the newest snapshot it knows of. Call with s.mu held.
func (r *Replica) due(applied uint64) bool {
	s := &r.snapshots
	if r.shards > 1 {
		return s.since >= s.every
	}
	return applied >= s.newest+s.every
}

// snapshotRetry is how long a replica waits after a failed snapshot
// before it tries another: each attempt copies and compacts the index.
const snapshotRetry = time.Minute

// maybeSnapshot starts a snapshot in the background when applied is
// every changes past the newest snapshot known and none is running.
func (r *Replica) maybeSnapshot(ctx context.Context, applied uint64) {
	s := &r.snapshots
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.every == 0 || s.running || !r.due(applied) || time.Since(s.failed) < snapshotRetry {
		return
	}
	s.running = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		start := time.Now()
		snap, uploaded, err := r.periodicSnapshot(ctx, applied)
		s.mu.Lock()
		s.running = false
		if err != nil {
			s.failed = time.Now()
		}
		s.mu.Unlock()
		switch {
		case err != nil && ctx.Err() == nil:
			s.logger.Error("cluster: snapshot failed", "err", err)
		case err == nil && uploaded:
			s.logger.Info("cluster: snapshot uploaded", "seq", snap.Seq, "bytes", snap.Size, "took", time.Since(start).Round(time.Millisecond))
		}
		// What was applied while it ran may call for the next one.
		if err == nil && ctx.Err() == nil {
			r.maybeSnapshot(ctx, r.Applied())
		}
	}()
}

// checkBehind returns ErrBehind when the stream's first sequence is past
// next, the sequence the replica needs next. The replica of one shard of
// several, which has every message of its shard up to next-1, is behind
// when its shard's subject was purged up to next or past it (see
// shardPurged): the last message purged was of its shard, and it has not
// applied it. Delivered seq, next after next-1 (0: none yet), it is
// behind only when that message came before seq; purged past seq, the
// purge came after seq was fetched, and the next fetch tells.
func (r *Replica) checkBehind(ctx context.Context, next, seq uint64) error {
	if r.shards > 1 {
		purged, err := shardPurged(ctx, r.js, r.shard)
		if err != nil {
			return err
		}
		if behindPurge(purged, next, seq) {
			return fmt.Errorf("%w: shard %d applied up to %d, its messages purged up to %d", ErrBehind, r.shard, next-1, purged)
		}
		return nil
	}
	st, err := r.js.Stream(ctx, Stream)
	if err != nil {
		return fmt.Errorf("cluster: stream %s: %w", Stream, err)
	}
	if first := st.CachedInfo().State.FirstSeq; first > next {
		return fmt.Errorf("%w: applied up to %d, the stream starts at %d", ErrBehind, next-1, first)
	}
	return nil
}

// checkGaps is checkBehind for the gaps of a batch of a shard's replica,
// each the sequence it wanted next and the one it got: one read of its
// shard's purge tells for all.
func (r *Replica) checkGaps(ctx context.Context, gaps [][2]uint64) error {
	purged, err := shardPurged(ctx, r.js, r.shard)
	if err != nil {
		return err
	}
	for _, g := range gaps {
		if behindPurge(purged, g[0], g[1]) {
			return fmt.Errorf("%w: shard %d applied up to %d, its messages purged up to %d", ErrBehind, r.shard, g[0]-1, purged)
		}
	}
	return nil
}

// behindPurge tells whether a shard's replica that wants next, and got seq
// after it (0: none yet), lost a message of its shard to a purge up to
// purged: that last purged message is its shard's, and it lies between.
func behindPurge(purged, next, seq uint64) bool {
	return purged >= next && (seq == 0 || purged < seq)
}

// periodicSnapshot takes a snapshot unless the bucket holds one taken
// less than every changes before applied (by another node, typically):
// nodes that cross the mark together mostly upload one.
func (r *Replica) periodicSnapshot(ctx context.Context, applied uint64) (Snapshot, bool, error) {
	obs, err := snapshotStore(ctx, r.js, false)
	if err != nil {
		return Snapshot{}, false, err
	}
	have, err := listSnapshots(ctx, obs, r.snapshotPrefix())
	if err != nil {
		return Snapshot{}, false, err
	}
	if n := len(have); n > 0 && r.shards > 1 && have[n-1].Seq > r.SnapshotSeq() {
		// Another replica of the shard took one: count from it.
		r.noteSnapshot(have[n-1].Seq)
		return have[n-1], false, nil
	}
	if n := len(have); n > 0 && r.shards <= 1 && applied < have[n-1].Seq+r.snapshots.every {
		r.noteSnapshot(have[n-1].Seq)
		return have[n-1], false, nil
	}
	return r.snapshot(ctx)
}

// Health tells how far a replica is behind the stream.
type Health struct {
	// AppliedSeq is the last sequence applied to the index.
	AppliedSeq uint64 `json:"applied_seq"`
	// StreamFirstSeq and StreamLastSeq are the first and last sequences
	// the stream holds now: it starts after the oldest snapshot kept.
	StreamFirstSeq uint64 `json:"stream_first_seq"`
	StreamLastSeq  uint64 `json:"stream_last_seq"`
	// Lag is how many sequences the index has yet to apply.
	Lag uint64 `json:"lag"`
	// SnapshotSeq is the newest snapshot this node knows of; 0 for none.
	SnapshotSeq uint64 `json:"snapshot_seq"`
	// Shards, for a node of a cluster of several shards, are the health
	// of the replica of each shard it serves; the fields above are its
	// replica furthest behind's.
	Shards []ShardHealth `json:"shards,omitempty"`
}

// ShardHealth is the health of a node's replica of one shard.
type ShardHealth struct {
	Shard      int    `json:"shard"`
	AppliedSeq uint64 `json:"applied_seq"`
	Lag        uint64 `json:"lag"`
	// SnapshotSeq is the newest snapshot of the shard the node knows of,
	// and PurgedSeq the sequence up to which the stream was purged of the
	// shard's messages; 0 for none.
	SnapshotSeq uint64 `json:"snapshot_seq"`
	PurgedSeq   uint64 `json:"purged_seq"`
}

// Health asks the stream how far it goes and compares. Applied and
// SnapshotSeq are filled even when the stream cannot be asked.
func (r *Replica) Health(ctx context.Context) (Health, error) {
	h := Health{AppliedSeq: r.Applied(), SnapshotSeq: r.SnapshotSeq()}
	st, err := r.js.Stream(ctx, Stream)
	if err != nil {
		return h, fmt.Errorf("cluster: stream %s: %w", Stream, err)
	}
	state := st.CachedInfo().State
	h.StreamFirstSeq, h.StreamLastSeq = state.FirstSeq, state.LastSeq
	if h.StreamLastSeq > h.AppliedSeq {
		h.Lag = h.StreamLastSeq - h.AppliedSeq
	}
	return h, nil
}
