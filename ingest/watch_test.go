package ingest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/index"
)

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("../corpus/testdata/html", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// found reports whether a search for title finds an article so titled.
func found(t *testing.T, ix *index.Index, title string) bool {
	t.Helper()
	res, err := ix.Search(context.Background(), index.Request{Query: title, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range res.Hits {
		if norm.NFC.String(h.Title) == title {
			return true
		}
	}
	return false
}

// within polls cond until it holds, failing after 2 s: what the watcher
// promises.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 2 s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

const (
	vovTitle   = "Việt Nam - Lào tăng cường hợp tác phòng, chống tội phạm ma túy"
	coffeeTitl = "Giá cà phê xuất khẩu lập kỷ lục mới"
	goldTitle  = "Giá vàng nhẫn vượt 80 triệu đồng mỗi lượng"
	busTitle   = "Hà Nội mở thêm 5 tuyến xe buýt điện"
)

func TestWatcherReflectsChangesWithinTwoSeconds(t *testing.T) {
	dir := t.TempDir()
	ix := newIndex(t)
	// Present before the watch starts: indexed at once.
	writeFile(t, filepath.Join(dir, "bus.html"), fixture(t, "baomoi-2.html"))
	w, err := NewWatcher(ix, []string{dir}, WatchOptions{Prune: true, Settle: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	within(t, "a file present at the start is indexed", func() bool { return found(t, ix, busTitle) })

	// Created: written as .part, then renamed into place, as downloads
	// are. The .part file itself is never read.
	page := filepath.Join(dir, "vov.html")
	writeFile(t, page+".part", fixture(t, "vov-1.html"))
	writeFile(t, filepath.Join(dir, "gold.html.tmp"), fixture(t, "vnexpress-2.html"))
	if err := os.Rename(page+".part", page); err != nil {
		t.Fatal(err)
	}
	within(t, "a created file is indexed", func() bool { return found(t, ix, vovTitle) })

	// Modified: the file now holds another article; the old one goes.
	writeFile(t, page, fixture(t, "vov-2.html"))
	within(t, "a modified file is reindexed", func() bool { return found(t, ix, coffeeTitl) && !found(t, ix, vovTitle) })

	// Renamed into a new folder: the article stays, now read from there.
	sub := filepath.Join(dir, "2024", "05")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(sub, "coffee.htm")
	if err := os.Rename(page, moved); err != nil {
		t.Fatal(err)
	}
	// The rename is done when the article's origin is the new path, which
	// pruning that path alone then shows; wait for the watcher to be idle.
	within(t, "the rename is seen", func() bool {
		for _, st := range w.Status() {
			if st.Files == 2 && found(t, ix, coffeeTitl) {
				return true
			}
		}
		return false
	})
	// Deleted: the article goes — which it only can if the rename moved
	// its origin to the new path.
	if err := os.Remove(moved); err != nil {
		t.Fatal(err)
	}
	within(t, "a deleted (renamed) file's article is removed", func() bool { return !found(t, ix, coffeeTitl) })

	// A folder created with files already in it.
	other := filepath.Join(dir, "new")
	if err := os.Mkdir(other, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(other, "gold.html"), fixture(t, "vnexpress-2.html"))
	within(t, "a file in a new folder is indexed", func() bool { return found(t, ix, goldTitle) })
	// A folder removed: its articles go.
	if err := os.RemoveAll(other); err != nil {
		t.Fatal(err)
	}
	within(t, "a removed folder's articles are removed", func() bool { return !found(t, ix, goldTitle) })

	within(t, "the status to count 4 articles added, 3 removed, 1 file left", func() bool {
		st := w.Status()[0]
		return st.Added >= 4 && st.Removed >= 3 && st.Files == 1 && st.Problems == 0
	})
	if !found(t, ix, busTitle) {
		t.Error("the untouched file's article is gone")
	}
}

func TestWatcherRestartPrunesFilesGoneMeanwhile(t *testing.T) {
	dir := t.TempDir()
	ix := newIndex(t)
	writeFile(t, filepath.Join(dir, "a.html"), fixture(t, "baomoi-2.html"))
	writeFile(t, filepath.Join(dir, "b.html"), fixture(t, "vov-2.html"))
	run := func() {
		w, err := NewWatcher(ix, []string{dir}, WatchOptions{Prune: true, Settle: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- w.Run(ctx) }()
		within(t, "the start-up scan", func() bool { return !w.Status()[0].LastScan.IsZero() })
		cancel()
		<-done
	}
	run()
	if !found(t, ix, busTitle) || !found(t, ix, coffeeTitl) {
		t.Fatal("the files were not indexed")
	}
	if err := os.Remove(filepath.Join(dir, "b.html")); err != nil {
		t.Fatal(err)
	}
	run()
	if !found(t, ix, busTitle) || found(t, ix, coffeeTitl) {
		t.Error("after a restart, the article of the file deleted meanwhile is still there (or the other is gone)")
	}
}

// TestWatcherWaitsForFilesToSettle drives the settling by hand: a file
// whose size or time changed since it was last looked at is not read.
func TestWatcherWaitsForFilesToSettle(t *testing.T) {
	dir := t.TempDir()
	ix := newIndex(t)
	w, err := NewWatcher(ix, []string{dir}, WatchOptions{Prune: true, Settle: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	path := filepath.Join(dir, "feed.jsonl")
	line := `{"id":"a1","title":"Tiêu đề bài một","paragraphs":["Đoạn văn đầy đủ của bài một."]}` + "\n"
	writeFile(t, path, []byte(line[:30])) // half a line: malformed if read now
	w.mark(path, time.Now())
	w.settle(ctx, false)
	if st := w.Status()[0]; st.Problems != 0 || st.Added != 0 {
		t.Fatalf("a file was read before it settled: %+v", st)
	}
	// It grows; with no settle time left it is still not read, since it
	// changed since it was last looked at.
	writeFile(t, path, []byte(line+line[:20]))
	w.opts.Settle = 0
	w.settle(ctx, false)
	if st := w.Status()[0]; st.Problems != 0 || st.Added != 0 {
		t.Fatalf("a growing file was read: %+v", st)
	}
	writeFile(t, path, []byte(line))
	w.settle(ctx, false) // changed again: waits
	w.settle(ctx, false) // unchanged since: read
	if st := w.Status()[0]; st.Problems != 0 || st.Added != 1 {
		t.Fatalf("the settled file: %+v, want 1 article and no problem", st)
	}
	if a, err := ix.Get(ctx, "a1"); err != nil || a.Title != "Tiêu đề bài một" {
		t.Fatalf("Get = %+v, %v", a, err)
	}
}

func TestIgnoredNames(t *testing.T) {
	for name, want := range map[string]bool{
		"a.html": false, "a.html.part": true, "a.TMP": true, ".hidden.html": true, "a.html~": true,
		"~$a.html": true, "a.jsonl.crdownload": true, "a.jsonl": false,
	} {
		if ignored(name) != want {
			t.Errorf("ignored(%q) = %v", name, !want)
		}
	}
}

// TestServiceStopLeavesNothingRunning starts a follower and a watcher
// together, as vnsearch serve does, and checks that Stop ends them all.
func TestServiceStopLeavesNothingRunning(t *testing.T) {
	news := newSite(t)
	news.handle("/rss.xml", serveFeed(rss("T", [3]string{"Hà Nội mở thêm 5 tuyến xe buýt điện", news.url("/bus.html"), "s"}), "application/rss+xml", true))
	news.handle("/bus.html", servePage(t, "baomoi-2.html", "text/html"))
	dir := t.TempDir()
	writeFile(t, dir+"/vov.html", fixture(t, "vov-2.html"))
	ix := newIndex(t)
	before := countGoroutines()

	f, err := NewFollower(ix, []string{news.url("/rss.xml")}, FollowOptions{Fetcher: NewFetcher(FetchOptions{HostInterval: -1}), Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	w, err := NewWatcher(ix, []string{dir}, WatchOptions{Settle: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	svc := Start(context.Background(), f, w)
	within(t, "both articles indexed", func() bool { return found(t, ix, busTitle) && found(t, ix, coffeeTitl) })
	within(t, "the status to show the page fetched and the file read", func() bool {
		st := svc.Status()
		return len(st.Feeds) == 1 && st.Feeds[0].PagesFetched == 1 && len(st.Watch) == 1 && st.Watch[0].Files == 1
	})
	if err := svc.Stop(); err != nil {
		t.Fatal(err)
	}
	news.srv.CloseClientConnections()
	waitFor(t, func() bool { return countGoroutines() <= before }, "every goroutine of the service to end")
}

// TestWatcherIndexedAt: files not modified since IndexedAt are taken as
// indexed; one written since (between vnsearch index reading the folder
// and the watch starting) is read.
func TestWatcherIndexedAt(t *testing.T) {
	dir := t.TempDir()
	ix := newIndex(t)
	old, fresh := filepath.Join(dir, "old.html"), filepath.Join(dir, "fresh.html")
	writeFile(t, old, fixture(t, "baomoi-2.html"))
	writeFile(t, fresh, fixture(t, "vov-2.html"))
	hourAgo := time.Now().Add(-time.Hour)
	if err := os.Chtimes(old, hourAgo, hourAgo); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	w, err := NewWatcher(ix, []string{dir}, WatchOptions{Settle: 50 * time.Millisecond, IndexedAt: time.Now().Add(-10 * time.Minute),
		OnReady: func() { close(ready) }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	<-ready
	within(t, "the file written since IndexedAt is read", func() bool { return found(t, ix, coffeeTitl) })
	if found(t, ix, busTitle) {
		t.Error("a file unchanged since IndexedAt was read again")
	}
}
