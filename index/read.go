package index

import (
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2/mapping"
	bsearch "github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/collector"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/corpus"
)

// snapshot is one consistent view of the index, shared by every pass of a
// search so that internal document numbers stay valid between them.
type snapshot struct {
	docs    uint64 // documents in the index
	ctx     context.Context
	reader  bleveindex.IndexReader
	mapping mapping.IndexMapping
}

func (ix *Index) snapshot(ctx context.Context) (*snapshot, error) {
	adv, err := ix.bleve.Advanced()
	if err != nil {
		return nil, err
	}
	reader, err := adv.Reader()
	if err != nil {
		return nil, err
	}
	docs, err := reader.DocCount()
	if err != nil {
		_ = reader.Close()
		return nil, err
	}
	// What bleve.Index.Search tells its searchers: score with BM25 — and
	// what it gets wrong: the average field lengths (see bm25.go).
	ctx = context.WithValue(ctx, bsearch.GetScoringModelCallbackKey,
		bsearch.GetScoringModelCallbackFn(func() string { return bleveindex.BM25Scoring }))
	ctx = context.WithValue(ctx, bsearch.BM25StatsKey, ix.lengths.bm25Stats(docs))
	return &snapshot{docs: docs, ctx: ctx, reader: reader, mapping: ix.bleve.Mapping()}, nil
}

func (s *snapshot) close() error { return s.reader.Close() }

// docFrequency returns how many documents hold term in field.
func (s *snapshot) docFrequency(field, term string) (uint64, error) {
	tfr, err := s.reader.TermFieldReader(s.ctx, []byte(term), field, false, false, false)
	if err != nil {
		return 0, fmt.Errorf("read %s:%s: %w", field, term, err)
	}
	defer tfr.Close()
	return tfr.Count(), nil
}

// collect runs q and returns its first size hits in the given order, and
// the number of documents it matches. Unscored, it only counts.
func (s *snapshot) collect(q query.Query, size int, order bsearch.SortOrder, scored bool) (bsearch.DocumentMatchCollection, uint64, error) {
	opts := bsearch.SearcherOptions{}
	if !scored {
		opts.Score = "none"
	}
	searcher, err := q.Searcher(s.ctx, s.reader, s.mapping, opts)
	if err != nil {
		return nil, 0, err
	}
	defer searcher.Close()
	coll := collector.NewTopNCollector(size, 0, order)
	if err := coll.Collect(s.ctx, searcher, s.reader); err != nil {
		return nil, 0, err
	}
	return coll.Results(), coll.Total(), nil
}

// article reads a stored article.
func (s *snapshot) article(id string) (corpus.Article, error) {
	doc, err := s.reader.Document(id)
	if err != nil {
		return corpus.Article{}, fmt.Errorf("index: load %q: %w", id, err)
	}
	if doc == nil {
		return corpus.Article{}, fmt.Errorf("index: %q: %w", id, ErrNotFound)
	}
	var raw []byte
	doc.VisitFields(func(f bleveindex.Field) {
		if f.Name() == fieldArticle {
			raw = f.Value()
		}
	})
	return unmarshalArticle(id, raw)
}

// Get returns the article with the given ID, or ErrNotFound.
func (ix *Index) Get(ctx context.Context, id string) (corpus.Article, error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return corpus.Article{}, fmt.Errorf("index: get %q: %w", id, err)
	}
	defer snap.close()
	return snap.article(id)
}
