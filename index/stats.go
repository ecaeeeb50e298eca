package index

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

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

	for _, order := range []string{fieldPublished, "-" + fieldPublished} {
		// Every dated article: Bleve's date range has to start somewhere.
		dated := query.NewDateRangeQuery(query.MinRFC3339CompatibleTime, time.Time{})
		dated.SetField(fieldPublished)
		req := bleve.NewSearchRequestOptions(dated, 1, 0, false)
		req.SortBy([]string{order})
		res, err := ix.bleve.SearchInContext(ctx, req)
		if err != nil {
			return st, fmt.Errorf("index: stats: %w", err)
		}
		if len(res.Hits) == 0 {
			break
		}
		a, err := ix.Get(ctx, res.Hits[0].ID)
		if err != nil {
			return st, err
		}
		if order == fieldPublished {
			st.Oldest = a.Published
		} else {
			st.Newest = a.Published
		}
	}

	err = filepath.WalkDir(ix.path, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
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
