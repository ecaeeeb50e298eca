package main

import (
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

// The progress meter's total counts what the indexer reads: the same
// files, through the same symbolic links, each once.
func TestCountArticlesAgreesWithIndexer(t *testing.T) {
	root := t.TempDir()
	write := func(name, content string) {
		t.Helper()
		p := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	lines := func(prefix string, n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `{"id":"%s%d","body":"Một câu."}`+"\n\n", prefix, i)
		}
		return b.String()
	}
	write("a/one.jsonl", lines("a", 3))
	write("b/two.jsonl", lines("b", 4))
	write("b/.hidden.jsonl", lines("h", 5))
	write("page.txt", "Tiêu đề của trang\n\nVOV.VN - Nội dung bài báo ở đây, đủ dài để là một đoạn văn.\n")
	var gz strings.Builder
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(lines("z", 6)))
	zw.Close()
	write("c/three.jsonl.gz", gz.String())
	for link, target := range map[string]string{
		"a/to-b":       "../b",        // a directory reached twice: read once
		"a/loop":       "..",          // a loop: reported, not walked
		"outside":      "c",           // a link to a directory, followed
		"again.jsonl":  "a/one.jsonl", // a file reached twice
		"dangling.txt": "nowhere.txt",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Skipf("symlinks not supported: %v", err)
		}
	}

	ctx := context.Background()
	n, ok := countArticles(ctx, []string{root})
	articles := 0
	for _, err := range corpus.Articles(ctx, root) {
		if err == nil {
			articles++
		}
	}
	if !ok || n != int64(articles) || articles != 3+4+6+1 {
		t.Errorf("counted %d (known: %v), the indexer read %d articles, want 14", n, ok, articles)
	}
}
