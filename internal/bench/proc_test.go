package bench

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
)

// childHoldMB is what the helper child holds in memory; the parent test
// holds parentHoldMB while the child runs.
const (
	childHoldMB  = 64
	parentHoldMB = 256
)

func TestMain(m *testing.M) {
	if os.Getenv("BENCH_TEST_CHILD") == "hold" {
		holdMemory()
		return
	}
	code := m.Run()
	removeFixtures()
	os.Exit(code)
}

var sink []byte

// holdMemory is the helper child: it touches childHoldMB, says so, and
// exits when told to stop.
func holdMemory() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM)
	sink = make([]byte, childHoldMB<<20)
	touch(sink)
	fmt.Fprintln(os.Stderr, "holding memory")
	<-stop
	runtime.KeepAlive(sink)
}

// touch writes to every page of b, which makes it resident.
func touch(b []byte) {
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
}

// TestChildPeakRSS: the peak RSS reported is the child's own — at least
// what it touched, and not the parent's, which holds far more.
func TestChildPeakRSS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	if runtime.GOOS != "linux" {
		t.Skip("peak RSS is read from /proc")
	}
	parent := make([]byte, parentHoldMB<<20)
	touch(parent)
	child, err := StartChild(context.Background(), os.Args[0], []string{"-test.run=^$"},
		append(os.Environ(), "BENCH_TEST_CHILD=hold"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := child.WaitLine(func(l string) bool { return strings.Contains(l, "holding memory") }, time.Minute); err != nil {
		t.Fatal(err)
	}
	// The poller reads VmHWM every few milliseconds: wait until it has
	// seen the memory the child holds.
	deadline := time.Now().Add(10 * time.Second)
	for child.PeakRSS() < childHoldMB<<20 && time.Now().Before(deadline) {
		time.Sleep(rssPoll)
	}
	res, err := child.Stop(10 * time.Second)
	if err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(parent)
	if res.PeakRSS < childHoldMB<<20 || res.PeakRSS >= parentHoldMB<<20 {
		t.Errorf("peak RSS %d MB, want the child's %d MB and more, but not the parent's %d MB",
			res.PeakRSS>>20, childHoldMB, parentHoldMB)
	}
	if res.Wall <= 0 || res.Exit != 0 {
		t.Errorf("%+v", res)
	}
}

func TestChildFailureSaysWhy(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	child, err := StartChild(context.Background(), os.Args[0], []string{"-test.run=^$", "-no-such-flag"}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = child.Wait()
	if err == nil || !strings.Contains(err.Error(), "no-such-flag") {
		t.Errorf("a failing child: %v", err)
	}
}
