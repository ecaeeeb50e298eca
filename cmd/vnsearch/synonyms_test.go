package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
)

// TestSynonymsEndToEnd: articles that define their abbreviations inline
// are found by either form once mined; `synonyms` lists what was mined,
// `analyze` what a query is searched as; a synonyms file's bad lines are
// reported by number.
func TestSynonymsEndToEnd(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "a.jsonl")
	lines := []string{
		`{"id":"def1","title":"Họp Ủy ban nhân dân tỉnh","paragraphs":["Ủy ban nhân dân (UBND) tỉnh và Ban quản lý dự án (BQLDA) cao tốc họp sáng nay."]}`,
		`{"id":"def2","title":"Tiến độ cao tốc","paragraphs":["Theo Ủy ban nhân dân (UBND) huyện và Ban quản lý dự án (BQLDA) số 2, tiến độ đạt 80%."]}`,
		`{"id":"ubnd","title":"UBND xã báo cáo","paragraphs":["UBND xã gửi báo cáo lên huyện."]}`,
		`{"id":"uyban","title":"Ủy ban nhân dân phường báo cáo","paragraphs":["Ủy ban nhân dân phường gửi báo cáo lên quận."]}`,
		`{"id":"bqlda","title":"BQLDA gửi văn bản","paragraphs":["BQLDA gửi văn bản lên bộ."]}`,
		`{"id":"banql","title":"Ban quản lý dự án gửi văn bản","paragraphs":["Ban quản lý dự án gửi văn bản lên bộ."]}`,
	}
	if err := os.WriteFile(src, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	idx := filepath.Join(dir, "idx")
	mustRun(t, nil, "index", "--index", idx, src)
	ids := func(q string) []string {
		var out []string
		for _, h := range decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", q).stdout).Hits {
			out = append(out, h.ID)
		}
		return out
	}
	// Built in: UBND.
	for q, want := range map[string]string{"ubnd": "uyban", "Ủy ban nhân dân": "ubnd"} {
		if got := ids(q); !slices.Contains(got, want) {
			t.Errorf("%s: %v, want %s too", q, got, want)
		}
	}
	// Mined: BQLDA, once compacted.
	if got := ids("bqlda"); slices.Contains(got, "banql") {
		t.Errorf("bqlda before mining: %v", got)
	}
	mustRun(t, nil, "compact", "--index", idx)
	if got := ids("bqlda"); len(got) != 4 || got[0] != "bqlda" || !slices.Contains(got, "banql") {
		t.Errorf("bqlda: %v, want the four, the one saying BQLDA in its title first", got)
	}
	if got := ids("Ban quản lý dự án"); !slices.Contains(got, "bqlda") || slices.Index(got, "banql") > slices.Index(got, "bqlda") {
		t.Errorf("Ban quản lý dự án: %v, want banql, then bqlda", got)
	}

	out := mustRun(t, nil, "synonyms", "--index", idx).stdout
	for _, want := range []string{"2         BQLDA  Ban quản lý dự án", "2         UBND   Ủy ban nhân dân", "UBND, Ủy ban nhân dân"} {
		if !strings.Contains(out, want) {
			t.Errorf("synonyms lacks %q:\n%s", want, out)
		}
	}
	var analyzed api.Analyzed
	raw := mustRun(t, nil, "analyze", "--index", idx, "--json", "--expand", "bqlda").stdout
	if err := json.Unmarshal([]byte(raw), &analyzed); err != nil || len(analyzed.Expansions) != 1 ||
		analyzed.Expansions[0].As != "Ban quản lý dự án" || len(analyzed.Tokens) != 1 {
		t.Errorf("analyze --json --expand bqlda: %s (%v)", raw, err)
	}
	if out := mustRun(t, nil, "analyze", "--index", idx, "ubnd tỉnh").stdout; !strings.Contains(out, "ubnd tỉnh  → Ủy ban nhân dân") &&
		!strings.Contains(out, "→ Ủy ban nhân dân") {
		t.Errorf("analyze ubnd tỉnh:\n%s", out)
	}

	// A file of the user's: used by search, its bad lines reported.
	syn := filepath.Join(dir, "syn.txt")
	if err := os.WriteFile(syn, []byte("# mine\ncao tốc => đường cao tốc\nvăn bản, công văn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, nil, "synonyms", "--index", idx, "--synonyms", syn).stdout; !strings.Contains(out, "3:  văn bản, công văn") {
		t.Errorf("synonyms --synonyms:\n%s", out)
	}
	if got := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--synonyms", syn, "--json", "công văn").stdout); len(got.Hits) != 2 {
		t.Errorf("công văn with the file: %d hits, want the two saying văn bản", len(got.Hits))
	}
	if err := os.WriteFile(syn, []byte("a, b\nalone\nx => y => z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCLI(t, nil, "search", "--index", idx, "--synonyms", syn, "ubnd")
	if r.code != exitFailure || !strings.Contains(r.stderr, syn+":2: ") || !strings.Contains(r.stderr, syn+":3: ") || strings.Contains(r.stderr, syn+":1:") {
		t.Errorf("bad file: exit %d, %q", r.code, r.stderr)
	}
}

// TestPartialMatchesAsSeen is issue 13's item 4 as a reader sees it on
// the seeds: "Quách Thanh Côn" answers the two articles about him, with
// "Thanh" highlighted and not "chân thành"; "ha giang" answers nothing
// until an article about Hà Giang is added, and then that one alone.
func TestPartialMatchesAsSeen(t *testing.T) {
	idx := seededIndex(t)
	out := mustRun(t, nil, "search", "--index", idx, "Quách Thanh Côn").stdout
	if !strings.HasPrefix(out, "About 2 results") || !strings.Contains(out, "[Quách Thanh Côn]") || strings.Contains(out, "[thành]") {
		t.Errorf("Quách Thanh Côn:\n%s", out)
	}
	if out := mustRun(t, nil, "search", "--index", idx, "ha giang").stdout; !strings.HasPrefix(out, `No results for "ha giang"`) {
		t.Errorf("ha giang on the seeds:\n%s", out)
	}
	src := filepath.Join(t.TempDir(), "hg.jsonl")
	if err := os.WriteFile(src, []byte(`{"id":"hg","title":"Mưa lớn ở Hà Giang","paragraphs":["Tỉnh Hà Giang có mưa lớn kéo dài."]}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, nil, "index", "--index", idx, src)
	// Offered with its diacritics now that an article writes it.
	if out := mustRun(t, nil, "search", "--index", idx, "ha giang").stdout; !strings.HasPrefix(out, "Did you mean: hà giang\nAbout 1 results") || !strings.Contains(out, "1. Mưa lớn ở Hà Giang") {
		t.Errorf("ha giang with an article about Hà Giang:\n%s", out)
	}
}
