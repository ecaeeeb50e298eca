package corpus

import (
	"compress/gzip"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func writeGzip(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := gzip.NewWriter(f)
	zw.Write([]byte(content))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// tree builds a small corpus directory and returns its root.
func tree(t *testing.T) string {
	root := t.TempDir()
	writeFile(t, filepath.Join(root, "a", "page.txt"), syntheticVOV)
	writeFile(t, filepath.Join(root, "a", "b", "two.jsonl"),
		`{"id":"j1","body":"Một."}`+"\n"+`{"id":"j2","body":"Hai."}`+"\n")
	writeFile(t, filepath.Join(root, "arr.json"), `[{"id":"arr1","body":"Ba."}]`)
	writeGzip(t, filepath.Join(root, "c", "z.jsonl.gz"), `{"id":"gz1","body":"Bốn."}`)
	writeGzip(t, filepath.Join(root, "c", "p.txt.gz"), syntheticANTV)
	writeFile(t, filepath.Join(root, "notes.md"), "not corpus")
	writeFile(t, filepath.Join(root, ".hidden", "x.jsonl"), `{"id":"hidden","body":"x."}`)
	writeFile(t, filepath.Join(root, "empty.jsonl"), "")
	return root
}

type walkResult struct {
	ids      []string
	origins  map[string]string // ID → Origin
	problems []*Problem
}

func walk(t *testing.T, paths ...string) walkResult {
	t.Helper()
	r := walkResult{origins: map[string]string{}}
	for a, err := range Articles(context.Background(), paths...) {
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatalf("non-problem error: %v", err)
			}
			r.problems = append(r.problems, p)
			continue
		}
		r.ids = append(r.ids, a.ID)
		r.origins[a.ID] = a.Origin
	}
	return r
}

func TestArticlesWalk(t *testing.T) {
	root := tree(t)
	r := walk(t, root)
	// Lexical walk order: a/b/two.jsonl, a/page.txt, arr.json, c/..., empty.jsonl.
	wantOrigins := []string{"a/b/two.jsonl", "a/b/two.jsonl", "a/page.txt", "arr.json", "c/p.txt.gz", "c/z.jsonl.gz"}
	var got []string
	for _, id := range r.ids {
		rel, _ := filepath.Rel(root, r.origins[id])
		got = append(got, filepath.ToSlash(rel))
	}
	if !slices.Equal(got, wantOrigins) {
		t.Errorf("origins = %q, want %q", got, wantOrigins)
	}
	if r.ids[0] != "j1" || r.ids[1] != "j2" || r.ids[3] != "arr1" || r.ids[5] != "gz1" {
		t.Errorf("ids = %q", r.ids)
	}
	if len(r.problems) != 1 || !errors.Is(r.problems[0], ErrEmpty) || r.problems[0].Path != filepath.Join(root, "empty.jsonl") {
		t.Errorf("problems = %v, want the empty file only", r.problems)
	}
	// Re-reading yields the same IDs.
	if again := walk(t, root); !slices.Equal(again.ids, r.ids) {
		t.Errorf("re-read IDs %q, first %q", again.ids, r.ids)
	}
}

func TestArticlesSymlinks(t *testing.T) {
	root := tree(t)
	// A loop back to the root, a link to a sibling directory (read once),
	// a link to a file (read once), and a dangling link.
	for link, target := range map[string]string{
		"a/b/loop":     "../..",
		"a/again":      "../c",
		"a/self.txt":   "page.txt",
		"dangling.txt": "nowhere.txt",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Skipf("symlinks not supported: %v", err)
		}
	}
	r := walk(t, root)
	count := map[string]int{}
	for _, id := range r.ids {
		count[id]++
	}
	for id, n := range count {
		if n != 1 {
			t.Errorf("article %q read %d times", id, n)
		}
	}
	if len(r.ids) != 6 {
		t.Errorf("read %d articles, want 6: %q", len(r.ids), r.ids)
	}
	var loop, dangling bool
	for _, p := range r.problems {
		switch {
		case errors.Is(p, ErrSymlinkLoop) && p.Path == filepath.Join(root, "a", "b", "loop"):
			loop = true
		case errors.Is(p, fs.ErrNotExist) && p.Path == filepath.Join(root, "dangling.txt"):
			dangling = true
		case errors.Is(p, ErrEmpty):
		default:
			t.Errorf("unexpected problem %v", p)
		}
	}
	if !loop || !dangling {
		t.Errorf("loop reported: %v, dangling link reported: %v; problems %v", loop, dangling, r.problems)
	}

	// A self-referencing link chain the OS refuses to resolve.
	os.Symlink("ping.txt", filepath.Join(root, "pong.txt"))
	os.Symlink("pong.txt", filepath.Join(root, "ping.txt"))
	r = walk(t, root)
	n := 0
	for _, p := range r.problems {
		if errors.Is(p, ErrSymlinkLoop) {
			n++
		}
	}
	if n != 3 {
		t.Errorf("%d loop problems, want 3 (a/b/loop, ping, pong): %v", n, r.problems)
	}
}

func TestArticlesUnreadable(t *testing.T) {
	t.Run("permission", testUnreadablePermission)
	t.Run("read error", testUnreadableReadError)
}

// A file that opens but fails to read, even for root: /proc/self/mem at
// offset 0 gives EIO on Linux.
func testUnreadableReadError(t *testing.T) {
	if _, err := os.ReadFile("/proc/self/mem"); err == nil {
		t.Skip("no unreadable /proc/self/mem here")
	}
	root := tree(t)
	bad := filepath.Join(root, "a", "mem.txt")
	if err := os.Symlink("/proc/self/mem", bad); err != nil {
		t.Skipf("symlinks not supported: %v", err)
	}
	r := walk(t, root)
	var found bool
	for _, p := range r.problems {
		found = found || p.Path == bad
	}
	if !found || len(r.ids) != 6 {
		t.Errorf("problems %v, %d articles; want %s reported and 6 articles", r.problems, len(r.ids), bad)
	}
}

func testUnreadablePermission(t *testing.T) {
	root := tree(t)
	locked := filepath.Join(root, "a", "locked.jsonl")
	writeFile(t, locked, `{"id":"locked","body":"x."}`)
	if err := os.Chmod(locked, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(locked, 0o644)
	if f, err := os.Open(locked); err == nil {
		f.Close()
		t.Skip("chmod does not make files unreadable here (running as root?)")
	}
	r := walk(t, root)
	var found bool
	for _, p := range r.problems {
		if p.Path == locked && errors.Is(p, fs.ErrPermission) {
			found = true
		}
	}
	if !found || len(r.ids) != 6 {
		t.Errorf("problems %v, %d articles; want the locked file reported and 6 articles", r.problems, len(r.ids))
	}
}

func TestArticlesPaths(t *testing.T) {
	root := tree(t)
	missing := filepath.Join(root, "missing.jsonl")
	unsupported := filepath.Join(root, "notes.md")
	page := filepath.Join(root, "a", "page.txt")
	// Explicit files, a missing path and an unsupported one: problems for
	// the latter two, and the paths after them are still read.
	r := walk(t, missing, page, unsupported, filepath.Join(root, "arr.json"), page)
	if !slices.Equal(r.ids[1:], []string{"arr1"}) || r.origins[r.ids[0]] != page {
		t.Errorf("ids %q origins %v", r.ids, r.origins)
	}
	if len(r.problems) != 2 || !errors.Is(r.problems[0], fs.ErrNotExist) || !errors.Is(r.problems[1], ErrUnsupported) {
		t.Errorf("problems = %v", r.problems)
	}
	if got := r.problems[0].Error(); !strings.HasPrefix(got, missing+": ") {
		t.Errorf("problem message %q", got)
	}
}

func TestArticlesBreak(t *testing.T) {
	root := tree(t)
	n := 0
	for range Articles(context.Background(), root, root) {
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Errorf("iterated %d times", n)
	}
}

func TestArticlesFS(t *testing.T) {
	fsys := fstest.MapFS{
		"corpus/one.txt":           {Data: []byte(syntheticANTV)},
		"corpus/sub/two.jsonl":     {Data: []byte(`{"id":"j","body":"Một."}` + "\n{bad\n")},
		"corpus/.git/x.jsonl":      {Data: []byte(`{"id":"hidden","body":"x."}`)},
		"corpus/readme.md":         {Data: []byte("no")},
		"corpus/bad.txt":           {Data: []byte("Dòng \xff")},
		"elsewhere/not-walked.txt": {Data: []byte(syntheticVOV)},
	}
	var origins []string
	var problems []string
	for a, err := range ArticlesFS(context.Background(), fsys, "corpus") {
		if err != nil {
			var p *Problem
			if !errors.As(err, &p) {
				t.Fatal(err)
			}
			problems = append(problems, p.Path)
			continue
		}
		origins = append(origins, a.Origin)
	}
	if !slices.Equal(origins, []string{"corpus/one.txt", "corpus/sub/two.jsonl"}) {
		t.Errorf("origins = %q", origins)
	}
	if !slices.Equal(problems, []string{"corpus/bad.txt", "corpus/sub/two.jsonl"}) {
		t.Errorf("problems in %q", problems)
	}
	// A single file as root, and a missing root.
	items := collect(ArticlesFS(context.Background(), fsys, "corpus/one.txt"))
	if len(items) != 1 || items[0].err != nil || items[0].a.Origin != "corpus/one.txt" {
		t.Errorf("single file: %+v", items)
	}
	items = collect(ArticlesFS(context.Background(), fsys, "nope"))
	if len(items) != 1 || !errors.Is(items[0].err, fs.ErrNotExist) {
		t.Errorf("missing root: %+v", items)
	}
}

// Files yields what Articles reads, in the same order, with its format.
func TestFiles(t *testing.T) {
	root := tree(t)
	if err := os.Symlink("../c", filepath.Join(root, "a", "again")); err != nil {
		t.Skipf("symlinks not supported: %v", err)
	}
	type found struct {
		rel    string
		format Format
	}
	var got []found
	for f, err := range Files(context.Background(), root) {
		if err != nil {
			t.Fatalf("problem %v", err)
		}
		rel, _ := filepath.Rel(root, f.Path)
		got = append(got, found{filepath.ToSlash(rel), f.Format})
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
	}
	// Lexical order; c/ is reached through the link a/again first, and
	// taken once; the dot directory is skipped.
	want := []found{
		{"a/again/p.txt.gz", FormatPage}, {"a/again/z.jsonl.gz", FormatJSON}, {"a/b/two.jsonl", FormatJSON},
		{"a/page.txt", FormatPage}, {"arr.json", FormatJSON}, {"empty.jsonl", FormatJSON},
	}
	if !slices.Equal(got, want) {
		t.Errorf("files %v\nwant  %v", got, want)
	}
}
