package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// rssPoll is how often a child's peak RSS is read. The kernel keeps the
// peak (VmHWM) itself, so polling only risks missing a rise in the last
// interval before the child exits.
const rssPoll = 10 * time.Millisecond

// Child is a running child process whose peak resident memory is
// watched.
//
// Peak RSS is VmHWM from /proc/PID/status, read every rssPoll while the
// child runs. The rusage of a child (Maxrss) is no use here: Go starts
// children with vfork semantics, and Linux counts the parent's resident
// memory at exec into the child's Maxrss, so a benchmark holding a corpus
// in memory would see its own size as the child's.
type Child struct {
	cmd     *exec.Cmd
	start   time.Time
	peak    atomic.Int64 // bytes
	tail    *tailBuffer
	lines   chan string // stderr lines, while someone listens (see WaitLine)
	exited  chan struct{}
	waitErr error
	wall    time.Duration
}

// StartChild starts bin with args and env (nil: this process's),
// collecting the last lines of its stderr for error messages. Its stdout
// goes to stdout (nil: discarded).
func StartChild(ctx context.Context, bin string, args, env []string, stdout io.Writer) (*Child, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	cmd.Stdout = stdout
	cmd.WaitDelay = 10 * time.Second
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	c := &Child{cmd: cmd, tail: &tailBuffer{max: 40}, lines: make(chan string, 64), exited: make(chan struct{})}
	c.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("bench: starting %s: %w", bin, err)
	}
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			c.tail.add(line)
			select {
			case c.lines <- line:
			default: // nobody listening: the tail keeps it
			}
		}
		io.Copy(io.Discard, stderr)
	}()
	go func() {
		tick := time.NewTicker(rssPoll)
		defer tick.Stop()
		for {
			if hwm, err := readHWM(cmd.Process.Pid); err == nil && hwm > c.peak.Load() {
				c.peak.Store(hwm)
			}
			select {
			case <-c.exited:
				return
			case <-tick.C:
			}
		}
	}()
	go func() {
		<-scanned
		c.waitErr = cmd.Wait()
		c.wall = time.Since(c.start)
		close(c.exited)
	}()
	return c, nil
}

// readHWM reads the peak resident set size of process pid, in bytes.
func readHWM(pid int) (int64, error) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	for line := range bytes.Lines(data) {
		if rest, ok := bytes.CutPrefix(line, []byte("VmHWM:")); ok {
			f := strings.Fields(string(rest))
			if len(f) != 2 || f[1] != "kB" {
				return 0, fmt.Errorf("VmHWM: unexpected %q", rest)
			}
			kb, err := strconv.ParseInt(f[0], 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM")
}

// WaitLine waits for a line of the child's stderr that match accepts
// and returns it, or fails when the child exits or timeout passes first.
func (c *Child) WaitLine(match func(string) bool, timeout time.Duration) (string, error) {
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	for {
		select {
		case line := <-c.lines:
			if match(line) {
				return line, nil
			}
		case <-c.exited:
			return "", fmt.Errorf("bench: %s exited (%v) before it was ready:\n%s", c.name(), c.waitErr, c.tail)
		case <-timer.C:
			return "", fmt.Errorf("bench: %s not ready within %s:\n%s", c.name(), timeout, c.tail)
		}
	}
}

func (c *Child) name() string { return strings.Join(c.cmd.Args, " ") }

// Pid is the child's process ID.
func (c *Child) Pid() int { return c.cmd.Process.Pid }

// PeakRSS is the highest VmHWM read so far, in bytes (0 where /proc is
// not available).
func (c *Child) PeakRSS() int64 { return c.peak.Load() }

// ProcResult is how a child ran.
type ProcResult struct {
	Wall    time.Duration
	PeakRSS int64 // bytes: VmHWM, polled
	Exit    int
}

// Wait waits for the child to exit and returns how it ran. A non-zero
// exit is an error holding the end of its stderr.
func (c *Child) Wait() (ProcResult, error) {
	<-c.exited
	res := ProcResult{Wall: c.wall, PeakRSS: c.peak.Load(), Exit: c.cmd.ProcessState.ExitCode()}
	if c.waitErr != nil {
		return res, fmt.Errorf("bench: %s: %w\n%s", c.name(), c.waitErr, c.tail)
	}
	return res, nil
}

// Stop asks the child to stop (SIGTERM, or kill where there is none) and
// waits up to grace for it to exit, then kills it.
func (c *Child) Stop(grace time.Duration) (ProcResult, error) {
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		c.cmd.Process.Kill()
	}
	select {
	case <-c.exited:
	case <-time.After(grace):
		c.cmd.Process.Kill()
	}
	return c.Wait()
}

// tailBuffer keeps the last max lines written to it.
type tailBuffer struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *tailBuffer) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = t.lines[len(t.lines)-t.max:]
	}
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.Join(t.lines, "\n")
}
