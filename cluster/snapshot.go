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

func snapshotName(seq uint64) string { return fmt.Sprintf("index-%020d.tar", seq) }

// parseSnapshotName reads the sequence from a snapshot's name.
func parseSnapshotName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, "index-")
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

// listSnapshots returns the snapshots in obs, oldest first.
func listSnapshots(ctx context.Context, obs jetstream.ObjectStore) ([]Snapshot, error) {
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
		if seq, ok := parseSnapshotName(info.Name); ok && !info.Deleted {
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

// Snapshots lists the snapshots in the bucket, oldest first.
func Snapshots(ctx context.Context, nc *nats.Conn) ([]Snapshot, error) {
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	obs, err := snapshotStore(ctx, js, false)
	if err != nil {
		return nil, err
	}
	return listSnapshots(ctx, obs)
}

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
	have, err := listSnapshots(ctx, obs)
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
		Name:        snapshotName(seq),
		Description: fmt.Sprintf("vnsearch index after the log up to seq %d", seq),
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

// trim deletes all but the newest KeepSnapshots snapshots and purges the
// stream below the oldest kept one: what it removes, a node restoring a
// kept snapshot does not need.
func (r *Replica) trim(ctx context.Context, obs jetstream.ObjectStore) error {
	have, err := listSnapshots(ctx, obs)
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
	if err := st.Purge(ctx, jetstream.WithPurgeSequence(oldest+1)); err != nil {
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
	var p Prepared
	js, err := jetstream.New(nc)
	if err != nil {
		return p, fmt.Errorf("cluster: jetstream: %w", err)
	}
	var first uint64 // the first sequence the stream holds; 0 when none
	st, err := js.Stream(ctx, Stream)
	switch {
	case errors.Is(err, jetstream.ErrStreamNotFound):
	case err != nil:
		return p, fmt.Errorf("cluster: stream %s: %w", Stream, err)
	default:
		first = st.CachedInfo().State.FirstSeq
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
		if p.Applied+1 >= first {
			return p, nil // the stream holds what follows
		}
	}
	obs, err := snapshotStore(ctx, js, false)
	if err != nil {
		return p, err
	}
	have, err := listSnapshots(ctx, obs)
	if err != nil {
		return p, err
	}
	if len(have) == 0 || have[len(have)-1].Seq+1 < first {
		if !exists && first <= 1 {
			return p, nil // a new node of a stream never purged: replay it all
		}
		return p, fmt.Errorf("%w: the index at %s applied up to seq %d, the stream starts at %d, and no snapshot to restore",
			ErrBehind, dir, p.Applied, first)
	}
	newest := have[len(have)-1]
	if exists {
		if newest.Seq <= p.Applied {
			return p, nil // cannot happen with first > applied+1, but never go back
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

// snapshotter is the state of a replica's periodic snapshots.
type snapshotter struct {
	every  uint64 // changes applied between snapshots; 0: none taken
	logger *slog.Logger

	mu      sync.Mutex
	newest  uint64 // the newest snapshot's seq known to this node
	running bool
	failed  time.Time // when the last snapshot failed
	wg      sync.WaitGroup
}

func (s *snapshotter) wait() { s.wg.Wait() }

// SetSnapshots makes the replica take a snapshot (see Snapshot) once it
// has applied every changes past the newest one, in the background; 0
// takes none. Failures are logged to logger (nil: slog's default).
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
	r.snapshots.newest = max(r.snapshots.newest, seq)
	r.snapshots.mu.Unlock()
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
	if s.every == 0 || s.running || applied < s.newest+s.every || time.Since(s.failed) < snapshotRetry {
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
// next, the sequence the replica needs next.
func (r *Replica) checkBehind(ctx context.Context, next uint64) error {
	st, err := r.js.Stream(ctx, Stream)
	if err != nil {
		return fmt.Errorf("cluster: stream %s: %w", Stream, err)
	}
	if first := st.CachedInfo().State.FirstSeq; first > next {
		return fmt.Errorf("%w: applied up to %d, the stream starts at %d", ErrBehind, next-1, first)
	}
	return nil
}

// periodicSnapshot takes a snapshot unless the bucket holds one taken
// less than every changes before applied (by another node, typically):
// nodes that cross the mark together mostly upload one.
func (r *Replica) periodicSnapshot(ctx context.Context, applied uint64) (Snapshot, bool, error) {
	obs, err := snapshotStore(ctx, r.js, false)
	if err != nil {
		return Snapshot{}, false, err
	}
	have, err := listSnapshots(ctx, obs)
	if err != nil {
		return Snapshot{}, false, err
	}
	if n := len(have); n > 0 && applied < have[n-1].Seq+r.snapshots.every {
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
