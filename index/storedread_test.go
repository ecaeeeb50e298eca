package index

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"

	"github.com/vnsearch/vnsearch/corpus"
)

// storedValue is one stored value as a visitor sees it.
type storedValue struct {
	field    string
	typ      byte
	value    string
	arrayPos []uint64
}

func (v storedValue) String() string {
	return fmt.Sprintf("%s/%c %q %v", v.field, v.typ, v.value, v.arrayPos)
}

func collectStored(visit func(func(string, byte, []byte, []uint64) bool) error) ([]storedValue, error) {
	var out []storedValue
	err := visit(func(field string, typ byte, v []byte, ap []uint64) bool {
		out = append(out, storedValue{field, typ, string(v), slices.Clone(ap)})
		return true
	})
	return out, err
}

func sameStored(a, b []storedValue) bool {
	return slices.EqualFunc(a, b, func(x, y storedValue) bool {
		return x.field == y.field && x.typ == y.typ && x.value == y.value && slices.Equal(x.arrayPos, y.arrayPos)
	})
}

// checkStoredFromFile compares, for every document of every segment of
// the index, deleted ones too, what the file reader returns with what
// Bleve does, and returns how many documents it compared.
func checkStoredFromFile(t *testing.T, snap *snapshot) int {
	t.Helper()
	docs := 0
	for _, sv := range snap.segs {
		if sv.file == nil {
			t.Fatalf("segment %d (%T) is read through Bleve", sv.id, sv.seg)
		}
		for doc := range sv.seg.Count() + 1 { // and one past the end
			want, err := collectStored(func(fn func(string, byte, []byte, []uint64) bool) error {
				return sv.seg.VisitStoredFields(doc, fn)
			})
			if err != nil {
				t.Fatal(err)
			}
			got, err := collectStored(func(fn func(string, byte, []byte, []uint64) bool) error {
				return sv.file.visit(doc, fn)
			})
			if err != nil {
				t.Fatalf("segment %d, document %d: %v", sv.id, doc, err)
			}
			if !sameStored(got, want) {
				t.Fatalf("segment %d, document %d:\nfile:  %v\nBleve: %v", sv.id, doc, got, want)
			}
			if doc == sv.seg.Count() {
				continue
			}
			for _, name := range []string{fieldArticle, fieldLayout, fieldStory, "_id", "no-such-field"} {
				got, err1 := sv.stored(doc, name)
				want, err2 := sv.storedBleve(doc, name)
				if err1 != nil || err2 != nil || string(got) != string(want) || (got == nil) != (want == nil) {
					t.Fatalf("segment %d, document %d, %s: %q, %v; Bleve %q, %v", sv.id, doc, name, got, err1, want, err2)
				}
			}
			id, err := sv.externalID(doc)
			bid, _ := sv.seg.DocID(doc)
			if err != nil || id != string(bid) {
				t.Fatalf("segment %d, document %d: ID %q, %v; Bleve %q", sv.id, doc, id, err, bid)
			}
			docs++
		}
	}
	return docs
}

func storedArticle(i, version int) corpus.Article {
	a := article(fmt.Sprintf("s%d", i), fmt.Sprintf("Bài %d, bản %d", i, version),
		fmt.Sprintf("Đoạn một của bài %d, bản %d, đủ dài để nén.", i, version),
		fmt.Sprintf("Đoạn hai: giá vàng hôm nay %d.", i*version))
	a.Summary = fmt.Sprintf("Tóm tắt %d", i)
	a.URL = fmt.Sprintf("https://example.vn/bai-%d.html", i)
	return a
}

// TestStoredFromFile checks that stored fields read from the segment
// files are exactly Bleve's, after updates and deletes, after compaction,
// from a snapshot whose segments a merge replaced, and that reads fall
// back to Bleve where the file reader cannot go.
func TestStoredFromFile(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "idx")
	// Merges keep segments of up to 40 documents: several remain.
	opts := Options{MaxSegmentDocs: 40}
	ix, err := CreateWith(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	for batch := range 6 {
		var as []corpus.Article
		for i := range 25 {
			as = append(as, storedArticle(batch*25+i, 1))
		}
		addArticles(t, ix, as...)
	}
	// Updates and deletes leave old versions in their segments, deleted.
	var updated []corpus.Article
	for i := 0; i < 150; i += 7 {
		updated = append(updated, storedArticle(i, 2))
	}
	addArticles(t, ix, updated...)
	if n, err := ix.Delete(ctx, "s3", "s40", "s149"); err != nil || n != 3 {
		t.Fatalf("Delete = %d, %v", n, err)
	}
	// Reopened, every segment is persisted.
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	ix, err = Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { ix.Close() }()
	fallbacks := storedFallbacks.Load()

	snap, err := ix.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := checkStoredFromFile(t, snap); n < 150-3 {
		t.Errorf("compared %d documents, want at least 147", n)
	}
	if len(snap.segs) < 2 {
		t.Errorf("%d segments before compaction; the test wants several", len(snap.segs))
	}
	if got, err := ix.Get(ctx, "s7"); err != nil || got.Title != "Bài 7, bản 2" || got.URL != "https://example.vn/bai-7.html" {
		t.Errorf("Get(s7) = %+v, %v", got, err)
	}
	if _, err := ix.Get(ctx, "s40"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(s40) after delete: %v", err)
	}

	// Compacted: the segments merge into one while snap still holds the
	// old ones (Bleve keeps their files until it closes).
	adv, err := ix.bleve.Advanced()
	if err != nil {
		t.Fatal(err)
	}
	if err := adv.(*scorch.Scorch).ForceMerge(ctx, compactPlan(1000)); err != nil {
		t.Fatal(err)
	}
	after, err := ix.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.segs) != 1 {
		t.Errorf("%d segments after compaction, want 1", len(after.segs))
	}
	if n := checkStoredFromFile(t, after); n != 150-3 {
		t.Errorf("compacted: compared %d documents, want 147", n)
	}
	checkStoredFromFile(t, snap)
	old := snap.segs[0].file
	snap.close()
	after.close()
	if old.refs != 0 {
		t.Errorf("a merged-away segment's file holds %d references after its snapshots closed", old.refs)
	}
	if _, err := old.f.Stat(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("a merged-away segment's file is still open: %v", err)
	}
	ix.files.mu.Lock()
	for id, sf := range ix.files.files {
		if sf == nil || sf.refs != 1 {
			t.Errorf("segment %d: file %v after every snapshot closed, want one reference", id, sf)
		}
	}
	ix.files.mu.Unlock()
	if n := storedFallbacks.Load() - fallbacks; n != 0 {
		t.Errorf("%d reads fell back to Bleve", n)
	}

	// Reads race with writes and merges (for go test -race).
	var wg sync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for i := range 60 {
				id := fmt.Sprintf("s%d", (g*50+i)%150)
				if _, err := ix.Get(ctx, id); err != nil && !errors.Is(err, ErrNotFound) {
					t.Errorf("Get(%s): %v", id, err)
					return
				}
			}
		})
	}
	for batch := range 3 {
		var as []corpus.Article
		for i := range 20 {
			as = append(as, storedArticle(200+batch*20+i, 1))
		}
		addArticles(t, ix, as...)
	}
	wg.Wait()

	// Fallbacks: a segment not persisted, a file that is not zap, a file
	// that fails.
	fallback, err := ix.snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer fallback.close()
	sv := fallback.segs[0]
	if _, err := openStoredFile(memorySegment{sv.seg}); err == nil {
		t.Error("opened a segment that is not persisted")
	}
	notZap := filepath.Join(t.TempDir(), "not.zap")
	if err := os.WriteFile(notZap, []byte("not a zap segment, but long enough to hold a footer"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := openStoredFile(otherFile{sv.seg, notZap}); err == nil {
		t.Error("opened a file that is not a zap segment")
	}
	if sv.file == nil {
		t.Fatal("the segment is read through Bleve")
	}
	broken, err := os.Open(notZap)
	if err != nil {
		t.Fatal(err)
	}
	broken.Close()
	file := sv.file
	sv.file = &storedFile{f: broken, path: notZap, numDocs: file.numDocs, storedIndex: file.storedIndex, offsets: file.offsets, fields: file.fields}
	fallbacks = storedFallbacks.Load()
	got, err := sv.stored(0, fieldArticle)
	want, _ := sv.storedBleve(0, fieldArticle)
	if err != nil || string(got) != string(want) || len(want) == 0 {
		t.Errorf("stored through a failing file: %d bytes, %v; want Bleve's %d", len(got), err, len(want))
	}
	if storedFallbacks.Load() != fallbacks+1 {
		t.Error("a failing file read did not fall back to Bleve")
	}
	sv.file = file
}

// memorySegment hides a segment's file, as segments not yet persisted have
// none.
type memorySegment struct{ segment.Segment }

// otherFile names another file as a segment's.
type otherFile struct {
	segment.Segment
	path string
}

func (o otherFile) Path() string { return o.path }
