package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// evalCorpus writes a small corpus: the seed pages and a few JSONL
// articles, enough titles for a known-item evaluation.
func evalCorpus(t *testing.T) string {
	t.Helper()
	dir := seedDir(t)
	lines := []string{
		`{"id":"g1","title":"Giá vàng hôm nay tăng mạnh lên mức kỷ lục","body":"Giá vàng trong nước sáng nay tăng mạnh, vượt mức kỷ lục cũ nhờ giá thế giới đi lên."}`,
		`{"id":"g2","title":"Hòa bình và thịnh vượng cho khu vực","body":"Các nhà lãnh đạo cam kết giữ gìn hòa bình, thúc đẩy thịnh vượng chung."}`,
		`{"id":"g3","title":"Đắk Lắk khởi công đường cao tốc mới","body":"Tỉnh Đắk Lắk vừa khởi công tuyến đường cao tốc dài 117 km."}`,
	}
	if err := os.WriteFile(filepath.Join(dir, "more.jsonl"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestEvalKnownItem(t *testing.T) {
	corpusDir := evalCorpus(t)
	out := filepath.Join(t.TempDir(), "ki")
	gen := mustRun(t, nil, "eval", "gen", "--corpus", corpusDir, "-n", "5", "--out", out)
	if !strings.Contains(gen.stdout, "wrote 25 queries") {
		t.Errorf("eval gen said %q", gen.stdout)
	}
	queries, qrels := filepath.Join(out, "queries.tsv"), filepath.Join(out, "qrels.tsv")
	perQuery := filepath.Join(out, "per-query.tsv")
	work := filepath.Join(t.TempDir(), "work")
	r := mustRun(t, nil, "eval", "--queries", queries, "--qrels", qrels, "--corpus", corpusDir,
		"--drop-titles", "--work", work, "--per-query", perQuery)
	for _, want := range []string{"MRR@10", "written", "no-diacritics", "tone-flipped", "nfd", "half-stripped", "vnsearch", "bleve-standard"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	lines, err := os.ReadFile(perQuery)
	if err != nil || strings.Count(string(lines), "\n") != 1+2*25 {
		t.Errorf("per-query file: %d lines, %v", strings.Count(string(lines), "\n"), err)
	}
	// Again, reusing the indexes, as JSON.
	r = mustRun(t, nil, "eval", "--queries", queries, "--qrels", qrels, "--corpus", corpusDir, "--drop-titles", "--work", work, "--json")
	if !strings.Contains(r.stderr, "reusing") {
		t.Errorf("second run did not reuse the indexes: %s", r.stderr)
	}
	var report struct {
		Engines []string `json:"engines"`
		Rows    []struct {
			Variant string  `json:"variant"`
			Engine  string  `json:"engine"`
			MRR     float64 `json:"mrr_at_10"`
		} `json:"rows"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &report); err != nil || len(report.Rows) != 12 { // five variants and all, two engines
		t.Fatalf("--json: %v, %d rows:\n%s", err, len(report.Rows), r.stdout)
	}
}

func TestEvalErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.tsv")
	os.WriteFile(bad, []byte("1\tma túy\n2 no tab\n"), 0o644)
	good := filepath.Join(dir, "qrels.tsv")
	os.WriteFile(good, []byte("1\ta\n"), 0o644)
	for _, tt := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"eval", "--qrels", good}, 2, "--queries and --qrels"},
		{[]string{"eval", "--queries", bad, "--qrels", good}, 1, "bad.tsv line 2"},
		{[]string{"eval", "--queries", filepath.Join(dir, "none.tsv"), "--qrels", good}, 1, "none.tsv"},
		{[]string{"eval", "gen", "--corpus", dir}, 2, "--corpus and --out"},
		{[]string{"eval", "--queries", good, "--qrels", good, "--param", "pair_bost=3"}, 2, `param "pair_bost": unknown; known: keyword_syllables`},
		{[]string{"eval", "--queries", good, "--qrels", good, "--param", "pair_boost=-1"}, 2, "pair_boost must be 0 to 1000"},
		{[]string{"eval", "--queries", good, "--qrels", good, "--param", "pair_boost"}, 2, "want name=value"},
	} {
		r := runCLI(t, nil, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("vnsearch %s: exit %d, stderr %q; want %d and %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.code, tt.want)
		}
	}
}
