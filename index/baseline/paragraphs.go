package baseline

import (
	"context"
	"fmt"
	"iter"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/corpus"
)

// Paragraphs is stock Bleve with one document a paragraph, as a developer
// would set it up to answer questions with the paragraph that answers
// them (SQLite FTS5 users do the same with a row a paragraph): the
// article's title and the paragraph's text, the standard analyzer, BM25.
// An article is as good as its best paragraph.
type Paragraphs struct {
	bleve bleve.Index
}

type paragraphDoc struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// CreateParagraphs makes a new paragraph index at path.
func CreateParagraphs(path string) (*Paragraphs, error) {
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range []string{"title", "text"} {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = standard.Name
		fm.Store = false
		fm.IncludeInAll = false
		doc.AddFieldMappingsAt(name, fm)
	}
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.DefaultAnalyzer = standard.Name
	m.ScoringModel = bleveindex.BM25Scoring
	b, err := bleve.New(path, m)
	if err != nil {
		return nil, fmt.Errorf("baseline: create %s: %w", path, err)
	}
	return &Paragraphs{bleve: b}, nil
}

// OpenParagraphs opens an existing paragraph index.
func OpenParagraphs(path string) (*Paragraphs, error) {
	b, err := bleve.Open(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: open %s: %w", path, err)
	}
	return &Paragraphs{bleve: b}, nil
}

// AddStream indexes each article's paragraphs (and its summary, as
// paragraph -1) in batches of batchSize documents, and returns how many
// articles it read.
func (ix *Paragraphs) AddStream(ctx context.Context, articles iter.Seq[corpus.Article], batchSize int) (int, error) {
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
		n++
		add := func(p int, text string) error {
			if strings.TrimSpace(text) == "" {
				return nil
			}
			return batch.Index(a.ID+"#"+strconv.Itoa(p), paragraphDoc{Title: a.Title, Text: text})
		}
		if err := add(-1, a.Summary); err != nil {
			return n, err
		}
		for p, text := range a.Paragraphs {
			if err := add(p, text); err != nil {
				return n, err
			}
		}
		if batch.Size() >= batchSize {
			if err := flush(); err != nil {
				return n, err
			}
		}
	}
	return n, flush()
}

// ParagraphHit is an article and its best paragraph.
type ParagraphHit struct {
	ID        string
	Paragraph int
}

// Search returns the articles of the best paragraphs matching q (a match
// query over title and text), each with its best paragraph, at most size.
func (ix *Paragraphs) Search(ctx context.Context, q string, size int) ([]ParagraphHit, error) {
	var fields []query.Query
	for _, f := range []string{"title", "text"} {
		mq := bleve.NewMatchQuery(q)
		mq.SetField(f)
		fields = append(fields, mq)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(fields...), size*5, 0, false)
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("baseline: search %q: %w", q, err)
	}
	var out []ParagraphHit
	seen := map[string]bool{}
	for _, h := range res.Hits {
		i := strings.LastIndexByte(h.ID, '#')
		id := h.ID[:i]
		p, _ := strconv.Atoi(h.ID[i+1:])
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, ParagraphHit{ID: id, Paragraph: p})
		if len(out) == size {
			break
		}
	}
	return out, nil
}

// Close closes the index.
func (ix *Paragraphs) Close() error { return ix.bleve.Close() }
