package index

import (
	"cmp"
	"context"
	"fmt"

	"github.com/blevesearch/bleve/v2/index/scorch"

	"github.com/vnsearch/vnsearch/corpus"
)

// snapshot is one consistent view of the index, shared by every pass of a
// search so that document numbers stay valid between them: its segments,
// the collection statistics BM25 scores with, and the block maxima cache.
type snapshot struct {
	ctx    context.Context
	reader *scorch.IndexSnapshot
	segs   []*segView
	stats  *CollectionStats // the collection's, or the whole cluster's
	blocks *blockCache
	// layouts is the index's cache of stored layouts; nil: none.
	layouts *layoutCache
	files   *storedFiles // the index's, which s.segs hold files of
	split   splitting    // how the first pass runs on several cores
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
	is, ok := reader.(*scorch.IndexSnapshot)
	if !ok {
		_ = reader.Close()
		return nil, fmt.Errorf("not a scorch index snapshot (%T)", reader)
	}
	docs, err := is.DocCount()
	if err != nil {
		_ = reader.Close()
		return nil, err
	}
	t := ix.lengths.total()
	s := &snapshot{
		ctx:     ctx,
		reader:  is,
		segs:    segmentsOf(is),
		stats:   &CollectionStats{Docs: docs, Tokens: t.all, Marked: t.marked},
		blocks:  ix.blocks,
		layouts: ix.layouts,
		files:   ix.files,
		split:   ix.split,
	}
	ix.blocks.segments(s.segs)
	ix.files.acquire(s.segs)
	return s, nil
}

func (s *snapshot) close() error {
	s.files.release(s.segs)
	return s.reader.Close()
}

// docFrequency returns how many live documents hold term in field: from
// the statistics the search was given, or counted here.
func (s *snapshot) docFrequency(field, term string) (uint64, error) {
	if df, ok := s.stats.DF[statKey(field, term)]; ok {
		return df, nil
	}
	return s.localDocFrequency(field, term)
}

func (s *snapshot) localDocFrequency(field, term string) (uint64, error) {
	var df uint64
	for _, sv := range s.segs {
		pl, err := sv.postings(field, term)
		if err != nil {
			return 0, err
		}
		if pl != nil {
			df += pl.Count()
		}
	}
	return df, nil
}

// locate returns the segment and number of the document with the given
// ID, or ErrNotFound.
func (s *snapshot) locate(id string) (int, uint64, error) {
	for i := len(s.segs) - 1; i >= 0; i-- {
		sv := s.segs[i]
		bm, err := sv.bitmap("_id", id)
		if err != nil {
			return 0, 0, err
		}
		if bm != nil && !bm.IsEmpty() {
			return i, uint64(bm.Minimum()), nil
		}
	}
	return 0, 0, fmt.Errorf("index: %q: %w", id, ErrNotFound)
}

// article reads a stored article by segment and number.
func (s *snapshot) article(seg int, doc uint64) (corpus.Article, error) {
	sv := s.segs[seg]
	var a corpus.Article
	var decodeErr error
	stored := false
	err := sv.withStored(doc, fieldArticle, func(raw []byte) {
		stored = true
		a, decodeErr = unmarshalArticle(fmt.Sprintf("document %d of segment %d", doc, sv.id), raw)
	})
	if err = cmp.Or(err, decodeErr); err != nil {
		return corpus.Article{}, err
	}
	if !stored {
		id, _ := sv.externalID(doc)
		return corpus.Article{}, fmt.Errorf("index: article %q is not stored", id)
	}
	return a, nil
}

// withLayout calls fn with a document's layout, whose terms are read in
// place from the stored bytes, valid only during the call: a search reads
// a hundred layouts and more, and copying each out of the read buffer was
// a quarter of what it allocated. The units stay valid after.
func (s *snapshot) withLayout(seg int, doc uint64, fn func(l *layout)) error {
	sv := s.segs[seg]
	key := layoutKey{segment: sv.id, doc: doc}
	if s.layouts != nil {
		if raw := s.layouts.get(key); raw != nil {
			if l, err := decodeLayout(raw); err == nil {
				fn(&l)
				return nil
			}
		}
	}
	decodeErr := errLayout // until one is read: a document without one is damaged
	err := sv.withStored(doc, fieldLayout, func(raw []byte) {
		l, err := decodeLayout(raw)
		if decodeErr = err; err != nil {
			return
		}
		if s.layouts != nil {
			s.layouts.put(key, raw)
		}
		fn(&l)
	})
	if err == nil && decodeErr != nil {
		id, _ := s.segs[seg].externalID(doc)
		err = fmt.Errorf("index: article %q: %w", id, decodeErr)
	}
	return err
}

// Get returns the article with the given ID, or ErrNotFound.
func (ix *Index) Get(ctx context.Context, id string) (corpus.Article, error) {
	snap, err := ix.snapshot(ctx)
	if err != nil {
		return corpus.Article{}, fmt.Errorf("index: get %q: %w", id, err)
	}
	defer snap.close()
	seg, doc, err := snap.locate(id)
	if err != nil {
		return corpus.Article{}, err
	}
	return snap.article(seg, doc)
}

// CollectionStats are the statistics BM25 scores with: documents, body
// token totals (whose averages normalize lengths) and, for the terms of a
// query, document frequencies. A search computes them from its own index;
// a cluster whose shards each hold part of the articles gathers them from
// every shard (Index.QueryStats) and passes the sum in Request.Stats, so
// that every shard scores as one index holding everything would.
type CollectionStats struct {
	Docs   uint64            `json:"docs"`
	Tokens int64             `json:"tokens"`
	Marked int64             `json:"marked"`
	DF     map[string]uint64 `json:"df,omitempty"` // by statKey(field, term)
}

func statKey(field, term string) string { return field + ":" + term }

// Plus adds the statistics of another part of the collection.
func (c CollectionStats) Plus(o CollectionStats) CollectionStats {
	sum := CollectionStats{Docs: c.Docs + o.Docs, Tokens: c.Tokens + o.Tokens, Marked: c.Marked + o.Marked,
		DF: make(map[string]uint64, len(c.DF))}
	for k, v := range c.DF {
		sum.DF[k] += v
	}
	for k, v := range o.DF {
		sum.DF[k] += v
	}
	return sum
}
