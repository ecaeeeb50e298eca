package index

import (
	"bytes"
	"compress/flate"
	"context"
	"fmt"
	"iter"
	"path/filepath"
	"strings"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/document"
	"github.com/blevesearch/bleve/v2/search/query"
	"golang.org/x/sync/errgroup"

	"github.com/vnsearch/vnsearch/corpus"
)

// AddStats counts what Add did with the articles it was given.
type AddStats struct {
	Added     int `json:"added"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
}

// Plus returns the sum of two counts.
func (s AddStats) Plus(o AddStats) AddStats {
	return AddStats{Added: s.Added + o.Added, Updated: s.Updated + o.Updated, Unchanged: s.Unchanged + o.Unchanged}
}

// idLocks serializes the writes that touch one article ID: a write reads
// the stamps of its IDs, then commits a length delta computed from them,
// and two writes of one ID at once would both apply a delta against the
// same old stamp. A write takes all its IDs at once or waits, so that two
// writes never wait on each other in a circle.
type idLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{} // closed when the write holding the ID ends
}

func newIDLocks() *idLocks { return &idLocks{held: map[string]chan struct{}{}} }

// lock takes ids, waiting for the writes that hold any of them, and
// returns what releases them.
func (l *idLocks) lock(ids []string) (unlock func()) {
	for {
		l.mu.Lock()
		var busy chan struct{}
		for _, id := range ids {
			if ch, ok := l.held[id]; ok {
				busy = ch
				break
			}
		}
		if busy == nil {
			done := make(chan struct{})
			for _, id := range ids {
				l.held[id] = done
			}
			l.mu.Unlock()
			return func() {
				l.mu.Lock()
				for _, id := range ids {
					delete(l.held, id)
				}
				l.mu.Unlock()
				close(done)
			}
		}
		l.mu.Unlock()
		<-busy
	}
}

// Add indexes articles as one batch: a new ID is added, an ID already
// indexed with the same content and origin is left alone, a changed one is
// replaced. When Add returns without error the batch is on disk and
// survives a crash of the process. Articles without an ID are refused.
func (ix *Index) Add(ctx context.Context, articles []corpus.Article) (AddStats, error) {
	ops := make([]Op, len(articles))
	for i := range articles {
		ops[i] = Op{Article: &articles[i]}
	}
	applied, err := ix.Apply(ctx, Ops{Ops: ops})
	return applied.AddStats, err
}

// Op is one change: an article to add (or replace), or the ID of one to
// delete.
type Op struct {
	Article *corpus.Article
	Delete  string
}

// Ops are changes applied together, atomically: when Apply returns
// without error all of them are on disk, and after a crash either all or
// none are. Of several ops on one ID, the last wins, as it would applied
// one by one. Meta sets values that Meta reads (a nil value deletes
// one) in the same batch: a replica of a log records there how far it has
// applied the log, so that the record and the changes cannot part.
type Ops struct {
	Ops  []Op
	Meta map[string][]byte
}

// Applied counts what Apply did.
type Applied struct {
	AddStats
	Deleted int `json:"deleted"`
}

// Apply applies ops in one batch (see Ops).
func (ix *Index) Apply(ctx context.Context, ops Ops) (Applied, error) {
	var out Applied
	if ix.readOnly {
		return out, fmt.Errorf("index: write: %w", ErrReadOnly)
	}
	// The last op on an ID wins.
	latest := make(map[string]int, len(ops.Ops))
	ids := make([]string, 0, len(ops.Ops))
	for i, op := range ops.Ops {
		id := op.Delete
		if op.Article != nil {
			if id = op.Article.ID; id == "" {
				return out, fmt.Errorf("index: add: article %d (%q) has no ID", i, op.Article.Title)
			}
			if err := corpus.CheckID(id); err != nil {
				return out, fmt.Errorf("index: add: article %d: %w", i, err)
			}
		} else if id == "" {
			return out, fmt.Errorf("index: op %d: neither an article nor an ID to delete", i)
		}
		if _, seen := latest[id]; !seen {
			ids = append(ids, id)
		}
		latest[id] = i
	}
	for key := range ops.Meta {
		if key == "" {
			return out, errEmptyMetaKey
		}
	}
	defer ix.ids.lock(ids)()
	slot := <-ix.lengths.free
	defer func() { ix.lengths.free <- slot }()
	stamps, err := ix.stamps(ctx, ids)
	if err != nil {
		return out, err
	}
	var articles []corpus.Article
	var added []string
	addAt := map[string]int{}
	for _, id := range ids {
		if a := ops.Ops[latest[id]].Article; a != nil {
			addAt[id] = len(articles)
			articles = append(articles, *a)
			added = append(added, id)
		}
	}
	var counted []*lexicon
	if ix.lex != nil {
		counted = []*lexicon{}
	}
	docs, counted, err := buildDocuments(ctx, articles, added, addAt, stamps, counted)
	if err != nil {
		return out, err
	}
	batch := ix.bleve.NewBatch()
	var delta tokens
	changes := 0
	n := 0
	for _, id := range ids {
		old, exists := stamps[id]
		if ops.Ops[latest[id]].Article == nil {
			if exists {
				batch.Delete(id)
				delta = delta.minus(old.tokens)
				out.Deleted++
				changes++
			}
			continue
		}
		doc, st := docs[n].doc, docs[n].stamp
		n++
		switch {
		case exists && old == st:
			out.Unchanged++
			continue
		case exists:
			out.Updated++
			delta = delta.minus(old.tokens)
		default:
			out.Added++
		}
		delta = delta.plus(st.tokens)
		changes++
		if err := batch.IndexAdvanced(doc); err != nil {
			return Applied{}, fmt.Errorf("index: add %s: %w", id, err)
		}
	}
	for key, value := range ops.Meta {
		if value == nil {
			batch.DeleteInternal([]byte(metaPrefix + key))
		} else {
			batch.SetInternal([]byte(metaPrefix+key), value)
		}
		changes++
	}
	if changes == 0 {
		return out, nil
	}
	if err := ctx.Err(); err != nil {
		return Applied{}, err
	}
	var told, removed []corpus.Article
	if ix.observer != nil || ix.lex != nil {
		if told, removed, err = ix.observed(ctx, ops, ids, latest, stamps, docs); err != nil {
			return Applied{}, err
		}
	}
	if err := ix.commit(batch, slot, delta); err != nil {
		return Applied{}, fmt.Errorf("index: write batch of %d: %w", batch.Size(), err)
	}
	if len(told) > 0 || len(removed) > 0 {
		ix.observing.Lock()
		if ix.lex != nil {
			ix.lex.committed(counted, removed)
		}
		if ix.observer != nil {
			ix.observer.Committed(told, removed)
		}
		ix.observing.Unlock()
	}
	return out, nil
}

// An Observer learns of every change to an index's articles: a model
// kept beside the index (the lexicon of query understanding) follows it
// so. Committed is called after each batch is durable, with the articles
// it added or replaced, as given, and those it removed or replaced, as
// they were stored; calls do not overlap, and the writes of one ID are
// told in the order they landed.
type Observer interface {
	Committed(added, removed []corpus.Article)
}

// observed returns what a batch adds and removes, for the observer: the
// articles it writes that change, and the stored articles they replace or
// it deletes.
func (ix *Index) observed(ctx context.Context, ops Ops, ids []string, latest map[string]int,
	stamps map[string]stamp, docs []built) ([]corpus.Article, []corpus.Article, error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer snap.close()
	var added, removed []corpus.Article
	n := 0
	for _, id := range ids {
		op := ops.Ops[latest[id]]
		old, exists := stamps[id]
		changed := true
		if op.Article != nil {
			changed = !exists || old != docs[n].stamp
			if changed {
				added = append(added, *op.Article)
			}
			n++
		}
		if exists && changed {
			seg, doc, err := snap.locate(id)
			if err != nil {
				return nil, nil, err
			}
			a, err := snap.article(seg, doc)
			if err != nil {
				return nil, nil, err
			}
			removed = append(removed, a)
		}
	}
	return added, removed, nil
}

// commit writes a batch together with its change to the length totals,
// kept in the slot this writer holds.
func (ix *Index) commit(batch *bleve.Batch, slot int, delta tokens) error {
	total := ix.lengths.slots[slot].plus(delta)
	batch.SetInternal(slotKey(slot), total.encode())
	if err := ix.forgetSuggestions(); err != nil {
		return err
	}
	if err := ix.bleve.Batch(batch); err != nil {
		return err
	}
	ix.lengths.update(slot, total)
	ix.generation.Add(1)
	return nil
}

// StreamOptions tune AddStream.
type StreamOptions struct {
	// BatchSize is the number of articles a batch holds: 1,000 by default.
	// Each batch is one segment on disk and one fsync.
	BatchSize int
	// Workers is how many batches are analyzed and written at once: by
	// default as many as there are CPUs.
	Workers int
	// Progress, when set, is called after each batch with the counts so
	// far. Calls do not overlap.
	Progress func(AddStats)
}

// AddStream adds a stream of articles in batches, several batches at once
// so that analysis and segment building use every core. Articles are
// counted and handled as Add does; when one ID comes twice, the later
// article wins, as it would in one Add. The first error stops the stream;
// the batches acknowledged before it stay indexed.
func (ix *Index) AddStream(ctx context.Context, articles iter.Seq[corpus.Article], opts StreamOptions) (AddStats, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Workers <= 0 {
		opts.Workers = maxParallel()
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(opts.Workers)
	var (
		mu       sync.Mutex
		total    AddStats
		inFlight = map[string]chan struct{}{} // ID → closed when its batch is done
	)
	dispatch := func(batch []corpus.Article) {
		done := make(chan struct{})
		mu.Lock()
		for _, a := range batch {
			inFlight[a.ID] = done
		}
		mu.Unlock()
		g.Go(func() error {
			defer close(done)
			stats, err := ix.Add(gctx, batch)
			mu.Lock()
			defer mu.Unlock()
			for _, a := range batch {
				if inFlight[a.ID] == done {
					delete(inFlight, a.ID)
				}
			}
			if err != nil {
				return err
			}
			total = total.Plus(stats)
			if opts.Progress != nil {
				opts.Progress(total)
			}
			return nil
		})
	}
	batch := make([]corpus.Article, 0, opts.BatchSize)
	for a := range articles {
		if gctx.Err() != nil {
			break
		}
		mu.Lock()
		busy := inFlight[a.ID]
		mu.Unlock()
		if busy != nil {
			// The same ID is being written: let that batch land first, so
			// that this later article replaces it rather than races it.
			select {
			case <-busy:
			case <-gctx.Done():
			}
		}
		batch = append(batch, a)
		if len(batch) == opts.BatchSize {
			dispatch(batch)
			batch = make([]corpus.Article, 0, opts.BatchSize)
		}
	}
	if len(batch) > 0 && gctx.Err() == nil {
		dispatch(batch)
	}
	err := g.Wait()
	if err == nil {
		err = ctx.Err()
	}
	mu.Lock()
	defer mu.Unlock()
	return total, err
}

// built is an article made into a document.
type built struct {
	doc   *document.Document
	stamp stamp
}

// buildDocuments analyzes the articles named by ids (articles[latest[id]])
// on every core.
func buildDocuments(ctx context.Context, articles []corpus.Article, ids []string, latest map[string]int,
	stamps map[string]stamp, counted []*lexicon) ([]built, []*lexicon, error) {
	out := make([]built, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	workers := maxParallel()
	if counted != nil {
		// What the lexicon counts of the articles that change, each
		// worker its own: from the analysis, which is not kept.
		counted = make([]*lexicon, workers)
		for w := range counted {
			counted[w] = newLexicon()
		}
	}
	for w := range workers {
		g.Go(func() error {
			var pk packer
			for n := w; n < len(ids); n += workers {
				if n%64 == w && gctx.Err() != nil {
					return gctx.Err()
				}
				a := &articles[latest[ids[n]]]
				doc, st, lex, err := pk.document(a)
				if err != nil {
					return fmt.Errorf("index: add %s: %w", a.ID, err)
				}
				out[n] = built{doc, st}
				if old, exists := stamps[ids[n]]; counted != nil && (!exists || old != st) {
					counted[w].countTokens(lex)
				}
			}
			return nil
		})
	}
	return out, counted, g.Wait()
}

// packer maps articles to documents, reusing one compressor (deflate's
// state is large to allocate an article at a time) and one analyzer's
// scratch.
type packer struct {
	raw []byte
	buf bytes.Buffer
	zw  *flate.Writer
	an  articleAnalyzer
}

// document maps an article to what the index holds, and the stamp that
// tells whether it changed. The lexicon's tokens are valid until the next
// call.
func (pk *packer) document(a *corpus.Article) (*document.Document, stamp, *lexTokens, error) {
	if a.Hash == "" {
		a.Hash = a.ContentHash()
	}
	raw, err := pk.pack(a)
	if err != nil {
		return nil, stamp{}, nil, err
	}
	fields := pk.an.analyze(a)
	st := stamp{hash: a.Hash, tokens: fields.tokens, origin: a.Origin}
	// The layout is left to zap's snappy: the second pass reads a hundred
	// of them a search, and inflating them cost more than a third of its
	// time for 6% of the index's size.
	return bleveDocument(a, &fields, st, raw, fields.layout.encode()), st, &fields.lex, nil
}

// stamps returns the stamp of each of ids already in the index. It reads
// them from doc values, which the sort of a search returns, instead of
// loading every stored article.
func (ix *Index) stamps(ctx context.Context, ids []string) (map[string]stamp, error) {
	stamps := make(map[string]stamp, len(ids))
	const chunk = 1000
	for len(ids) > 0 {
		n := min(len(ids), chunk)
		req := bleve.NewSearchRequestOptions(query.NewDocIDQuery(ids[:n]), n, 0, false)
		req.SortBy([]string{fieldStamp})
		res, err := ix.bleve.SearchInContext(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("index: look up %d IDs: %w", n, err)
		}
		for _, hit := range res.Hits {
			if len(hit.Sort) == 0 {
				continue
			}
			st, err := parseStamp(hit.Sort[0])
			if err != nil {
				return nil, fmt.Errorf("index: article %q: %w", hit.ID, err)
			}
			stamps[hit.ID] = st
		}
		ids = ids[n:]
	}
	return stamps, nil
}

// Delete removes the articles with the given IDs and returns how many
// there were.
func (ix *Index) Delete(ctx context.Context, ids ...string) (int, error) {
	if ix.readOnly {
		return 0, fmt.Errorf("index: delete: %w", ErrReadOnly)
	}
	ops := make([]Op, 0, len(ids))
	for _, id := range ids {
		if id != "" {
			ops = append(ops, Op{Delete: id})
		}
	}
	applied, err := ix.Apply(ctx, Ops{Ops: ops})
	return applied.Deleted, err
}

// Prune deletes the articles that were read from files under any of roots
// but whose IDs are not in keep: their source no longer holds them. Roots
// are compared as cleaned paths, a directory covering everything below it.
func (ix *Index) Prune(ctx context.Context, roots []string, keep map[string]bool) (int, error) {
	if ix.readOnly {
		return 0, fmt.Errorf("index: prune: %w", ErrReadOnly)
	}
	var gone []string
	for _, root := range roots {
		root = filepath.Clean(root)
		req := bleve.NewSearchRequestOptions(query.NewPrefixQuery(root), 0, 0, false)
		req.Query.(*query.PrefixQuery).SetField(fieldOrigin)
		count, err := ix.bleve.SearchInContext(ctx, req)
		if err != nil {
			return 0, fmt.Errorf("index: prune %s: %w", root, err)
		}
		req.Size = int(count.Total)
		req.SortBy([]string{fieldStamp})
		res, err := ix.bleve.SearchInContext(ctx, req)
		if err != nil {
			return 0, fmt.Errorf("index: prune %s: %w", root, err)
		}
		for _, hit := range res.Hits {
			if keep[hit.ID] || len(hit.Sort) == 0 {
				continue
			}
			st, err := parseStamp(hit.Sort[0])
			if err != nil {
				return 0, fmt.Errorf("index: article %q: %w", hit.ID, err)
			}
			if origin := st.origin; origin == root || strings.HasPrefix(origin, root+string(filepath.Separator)) {
				gone = append(gone, hit.ID)
			}
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	return ix.Delete(ctx, gone...)
}
