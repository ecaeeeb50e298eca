// Package baseline is stock Bleve, as a newcomer would use it: the default
// index mapping (dynamic fields, the standard analyzer, an _all field) and
// a match query (Create); or as a Go developer would set it up for
// articles: a static mapping of the text fields and BM25 (CreateStatic).
// vnsearch's benchmarks and its evaluation measure themselves against it.
package baseline

import (
	"context"
	"fmt"
	"iter"

	"github.com/blevesearch/bleve/v2"

	"github.com/vnsearch/vnsearch/corpus"
)

// Index is a stock Bleve index of articles.
type Index struct {
	bleve bleve.Index
	// fields are the text fields a query matches when the mapping is
	// static; none means the _all field of the default mapping.
	fields []string
}

// Create makes a new stock index at path.
func Create(path string) (*Index, error) {
	b, err := bleve.New(path, bleve.NewIndexMapping())
	if err != nil {
		return nil, fmt.Errorf("baseline: create %s: %w", path, err)
	}
	return &Index{bleve: b}, nil
}

// document is how a newcomer maps an article: its fields as they are.
type document struct {
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	Paragraphs []string `json:"paragraphs"`
	Source     string   `json:"source"`
}

// AddStream indexes articles in batches of batchSize, one batch at a time.
func (ix *Index) AddStream(ctx context.Context, articles iter.Seq[corpus.Article], batchSize int) (int, error) {
	n := 0
	batch := ix.bleve.NewBatch()
	flush := func() error {
		if batch.Size() == 0 {
			return nil
		}
		if err := ix.bleve.Batch(batch); err != nil {
			return fmt.Errorf("baseline: batch: %w", err)
		}
		batch.Reset()
		return ctx.Err()
	}
	for a := range articles {
		doc := document{Title: a.Title, Summary: a.Summary, Paragraphs: a.Paragraphs, Source: a.Source}
		if err := batch.Index(a.ID, doc); err != nil {
			return n, fmt.Errorf("baseline: %s: %w", a.ID, err)
		}
		n++
		if batch.Size() >= batchSize {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// Search runs q as a match query over every field and returns the IDs of
// the first size hits. With highlight set, Bleve also cuts a highlighted
// fragment of the paragraphs, as a result page would show.
func (ix *Index) Search(ctx context.Context, q string, size int, highlight bool) ([]string, error) {
	req := bleve.NewSearchRequestOptions(ix.matchQuery(q), size, 0, false)
	if highlight {
		req.Highlight = bleve.NewHighlight()
		req.Highlight.AddField("paragraphs")
	}
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("baseline: search %q: %w", q, err)
	}
	ids := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		ids[i] = h.ID
	}
	return ids, nil
}

// Close closes the index.
func (ix *Index) Close() error { return ix.bleve.Close() }

// Open opens an existing stock index.
func Open(path string) (*Index, error) {
	b, err := bleve.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: open %s: %w", path, err)
	}
	return &Index{bleve: b, fields: staticFields(b)}, nil
}
