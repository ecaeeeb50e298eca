package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"time"
)

// The table of title phrases is saved beside the index after each build
// and read back by the next process that needs it, when the index holds
// the same segments with the same live documents: at a million articles
// a build takes a minute of CPU, which a server restarted on an unchanged
// index would otherwise spend again beside its first searches. A writer
// removes the file before it changes the articles (forgetSuggestions), as
// it does the lexicon's: Bleve gives a new segment the identity of one
// whose file is gone (emptied by deletions, or lost in a crash), so the
// segments alone do not tell that a file is out of step.

// suggestFile is the saved table, in the index directory.
const suggestFile = "suggestions.gob"

// suggestFileVersion changes when the table's form or meaning does.
const suggestFileVersion = 1

// segmentKey is what a table was counted from: each segment's identity
// and live documents, in the snapshot's order. Segments never change, and
// a deletion changes a segment's live count; so the same key means the
// same titles.
type segmentKey struct{ ID, Live uint64 }

type suggestData struct {
	Version  int
	Segments []segmentKey
	Articles uint64
	Took     time.Duration
	Keys     []string
	Texts    []string
	Counts   []uint32
	Titles   []uint32
	Votes    []int32
}

func keyOf(snap *snapshot) []segmentKey {
	key := make([]segmentKey, len(snap.segs))
	for i, sv := range snap.segs {
		key[i] = segmentKey{sv.id, sv.live().GetCardinality()}
	}
	return key
}

// saveSuggestions writes t, counted from the segments of key, beside the
// index; not for an index opened read-only.
func (ix *Index) saveSuggestions(t *suggestTable, key []segmentKey) error {
	if ix.readOnly {
		return nil
	}
	ix.suggestSaved.Store(true)
	d := suggestData{Version: suggestFileVersion, Segments: key, Articles: t.articles, Took: t.took,
		Keys: t.keys, Texts: t.texts, Counts: t.counts, Titles: t.titles, Votes: t.votes}
	return saveGob(filepath.Join(ix.path, suggestFile), &d)
}

// loadSuggestions reads the saved table if it was counted from the
// segments of key; nil, nil when there is none, it is of another version
// or index state, or it does not hold together.
func (ix *Index) loadSuggestions(key []segmentKey) (*suggestTable, error) {
	var d suggestData
	found, err := loadGob(filepath.Join(ix.path, suggestFile), &d)
	if !found {
		return nil, err
	}
	if err != nil {
		return nil, nil // damaged: counted again, and written over
	}
	n := len(d.Keys)
	if d.Version != suggestFileVersion || !slices.Equal(d.Segments, key) ||
		len(d.Texts) != n || len(d.Counts) != n || len(d.Titles) != n || len(d.Votes) != n || !sort.StringsAreSorted(d.Keys) {
		return nil, nil
	}
	return &suggestTable{keys: d.Keys, texts: d.Texts, counts: d.Counts, titles: d.Titles, votes: d.Votes,
		articles: d.Articles, took: d.Took}, nil
}

// loadOrBuildSuggestions returns the saved table when it holds for the
// index as it is, else builds one and saves it.
func (ix *Index) loadOrBuildSuggestions(ctx context.Context) (*suggestTable, error) {
	gen := ix.generation.Load()
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	defer snap.close()
	key := keyOf(snap)
	if t, err := ix.loadSuggestions(key); err == nil && t != nil {
		t.gen, t.built = gen, time.Now()
		return t, nil
	}
	t, err := ix.buildSuggestions(ctx, snap, gen)
	if err != nil {
		return nil, err
	}
	// Unsaved (a full disk, say), the table serves all the same; the
	// next process counts again.
	_ = ix.saveSuggestions(t, key)
	return t, nil
}

// forgetSuggestions removes the saved table, if any may be there, before
// the index's articles change.
func (ix *Index) forgetSuggestions() error {
	if !ix.suggestSaved.Load() {
		return nil
	}
	ix.suggestSaved.Store(false)
	err := os.Remove(filepath.Join(ix.path, suggestFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		ix.suggestSaved.Store(true)
		return fmt.Errorf("removing the saved suggestions: %w", err)
	}
	return nil
}
