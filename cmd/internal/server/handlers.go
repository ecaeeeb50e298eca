package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/ingest"
)

// GET /search
func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	ctx, err := s.waitMinSeq(r.Context(), query)
	if err != nil {
		return err
	}
	params, err := api.ParamsFromQuery(query)
	if err != nil {
		return err
	}
	req, err := params.Request()
	if err != nil {
		return err
	}
	res, err := s.runSearch(ctx, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, res)
	return nil
}

// errSearchTimeout is the cause of a search's context when the search
// ran out of time.
var errSearchTimeout = errors.New("search timeout")

// runSearch runs one search within the search timeout, once a turn among
// the searches running is free. The search runs on its own goroutine,
// which holds the turn and the index until it has really stopped: the
// client hears of a timeout on time even if some pass of the search is
// slow to see its context end, and that pass still counts against the
// searches that may run at once.
func (s *Server) runSearch(ctx context.Context, req index.Request) (*index.Result, error) {
	// Canceled when the answer is decided: a search still running then
	// is past its deadline anyway.
	ctx, cancel := context.WithTimeoutCause(ctx, s.searchTimeout, errSearchTimeout)
	defer cancel()
	select {
	case s.searches <- struct{}{}:
	case <-ctx.Done():
		return nil, s.searchError(ctx, "waiting for a turn: the server is busy")
	}
	if ctx.Err() != nil {
		// The turn came too late: no search starts past its deadline.
		<-s.searches
		return nil, s.searchError(ctx, "waiting for a turn: the server is busy")
	}
	release, err := s.hold()
	if err != nil {
		<-s.searches
		return nil, err
	}
	type outcome struct {
		res *index.Result
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		defer func() { <-s.searches }()
		defer release()
		res, err := s.ix.Search(ctx, req)
		done <- outcome{res, err}
	}()
	select {
	case o := <-done:
		if o.err != nil && ctx.Err() != nil {
			return nil, s.searchError(ctx, "")
		}
		return o.res, o.err
	case <-ctx.Done():
		// Give the search a moment to stop by itself, so that the usual
		// answer is the one it gives.
		select {
		case o := <-done:
			if o.err == nil {
				return o.res, nil
			}
		case <-time.After(searchStopGrace):
		}
		return nil, s.searchError(ctx, "")
	}
}

// searchStopGrace is how long past its deadline a search is waited for.
const searchStopGrace = 100 * time.Millisecond

// searchError explains why ctx of a search ended.
func (s *Server) searchError(ctx context.Context, where string) error {
	if !errors.Is(context.Cause(ctx), errSearchTimeout) {
		return ctx.Err() // the client left, or the server is stopping
	}
	msg := fmt.Sprintf("the search took longer than %s, the most one search may take", s.searchTimeout)
	if where != "" {
		msg = fmt.Sprintf("the search waited longer than %s %s", s.searchTimeout, where)
	}
	return &statusError{http.StatusServiceUnavailable, msg + "; try again, or with fewer or rarer words"}
}

// expander is a store that tells what a query is searched as.
type expander interface {
	Expansions(query string) ([]index.Expansion, error)
}

// GET /analyze?text=&folded=&expand=
func (s *Server) analyze(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if !q.Has("text") {
		return fmt.Errorf("%w: missing parameter text", index.ErrBadQuery)
	}
	folded, err := api.ParseBool("folded", q.Get("folded"))
	if err != nil {
		return err
	}
	expand, err := api.ParseBool("expand", q.Get("expand"))
	if err != nil {
		return err
	}
	tokens, err := api.Analyze(q.Get("text"), folded)
	if err != nil {
		return err
	}
	if !expand {
		writeJSON(w, http.StatusOK, tokens)
		return nil
	}
	out := api.Analyzed{Tokens: tokens, Expansions: []index.Expansion{}}
	if text := q.Get("text"); strings.TrimSpace(text) != "" {
		// An index, or a cluster of shards, knows its mined synonyms;
		// a store that does not is asked the built-in ones.
		if ex, ok := s.ix.(expander); ok {
			out.Expansions, err = ex.Expansions(text)
		} else {
			out.Expansions, err = index.ExpandQuery(text)
		}
		if err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// GET /suggest?q=&n=
func (s *Server) suggest(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if !q.Has("q") {
		return fmt.Errorf("%w: missing parameter q", index.ErrBadQuery)
	}
	n := api.DefaultSuggestions
	if v := q.Get("n"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			return fmt.Errorf("%w: n=%q is not a number", index.ErrBadQuery, v)
		}
	}
	sg, ok := s.ix.(api.Suggester)
	if !ok {
		return &statusError{http.StatusNotImplemented, "this server's index does not offer suggestions"}
	}
	// The first table of an index is built in the background; a request
	// waits for it as long as a search may take, no longer.
	ctx, cancel := context.WithTimeout(r.Context(), s.searchTimeout)
	defer cancel()
	c, err := api.Suggest(ctx, sg, q.Get("q"), n)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "max-age=60")
	writeJSON(w, http.StatusOK, c)
	return nil
}

// articleID returns the {id} of /articles/{id}.
func articleID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" {
		return "", &statusError{http.StatusNotFound, "no article ID in the path: want /articles/{id}"}
	}
	if err := corpus.CheckID(id); err != nil {
		return "", &statusError{http.StatusBadRequest, "/articles/{id}: " + err.Error()}
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
	if s.wlog != nil {
		key, err := idempotencyKey(r)
		if err != nil {
			return err
		}
		seq, err := s.wlog.PublishDelete(r.Context(), key, id)
		if err != nil {
			return &statusError{http.StatusServiceUnavailable, fmt.Sprintf("publishing the delete of %q: %v", id, err)}
		}
		writeJSON(w, http.StatusAccepted, loggedWrite{Seq: seq})
		return nil
	}
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

// bodyName names the body in problems: "request body:3: ...".
const bodyName = "request body"

// Bounds on one record of a POST body, so that no single article costs
// the index more than a bounded amount to analyze.
const (
	MaxRecordBytes      = 8 << 20 // of text, all fields together
	MaxRecordParagraphs = 10_000  // as the JSON reader gives them
)

// How a POST body is indexed: in batches of at most this many articles
// and, past the first article, bytes of text, one batch at a time. The
// heap of a server under writes is mostly the analysis of the batch being
// indexed: under 12 search clients and a writer on the baomoi index,
// batches of 256 articles / 4 MiB peaked at 126 MB of anonymous memory,
// these at 53–71 MB (BenchmarkServeMemory). Bulk loads go through `vnsearch
// index`, whose batches are larger.
const (
	postBatchArticles = 64
	postBatchBytes    = 1 << 20
)

// postIndexingDeadline bounds writing the answer of a POST, indexing
// included, once its body has been read.
const postIndexingDeadline = 10 * time.Minute

// POST /articles with a JSON array or JSONL body, optionally gzipped. The
// body is indexed only if every record in it is good: a client fixing
// line 3 can send the same body again without wondering what got in. Its
// good records wait in a spool file until the whole body has been read,
// then are indexed in bounded batches.
func (s *Server) postArticles(w http.ResponseWriter, r *http.Request) error {
	if err := s.authorize(w, r); err != nil {
		return err
	}
	sp, err := newSpool(s.spoolDir)
	if err != nil {
		return err
	}
	defer func() {
		if err := sp.close(); err != nil {
			s.log.WarnContext(r.Context(), "removing a spool file", "err", err)
		}
	}()
	if err := s.readBody(w, r, sp); err != nil {
		return err
	}
	// The body is read: from now on the connection waits for the answer
	// (a read deadline still set would cancel the request when it
	// passed), and the answer may take as long as indexing does.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Now().Add(postIndexingDeadline))

	select {
	case s.writes <- struct{}{}:
		defer func() { <-s.writes }()
	case <-r.Context().Done():
		return r.Context().Err()
	}
	release, err := s.hold()
	if err != nil {
		return err
	}
	defer release()
	if s.wlog != nil {
		return s.publishArticles(w, r, sp)
	}
	var applied api.Applied
	for batch, err := range sp.batches(postBatchArticles, postBatchBytes, bodyName) {
		if err == nil {
			var stats index.AddStats
			stats, err = s.ix.Add(r.Context(), batch)
			if err == nil {
				applied.Records += len(batch)
				applied.AddStats = applied.AddStats.Plus(stats)
				continue
			}
		}
		if applied.Added+applied.Updated > 0 {
			s.pageStats.invalidate()
		}
		return &appliedError{applied, fmt.Errorf(
			"indexed the first %d of the body's %d records (%d new, %d changed, %d unchanged), then stopped, the rest not indexed: %w",
			applied.Records, sp.records, applied.Added, applied.Updated, applied.Unchanged, err)}
	}
	if applied.Added+applied.Updated > 0 {
		s.pageStats.invalidate()
	}
	writeJSON(w, http.StatusOK, applied.AddStats)
	return nil
}

// readBody reads a POST body into sp, every record checked. A failure to
// read the body (too large, too slow, not gzip) ends it at once; bad
// records are listed, all of them read first.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, sp *spool) error {
	var st bodyState
	body, err := s.openBody(w, r, &st)
	if err != nil {
		return err
	}
	var (
		problems []string
		bad      int
		record   int
	)
	problem := func(text string) {
		bad++
		if len(problems) < maxProblemsListed {
			problems = append(problems, text)
		}
	}
	for a, err := range corpus.ReadJSONLimits(body, bodyName, corpus.Limits{MaxRecordBytes: MaxRecordBytes, MaxParagraphs: MaxRecordParagraphs}) {
		if failed := st.failure(); failed != nil {
			return failed
		}
		record++
		if err != nil {
			problem(problemText(err))
			continue
		}
		if err := checkRecord(&a); err != nil {
			problem(fmt.Sprintf("%s record %d: %v", bodyName, record, err))
			continue
		}
		if bad > 0 {
			continue // nothing will be indexed: no need to keep it
		}
		if err := sp.add(&a); err != nil {
			return err
		}
	}
	if failed := st.failure(); failed != nil {
		return failed
	}
	if err := r.Context().Err(); err != nil {
		return err
	}
	if bad > 0 {
		if bad > len(problems) {
			problems = append(problems, fmt.Sprintf("… and %d more", bad-len(problems)))
		}
		return &problemsError{
			msg:      fmt.Sprintf("request body rejected, nothing was indexed: %d problem(s), %d good record(s)", bad, record-bad),
			problems: problems,
		}
	}
	return nil
}

// checkRecord applies the rules of POST /articles on top of what the JSON
// reader checks: the ID rule and the bounds of one record.
func checkRecord(a *corpus.Article) error {
	if err := corpus.CheckID(a.ID); err != nil {
		return err
	}
	if n := len(a.Paragraphs); n > MaxRecordParagraphs {
		return fmt.Errorf("article %q has %d paragraphs, more than the %d an article may have", a.ID, n, MaxRecordParagraphs)
	}
	if n := textBytes(a); n > MaxRecordBytes {
		return fmt.Errorf("article %q holds %s of text, more than the %s an article may hold",
			a.ID, api.HumanBytes(int64(n)), api.HumanBytes(MaxRecordBytes))
	}
	return nil
}

// problemText formats a problem as every vnsearch command does:
// "request body:3: message".
func problemText(err error) string { return err.Error() }

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
	if s.wlog != nil {
		answer := map[string]any{"status": "ok", "applied_seq": s.wlog.Applied()}
		if hl, ok := s.wlog.(healthLog); ok {
			ctx, cancel := context.WithTimeout(r.Context(), healthTimeout)
			h, err := hl.Health(ctx)
			cancel()
			answer["applied_seq"] = h.AppliedSeq
			answer["snapshot_seq"] = h.SnapshotSeq
			if err != nil {
				answer["stream_error"] = err.Error()
			} else {
				answer["stream_first_seq"] = h.StreamFirstSeq
				answer["stream_last_seq"] = h.StreamLastSeq
				answer["lag"] = h.Lag
			}
			if len(h.Shards) > 0 {
				answer["shard_health"] = h.Shards
			}
		}
		if sl, ok := s.wlog.(interface {
			Shards() int
			ServedShards() []int
		}); ok {
			answer["shards"] = map[string]any{"total": sl.Shards(), "served": sl.ServedShards()}
		}
		writeJSON(w, http.StatusOK, answer)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// loggedWrite answers a write published to the cluster's log: Seq is its
// sequence there, to pass as min_seq to read it back.
type loggedWrite struct {
	Records int    `json:"records,omitempty"`
	Seq     uint64 `json:"seq"`
}

// publishArticles publishes the records of a POST body to the log, in
// batches, and answers with the sequence of the last once acknowledged.
func (s *Server) publishArticles(w http.ResponseWriter, r *http.Request, sp *spool) error {
	key, err := idempotencyKey(r)
	if err != nil {
		return err
	}
	var out loggedWrite
	for batch, err := range sp.batches(postBatchArticles, postBatchBytes, bodyName) {
		if err == nil {
			var seq uint64
			if seq, err = s.wlog.PublishArticles(r.Context(), key, out.Records, batch); err == nil {
				out.Records += len(batch)
				out.Seq = seq
				continue
			}
		}
		return &statusError{http.StatusServiceUnavailable, fmt.Sprintf(
			"published the first %d of the body's %d records (up to seq %d), then stopped: %v",
			out.Records, sp.records, out.Seq, err)}
	}
	writeJSON(w, http.StatusAccepted, out)
	return nil
}

// maxIdempotencyKey bounds the Idempotency-Key header a write may carry.
const maxIdempotencyKey = 200

// idempotencyKey returns the request's Idempotency-Key header: a client
// that retries a write with the same key has it appended to the cluster's
// log once (within the log's duplicate window).
func idempotencyKey(r *http.Request) (string, error) {
	key := r.Header.Get("Idempotency-Key")
	if len(key) > maxIdempotencyKey {
		return "", &statusError{http.StatusBadRequest, fmt.Sprintf("Idempotency-Key: %d bytes, at most %d", len(key), maxIdempotencyKey)}
	}
	for _, c := range []byte(key) {
		if c < 0x20 || c > 0x7e {
			return "", &statusError{http.StatusBadRequest, "Idempotency-Key: printable ASCII only"}
		}
	}
	return key, nil
}

// maxMinSeqWait bounds how long a read waits for its min_seq.
const maxMinSeqWait = 5 * time.Second

// waitMinSeq takes min_seq out of query and waits until the index has
// applied that sequence of the cluster's log. A log that reads from other
// nodes (a cluster of shards) also marks the context returned, so that
// the search reads only from replicas that have applied it.
func (s *Server) waitMinSeq(ctx context.Context, query url.Values) (context.Context, error) {
	v := query.Get("min_seq")
	if v == "" {
		return ctx, nil
	}
	query.Del("min_seq")
	seq, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		return ctx, &statusError{http.StatusBadRequest, fmt.Sprintf("min_seq %q: not a sequence number", v)}
	}
	if s.wlog == nil {
		return ctx, &statusError{http.StatusBadRequest, "min_seq: this node is not part of a cluster"}
	}
	wait := func() error { return s.wlog.WaitApplied(ctx, seq, maxMinSeqWait) }
	if ra, ok := s.wlog.(interface {
		ReadAfter(ctx context.Context, seq uint64, timeout time.Duration) (context.Context, error)
	}); ok {
		wait = func() (err error) {
			ctx, err = ra.ReadAfter(ctx, seq, maxMinSeqWait)
			return err
		}
	}
	if err := wait(); err != nil {
		if ctx.Err() != nil {
			return ctx, ctx.Err()
		}
		return ctx, &statusError{http.StatusServiceUnavailable, fmt.Sprintf("min_seq %d: %v", seq, err)}
	}
	return ctx, nil
}
