//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/internal/bench"
)

// writeBenchCorpus writes n made-up articles whose bodies are one line of
// sentences, as the baomoi export's are.
func writeBenchCorpus(t *testing.T, n int) string {
	t.Helper()
	words := strings.Fields(`công an tỉnh bắt giữ đối tượng ma túy giá xăng giảm mạnh hà nội mưa lớn
trường học sinh viên kinh tế phát triển bộ y bệnh viện người dân thành phố quốc hội chính phủ
bóng đá đội tuyển việt nam đường sắt nông nghiệp xuất khẩu gạo ngân hàng lãi suất du lịch`)
	text := func(i, n int) string {
		var sb strings.Builder
		for k := range n {
			if k > 0 {
				sb.WriteByte(' ')
			}
			sb.WriteString(words[(i*7+k*k*3+k)%len(words)])
			if k%12 == 11 {
				sb.WriteString(". Ông")
			}
		}
		return sb.String() + "."
	}
	var buf bytes.Buffer
	for i := range n {
		line, _ := json.Marshal(map[string]string{
			"id": fmt.Sprintf("src-%d", i), "source": []string{"VOV.VN", "Báo Thử"}[i%2],
			"title": text(i, 6+i%5), "summary": text(i+1, 25), "body": text(i+2, 150+i*7%300),
		})
		buf.Write(line)
		buf.WriteByte('\n')
	}
	path := filepath.Join(t.TempDir(), "src.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestBenchEndToEnd runs the measuring harness as a user would, tiny:
// generate a corpus twice (the same bytes), then `bench run` on a corpus
// of 60 articles and a generated one of 300, and the in-process latency
// with a CPU profile.
func TestBenchEndToEnd(t *testing.T) {
	env := childEnv(t)
	src := writeBenchCorpus(t, 60)

	gens := [2]string{filepath.Join(t.TempDir(), "g1"), filepath.Join(t.TempDir(), "g2")}
	for _, out := range gens {
		r, _ := runBinary(t, env, time.Minute, "bench", "gen", "--corpus", src, "-n", "200", "--out", out)
		if r.code != 0 || !strings.Contains(r.stdout, "gen-200-seed1.jsonl") {
			t.Fatalf("bench gen: exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	}
	a, _ := os.ReadFile(filepath.Join(gens[0], "gen-200-seed1.jsonl"))
	b, _ := os.ReadFile(filepath.Join(gens[1], "gen-200-seed1.jsonl"))
	if len(a) == 0 || !bytes.Equal(a, b) {
		t.Errorf("two runs of bench gen with one seed: %d and %d bytes, not the same", len(a), len(b))
	}

	work := filepath.Join(t.TempDir(), "work")
	r, _ := runBinary(t, env, 3*time.Minute, "bench", "run", "--corpus", src, "--sizes", "300", "--work", work,
		"--per-set", "10", "--warmup", "2", "--clients", "4", "--duration", "1s", "--batches", "2", "--json")
	if r.code != 0 {
		t.Fatalf("bench run: exit %d\n%s", r.code, r.stderr)
	}
	var rep bench.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("bench run --json: %v\n%s", err, r.stdout)
	}
	if len(rep.Build) != 4 {
		t.Fatalf("%d builds, want both engines on both corpora: %+v", len(rep.Build), rep.Build)
	}
	for i, b := range rep.Build {
		want := []int{60, 60, 300, 300}[i]
		if b.Articles != want || b.Wall <= 0 || b.PeakRSS <= 0 || b.DiskBytes <= 0 || b.TextBytes <= 0 {
			t.Errorf("build %d: %+v, want %d articles, time, memory and size", i, b, want)
		}
	}
	if len(rep.Latency) != 2 {
		t.Fatalf("%d latency sections, want 2", len(rep.Latency))
	}
	for _, sec := range rep.Latency {
		if len(sec.Rows) != 14 {
			t.Errorf("%s: %d rows, want 7 sets for 2 engines", sec.Corpus, len(sec.Rows))
		}
		for _, row := range sec.Rows {
			if row.Queries != 10 || row.Errors != 0 || row.Client.P50 <= 0 {
				t.Errorf("%s %s %s: %+v", sec.Corpus, row.Engine, row.Set, row)
			}
			if row.Engine == bench.Vnsearch && row.Found < 1 {
				t.Errorf("%s %s: vnsearch found %.0f%% of queries drawn from titles", sec.Corpus, row.Set, 100*row.Found)
			}
		}
	}
	if len(rep.Load) != 2 {
		t.Fatalf("%d load results, want 2", len(rep.Load))
	}
	for _, l := range rep.Load {
		if l.Queries == 0 || l.Errors != 0 || l.QPS <= 0 || l.Clients != 4 {
			t.Errorf("load: %+v", l)
		}
	}
	if len(rep.Incremental) != 3 {
		t.Fatalf("%d incremental results, want vnsearch by library and HTTP, and the peer", len(rep.Incremental))
	}
	for _, inc := range rep.Incremental {
		if inc.Batches != 2 || inc.Searchable != 2 || inc.IndexArticles != 300 {
			t.Errorf("incremental: %+v", inc)
		}
	}
	if rep.Machine.CPUs == 0 || rep.Date.IsZero() {
		t.Errorf("machine %+v, date %v", rep.Machine, rep.Date)
	}

	// The largest generated index stays in --work, with the 2×2 batches
	// of 10 added to it; latency in this process, with a CPU profile.
	profile := filepath.Join(t.TempDir(), "cpu.pprof")
	r, _ = runBinary(t, env, time.Minute, "bench", "latency", "--index", filepath.Join(work, "gen-300", bench.Vnsearch),
		"--queries-from", src, "--in-process", "--cpuprofile", profile, "--per-set", "5")
	if r.code != 0 || !strings.Contains(r.stdout, "vnsearch/in-process") || !strings.Contains(r.stdout, "(340 articles)") {
		t.Errorf("bench latency --in-process: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if fi, err := os.Stat(profile); err != nil || fi.Size() == 0 {
		t.Errorf("no CPU profile: %v", err)
	}

	r, _ = runBinary(t, env, time.Minute, "bench", "bleve-serve", "--index", work, "--addr", "0.0.0.0:0")
	if r.code != exitUsage || !strings.Contains(r.stderr, "loopback") {
		t.Errorf("bleve-serve on a public address: exit %d %s", r.code, r.stderr)
	}
}
