package main

import (
	"github.com/blevesearch/bleve/v2"

	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/cmd/internal/server"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// result is what one run of the command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runCLI runs vnsearch in-process with the given environment (and no
// other) and arguments.
func runCLI(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	a := &app{stdout: &stdout, stderr: &stderr, getenv: func(k string) string { return env[k] }}
	code := run(context.Background(), args, a)
	return result{code, stdout.String(), stderr.String()}
}

// mustRun runs vnsearch and fails the test unless it exits 0.
func mustRun(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	r := runCLI(t, env, args...)
	if r.code != 0 {
		t.Fatalf("vnsearch %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// seedDir copies the seed pages into a new directory.
func seedDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "seeds")
	if err := os.CopyFS(dir, os.DirFS("../../corpus/seeds")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// seededIndex returns the path of a new index holding the seed pages.
func seededIndex(t *testing.T) string {
	t.Helper()
	idx := filepath.Join(t.TempDir(), "idx")
	mustRun(t, nil, "index", "--index", idx, seedDir(t))
	return idx
}

func decodeSearch(t *testing.T, out string) index.Result {
	t.Helper()
	var resp index.Result
	if err := json.Unmarshal([]byte(out), &resp); err != nil {
		t.Fatalf("search --json printed %q: %v", out, err)
	}
	return resp
}

func TestIndexAndSearch(t *testing.T) {
	idx := filepath.Join(t.TempDir(), "idx")
	seeds := seedDir(t)
	first := mustRun(t, nil, "index", "--index", idx, seeds)
	if !strings.Contains(first.stdout, "5 added, 0 updated, 0 unchanged; 0 problems") {
		t.Errorf("first run: %q", first.stdout)
	}
	if !strings.Contains(first.stderr, "created a new index at "+idx) {
		t.Errorf("first run did not say it created the index: %q", first.stderr)
	}
	again := mustRun(t, nil, "index", "--index", idx, seeds)
	if !strings.Contains(again.stdout, "0 added, 0 updated, 5 unchanged; 0 problems") {
		t.Errorf("second run: %q", again.stdout)
	}

	exact := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "ma túy").stdout)
	folded := decodeSearch(t, mustRun(t, nil, "--index", idx, "search", "--json", "ma", "tuy").stdout)
	if exact.Total != 5 || folded.Total != 5 || exact.Hits[0].ID != folded.Hits[0].ID {
		t.Errorf("ma túy: %d hits, top %v; ma tuy: %d hits, top %v", exact.Total, exact.Hits, folded.Total, folded.Hits)
	}
	if folded.Query != "ma tuy" {
		t.Errorf("arguments joined into %q, want \"ma tuy\"", folded.Query)
	}
	if folded.DidYouMean != "ma túy" || exact.DidYouMean != "" {
		t.Errorf("did_you_mean: %q for ma tuy, %q for ma túy; want ma túy and none", folded.DidYouMean, exact.DidYouMean)
	}
	if out := mustRun(t, nil, "search", "--index", idx, "ma tuy").stdout; !strings.Contains(out, "Did you mean: ma túy\n") {
		t.Errorf("search ma tuy printed no suggestion:\n%s", out)
	}

	page := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "-n", "2", "--from", "1", "ma túy").stdout)
	if len(page.Hits) != 2 || page.Hits[0].ID != exact.Hits[1].ID {
		t.Errorf("-n 2 --from 1: %+v", page.Hits)
	}
	for _, h := range decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "--source", "vov.vn", "ma túy").stdout).Hits {
		if h.Source != "VOV.VN" {
			t.Errorf("--source vov.vn found %q", h.Source)
		}
	}

	human := mustRun(t, nil, "search", "--index", idx, "ma túy").stdout
	for _, want := range []string{"About 5 results (", "\n1. ", "\n5. ", "[ma túy]", " · score ", exact.Hits[0].ID} {
		if !strings.Contains(human, want) {
			t.Errorf("human output lacks %q:\n%s", want, human)
		}
	}
	if strings.Contains(human, "\x1b[") {
		t.Errorf("piped output holds escape sequences:\n%s", human)
	}
	colored := mustRun(t, nil, "search", "--index", idx, "--color", "ma túy").stdout
	if !strings.Contains(colored, "\x1b[1mma túy\x1b[0m") || strings.Contains(colored, "[ma túy]") {
		t.Errorf("--color output:\n%s", colored)
	}
	none := mustRun(t, nil, "search", "--index", idx, "xyzzyqwert")
	if !strings.HasPrefix(none.stdout, `No results for "xyzzyqwert"`) {
		t.Errorf("no results: %q", none.stdout)
	}
}

// TestSearchJSONIsTheEndpoints checks that search --json prints what GET
// /search answers, byte for byte but for the time taken.
func TestSearchJSONIsTheEndpoints(t *testing.T) {
	idx := seededIndex(t)
	cli := mustRun(t, nil, "search", "--index", idx, "--json", "--sort", "date", "-n", "3", "ma túy").stdout

	ix, err := index.Open(idx, index.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	ts := httptest.NewServer(server.New(server.Config{Index: ix}))
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/search?q=ma+t%C3%BAy&sort=date&size=3")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	withoutTook := func(s string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if _, ok := m["took_ms"]; !ok {
			t.Errorf("no took_ms in %s", s)
		}
		delete(m, "took_ms")
		return m
	}
	if a, b := withoutTook(cli), withoutTook(string(body)); !maps.EqualFunc(a, b, func(x, y json.RawMessage) bool { return bytes.Equal(x, y) }) {
		t.Errorf("search --json and GET /search differ:\n%s\n%s", cli, body)
	}
	if keys := slices.Sorted(maps.Keys(withoutTook(cli))); !slices.Equal(keys, []string{"hits", "query", "total"}) {
		t.Errorf("keys %v", keys)
	}
	var hits []map[string]json.RawMessage
	json.Unmarshal(withoutTook(cli)["hits"], &hits)
	if len(hits) != 3 {
		t.Fatalf("%d hits", len(hits))
	}
	want := []string{"highlights", "id", "paragraph", "published", "score", "snippet", "source", "title", "url"}
	if keys := slices.Sorted(maps.Keys(hits[0])); !slices.Equal(keys, want) {
		t.Errorf("hit keys %v, want %v", keys, want)
	}
}

func TestAnalyzeCommand(t *testing.T) {
	out := mustRun(t, nil, "analyze", "--json", "Ma túy").stdout
	if want := `[{"term":"ma","position":1,"start":0,"end":2},{"term":"túy","position":2,"start":3,"end":7}]` + "\n"; out != want {
		t.Errorf("analyze --json: %s, want %s", out, want)
	}
	out = mustRun(t, nil, "analyze", "--folded", "Ma", "túy").stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Fields(lines[0])[0] != "POSITION" || strings.Join(strings.Fields(lines[2]), " ") != "2 3 7 tuy" {
		t.Errorf("analyze --folded table:\n%s", out)
	}
}

func TestGetDeleteStats(t *testing.T) {
	idx := seededIndex(t)
	top := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "ma túy").stdout).Hits[0]

	got := mustRun(t, nil, "get", "--index", idx, top.ID).stdout
	var a corpus.Article
	if err := json.Unmarshal([]byte(got), &a); err != nil || a.ID != top.ID || len(a.Paragraphs) == 0 {
		t.Errorf("get: %v\n%s", err, got)
	}
	if !strings.Contains(got, "\n  \"id\"") {
		t.Errorf("get is not indented:\n%s", got)
	}
	if compact := mustRun(t, nil, "get", "--index", idx, "--json", top.ID).stdout; strings.Count(compact, "\n") != 1 {
		t.Errorf("get --json is not one line:\n%s", compact)
	}
	if r := runCLI(t, nil, "get", "--index", idx, "no-such-id"); r.code != 1 || !strings.Contains(r.stderr, `no article with ID "no-such-id"`) {
		t.Errorf("get unknown: %+v", r)
	}

	stats := mustRun(t, nil, "stats", "--index", idx).stdout
	for _, want := range []string{"articles:      5", "size on disk:", "KiB", "dates:         2023-09 to 2023-09", "vov.vn  2", "antv    2"} {
		if !strings.Contains(stats, want) {
			t.Errorf("stats lacks %q:\n%s", want, stats)
		}
	}
	var st index.Stats
	if err := json.Unmarshal([]byte(mustRun(t, nil, "stats", "--index", idx, "--json").stdout), &st); err != nil || st.Articles != 5 {
		t.Errorf("stats --json: %+v, %v", st, err)
	}

	verified := mustRun(t, nil, "stats", "--index", idx, "--verify").stdout
	if !strings.Contains(verified, "BM25 lengths:") || !strings.Contains(verified, "over 5 articles: no drift") {
		t.Errorf("stats --verify:\n%s", verified)
	}
	var checked struct {
		Lengths *index.LengthCheck `json:"lengths"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, nil, "stats", "--index", idx, "--verify", "--json").stdout), &checked); err != nil ||
		checked.Lengths == nil || checked.Lengths.Drift() || checked.Lengths.Counted.Tokens == 0 {
		t.Errorf("stats --verify --json: %+v, %v", checked.Lengths, err)
	}
	if out := mustRun(t, nil, "compact", "--index", idx).stdout; !strings.Contains(out, "compacted "+idx) {
		t.Errorf("compact: %q", out)
	}

	del := mustRun(t, nil, "delete", "--index", idx, top.ID, "no-such-id")
	if !strings.Contains(del.stdout, "deleted 1 articles (1 of the 2 IDs were not in the index)") {
		t.Errorf("delete: %q", del.stdout)
	}
	if r := runCLI(t, nil, "delete", "--index", idx, top.ID); r.code != 1 || !strings.Contains(r.stderr, "none of the IDs is in the index") {
		t.Errorf("delete again: %+v", r)
	}
	if after := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "ma túy").stdout); after.Total != 4 {
		t.Errorf("after delete: %d hits, want 4", after.Total)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	idx := filepath.Join(dir, "never-created")
	tests := []struct {
		args []string
		says string
	}{
		{[]string{"search"}, "missing QUERY"},
		{[]string{"search", "--bogus", "q"}, "unknown flag: --bogus"},
		{[]string{"search", "--size", "ten", "q"}, `invalid argument "ten" for "-n, --size"`},
		{[]string{"search", "-n", "-1", "q"}, "size -1 is negative"},
		{[]string{"search", "--from", "-3", "q"}, "from -3 is negative"},
		{[]string{"search", "--sort", "popular", "q"}, `sort "popular"`},
		{[]string{"search", "--since", "hôm qua", "q"}, `since "hôm qua"`},
		{[]string{"search", "--until", "2023-13", "q"}, `until "2023-13"`},
		{[]string{"search", "   "}, "query"},
		{[]string{"search", strings.Repeat("a", index.MaxQueryLength+1)}, "more than the 1000 allowed"},
		{[]string{"nosuch"}, `unknown command "nosuch"`},
		{[]string{"index"}, "missing SOURCE"},
		{[]string{"index", "--batch-size", "0", dir}, "--batch-size 0"},
		{[]string{"get"}, "missing one ID"},
		{[]string{"get", "a", "b"}, "too many arguments"},
		{[]string{"delete"}, "missing ID"},
		{[]string{"stats", "extra"}, "too many arguments"},
		{[]string{"analyze"}, "missing TEXT"},
		{[]string{"analyze", strings.Repeat("a", api.MaxAnalyzeLength+1)}, "more than the 10000 allowed"},
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "refusing to serve on 0.0.0.0:0"},
		{[]string{"serve", "--addr", ":8080"}, "without a token"},
		{[]string{"serve", "--addr", "nonsense"}, `address "nonsense"`},
	}
	for _, tt := range tests {
		args := append(slices.Clone(tt.args), "--index", idx)
		r := runCLI(t, nil, args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, tt.says) || !strings.Contains(r.stderr, "--help' for usage") {
			t.Errorf("vnsearch %.60s: exit %d, stderr %q; want exit 2 saying %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.says)
		}
	}
	if _, err := os.Stat(idx); !os.IsNotExist(err) {
		t.Errorf("a usage error created the index: %v", err)
	}
}

func TestIndexProblems(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "mixed.jsonl")
	os.WriteFile(jsonl, []byte(`{"id":"g1","title":"Tin một","paragraphs":["Công an bắt giữ nhóm buôn lậu."]}
{"id":"b2","title": oops}
{"id":"g3","title":"Tin ba","body":"Giá xăng giảm mạnh."}
{"id":"b4","title":"Không có nội dung"}
`), 0o644)
	missing := filepath.Join(dir, "missing.jsonl")
	odd := filepath.Join(dir, "notes.md")
	os.WriteFile(odd, []byte("# notes"), 0o644)
	idx := filepath.Join(dir, "idx")

	r := runCLI(t, nil, "index", "--index", idx, jsonl, missing, odd)
	if r.code != exitFailure {
		t.Errorf("exit %d, want 1", r.code)
	}
	for _, want := range []string{
		jsonl + ":2: malformed JSON",
		jsonl + ":4: no article text",
		missing + ": stat: no such file or directory",
		odd + ": unsupported file type",
		"4 problems in the input",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if !strings.Contains(r.stdout, "2 added, 0 updated, 0 unchanged; 4 problems") {
		t.Errorf("summary: %q", r.stdout)
	}
	for _, id := range []string{"g1", "g3"} {
		mustRun(t, nil, "get", "--index", idx, id)
	}
}

func TestPrune(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	os.MkdirAll(src, 0o755)
	write := func(name, id string) {
		line := `{"id":"` + id + `","title":"Bài ` + id + `","paragraphs":["Nội dung của bài ` + id + `."]}` + "\n"
		if err := os.WriteFile(filepath.Join(src, name), []byte(line), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.jsonl", "a")
	write("b.jsonl", "b")
	other := filepath.Join(dir, "other.jsonl")
	os.WriteFile(other, []byte(`{"id":"o","title":"Khác","paragraphs":["Bài ở chỗ khác."]}`+"\n"), 0o644)
	idx := filepath.Join(dir, "idx")
	mustRun(t, nil, "index", "--index", idx, src, other)

	os.Remove(filepath.Join(src, "b.jsonl"))
	// A relative SOURCE: pruning compares absolute paths.
	t.Chdir(dir)
	r := mustRun(t, nil, "index", "--index", idx, "--prune", "src")
	if !strings.Contains(r.stdout, "pruned 1 articles") {
		t.Errorf("prune: %q", r.stdout)
	}
	if g := runCLI(t, nil, "get", "--index", idx, "b"); g.code == 0 {
		t.Errorf("b is still indexed after its file was removed")
	}
	mustRun(t, nil, "get", "--index", idx, "a")
	mustRun(t, nil, "get", "--index", idx, "o") // outside the pruned SOURCE

	// A SOURCE that cannot be read is reported and not pruned.
	os.RemoveAll(src)
	r = runCLI(t, nil, "index", "--index", idx, "--prune", "src")
	if r.code != exitFailure || !strings.Contains(r.stderr, "not pruning "+src) {
		t.Errorf("missing SOURCE: %+v", r)
	}
	mustRun(t, nil, "get", "--index", idx, "a")
}

func TestMissingIndex(t *testing.T) {
	idx := filepath.Join(t.TempDir(), "none")
	for _, args := range [][]string{{"search", "ma"}, {"get", "x"}, {"stats"}, {"delete", "x"}} {
		r := runCLI(t, nil, append(args, "--index", idx)...)
		if r.code != exitFailure || !strings.Contains(r.stderr, "no index at "+idx) || !strings.Contains(r.stderr, "vnsearch --index "+idx+" index SOURCE") {
			t.Errorf("%s on a missing index: %+v", args[0], r)
		}
	}
	// $VNSEARCH_INDEX is as explicit as --index: nothing is built there.
	r := runCLI(t, map[string]string{"VNSEARCH_INDEX": idx, "HOME": t.TempDir()}, "search", "ma")
	if r.code != exitFailure || !strings.Contains(r.stderr, "no index at "+idx) {
		t.Errorf("search with $VNSEARCH_INDEX missing: %+v", r)
	}
	if _, err := os.Stat(idx); !os.IsNotExist(err) {
		t.Errorf("the missing index was created: %v", err)
	}
}

func TestDefaultIndexFromSeeds(t *testing.T) {
	home := t.TempDir()
	env := map[string]string{"HOME": home}
	r := mustRun(t, env, "search", "ma túy")
	want := filepath.Join(home, ".local", "share", "vnsearch", "index")
	if !strings.Contains(r.stderr, "built a default index at "+want+" from the 5 seed articles") {
		t.Errorf("stderr %q", r.stderr)
	}
	if !strings.HasPrefix(r.stdout, "About 5 results") || !strings.Contains(r.stdout, "[ma túy]") {
		t.Errorf("stdout %q", r.stdout)
	}
	if again := mustRun(t, env, "search", "ma túy"); again.stderr != "" {
		t.Errorf("second run said %q", again.stderr)
	}
	// Built by an older vnsearch, holding only the seeds: built again.
	markOutdated(t, want)
	if r := mustRun(t, env, "search", "ma túy"); !strings.Contains(r.stderr, "rebuilt the default index at "+want) ||
		!strings.HasPrefix(r.stdout, "About 5 results") {
		t.Errorf("outdated default index: %+v", r)
	}
	if st := mustRun(t, env, "stats").stdout; !strings.Contains(st, want) {
		t.Errorf("stats of the default index: %q", st)
	}

	xdg := filepath.Join(t.TempDir(), "xdg")
	r = mustRun(t, map[string]string{"HOME": home, "XDG_DATA_HOME": xdg}, "search", "--json", "ma tuy")
	if !strings.Contains(r.stderr, filepath.Join(xdg, "vnsearch", "index")) || decodeSearch(t, r.stdout).Total != 5 {
		t.Errorf("with $XDG_DATA_HOME: %+v", r)
	}
	if r := runCLI(t, nil, "search", "ma"); r.code != exitFailure || !strings.Contains(r.stderr, "$HOME is not set") {
		t.Errorf("without $HOME: %+v", r)
	}
}

func TestDataDir(t *testing.T) {
	env := map[string]string{"HOME": "/home/lan", "LocalAppData": `C:\Users\lan\AppData\Local`, "XDG_DATA_HOME": "/data"}
	get := func(k string) string { return env[k] }
	tests := []struct{ goos, want string }{
		{"linux", "/data"},
		{"freebsd", "/data"},
		{"darwin", filepath.Join("/home/lan", "Library", "Application Support")},
		{"windows", `C:\Users\lan\AppData\Local`},
	}
	for _, tt := range tests {
		if got, err := dataDir(tt.goos, get); err != nil || got != tt.want {
			t.Errorf("dataDir(%s) = %q, %v; want %q", tt.goos, got, err, tt.want)
		}
	}
	env["XDG_DATA_HOME"] = "relative/ignored"
	if got, _ := dataDir("linux", get); got != filepath.Join("/home/lan", ".local", "share") {
		t.Errorf("relative XDG_DATA_HOME: %q", got)
	}
	if _, err := dataDir("windows", func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "LocalAppData") {
		t.Errorf("windows without LocalAppData: %v", err)
	}
}

func TestHelp(t *testing.T) {
	r := mustRun(t, nil, "--help")
	for _, cmd := range []string{"index", "search", "analyze", "get", "delete", "stats", "serve", "--index"} {
		if !strings.Contains(r.stdout, cmd) {
			t.Errorf("help lacks %q:\n%s", cmd, r.stdout)
		}
	}
}

// markOutdated makes the index at path look built by an older vnsearch:
// the mapping version index.Open checks ("vnsearch.mapping_version" in
// Bleve's internal store) set to one no build reads.
func markOutdated(t *testing.T, path string) {
	t.Helper()
	b, err := bleve.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.SetInternal([]byte("vnsearch.mapping_version"), []byte("vnsearch-0")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}
