package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/index/baseline"
)

// IncrementalResult is a series of small batches added to a built index.
type IncrementalResult struct {
	Engine    string      `json:"engine"`
	Via       string      `json:"via"` // "http" or "library"
	Batches   int         `json:"batches"`
	BatchSize int         `json:"batch_size"`
	Ack       Percentiles `json:"ack"` // until the add is acknowledged
	// Searchable counts the batches all of whose articles a search found
	// right after the acknowledgement.
	Searchable int `json:"searchable"`
	// IndexArticles is how many articles the index held before.
	IndexArticles int `json:"index_articles,omitempty"`
}

// Adder adds one batch and searches for a marker, for the incremental
// measurement.
type Adder struct {
	Engine, Via string
	Add         func(ctx context.Context, batch []corpus.Article) error
	// Find returns the IDs that a search for marker finds (at most
	// 2×batch size of them).
	Find func(ctx context.Context, marker string) ([]string, error)
}

// Incremental adds batches batches of size new articles each through
// adder and times each add until it is acknowledged (durable, for
// vnsearch). Every article of a batch has a marker of its batch in its
// title, a word found nowhere else; right after the acknowledgement, a
// search for it must find the whole batch. Articles come from gen, whose
// prefix should make their IDs new to the index.
func Incremental(ctx context.Context, adder Adder, gen *Generator, batches, size int) (IncrementalResult, error) {
	res := IncrementalResult{Engine: adder.Engine, Via: adder.Via, Batches: batches, BatchSize: size}
	var acks []time.Duration
	for b := range batches {
		marker := markerWord(gen.prefix, b)
		batch := make([]corpus.Article, size)
		want := make([]string, size)
		for i := range batch {
			a := gen.Article(b*size + i)
			a.Title = marker + " " + a.Title
			a.Hash = a.ContentHash()
			batch[i] = a
			want[i] = a.ID
		}
		start := time.Now()
		if err := adder.Add(ctx, batch); err != nil {
			return res, fmt.Errorf("bench: %s via %s: batch %d: %w", adder.Engine, adder.Via, b, err)
		}
		acks = append(acks, time.Since(start))
		got, err := adder.Find(ctx, marker)
		if err != nil {
			return res, fmt.Errorf("bench: %s via %s: search after batch %d: %w", adder.Engine, adder.Via, b, err)
		}
		slices.Sort(got)
		slices.Sort(want)
		if slices.Equal(got, want) {
			res.Searchable++
		}
	}
	res.Ack = percentiles(acks)
	return res, nil
}

// markerWord is a word made of letters and digits that the analyzers of
// both engines keep whole and no article holds: "mk" and the prefix's
// letters and digits, then the batch number.
func markerWord(prefix string, batch int) string {
	var sb strings.Builder
	sb.WriteString("mk")
	for _, r := range strings.ToLower(prefix) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			sb.WriteRune(r)
		}
	}
	sb.WriteString("x")
	sb.WriteString(strconv.Itoa(batch))
	return sb.String()
}

// LibraryAdder adds with index.Add and finds with index.Search.
func LibraryAdder(ix *index.Index) Adder {
	return Adder{
		Engine: Vnsearch, Via: "library",
		Add: func(ctx context.Context, batch []corpus.Article) error {
			_, err := ix.Add(ctx, batch)
			return err
		},
		Find: func(ctx context.Context, marker string) ([]string, error) {
			res, err := ix.Search(ctx, index.Request{Query: marker, Size: index.MaxSize})
			if err != nil {
				return nil, err
			}
			ids := make([]string, len(res.Hits))
			for i, h := range res.Hits {
				ids[i] = h.ID
			}
			return ids, nil
		},
	}
}

// PeerAdder adds to a stock Bleve index with one Bleve batch and finds
// with its search.
func PeerAdder(ix *baseline.Index) Adder {
	return Adder{
		Engine: Peer, Via: "library",
		Add: ix.Add,
		Find: func(ctx context.Context, marker string) ([]string, error) {
			return ix.Search(ctx, marker, 100, false)
		},
	}
}

// HTTPAdder adds through POST /articles (JSON Lines, with the bearer
// token) and finds through GET /search.
func HTTPAdder(baseURL, token string, client *http.Client) Adder {
	base := strings.TrimRight(baseURL, "/")
	return Adder{
		Engine: Vnsearch, Via: "http",
		Add: func(ctx context.Context, batch []corpus.Article) error {
			var body bytes.Buffer
			enc := json.NewEncoder(&body)
			for i := range batch {
				if err := enc.Encode(&batch[i]); err != nil {
					return err
				}
			}
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/articles", &body)
			if err != nil {
				return err
			}
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set("Content-Type", "application/x-ndjson")
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("POST /articles: %s: %.300s", resp.Status, data)
			}
			var stats index.AddStats
			if err := json.Unmarshal(data, &stats); err != nil {
				return fmt.Errorf("POST /articles: %w", err)
			}
			if stats.Added != len(batch) {
				return fmt.Errorf("POST /articles: %d of %d articles added: %s", stats.Added, len(batch), data)
			}
			return nil
		},
		Find: func(ctx context.Context, marker string) ([]string, error) {
			u := base + "/search?" + url.Values{"q": {marker}, "size": {strconv.Itoa(index.MaxSize)}}.Encode()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
			if err != nil {
				return nil, err
			}
			resp, err := client.Do(req)
			if err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			var ans struct {
				Hits []struct {
					ID string `json:"id"`
				} `json:"hits"`
			}
			if resp.StatusCode != http.StatusOK {
				data, _ := io.ReadAll(resp.Body)
				return nil, fmt.Errorf("GET /search: %s: %.300s", resp.Status, data)
			}
			if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil {
				return nil, fmt.Errorf("GET /search: %w", err)
			}
			ids := make([]string, len(ans.Hits))
			for i, h := range ans.Hits {
				ids[i] = h.ID
			}
			return ids, nil
		},
	}
}
