package corpus

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// readChildEnv names the file a child test process reads with ReadJSON
// before printing its peak RSS.
const readChildEnv = "VNSEARCH_CORPUS_READ_CHILD"

// TestReadChild is the child process of TestRecordMemory: it reads the
// file named in its environment and prints "articles N vmhwm KB".
func TestReadChild(t *testing.T) {
	path := os.Getenv(readChildEnv)
	if path == "" {
		t.Skip("run by TestRecordMemory")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for _, err := range ReadJSON(f, path) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	fmt.Printf("articles %d vmhwm %d\n", n, vmHWM(t, "/proc/self/status"))
}

// vmHWM returns the peak resident set size in KB from a /proc status file.
func vmHWM(t *testing.T, status string) int {
	data, err := os.ReadFile(status)
	if err != nil {
		t.Skipf("no %s: %v", status, err)
	}
	for line := range strings.Lines(string(data)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				t.Fatalf("VmHWM line %q", line)
			}
			return kb
		}
	}
	t.Skipf("no VmHWM in %s", status)
	return 0
}

// hugeRecordFile writes a JSON Lines file of a small record, one record of
// about mib MiB (a body of sentences with escaped quotes and no paragraph
// breaks, cut into passages as read) and another small one.
func hugeRecordFile(t *testing.T, dir string, mib int) string {
	var body strings.Builder
	for i := 0; body.Len() < mib<<20-200; i++ {
		fmt.Fprintf(&body, `Câu thứ %d: ông nói \"Bộ Công an đã phối hợp tổ chức các đợt cao điểm\" về tội phạm ma túy. `, i)
	}
	path := filepath.Join(dir, fmt.Sprintf("%dmib.jsonl", mib))
	data := `{"id":"a","body":"Trước."}` + "\n" + `{"id":"huge","title":"Dài","body":"` + body.String() + `"}` + "\n" + `{"id":"b","body":"Sau."}` + "\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// The memory one huge record costs stays a small multiple of its size:
// peak RSS of a process reading a 7 MiB record, less that of one reading
// a 1 MiB record, per MiB of difference.
func TestRecordMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("starts other processes")
	}
	if raceDetector {
		t.Skip("the race detector's shadow memory is no measure of the reader's")
	}
	dir := t.TempDir()
	peak := func(path string) int {
		cmd := exec.Command(os.Args[0], "-test.run=^TestReadChild$", "-test.v")
		cmd.Env = append(os.Environ(), readChildEnv+"="+path)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			var n, kb int
			if _, err := fmt.Sscanf(sc.Text(), "articles %d vmhwm %d", &n, &kb); err == nil {
				if n != 3 {
					t.Fatalf("child read %d articles, want 3", n)
				}
				return kb
			}
		}
		t.Fatalf("no peak in the child's output:\n%s", out)
		return 0
	}
	small, large := hugeRecordFile(t, dir, 1), hugeRecordFile(t, dir, 7)
	base, top := peak(small), peak(large)
	perMiB := float64(top-base) / 1024 / 6
	t.Logf("peak RSS: %d kB with a 1 MiB record, %d kB with 7 MiB: %.1f MB per MiB of record", base, top, perMiB*1.048576)
	if perMiB*1.048576 > 10 {
		t.Errorf("%.1f MB of peak RSS per MiB of one record, want at most 10", perMiB*1.048576)
	}
}
