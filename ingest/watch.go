package ingest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// WatchIndex is what a Watcher needs of an index; *index.Index has it.
type WatchIndex interface {
	Add(ctx context.Context, articles []corpus.Article) (index.AddStats, error)
	Prune(ctx context.Context, roots []string, keep map[string]bool) (int, error)
}

// WatchOptions tune a Watcher; zero values take the defaults.
type WatchOptions struct {
	// Prune removes the articles of a file that went away, and those a
	// changed file no longer holds.
	Prune bool
	// Settle is how long a file must stay unchanged (size and time) before
	// it is read, so that a file still being written is not read half
	// way: 1 s by default.
	Settle time.Duration
	// Rescan is how often the folders are walked in full, for changes the
	// file system did not report (network file systems, overflows): 1 min
	// by default.
	Rescan time.Duration
	// IndexedAt, when set, is when the files were last read in full
	// (vnsearch index --watch has just read them): at the start, files
	// not modified since are taken as indexed, and only the others read.
	// When zero, every file is read at the start, and with Prune the
	// articles of files gone meanwhile are removed.
	IndexedAt time.Time
	// OnReady, when set, is called once the first pass is done: the
	// folders are watched and what was there is indexed.
	OnReady func()
	// Logger hears what happens and the problems of the files read; nil
	// discards it.
	Logger *slog.Logger
}

// WatchStatus describes one folder watched.
type WatchStatus struct {
	Dir   string `json:"dir"`
	Files int    `json:"files"` // files of articles under it
	// LastScan is when the folder was last walked in full; zero until the
	// first walk (and the indexing it calls for) is done.
	LastScan    time.Time `json:"last_scan,omitzero"`
	LastChange  time.Time `json:"last_change,omitzero"`
	Added       int       `json:"added"`   // articles new to the index
	Updated     int       `json:"updated"` // articles changed
	Removed     int       `json:"removed"` // articles pruned
	Problems    int       `json:"problems"`
	LastProblem string    `json:"last_problem,omitempty"`
}

// Watcher indexes the files dropped or changed under some folders.
type Watcher struct {
	ix   WatchIndex
	dirs []string
	opts WatchOptions
	log  *slog.Logger

	// Owned by Run's goroutine.
	known   map[string]fileStamp // files of articles, as last read
	pending map[string]*pendingFile
	watched map[string]bool // folders watched
	// unreadable counts the files the last apply could not read.
	unreadable int

	mu     sync.Mutex
	status []WatchStatus // parallel to dirs
}

type fileStamp struct {
	size  int64
	mtime time.Time
}

// pendingFile is a path that changed, waiting to settle.
type pendingFile struct {
	stamp  fileStamp
	exists bool
	since  time.Time // when it last changed
}

// NewWatcher returns a Watcher of dirs, which must be folders.
func NewWatcher(ix WatchIndex, dirs []string, opts WatchOptions) (*Watcher, error) {
	if opts.Settle <= 0 {
		opts.Settle = time.Second
	}
	if opts.Rescan <= 0 {
		opts.Rescan = time.Minute
	}
	w := &Watcher{ix: ix, opts: opts, log: opts.Logger, known: map[string]fileStamp{},
		pending: map[string]*pendingFile{}, watched: map[string]bool{}}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	for _, d := range dirs {
		abs, err := filepath.Abs(d)
		if err != nil {
			return nil, fmt.Errorf("ingest: watch %s: %w", d, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("ingest: watch %w", err)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("ingest: watch %s: not a folder", d)
		}
		if !slices.Contains(w.dirs, abs) {
			w.dirs = append(w.dirs, abs)
			w.status = append(w.status, WatchStatus{Dir: abs})
		}
	}
	if len(w.dirs) == 0 {
		return nil, errors.New("ingest: no folders to watch")
	}
	return w, nil
}

// Status describes the folders watched.
func (w *Watcher) Status() []WatchStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.status)
}

// Run watches until ctx is canceled and returns when it has stopped.
func (w *Watcher) Run(ctx context.Context) error {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("ingest: watch: %w", err)
	}
	defer fw.Close()
	for _, d := range w.dirs {
		w.addTree(fw, d)
	}
	start := time.Now()
	initial := w.opts.IndexedAt.IsZero()
	w.scan(fw, !initial)
	if initial {
		read := w.settle(ctx, true)
		if w.unreadable > 0 {
			w.log.Warn("not pruning: some files could not be read", "files", w.unreadable)
		} else if w.opts.Prune && ctx.Err() == nil {
			// Files that went away while no one watched.
			w.pruneAbsent(ctx, read)
		}
	}
	// LastScan says the first pass (reading, pruning) is done.
	w.mu.Lock()
	for i := range w.status {
		w.status[i].LastScan = start.UTC()
	}
	w.mu.Unlock()
	if w.opts.OnReady != nil {
		w.opts.OnReady()
	}

	tick := time.NewTicker(max(w.opts.Settle/4, 10*time.Millisecond))
	defer tick.Stop()
	rescan := time.NewTicker(w.opts.Rescan)
	defer rescan.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-fw.Events:
			if !ok {
				return errors.New("ingest: watch: the file system watcher stopped")
			}
			w.event(fw, ev)
		case err, ok := <-fw.Errors:
			if !ok {
				return errors.New("ingest: watch: the file system watcher stopped")
			}
			// An overflow loses events: a full scan finds what changed.
			w.log.Warn("watch", "err", err)
			w.scan(fw, false)
		case <-tick.C:
			w.settle(ctx, false)
		case <-rescan.C:
			w.scan(fw, false)
		}
	}
}

// ignored reports names that are never read: hidden files, and files
// still being written by their convention (.tmp, .part, ~).
func ignored(name string) bool {
	n := strings.ToLower(name)
	if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "~") || strings.HasPrefix(n, "#") || strings.HasSuffix(n, "~") {
		return true
	}
	for _, s := range []string{".tmp", ".temp", ".part", ".partial", ".crdownload", ".download", ".swp", ".swx"} {
		if strings.HasSuffix(n, s) {
			return true
		}
	}
	return false
}

// addTree watches dir and the folders under it.
func (w *Watcher) addTree(fw *fsnotify.Watcher, dir string) {
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if !d.IsDir() {
			return nil
		}
		if p != dir && ignored(d.Name()) {
			return fs.SkipDir
		}
		if !w.watched[p] {
			if err := fw.Add(p); err != nil {
				w.log.Warn("watch", "dir", p, "err", err)
				return nil
			}
			w.watched[p] = true
		}
		return nil
	})
}

// scan walks every folder and marks what changed since last read as
// pending; with record, it records what is there as read, but for the
// files modified since IndexedAt.
func (w *Watcher) scan(fw *fsnotify.Watcher, record bool) {
	now := time.Now()
	present := map[string]bool{}
	for _, d := range w.dirs {
		w.addTree(fw, d)
		_ = filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if p != d && ignored(de.Name()) {
				if de.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if de.IsDir() || !corpus.IsSource(de.Name()) {
				return nil
			}
			fi, err := os.Stat(p) // follows links, as reading does
			if err != nil || !fi.Mode().IsRegular() {
				return nil
			}
			present[p] = true
			st := fileStamp{size: fi.Size(), mtime: fi.ModTime()}
			// A second of slack: file times may be coarser than the clock.
			if record && fi.ModTime().Before(w.opts.IndexedAt.Add(-time.Second)) {
				w.known[p] = st
				return nil
			}
			if old, ok := w.known[p]; !ok || old != st {
				w.mark(p, now)
			}
			return nil
		})
	}
	for p := range w.known {
		if !present[p] {
			w.mark(p, now)
		}
	}
	w.mu.Lock()
	for i := range w.status {
		if !w.status[i].LastScan.IsZero() { // the first pass sets it when done
			w.status[i].LastScan = now.UTC()
		}
	}
	w.mu.Unlock()
	w.countFiles()
}

// event handles one file system event.
func (w *Watcher) event(fw *fsnotify.Watcher, ev fsnotify.Event) {
	name := filepath.Base(ev.Name)
	now := time.Now()
	if ev.Has(fsnotify.Create) {
		if fi, err := os.Stat(ev.Name); err == nil && fi.IsDir() {
			if !ignored(name) {
				// Files may have landed in it before it was watched.
				w.addTree(fw, ev.Name)
				w.markTree(ev.Name, now)
			}
			return
		}
	}
	if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
		if w.watched[ev.Name] {
			// A folder went away: everything known under it did too.
			w.unwatchTree(ev.Name)
			prefix := ev.Name + string(filepath.Separator)
			for p := range w.known {
				if strings.HasPrefix(p, prefix) {
					w.mark(p, now)
				}
			}
			return
		}
	}
	if ignored(name) || !corpus.IsSource(name) {
		return
	}
	w.mark(ev.Name, now)
}

func (w *Watcher) unwatchTree(dir string) {
	prefix := dir + string(filepath.Separator)
	for d := range w.watched {
		if d == dir || strings.HasPrefix(d, prefix) {
			delete(w.watched, d)
		}
	}
}

// markTree marks every file of articles under dir as pending.
func (w *Watcher) markTree(dir string, now time.Time) {
	_ = filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if p != dir && ignored(de.Name()) {
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		if !de.IsDir() && corpus.IsSource(de.Name()) {
			w.mark(p, now)
		}
		return nil
	})
}

// mark notes that path may have changed.
func (w *Watcher) mark(path string, now time.Time) {
	st, exists := stampOf(path)
	if pf, ok := w.pending[path]; ok && pf.exists == exists && pf.stamp == st {
		return // nothing new: let it keep settling
	}
	w.pending[path] = &pendingFile{stamp: st, exists: exists, since: now}
}

func stampOf(path string) (fileStamp, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return fileStamp{}, false
	}
	return fileStamp{size: fi.Size(), mtime: fi.ModTime()}, true
}

// settle reads the pending files that have stayed unchanged for the
// settle time, and prunes those gone; with all, it reads every pending
// file and prunes nothing. It returns the IDs of the articles read.
func (w *Watcher) settle(ctx context.Context, all bool) map[string]bool {
	if len(w.pending) == 0 {
		return nil
	}
	now := time.Now()
	var ready []string
	for p, pf := range w.pending {
		st, exists := stampOf(p)
		if exists != pf.exists || st != pf.stamp {
			pf.stamp, pf.exists, pf.since = st, exists, now
			continue
		}
		if all || now.Sub(pf.since) >= w.opts.Settle {
			ready = append(ready, p)
		}
	}
	if len(ready) == 0 {
		return nil
	}
	slices.Sort(ready)
	return w.apply(ctx, ready, w.opts.Prune && !all)
}

// apply reads the files in paths that exist and indexes their articles;
// with prune, it removes the articles of files gone or no longer in them.
// It returns the IDs of the articles read.
func (w *Watcher) apply(ctx context.Context, paths []string, prune bool) map[string]bool {
	var (
		articles []corpus.Article
		keep     = map[string]map[string]bool{} // file -> IDs read from it
		gone     []string
		done     []string
	)
	w.unreadable = 0
	for _, p := range paths {
		pf := w.pending[p]
		if !pf.exists {
			if _, ok := w.known[p]; ok || w.opts.Prune {
				gone = append(gone, p)
			}
			done = append(done, p)
			continue
		}
		ids, arts, ok := w.read(ctx, p)
		if ctx.Err() != nil {
			return nil
		}
		articles = append(articles, arts...)
		if ok {
			keep[p] = ids
		} else {
			w.unreadable++
		}
		done = append(done, p)
	}
	var stats index.AddStats
	for start := 0; start < len(articles); start += 500 {
		s, err := w.ix.Add(ctx, articles[start:min(start+500, len(articles))])
		if err != nil {
			if ctx.Err() == nil {
				// Leave them pending: they are tried again.
				w.problem(paths[0], fmt.Errorf("indexing: %w", err))
			}
			return nil
		}
		stats = stats.Plus(s)
	}
	removed := 0
	if prune {
		for _, p := range done {
			ids, read := keep[p]
			if !read && slices.Contains(gone, p) {
				ids = nil
			} else if !read {
				continue // unreadable: keep what it gave before
			}
			n, err := w.ix.Prune(ctx, []string{p}, ids)
			if err != nil {
				if ctx.Err() == nil {
					w.problem(p, fmt.Errorf("pruning: %w", err))
				}
				return nil
			}
			removed += n
		}
	}
	for _, p := range done {
		pf := w.pending[p]
		if pf.exists {
			w.known[p] = pf.stamp
		} else {
			delete(w.known, p)
		}
		delete(w.pending, p)
	}
	if stats.Added+stats.Updated+removed > 0 || len(gone) > 0 {
		w.log.Info("watched files indexed", "files", len(done), "added", stats.Added, "updated", stats.Updated, "removed", removed)
	}
	w.record(done, stats, removed)
	all := map[string]bool{}
	for _, ids := range keep {
		for id := range ids {
			all[id] = true
		}
	}
	return all
}

// read reads the articles of one file; ok is false when the file could
// not be read at all (its articles then stay as they were).
func (w *Watcher) read(ctx context.Context, p string) (ids map[string]bool, arts []corpus.Article, ok bool) {
	ids = map[string]bool{}
	ok = true
	for a, err := range corpus.Articles(ctx, p) {
		if err != nil {
			var prob *corpus.Problem
			if !errors.As(err, &prob) {
				return nil, nil, false // canceled
			}
			if prob.Line == 0 && !errors.Is(err, corpus.ErrNoText) && !errors.Is(err, corpus.ErrEmpty) {
				ok = false
			}
			w.problem(p, prob)
			continue
		}
		ids[a.ID] = true
		arts = append(arts, a)
	}
	return ids, arts, ok
}

// pruneAbsent removes the articles once read from under the folders
// that are not among keep, the articles just read: their files went away
// while no one watched, or no longer hold them.
func (w *Watcher) pruneAbsent(ctx context.Context, keep map[string]bool) {
	n, err := w.ix.Prune(ctx, w.dirs, keep)
	if err != nil {
		if ctx.Err() == nil {
			w.problem(w.dirs[0], fmt.Errorf("pruning: %w", err))
		}
		return
	}
	if n > 0 {
		w.log.Info("pruned articles of files gone", "removed", n)
		w.record(nil, index.AddStats{}, n)
	}
}

func (w *Watcher) problem(p string, err error) {
	w.log.Warn("watched file", "file", p, "err", err)
	w.mu.Lock()
	defer w.mu.Unlock()
	i := w.rootIndex(p)
	w.status[i].Problems++
	w.status[i].LastProblem = err.Error()
}

// record adds what was done to the status of the folders.
func (w *Watcher) record(paths []string, stats index.AddStats, removed int) {
	now := time.Now().UTC()
	w.mu.Lock()
	i := 0
	if len(paths) > 0 {
		i = w.rootIndex(paths[0])
	}
	st := &w.status[i]
	st.Added += stats.Added
	st.Updated += stats.Updated
	st.Removed += removed
	st.LastChange = now
	w.mu.Unlock()
	w.countFiles()
}

func (w *Watcher) countFiles() {
	counts := make([]int, len(w.dirs))
	for p := range w.known {
		counts[w.rootIndex(p)]++
	}
	w.mu.Lock()
	for i := range w.status {
		w.status[i].Files = counts[i]
	}
	w.mu.Unlock()
}

// rootIndex returns the index of the watched folder holding p.
func (w *Watcher) rootIndex(p string) int {
	best, n := 0, -1
	for i, d := range w.dirs {
		if (p == d || strings.HasPrefix(p, d+string(filepath.Separator))) && len(d) > n {
			best, n = i, len(d)
		}
	}
	return best
}
