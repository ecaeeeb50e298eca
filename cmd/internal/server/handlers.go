package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/ingest"
)

// GET /search
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	params, err := api.ParamsFromQuery(r.URL.Query())
	if err != nil {
		return err
	}
	req, err := params.Request()
	if err != nil {
		return err
	}
	release, err := s.hold()
	if err != nil {
		return err
	}
	defer release()
	res, err := s.ix.Search(r.Context(), req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// GET /analyze?text=&folded=
func (s *Server) analyze(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if !q.Has("text") {
		return fmt.Errorf("%w: missing parameter text", index.ErrBadQuery)
	}
	folded, err := api.ParseBool("folded", q.Get("folded"))
	if err != nil {
		return err
	}
	tokens, err := api.Analyze(q.Get("text"), folded)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, tokens)
	return nil
}

// articleID returns the {id} of /articles/{id}.
func articleID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" {
		return "", &statusError{http.StatusNotFound, "no article ID in the path: want /articles/{id}"}
	}
	return id, nil
}

// GET /articles/{id}
func (s *Server) getArticle(w http.ResponseWriter, r *http.Request) error {
	id, err := articleID(r)
	if err != nil {
		return err
	}
	release, err := s.hold()
	if err != nil {
		return err
	}
	defer release()
	a, err := s.ix.Get(r.Context(), id)
	if errors.Is(err, index.ErrNotFound) {
		return &statusError{http.StatusNotFound, fmt.Sprintf("no article with ID %q", id)}
	}
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a)
	return nil
}

// DELETE /articles/{id}
func (s *Server) deleteArticle(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(w, r); err != nil {
		return err
	}
	id, err := articleID(r)
	if err != nil {
		return err
	}
	release, err := s.hold()
	if err != nil {
		return err
	}
	defer release()
	n, err := s.ix.Delete(r.Context(), id)
	if err != nil {
		return err
	}
	if n == 0 {
		return &statusError{http.StatusNotFound, fmt.Sprintf("no article with ID %q", id)}
	}
	s.pageStats.invalidate()
	writeJSON(w, http.StatusOK, api.DeleteResponse{Deleted: n})
	return nil
}

// maxProblemsListed bounds the problems a rejected body's answer lists.
const maxProblemsListed = 100

// bodyName names the body in problems: "request body line 3: ...".
const bodyName = "request body"

// POST /articles with a JSON array or JSONL body, optionally gzipped. The
// body is indexed only if every record in it is good: a client fixing
// line 3 can send the same body again without wondering what got in.
func (s *Server) postArticles(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(w, r); err != nil {
		return err
	}
	// A large body takes longer than the server's usual deadlines to
	// send and to index.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(5 * time.Minute))
	_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Minute))

	body := http.MaxBytesReader(w, r.Body, s.maxBody)
	var (
		articles []corpus.Article
		problems []string
		bad      int
	)
	for a, err := range corpus.ReadJSON(body, bodyName) {
		if err != nil {
			if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return &statusError{http.StatusRequestEntityTooLarge,
					fmt.Sprintf("request body is larger than %s", api.HumanBytes(mbe.Limit))}
			}
			bad++
			if len(problems) < maxProblemsListed {
				problems = append(problems, problemText(err))
			}
			continue
		}
		articles = append(articles, a)
	}
	if err := r.Context().Err(); err != nil {
		return err
	}
	if bad > 0 {
		if bad > len(problems) {
			problems = append(problems, fmt.Sprintf("… and %d more", bad-len(problems)))
		}
		return &problemsError{
			msg:      fmt.Sprintf("request body rejected, nothing was indexed: %d problem(s), %d good record(s)", bad, len(articles)),
			problems: problems,
		}
	}
	release, err := s.hold()
	if err != nil {
		return err
	}
	defer release()
	stats, err := s.ix.AddStream(r.Context(), slices.Values(articles), index.StreamOptions{})
	if stats.Added+stats.Updated > 0 {
		s.pageStats.invalidate()
	}
	if err != nil {
		return fmt.Errorf("indexed %d new and %d changed articles, then: %w", stats.Added, stats.Updated, err)
	}
	writeJSON(w, http.StatusOK, stats)
	return nil
}

// problemText formats a problem as "request body line 3: message".
func problemText(err error) string {
	var p *corpus.Problem
	if !errors.As(err, &p) {
		return err.Error()
	}
	if p.Line > 0 {
		return fmt.Sprintf("%s line %d: %v", p.Path, p.Line, p.Err)
	}
	return fmt.Sprintf("%s: %v", p.Path, p.Err)
}

// GET /stats
func (s *Server) stats(w http.ResponseWriter, r *http.Request) error {
	release, err := s.hold()
	if err != nil {
		return err
	}
	defer release()
	st, err := s.ix.Stats(r.Context())
	if err != nil {
		return err
	}
	answer := StatsAnswer{Stats: st}
	if s.ingest != nil {
		if in := s.ingest(); len(in.Feeds)+len(in.Watch) > 0 {
			answer.Ingest = &in
		}
	}
	writeJSON(w, http.StatusOK, answer)
	return nil
}

// StatsAnswer is the answer of GET /stats: the index's statistics, and
// what ingestion brought in when the server follows feeds or watches
// folders.
type StatsAnswer struct {
	index.Stats
	Ingest *ingest.Status `json:"ingest,omitempty"`
}

// GET /healthz: the server is up and its index open.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	release, err := s.hold()
	if err != nil {
		return err
	}
	defer release()
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
