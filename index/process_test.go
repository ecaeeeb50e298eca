package index

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
)

// Child processes: the test binary runs itself with one of these set.
const (
	crashChildEnv = "VNSEARCH_TEST_CRASH_CHILD" // index batches until killed
	lockChildEnv  = "VNSEARCH_TEST_LOCK_CHILD"  // try to open a held index
)

const crashBatch = 40

func crashArticle(batch, i int) corpus.Article {
	return article(fmt.Sprintf("b%d-%d", batch, i), fmt.Sprintf("Lô %d bài %d", batch, i),
		fmt.Sprintf("Bài số %d của lô %d, viết để kiểm tra độ bền của chỉ mục khi tiến trình bị giết.", i, batch))
}

// crashChild indexes batch after batch into dir, printing "ack N" once
// batch N is acknowledged, until it is killed.
func crashChild(dir string) {
	ix, err := OpenOrCreate(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	for n := 0; ; n++ {
		batch := make([]corpus.Article, crashBatch)
		for i := range batch {
			batch[i] = crashArticle(n, i)
		}
		if _, err := ix.Add(context.Background(), batch); err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Printf("ack %d\n", n)
	}
}

// TestAcknowledgedBatchesSurviveKill kills a process that is indexing in a
// loop with SIGKILL, mid-batch, and checks that the index opens and holds
// every batch the process acknowledged.
func TestAcknowledgedBatchesSurviveKill(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := filepath.Join(t.TempDir(), "idx")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		line := lines.Text()
		n, ok := strings.CutPrefix(line, "ack ")
		if !ok {
			t.Fatalf("child: %s", line)
		}
		if acked, err = strconv.Atoi(n); err != nil {
			t.Fatal(err)
		}
		if acked == 5 {
			// The child is already writing batch 6.
			_ = cmd.Process.Signal(syscall.SIGKILL)
			break
		}
	}
	_ = cmd.Wait()
	if acked < 5 {
		t.Fatalf("child acknowledged only %d batches", acked+1)
	}

	ix, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen after kill: %v", err)
	}
	defer ix.Close()
	ctx := context.Background()
	var ids []string
	for n := 0; n <= acked; n++ {
		for i := 0; i < crashBatch; i++ {
			ids = append(ids, crashArticle(n, i).ID)
		}
	}
	for _, id := range ids {
		if _, err := ix.Get(ctx, id); err != nil {
			t.Errorf("acknowledged article %s lost: %v", id, err)
		}
	}
	if hits := search(t, ix, "kiểm tra độ bền"); len(hits) == 0 {
		t.Error("reopened index finds nothing")
	}
	// And it takes writes again.
	if _, err := ix.Add(ctx, []corpus.Article{crashArticle(999, 0)}); err != nil {
		t.Errorf("write after reopen: %v", err)
	}
}

// TestSecondProcessHearsBusy holds an index open for writing and checks
// that another process, writer or reader, is told the index is in use
// within a few seconds instead of waiting forever.
func TestSecondProcessHearsBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a process")
	}
	dir := filepath.Join(t.TempDir(), "idx")
	ix, err := Create(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	for _, mode := range []string{"write", "read"} {
		start := time.Now()
		cmd := exec.Command(os.Args[0], "-test.run=^TestLockChild$")
		cmd.Env = append(os.Environ(), lockChildEnv+"="+mode+":"+dir)
		out, _ := cmd.CombinedOutput()
		elapsed := time.Since(start)
		if !strings.Contains(string(out), "index is in use by another process") {
			t.Errorf("%s: child said %q, want that the index is in use", mode, out)
		}
		if elapsed > lockTimeout+5*time.Second {
			t.Errorf("%s: child took %s to give up", mode, elapsed)
		}
	}
}

// TestLockChild is the other process of TestSecondProcessHearsBusy.
func TestLockChild(t *testing.T) {
	spec := os.Getenv(lockChildEnv)
	if spec == "" {
		t.Skip("runs as a child of TestSecondProcessHearsBusy")
	}
	mode, dir, _ := strings.Cut(spec, ":")
	ix, err := Open(dir, Options{ReadOnly: mode == "read"})
	if err == nil {
		ix.Close()
		t.Fatal("opened an index another process holds")
	}
	if !errors.Is(err, ErrBusy) {
		t.Fatalf("unexpected error: %v", err)
	}
	fmt.Println(err)
}

// TestSearchWhileWriting runs searches from several goroutines while a
// large stream is added; run it with -race.
func TestSearchWhileWriting(t *testing.T) {
	ix, _ := seedIndex(t)
	ctx := context.Background()
	const n = 2000
	articles := make([]corpus.Article, n)
	for i := range articles {
		articles[i] = crashArticle(i/100, i%100)
	}
	var (
		done     atomic.Bool
		wg       sync.WaitGroup
		searches atomic.Int64
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := uint64(0)
			for !done.Load() {
				res, err := ix.Search(ctx, Request{Query: "kiểm tra độ bền ma túy", Size: 20})
				if err != nil {
					t.Error(err)
					return
				}
				if res.Total < last {
					t.Errorf("hits went from %d down to %d while only adding", last, res.Total)
				}
				last = res.Total
				searches.Add(1)
			}
		}()
	}
	// After each batch lands, wait until a search has finished since the
	// previous one: every batch then overlaps searches, whatever the
	// scheduler does.
	var progress []AddStats
	overlapped := 0
	seen := searches.Load()
	stats, err := ix.AddStream(ctx, slices.Values(articles), StreamOptions{BatchSize: 200, Progress: func(s AddStats) {
		progress = append(progress, s)
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
			if n := searches.Load(); n > seen {
				seen = n
				overlapped++
				return
			}
			runtime.Gosched()
		}
	}})
	done.Store(true)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if stats != (AddStats{Added: n}) || len(progress) != n/200 || progress[len(progress)-1] != stats {
		t.Errorf("stream stats %+v, progress %v", stats, progress)
	}
	if overlapped != len(progress) {
		t.Errorf("searches ran beside %d of %d batches", overlapped, len(progress))
	}
	res, err := ix.Search(ctx, Request{Query: `"kiểm tra độ bền của chỉ mục"`, Size: 1})
	if err != nil || res.Total != n {
		t.Errorf("after the stream: %d hits, %v; want %d", res.Total, err, n)
	}
}

func TestStreamLaterDuplicateWins(t *testing.T) {
	ix, _ := seedIndex(t)
	first, second := article("same", "Bản một", "Nội dung một."), article("same", "Bản hai", "Nội dung hai.")
	stats, err := ix.AddStream(context.Background(), slices.Values([]corpus.Article{first, article("other", "Khác", "Khác."), second}),
		StreamOptions{BatchSize: 1, Workers: 4})
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := ix.Get(context.Background(), "same"); got.Title != "Bản hai" {
		t.Errorf("kept %q, want the later article", got.Title)
	}
	if stats != (AddStats{Added: 2, Updated: 1}) {
		t.Errorf("stats %+v", stats)
	}
}
