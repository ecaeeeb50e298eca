// Package index is the Bleve index of Vietnamese news articles and the one
// search path that the command line and the HTTP endpoint share.
//
// Every text field — the title, and the body: summary and each paragraph —
// is indexed two ways by package analyzer: exact syllables, and folded
// syllables with their positions. A query matches on folded syllables, so
// "ma tuy" finds "ma túy"; exact syllables rank the diacritics the reader
// typed first; positions rank query syllables that stand side by side (a
// Vietnamese word) above the same syllables scattered, and match quoted
// phrases. Snippets are cut from the best-matching paragraph of the stored
// article.
package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	// ErrBusy means another process holds the index for writing.
	ErrBusy = errors.New("index is in use by another process")
	// ErrIncompatible means the index was built by a version of vnsearch
	// whose mapping this one cannot read.
	ErrIncompatible = errors.New("index was built by an incompatible version of vnsearch")
	// ErrNotExist means there is no index at the path.
	ErrNotExist = errors.New("no index")
	// ErrNotFound means no article has the ID asked for.
	ErrNotFound = errors.New("article not found")
	// ErrReadOnly means a write was asked of an index opened read-only.
	ErrReadOnly = errors.New("index is open read-only")
	// ErrUnavailable means no part of a sharded index could answer: no
	// live replica of any shard, or none of the one asked.
	ErrUnavailable = errors.New("index unavailable")
)

// lockTimeout bounds the wait for the index's lock. Bolt waits forever by
// default; a second process must hear that the index is busy instead.
const lockTimeout = 2 * time.Second

// Index is an open vnsearch index. It is safe for concurrent use: one
// writer and any number of searches at once.
type Index struct {
	bleve    bleve.Index
	path     string
	readOnly bool
	params   Params
	// maxSegmentDocs bounds the segments merges make (Options).
	maxSegmentDocs int
	lengths        *lengthBook
	ids            *idLocks
	blocks         *blockCache
	layouts        *layoutCache
	// searching counts the searches running, which background passes
	// over every article (the suggestions' table) make way for.
	searching atomic.Int64
	// suggestSaved: a saved suggestions' table may be beside the index,
	// to remove before the articles change (suggestsave.go).
	suggestSaved atomic.Bool
	files        *storedFiles // segment files stored fields are read from
	split        splitting    // how a search's first pass runs on several cores
	observer     Observer
	observing    sync.Mutex // one Committed call at a time
	lex          *lexicon   // for restoring diacritics (lexicon.go)

	// generation counts the batches committed since the index opened:
	// what is built from its articles (suggestions) knows when it is stale.
	generation atomic.Uint64
	suggest    suggester
	// closing is canceled by Close, which waits for the background work
	// (building suggestions) to end.
	closing    context.Context
	stop       context.CancelFunc
	background sync.WaitGroup
	closeOnce  sync.Once
	closeErr   error
	synonyms   *synonymState
}

// Options tune Open and Create.
type Options struct {
	// ReadOnly opens the index for searching only; several read-only
	// processes may share an index that no writer holds.
	ReadOnly bool
	// Params are the ranking parameters searches use unless a Request
	// gives its own; nil means DefaultParams.
	Params *Params
	// Observer, when set, learns of every change to the articles.
	Observer Observer
	// MaxSegmentDocs bounds the documents of a segment that merges
	// produce: DefaultMaxSegmentDocs when 0. A merge reads its segments
	// through memory maps, which count in the process's resident memory
	// while it runs, so the bound is what bounds memory while building a
	// large index. An index larger than it keeps several segments.
	MaxSegmentDocs int
	// Synonyms are the user's, searched beside the built-in ones and
	// those mined from the articles (see expand.go).
	Synonyms *Synonyms
}

// DefaultMaxSegmentDocs keeps merges to about 250 MB of segment files for
// news articles of a few kilobytes.
const DefaultMaxSegmentDocs = 50000

// Exists reports whether an index (of any version) is at path.
func Exists(path string) bool {
	_, err := os.Stat(filepath.Join(path, "index_meta.json"))
	return err == nil
}

// Create makes a new, empty index at path, which must not exist.
func Create(path string) (*Index, error) { return CreateWith(path, Options{}) }

// CreateWith is Create with options (ReadOnly is ignored).
func CreateWith(path string, opts Options) (*Index, error) {
	if Exists(path) {
		return nil, fmt.Errorf("index: create %s: an index already exists there", path)
	}
	m, err := newMapping()
	if err != nil {
		return nil, fmt.Errorf("index: mapping: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("index: create %s: %w", path, err)
	}
	b, err := bleve.NewUsing(path, m, scorch.Name, scorch.Name, runtimeConfig(false, opts.maxSegmentDocs()))
	if err != nil {
		return nil, fmt.Errorf("index: create %s: %w", path, wrapOpenError(err))
	}
	if err := b.SetInternal([]byte(versionKey), []byte(MappingVersion)); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("index: create %s: %w", path, err)
	}
	return newIndex(b, path, Options{Params: opts.Params, MaxSegmentDocs: opts.MaxSegmentDocs, Observer: opts.Observer})
}

// Open opens the index at path. It fails with ErrNotExist when there is
// none, ErrBusy when another process holds it, and ErrIncompatible when an
// older vnsearch built it.
func Open(path string, opts Options) (*Index, error) {
	if !Exists(path) {
		return nil, fmt.Errorf("index: open %s: %w", path, ErrNotExist)
	}
	b, err := bleve.OpenUsing(path, runtimeConfig(opts.ReadOnly, opts.maxSegmentDocs()))
	if err != nil {
		return nil, fmt.Errorf("index: open %s: %w", path, wrapOpenError(err))
	}
	version, err := b.GetInternal([]byte(versionKey))
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("index: open %s: %w", path, err)
	}
	if string(version) != MappingVersion {
		_ = b.Close()
		found := string(version)
		if found == "" {
			found = "unknown"
		}
		return nil, fmt.Errorf("index: open %s: %w (index mapping %s, this build reads %s): "+
			"delete the directory and index the articles again", path, ErrIncompatible, found, MappingVersion)
	}
	return newIndex(b, path, opts)
}

// OutdatedHoldingOnly reports whether the index at path was built by
// another version of vnsearch (Open fails with ErrIncompatible) and holds
// no article but those with the given IDs: an index that can be built
// again from them alone, losing nothing.
func OutdatedHoldingOnly(path string, ids []string) bool {
	if !Exists(path) {
		return false
	}
	b, err := bleve.OpenUsing(path, runtimeConfig(true, DefaultMaxSegmentDocs))
	if err != nil {
		return false
	}
	defer b.Close()
	version, err := b.GetInternal([]byte(versionKey))
	if err != nil || string(version) == MappingVersion {
		return false
	}
	total, err := b.DocCount()
	if err != nil {
		return false
	}
	var held uint64
	for _, id := range ids {
		if d, err := b.Document(id); err == nil && d != nil {
			held++
		}
	}
	return held == total
}

func newIndex(b bleve.Index, path string, opts Options) (*Index, error) {
	params := DefaultParams()
	if opts.Params != nil {
		params = *opts.Params
	}
	if err := params.Validate(); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("index: open %s: %w", path, err)
	}
	book, err := newLengthBook(b.GetInternal)
	if err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("index: open %s: %w", path, err)
	}
	ix := &Index{bleve: b, path: path, readOnly: opts.ReadOnly, params: params, maxSegmentDocs: opts.maxSegmentDocs(), lengths: book, ids: newIDLocks(), blocks: newBlockCache(blockMaxBudget), layouts: newLayoutCache(layoutCacheBudget), files: newStoredFiles(), split: defaultSplitting(), observer: opts.Observer,
		synonyms: &synonymState{user: opts.Synonyms}}
	ix.closing, ix.stop = context.WithCancel(context.Background())
	ix.suggestSaved.Store(!opts.ReadOnly)
	ix.suggest.minRefresh = suggestMinRefresh
	if err := ix.loadMined(); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("index: open %s: %w", path, err)
	}
	if err := ix.openLexicon(); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("index: open %s: lexicon: %w", path, err)
	}
	return ix, nil
}

// OpenOrCreate opens the index at path for writing, creating it when
// there is none.
func OpenOrCreate(path string) (*Index, error) { return OpenOrCreateWith(path, Options{}) }

// OpenOrCreateWith is OpenOrCreate with options.
func OpenOrCreateWith(path string, opts Options) (*Index, error) {
	if Exists(path) {
		return Open(path, opts)
	}
	return CreateWith(path, opts)
}

func (o Options) maxSegmentDocs() int {
	if o.MaxSegmentDocs > 0 {
		return o.MaxSegmentDocs
	}
	return DefaultMaxSegmentDocs
}

func runtimeConfig(readOnly bool, maxSegmentDocs int) map[string]interface{} {
	return map[string]interface{}{
		"read_only":    readOnly,
		"bolt_timeout": lockTimeout.String(),
		"scorchMergePlanOptions": map[string]interface{}{
			"MaxSegmentSize": maxSegmentDocs,
		},
	}
}

// compactPlan merges every segment it can into segments of up to
// maxSegmentDocs documents: all small segments count as equal, one tier.
func compactPlan(maxSegmentDocs int) *mergeplan.MergePlanOptions {
	mo := mergeplan.SingleSegmentMergePlanOptions
	mo.MaxSegmentSize = int64(maxSegmentDocs)
	mo.FloorSegmentSize = int64(maxSegmentDocs)
	return &mo
}

// wrapOpenError turns Bleve's lock timeout into ErrBusy.
func wrapOpenError(err error) error {
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("%w (waited %s for its lock)", ErrBusy, lockTimeout)
	}
	return err
}

// Path returns the directory of the index.
func (ix *Index) Path() string { return ix.path }

// Close releases the index and its lock, after ending the work it runs
// in the background. Closing again does nothing.
func (ix *Index) Close() error {
	ix.closeOnce.Do(func() {
		ix.stop()
		ix.background.Wait()
		ix.files.close()
		lexErr := ix.saveLexicon()
		if err := ix.bleve.Close(); err != nil {
			ix.closeErr = fmt.Errorf("index: close %s: %w", ix.path, err)
		} else if lexErr != nil {
			ix.closeErr = fmt.Errorf("index: close %s: lexicon: %w", ix.path, lexErr)
		}
	})
	return ix.closeErr
}

// Compact merges the index's segments into as few as MaxSegmentDocs
// allows, one merge at a time, so that it takes less room and searches
// visit few segments; recomputes the length totals BM25 averages over
// from the documents themselves; and mines the articles' abbreviations
// again (see MineAbbreviations). Bleve merges in the background as
// batches land; after a bulk load, Compact finishes the job at once.
func (ix *Index) Compact(ctx context.Context) error {
	if ix.readOnly {
		return fmt.Errorf("index: compact: %w", ErrReadOnly)
	}
	adv, err := ix.bleve.Advanced()
	if err != nil {
		return fmt.Errorf("index: compact: %w", err)
	}
	s, ok := adv.(*scorch.Scorch)
	if !ok {
		return fmt.Errorf("index: compact: not a scorch index (%T)", adv)
	}
	store := filepath.Join(ix.path, "store")
	before, _ := filepath.Glob(filepath.Join(store, "*.zap"))
	if err := ix.recountLengths(ctx); err != nil {
		return fmt.Errorf("index: compact %s: %w", ix.path, err)
	}
	if err := ix.remine(ctx); err != nil {
		return fmt.Errorf("index: compact %s: mining abbreviations: %w", ix.path, err)
	}
	if err := ix.mergeStepwise(ctx, s); err != nil {
		return fmt.Errorf("index: compact %s: %w", ix.path, err)
	}
	// Bleve deletes the merged-away segment files when its persister next
	// idles; wait for that (briefly), so that a process closing the index
	// right after leaves no obsolete files behind.
	live, err := ix.segmentFiles()
	if err != nil {
		return fmt.Errorf("index: compact %s: %w", ix.path, err)
	}
	deadline := time.Now().Add(compactWait)
	now, _ := filepath.Glob(filepath.Join(store, "*.zap"))
	for _, f := range append(before, now...) {
		for !live[f] && time.Now().Before(deadline) {
			if _, err := os.Stat(f); errors.Is(err, os.ErrNotExist) {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	return nil
}

// mergeStepwise merges the index's small segments as compactPlan does,
// one merge at a time. Bleve keeps the sources of all the merges of a
// plan mapped, and read through, until the last is done: compacting a
// million articles in one plan held about a gigabyte of segment files in
// resident memory; one merge holds its sources only, at most
// maxSegmentDocs documents' worth.
func (ix *Index) mergeStepwise(ctx context.Context, s *scorch.Scorch) error {
	for prev := -1; ; {
		n, err := ix.smallSegments(ctx)
		if err != nil {
			return err
		}
		if n < 2 || n == prev {
			return nil
		}
		prev = n
		// The planner makes merges while the small segments and the
		// merges made outnumber its budget: n-1 makes one.
		mo := compactPlan(ix.maxSegmentDocs)
		mo.CalcBudget = func(int64, int64, *mergeplan.MergePlanOptions) int { return n - 1 }
		if err := s.ForceMerge(ctx, mo); err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err // ForceMerge returns nil when canceled
		}
	}
}

// smallSegments counts the segments a merge planner with
// ix.maxSegmentDocs may merge: those on disk (Bleve plans over no other)
// of fewer live documents than half of it.
func (ix *Index) smallSegments(ctx context.Context) (int, error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return 0, err
	}
	defer snap.close()
	n := 0
	for _, sv := range snap.segs {
		if _, persisted := sv.seg.(segment.PersistedSegment); !persisted {
			continue
		}
		live := sv.seg.Count()
		if sv.deleted != nil {
			live -= sv.deleted.GetCardinality()
		}
		if int(live) < ix.maxSegmentDocs/2 {
			n++
		}
	}
	return n, nil
}

// compactWait bounds how long Compact waits for obsolete files to go; any
// left then are removed the next time the index is opened for writing.
const compactWait = 5 * time.Second

// segmentFiles returns the files of the segments the index uses now.
func (ix *Index) segmentFiles() (map[string]bool, error) {
	snap, err := ix.snapshot(context.Background())
	if err != nil {
		return nil, err
	}
	defer snap.close()
	files := map[string]bool{}
	for _, sv := range snap.segs {
		if ps, ok := sv.seg.(segment.PersistedSegment); ok {
			files[ps.Path()] = true
		}
	}
	return files, nil
}
