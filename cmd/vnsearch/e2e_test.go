//go:build unix

// End-to-end tests: they build the real vnsearch binary and run it as a
// user would, a server included.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/index"
)

// e2e holds the binary that TestMain's directory receives on first use.
var e2e struct {
	dir  string
	once sync.Once
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	flag.Parse()
	dir, err := os.MkdirTemp("", "vnsearch-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	e2e.dir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// binary builds vnsearch once and returns its path. $VNSEARCH_E2E_BIN
// names a binary to test instead, e.g. an older build, to see which tests
// it fails.
func binary(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the vnsearch binary")
	}
	e2e.once.Do(func() {
		if bin := os.Getenv("VNSEARCH_E2E_BIN"); bin != "" {
			e2e.bin = bin
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		bin := filepath.Join(e2e.dir, "vnsearch")
		out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput()
		if err != nil {
			e2e.err = fmt.Errorf("go build: %v\n%s", err, out)
			return
		}
		e2e.bin = bin
	})
	if e2e.err != nil {
		t.Fatal(e2e.err)
	}
	return e2e.bin
}

// childEnv is the environment of a child vnsearch: this one without
// vnsearch's own variables, with HOME in a temporary directory, plus
// extra.
func childEnv(t testing.TB, extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "VNSEARCH_") || name == "HOME" || name == "XDG_DATA_HOME" {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+t.TempDir())
	return append(env, extra...)
}

// runBinary runs vnsearch to completion, within timeout.
func runBinary(t *testing.T, env []string, timeout time.Duration, args ...string) (result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = env
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("vnsearch %s did not finish within %s\nstderr: %s", strings.Join(args, " "), timeout, stderr.String())
	}
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}, elapsed
}

// serveProcess is a running `vnsearch serve`.
type serveProcess struct {
	cmd    *exec.Cmd
	url    string
	mu     sync.Mutex
	stderr strings.Builder
	grew   chan struct{} // closed (and replaced) when stderr grows
	exited chan struct{} // closed when the process has exited
	err    error         // how it exited, once exited is closed
}

func (p *serveProcess) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stderr.String()
}

// appendLog adds a line to the server's stderr and wakes waitLog.
func (p *serveProcess) appendLog(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stderr.WriteString(line + "\n")
	close(p.grew)
	p.grew = make(chan struct{})
}

// waitLog waits until the server's stderr holds want.
func (p *serveProcess) waitLog(t testing.TB, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		p.mu.Lock()
		found, grew := strings.Contains(p.stderr.String(), want), p.grew
		p.mu.Unlock()
		if found {
			return
		}
		select {
		case <-grew:
		case <-p.exited:
			if !strings.Contains(p.log(), want) {
				t.Fatalf("server exited (%v) without saying %q:\n%s", p.err, want, p.log())
			}
			return
		case <-deadline.C:
			t.Fatalf("server did not say %q within %s:\n%s", want, timeout, p.log())
		}
	}
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServe starts vnsearch serve with args and waits until it listens.
func startServe(t testing.TB, env []string, args ...string) *serveProcess {
	t.Helper()
	return startServeBinary(t, binary(t), env, args...)
}

// startServeBinary starts `bin serve` with args and waits until it
// listens.
func startServeBinary(t testing.TB, bin string, env []string, args ...string) *serveProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = env
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, grew: make(chan struct{}), exited: make(chan struct{})}
	go func() {
		lines := bufio.NewScanner(pipe)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			p.appendLog(lines.Text())
		}
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		// A test that failed midway leaves the server running.
		select {
		case <-p.exited:
		default:
			cmd.Process.Kill()
			<-p.exited
		}
	})
	p.waitLog(t, "listening on http://", 20*time.Second)
	p.url = listening.FindStringSubmatch(p.log())[1]
	return p
}

// call sends a request to the server and returns the status and body.
func (p *serveProcess) call(t *testing.T, method, path, token string, body io.Reader) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// stop sends SIGTERM and waits for the server to exit.
func (p *serveProcess) stop(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.waitExit(t)
}

// waitExit waits for the server to exit, which it must do promptly and
// with status 0.
func (p *serveProcess) waitExit(t testing.TB) {
	t.Helper()
	select {
	case <-p.exited:
		if p.err != nil {
			t.Errorf("serve exited with %v after SIGTERM:\n%s", p.err, p.log())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("serve still running 20s after SIGTERM:\n%s", p.log())
	}
}

func article(id, title, text string) string {
	b, _ := json.Marshal(map[string]any{"id": id, "title": title, "source": "Báo Thử", "published": "2024-05-01", "paragraphs": []string{text}})
	return string(b) + "\n"
}

func TestServeEndToEnd(t *testing.T) {
	const token = "e2e-token"
	idx := filepath.Join(t.TempDir(), "idx")
	env := childEnv(t)
	srv := startServe(t, env, "--token", token, "--index", idx)

	if status, body := srv.call(t, "GET", "/healthz", "", nil); status != 200 {
		t.Fatalf("healthz: %d %s", status, body)
	}
	body := article("e1", "Bắt giữ đối tượng buôn ma túy", "Công an tỉnh bắt giữ đối tượng vận chuyển ma túy đá qua biên giới.") +
		article("e2", "Giá xăng giảm", "Giá xăng giảm mạnh từ chiều nay.") +
		article("e3", "Mưa lớn ở Hà Nội", "Hà Nội mưa lớn, nhiều tuyến phố ngập.")
	if status, resp := srv.call(t, "POST", "/articles", token, strings.NewReader(body)); status != 200 || !strings.Contains(resp, `"added":3`) {
		t.Fatalf("POST: %d %s", status, resp)
	}
	if status, resp := srv.call(t, "POST", "/articles", "", strings.NewReader(body)); status != 401 {
		t.Errorf("POST without token: %d %s", status, resp)
	}
	status, resp := srv.call(t, "GET", "/search?q=ma+tuy+da", "", nil)
	var found index.Result
	if status != 200 || json.Unmarshal([]byte(resp), &found) != nil || found.Total != 1 || found.Hits[0].ID != "e1" {
		t.Errorf("search: %d %s", status, resp)
	}
	if status, resp := srv.call(t, "GET", "/articles/e2", "", nil); status != 200 || !strings.Contains(resp, "Giá xăng giảm") {
		t.Errorf("GET e2: %d %s", status, resp)
	}
	if status, resp := srv.call(t, "DELETE", "/articles/e2", token, nil); status != 200 {
		t.Errorf("DELETE e2: %d %s", status, resp)
	}
	if status, _ := srv.call(t, "GET", "/articles/e2", "", nil); status != 404 {
		t.Errorf("GET deleted e2: %d", status)
	}

	// While serve holds the index, other processes hear that it is busy,
	// and how to go through the server instead, within a few seconds.
	r, took := runBinary(t, env, 30*time.Second, "search", "--index", idx, "ma túy")
	// The message names the server that holds the index, and its
	// address, not the default one.
	holder := fmt.Sprintf("in use by `vnsearch serve` (PID %d, since ", srv.cmd.Process.Pid)
	if r.code != exitFailure || !strings.Contains(r.stderr, holder) || !strings.Contains(r.stderr, "listening on "+srv.url) ||
		!strings.Contains(r.stderr, "curl '"+srv.url+"/search?q=ma+t%C3%BAy'") {
		t.Errorf("search while serving: exit %d\n%s", r.code, r.stderr)
	}
	if took > 10*time.Second {
		t.Errorf("search while serving took %s to give up", took)
	}
	jsonl := filepath.Join(t.TempDir(), "more.jsonl")
	os.WriteFile(jsonl, []byte(article("e4", "Tin thêm", "Một tin nữa.")), 0o644)
	if r, _ := runBinary(t, env, 30*time.Second, "index", "--index", idx, jsonl); r.code != exitFailure ||
		!strings.Contains(r.stderr, holder) || !strings.Contains(r.stderr, srv.url+"/articles") {
		t.Errorf("index while serving: exit %d\n%s", r.code, r.stderr)
	}

	// A write in flight when SIGTERM comes is finished: half the body
	// is sent, then the signal, then the rest. The client asks for 100
	// Continue, which the server sends when its handler first reads the
	// body: the client reads the body from the pipe only then, so the
	// first write to the pipe returns once the handler runs.
	pr, pw := io.Pipe()
	type answer struct {
		status int
		body   string
	}
	answered := make(chan answer, 1)
	go func() {
		req, _ := http.NewRequest("POST", srv.url+"/articles", pr)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Expect", "100-continue")
		client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: 30 * time.Second}}
		resp, err := client.Do(req)
		if err != nil {
			answered <- answer{0, err.Error()}
			return
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{resp.StatusCode, string(data)}
	}()
	io.WriteString(pw, article("late1", "Tin muộn một", "Bài gửi trước khi tắt."))
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	srv.waitLog(t, "shutting down", 10*time.Second)
	io.WriteString(pw, article("late2", "Tin muộn hai", "Bài gửi sau khi có lệnh tắt."))
	pw.Close()
	if a := <-answered; a.status != 200 || !strings.Contains(a.body, `"added":2`) {
		t.Errorf("write in flight at SIGTERM: %d %s", a.status, a.body)
	}
	srv.waitExit(t)
	if _, err := os.Stat(filepath.Join(idx, holderFile)); !os.IsNotExist(err) {
		t.Errorf("serve left its holder file behind: %v", err)
	}
	log := srv.log()
	for _, want := range []string{"created a new index at " + idx, "msg=request method=POST path=/articles status=200", "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("server log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, token) {
		t.Errorf("server log holds the token:\n%s", log)
	}

	// What the server acknowledged is on disk.
	r, _ = runBinary(t, env, 30*time.Second, "search", "--index", idx, "--json", "tin muộn")
	if r.code != 0 || decodeSearch(t, r.stdout).Total != 2 {
		t.Errorf("after shutdown: exit %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func TestServeStopsOnSIGTERM(t *testing.T) {
	srv := startServe(t, childEnv(t), "--index", filepath.Join(t.TempDir(), "idx"))
	if status, body := srv.call(t, "POST", "/articles", "any", strings.NewReader(article("x", "x", "x"))); status != 403 {
		t.Errorf("POST with no server token: %d %s", status, body)
	}
	start := time.Now()
	srv.stop(t)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("an idle server took %s to stop", took)
	}
}

func TestServeRefusesPublicAddressWithoutToken(t *testing.T) {
	r, _ := runBinary(t, childEnv(t), 30*time.Second, "serve", "--addr", "0.0.0.0:0", "--index", filepath.Join(t.TempDir(), "idx"))
	if r.code != exitUsage || !strings.Contains(r.stderr, "without a token") {
		t.Errorf("exit %d: %s", r.code, r.stderr)
	}
}

// TestFirstRun is what a newcomer sees: no index anywhere, and search
// builds the default one from the seeds.
func TestFirstRun(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := childEnv(t, "XDG_DATA_HOME="+data)
	r, _ := runBinary(t, env, 60*time.Second, "search", "ma túy")
	want := filepath.Join(data, "vnsearch", "index")
	if r.code != 0 || !strings.Contains(r.stderr, "built a default index at "+want+" from the 5 seed articles embedded in vnsearch") {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "About 5 results") || !strings.Contains(r.stdout, "\n1. ") || !strings.Contains(r.stdout, "[ma túy]") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	if !index.Exists(want) {
		t.Errorf("no index at %s", want)
	}
}
