package index

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/vnsearch/vnsearch/corpus"
)

// Stats describes an index.
type Stats struct {
	Articles  uint64        `json:"articles"`
	Sources   []SourceCount `json:"sources"` // the largest first, at most maxStatsSources
	SizeBytes int64         `json:"size_bytes"`
	// Oldest and Newest are the publication dates of the oldest and the
	// newest dated article; zero when no article is dated.
	Oldest  corpus.Date `json:"oldest"`
	Newest  corpus.Date `json:"newest"`
	Version string      `json:"mapping_version"`
	// Lexicon describes the lexicon kept for restoring diacritics
	// (lexicon.go), its memory included.
	Lexicon *LexiconStats `json:"lexicon,omitempty"`
}

// SourceCount is the number of articles of one outlet.
type SourceCount struct {
	Source   string `json:"source"` // normalized: lowercase
	Articles int    `json:"articles"`
}

const maxStatsSources = 50

// Stats counts the index's articles and outlets, measures it on disk and
// finds its date range.
func (ix *Index) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Version: MappingVersion}
	if ix.lex != nil {
		lx := ix.lex.stats()
		st.Lexicon = &lx
	}
	n, err := ix.bleve.DocCount()
	if err != nil {
		return st, fmt.Errorf("index: stats: %w", err)
	}
	st.Articles = n

	req := bleve.NewSearchRequestOptions(query.NewMatchAllQuery(), 0, 0, false)
	req.AddFacet(fieldSource, bleve.NewFacetRequest(fieldSource, maxStatsSources))
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return st, fmt.Errorf("index: stats: %w", err)
	}
	if f := res.Facets[fieldSource]; f != nil && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			st.Sources = append(st.Sources, SourceCount{Source: t.Term, Articles: t.Count})
		}
	}

	if st.Oldest, st.Newest, err = ix.dateRange(ctx); err != nil {
		return st, fmt.Errorf("index: stats: %w", err)
	}

	err = filepath.WalkDir(ix.path, func(_ string, d fs.DirEntry, err error) error {
		// A segment merged away while the directory is read is gone by
		// the time its size is asked: it no longer counts.
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err == nil {
			st.SizeBytes += info.Size()
		}
		return err
	})
	if err != nil {
		return st, fmt.Errorf("index: stats: size of %s: %w", ix.path, err)
	}
	return st, nil
}

// dateRange returns the publication dates of the oldest and the newest
// dated article, read from the day terms and then the articles.
func (ix *Index) dateRange(ctx context.Context) (oldest, newest corpus.Date, err error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return oldest, newest, err
	}
	defer snap.close()
	type at struct {
		day string
		seg int
		doc uint64
	}
	var first, last *at
	for i, sv := range snap.segs {
		err := sv.termRange(fieldDay, "", "", func(day string, docs *roaring.Bitmap) error {
			if first == nil || day < first.day {
				first = &at{day, i, uint64(docs.Minimum())}
			}
			if last == nil || day > last.day {
				last = &at{day, i, uint64(docs.Minimum())}
			}
			return nil
		})
		if err != nil {
			return oldest, newest, err
		}
	}
	if first == nil {
		return oldest, newest, nil
	}
	for _, end := range []struct {
		at   *at
		date *corpus.Date
	}{{first, &oldest}, {last, &newest}} {
		a, err := snap.article(end.at.seg, end.at.doc)
		if err != nil {
			return oldest, newest, err
		}
		*end.date = a.Published
	}
	return oldest, newest, nil
}
