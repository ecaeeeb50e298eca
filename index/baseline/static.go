package baseline

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/standard"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
	bleveindex "github.com/blevesearch/bleve_index_api"

	"github.com/vnsearch/vnsearch/corpus"
)

// StaticFields are the fields of a static index: the article's text.
var StaticFields = []string{"title", "summary", "paragraphs"}

// CreateStatic makes a new stock index at path as a Go developer would set
// one up for articles: a static mapping of title, summary and paragraphs
// as text fields with the standard analyzer and Bleve's field defaults
// (stored, with term vectors and doc values), kept out of the _all field,
// scored by BM25. Search then matches the query in any of those fields.
// This is the peer of issue 16's measurements.
func CreateStatic(path string) (*Index, error) {
	doc := bleve.NewDocumentStaticMapping()
	for _, name := range StaticFields {
		fm := bleve.NewTextFieldMapping()
		fm.Analyzer = standard.Name
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
	return &Index{bleve: b, fields: staticFields(b)}, nil
}

// staticFields returns the mapped fields of an index whose default
// mapping is static, in a fixed order, or nil for a dynamic one.
func staticFields(b bleve.Index) []string {
	m, ok := b.Mapping().(*mapping.IndexMappingImpl)
	if !ok || m.DefaultMapping == nil || m.DefaultMapping.Dynamic {
		return nil
	}
	var fields []string
	for name := range m.DefaultMapping.Properties {
		fields = append(fields, name)
	}
	slices.Sort(fields)
	return fields
}

// matchQuery matches q in the _all field of a dynamic index, or in any
// mapped field of a static one.
func (ix *Index) matchQuery(q string) query.Query {
	if len(ix.fields) == 0 {
		return bleve.NewMatchQuery(q)
	}
	disjuncts := make([]query.Query, len(ix.fields))
	for i, f := range ix.fields {
		mq := bleve.NewMatchQuery(q)
		mq.SetField(f)
		disjuncts[i] = mq
	}
	return bleve.NewDisjunctionQuery(disjuncts...)
}

// Result is a page of hits as a search page would show it.
type Result struct {
	Total  uint64        `json:"total"`
	Took   time.Duration `json:"-"`
	TookMS float64       `json:"took_ms"`
	Hits   []Hit         `json:"hits"`
}

// Hit is one article found, with its title and highlighted fragments of
// its paragraphs.
type Hit struct {
	ID        string   `json:"id"`
	Score     float64  `json:"score"`
	Title     string   `json:"title,omitempty"`
	Fragments []string `json:"fragments,omitempty"`
}

// SearchPage runs q as Search does and returns the first size hits with
// their titles (for a static index, whose fields are stored) and
// highlighted fragments of their paragraphs: what a result page needs.
func (ix *Index) SearchPage(ctx context.Context, q string, size int) (*Result, error) {
	start := time.Now()
	req := bleve.NewSearchRequestOptions(ix.matchQuery(q), size, 0, false)
	req.Highlight = bleve.NewHighlight()
	req.Highlight.AddField("paragraphs")
	if len(ix.fields) > 0 {
		req.Fields = []string{"title"}
	}
	res, err := ix.bleve.SearchInContext(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("baseline: search %q: %w", q, err)
	}
	out := &Result{Total: res.Total, Hits: make([]Hit, len(res.Hits))}
	for i, h := range res.Hits {
		out.Hits[i] = Hit{ID: h.ID, Score: h.Score, Fragments: h.Fragments["paragraphs"]}
		if t, ok := h.Fields["title"].(string); ok {
			out.Hits[i].Title = t
		}
	}
	out.Took = time.Since(start)
	out.TookMS = float64(out.Took.Microseconds()) / 1000
	return out, nil
}

// Add indexes articles as one batch, as an application adding a few new
// articles would; it returns when Bleve has the batch.
func (ix *Index) Add(ctx context.Context, articles []corpus.Article) error {
	batch := ix.bleve.NewBatch()
	for _, a := range articles {
		if err := batch.Index(a.ID, document{Title: a.Title, Summary: a.Summary, Paragraphs: a.Paragraphs, Source: a.Source}); err != nil {
			return fmt.Errorf("baseline: %s: %w", a.ID, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := ix.bleve.Batch(batch); err != nil {
		return fmt.Errorf("baseline: batch: %w", err)
	}
	return nil
}
