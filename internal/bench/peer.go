package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index/baseline"
)

// PeerBatchSize is the batch size of the peer's build: what a Go
// developer would pick, and issue 16's setting.
const PeerBatchSize = 1000

// BuildPeer builds a new stock Bleve index (baseline.CreateStatic) at dir
// from the articles under paths, read as `vnsearch index` reads them, in
// batches of PeerBatchSize, and closes it. Problems in the input are
// counted and skipped, as `vnsearch index` does.
func BuildPeer(ctx context.Context, dir string, paths []string, problems io.Writer) (articles, bad int, err error) {
	ix, err := baseline.CreateStatic(dir)
	if err != nil {
		return 0, 0, err
	}
	var readErr error
	stream := func(yield func(corpus.Article) bool) {
		for a, err := range corpus.Articles(ctx, paths...) {
			if err != nil {
				var p *corpus.Problem
				if errors.As(err, &p) {
					bad++
					fmt.Fprintln(problems, p)
					continue
				}
				readErr = err
				return
			}
			if !yield(a) {
				return
			}
		}
	}
	n, err := ix.AddStream(ctx, stream, PeerBatchSize)
	if err == nil {
		err = readErr
	}
	if cerr := ix.Close(); err == nil {
		err = cerr
	}
	return n, bad, err
}

// PeerHandler serves a stock Bleve index over HTTP as vnsearch serve does
// its own, for the latency and load measurements: GET /search?q=&size=
// answers {"total","took_ms","hits":[{"id","score","title","fragments"}]},
// the hits with highlighted fragments of their paragraphs; GET /healthz
// answers ok. took_ms is the time of the search in the server.
func PeerHandler(ix *baseline.Index) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /search", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query().Get("q")
		size := 10
		if s := r.URL.Query().Get("size"); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 1 || n > 100 {
				writePeerJSON(w, http.StatusBadRequest, map[string]string{"error": "size: want 1 to 100"})
				return
			}
			size = n
		}
		if q == "" {
			writePeerJSON(w, http.StatusBadRequest, map[string]string{"error": "q: missing"})
			return
		}
		res, err := ix.SearchPage(r.Context(), q, size)
		if err != nil {
			writePeerJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		writePeerJSON(w, http.StatusOK, res)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writePeerJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	return mux
}

func writePeerJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
