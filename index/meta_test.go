package index

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/vnsearch/vnsearch/corpus"
)

func TestMeta(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ix")
	ix, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, err := ix.Meta("feed:a"); err != nil || v != nil {
		t.Fatalf("Meta of a missing key = %q, %v; want nil, nil", v, err)
	}
	if err := ix.SetMeta("feed:a", []byte(`{"etag":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if err := ix.SetMeta("feed:b", []byte("b")); err != nil {
		t.Fatal(err)
	}
	if err := ix.SetMeta("feed:b", nil); err != nil {
		t.Fatal(err)
	}
	if err := ix.SetMeta("", []byte("x")); err == nil {
		t.Error("SetMeta with an empty key: want an error")
	}
	// Meta keys never collide with the index's own internal values, and
	// articles added later leave them alone.
	if _, err := ix.Add(context.Background(), []corpus.Article{article("a", "Tiêu đề", "Nội dung bài báo.")}); err != nil {
		t.Fatal(err)
	}
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}

	ro, err := Open(path, Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if v, err := ro.Meta("feed:a"); err != nil || string(v) != `{"etag":"x"}` {
		t.Errorf("after reopening, Meta = %q, %v", v, err)
	}
	if v, err := ro.Meta("feed:b"); err != nil || v != nil {
		t.Errorf("a deleted key = %q, %v; want nil", v, err)
	}
	if err := ro.SetMeta("feed:a", []byte("y")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("SetMeta on a read-only index = %v, want ErrReadOnly", err)
	}
}
