package main

import (
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/index"
)

func TestServeTokenChecks(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short, blank := write("short", "abc\n"), write("blank", " \n\t\n")
	tests := []struct {
		name string
		env  map[string]string
		args []string
		says string
	}{
		{"blank token", nil, []string{"--token", "   "}, "--token is blank"},
		{"blank env token", map[string]string{"VNSEARCH_TOKEN": " \t"}, nil, "VNSEARCH_TOKEN is blank"},
		{"blank token file", nil, []string{"--token-file", blank}, "holds no token"},
		{"missing token file", nil, []string{"--token-file", filepath.Join(dir, "none")}, "--token-file"},
		{"both", nil, []string{"--token", "0123456789abcdef", "--token-file", short}, "pass one"},
		{"public without token", nil, []string{"--addr", "0.0.0.0:0"}, "without a token"},
		{"public, short token", nil, []string{"--addr", "0.0.0.0:0", "--token-file", short}, "token of 3 characters"},
		{"public, padded short token", map[string]string{"VNSEARCH_TOKEN": "   abc            "}, []string{"--addr", "0.0.0.0:0"}, "token of 3 characters"},
		{"bad search timeout", nil, []string{"--search-timeout", "0s"}, "--search-timeout"},
		{"bad memory limit", nil, []string{"--memory-limit", "lots"}, "--memory-limit"},
		{"shards without a cluster", nil, []string{"--shards", "4"}, "need --nats"},
		{"served shards without a cluster", nil, []string{"--serve-shards", "0,2"}, "need --nats"},
		{"negative shards", nil, []string{"--nats", "nats://127.0.0.1:1", "--shards", "-1"}, "--shards -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--index", filepath.Join(dir, "idx")}, tt.args...)
			r := runCLI(t, tt.env, args...)
			if r.code == 0 || !strings.Contains(r.stderr, tt.says) {
				t.Errorf("exit %d, stderr %q; want a failure saying %q", r.code, r.stderr, tt.says)
			}
		})
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64 // 0: an error
	}{
		{"256MiB", 256 << 20},
		{"1GiB", 1 << 30},
		{"512 KiB", 512 << 10},
		{"1000000", 1000000},
		{"42B", 42},
		{"off", math.MaxInt64},
		{"OFF", math.MaxInt64},
		{"", 0},
		{"lots", 0},
		{"-5MiB", 0},
		{"0", 0},
		{"1.5GiB", 0},
		{"99999999999TiB", 0},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if (err != nil) != (tt.want == 0) || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

// deadPID returns the PID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

func TestBusyMessageNamesTheHolder(t *testing.T) {
	dir := t.TempDir()
	const hint = "query that server instead, e.g. curl 'http://127.0.0.1:8080/search?q=x'"
	since := time.Date(2026, 1, 2, 3, 4, 5, 0, time.Local)
	alive := os.Getppid() // the go command, or whatever ran this test
	tests := []struct {
		name    string
		holder  *holder
		says    []string
		notSays []string
	}{
		{"no holder file", nil,
			[]string{"in use by another process", "http://127.0.0.1:8080/search?q=x"}, nil},
		{"a server", &holder{Command: "serve", PID: alive, URL: "http://127.0.0.1:4321", Since: since},
			[]string{"`vnsearch serve` (PID ", "2026-01-02 03:04:05", "listening on http://127.0.0.1:4321", "curl 'http://127.0.0.1:4321/search?q=x'"},
			[]string{"8080"}},
		{"a server starting", &holder{Command: "serve", PID: alive, Since: since},
			[]string{"`vnsearch serve` (PID ", "which is starting"}, nil},
		{"an indexer", &holder{Command: "index", PID: alive, Since: since},
			[]string{"`vnsearch index` (PID ", "wait for it to finish"},
			[]string{"curl", "8080"}},
		{"a dead process", &holder{Command: "serve", PID: deadPID(t), URL: "http://127.0.0.1:4321", Since: since},
			[]string{"in use by another process", "http://127.0.0.1:8080"}, []string{"4321"}},
		{"this process", &holder{Command: "serve", PID: os.Getpid(), URL: "http://127.0.0.1:4321", Since: since},
			[]string{"in use by another process"}, []string{"4321"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(filepath.Join(dir, holderFile))
			if tt.holder != nil {
				if err := writeHolder(dir, *tt.holder); err != nil {
					t.Fatal(err)
				}
			}
			msg := busyMessage(dir, hint)
			for _, want := range tt.says {
				if !strings.Contains(msg, want) {
					t.Errorf("%q does not say %q", msg, want)
				}
			}
			for _, bad := range tt.notSays {
				if strings.Contains(msg, bad) {
					t.Errorf("%q says %q", msg, bad)
				}
			}
		})
	}
}

func TestHolderFileLastsWhileTheIndexIsHeld(t *testing.T) {
	idx := filepath.Join(t.TempDir(), "idx")
	mustRun(t, nil, "index", "--index", idx, seedDir(t))
	if _, err := os.Stat(filepath.Join(idx, holderFile)); !os.IsNotExist(err) {
		t.Errorf("index left its holder file behind: %v", err)
	}
	// A holder file that names another process is not this one's to
	// remove.
	other := holder{Command: "serve", PID: os.Getppid(), Since: time.Now()}
	if err := writeHolder(idx, other); err != nil {
		t.Fatal(err)
	}
	if err := removeHolder(idx); err != nil {
		t.Fatal(err)
	}
	if h, ok := readHolder(idx); !ok || h.PID != other.PID {
		t.Errorf("another process's holder file was removed")
	}
}

// TestMemoryLimitFitsTheIndex: without --memory-limit or $GOMEMLIMIT,
// serve's soft limit leaves the default room over what the open index
// keeps and its caches' bound, so that a large index does not leave the
// collector running without pause; a limit the user gave is kept.
func TestMemoryLimitFitsTheIndex(t *testing.T) {
	idx := seededIndex(t)
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	ix, err := index.Open(idx, index.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()

	a := &app{getenv: func(string) string { return "" }}
	if err := a.setMemoryLimit(""); err != nil {
		t.Fatal(err)
	}
	a.fitMemoryLimit(ix)
	if got, least := debug.SetMemoryLimit(-1), int64(defaultMemoryLimit)+ix.CacheBudget(); got <= least {
		t.Errorf("default limit %d MiB; want more than %d MiB (room, caches and the open index)", got>>20, least>>20)
	}

	// A cluster node's shards: room for each one's caches.
	other, err := index.Open(seededIndex(t), index.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	a.fitMemoryLimit(ix, other)
	if got, least := debug.SetMemoryLimit(-1), int64(defaultMemoryLimit)+ix.CacheBudget()+other.CacheBudget(); got <= least {
		t.Errorf("two shards: limit %d MiB; want more than %d MiB", got>>20, least>>20)
	}

	given := &app{getenv: func(string) string { return "" }}
	if err := given.setMemoryLimit("300MiB"); err != nil {
		t.Fatal(err)
	}
	given.fitMemoryLimit(ix)
	if got := debug.SetMemoryLimit(-1); got != 300<<20 {
		t.Errorf("--memory-limit 300MiB: limit %d; want %d", got, 300<<20)
	}

	env := &app{getenv: func(k string) string { return map[string]string{"GOMEMLIMIT": "200MiB"}[k] }}
	debug.SetMemoryLimit(200 << 20) // as the runtime would have read it
	if err := env.setMemoryLimit(""); err != nil {
		t.Fatal(err)
	}
	env.fitMemoryLimit(ix)
	if got := debug.SetMemoryLimit(-1); got != 200<<20 {
		t.Errorf("GOMEMLIMIT=200MiB: limit %d; want %d", got, 200<<20)
	}
}
