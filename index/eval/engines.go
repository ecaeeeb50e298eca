package eval

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/index/baseline"
)

// Index evaluates a vnsearch index in this process, with the index's own
// ranking parameters or, when Params is set, with those.
type Index struct {
	Index  *index.Index
	Params *index.Params
}

func (e Index) Name() string { return "vnsearch" }

func (e Index) Search(ctx context.Context, q string, k int) ([]Result, error) {
	res, err := e.Index.Search(ctx, index.Request{Query: q, Size: k, Params: e.Params})
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(res.Hits))
	for i, h := range res.Hits {
		out[i] = Result{ID: h.ID, Paragraph: h.Paragraph}
	}
	return out, nil
}

// Server evaluates a running vnsearch server through GET /search.
type Server struct {
	URL    string // e.g. http://127.0.0.1:8080
	Client *http.Client
}

func (e Server) Name() string { return "vnsearch@" + e.URL }

func (e Server) Search(ctx context.Context, q string, k int) ([]Result, error) {
	u := strings.TrimRight(e.URL, "/") + "/search?" + url.Values{"q": {q}, "size": {strconv.Itoa(k)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var body struct {
		Error string `json:"error"`
		Hits  []struct {
			ID        string `json:"id"`
			Paragraph int    `json:"paragraph"`
		} `json:"hits"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return nil, fmt.Errorf("%s: %s: %w", u, resp.Status, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s: %s", u, resp.Status, body.Error)
	}
	out := make([]Result, len(body.Hits))
	for i, h := range body.Hits {
		out[i] = Result{ID: h.ID, Paragraph: h.Paragraph}
	}
	return out, nil
}

// Baseline evaluates stock Bleve: the standard analyzer and a match query.
type Baseline struct{ Index *baseline.Index }

func (e Baseline) Name() string { return "bleve-standard" }

func (e Baseline) Search(ctx context.Context, q string, k int) ([]Result, error) {
	ids, err := e.Index.Search(ctx, q, k, false)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(ids))
	for i, id := range ids {
		out[i] = Result{ID: id, Paragraph: -1}
	}
	return out, nil
}

// WithoutTitles yields articles with their titles left out, as the
// known-item evaluation indexes them: the titles are the queries.
func WithoutTitles(articles iter.Seq[corpus.Article]) iter.Seq[corpus.Article] {
	return func(yield func(corpus.Article) bool) {
		for a := range articles {
			a.Title = ""
			a.Hash = ""
			if !yield(a) {
				return
			}
		}
	}
}

// BaselineParagraphs evaluates stock Bleve with one document a paragraph.
type BaselineParagraphs struct{ Index *baseline.Paragraphs }

func (e BaselineParagraphs) Name() string { return "bleve-paragraphs" }

func (e BaselineParagraphs) Search(ctx context.Context, q string, k int) ([]Result, error) {
	hits, err := e.Index.Search(ctx, q, k)
	if err != nil {
		return nil, err
	}
	out := make([]Result, len(hits))
	for i, h := range hits {
		out[i] = Result{ID: h.ID, Paragraph: h.Paragraph}
	}
	return out, nil
}
