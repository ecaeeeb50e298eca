package index

import (
	"fmt"
	"math"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	segment "github.com/blevesearch/scorch_segment_api/v2"
)

// vnsearch reads its body fields itself, segment by segment, rather than
// through Bleve's searchers: a search needs the top documents by BM25, not
// every match scored (see topk.go), bitmaps of the documents holding a
// term to count and filter, and the positions of a few candidates. Scorch
// segments are immutable, so what is learned of one (block maxima, see
// blockmax.go) holds until a merge replaces it.

// segView is one segment of a snapshot.
type segView struct {
	seg     segment.Segment
	deleted *roaring.Bitmap // documents deleted since the segment was written; may be nil
	id      uint64          // the segment's identity, for caches
	offset  uint64          // the snapshot's number of its first document
	file    *storedFile     // to read stored fields from; nil: through Bleve

	mu    sync.Mutex // guards the two caches: goroutines of a search share them
	dicts map[string]segment.TermDictionary
	lists map[string]segment.PostingsList // by field and term, for one search
}

func (sv *segView) dict(field string) (segment.TermDictionary, error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	return sv.dictLocked(field)
}

func (sv *segView) dictLocked(field string) (segment.TermDictionary, error) {
	if d, ok := sv.dicts[field]; ok {
		return d, nil
	}
	d, err := sv.seg.Dictionary(field)
	if err != nil {
		return nil, fmt.Errorf("dictionary of %s: %w", field, err)
	}
	if sv.dicts == nil {
		sv.dicts = map[string]segment.TermDictionary{}
	}
	sv.dicts[field] = d
	return d, nil
}

// postings returns the postings of term in field, live documents only;
// nil when the segment has none.
func (sv *segView) postings(field, term string) (segment.PostingsList, error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	key := field + "\x00" + term
	if pl, ok := sv.lists[key]; ok {
		return pl, nil
	}
	d, err := sv.dictLocked(field)
	if err != nil {
		return nil, err
	}
	pl, err := d.PostingsList([]byte(term), sv.deleted, nil)
	if err != nil {
		return nil, fmt.Errorf("postings of %s:%s: %w", field, term, err)
	}
	if pl == nil || pl.Count() == 0 {
		pl = nil
	}
	if sv.lists == nil {
		sv.lists = map[string]segment.PostingsList{}
	}
	sv.lists[key] = pl
	return pl, nil
}

// bitmap returns the live documents holding term in field, or nil when
// none does. The bitmap may be the segment's own: callers must not change
// it.
func (sv *segView) bitmap(field, term string) (*roaring.Bitmap, error) {
	pl, err := sv.postings(field, term)
	if err != nil || pl == nil {
		return nil, err
	}
	return postingsBitmap(pl), nil
}

// postingsBitmap returns the documents of a postings list, read-only.
func postingsBitmap(pl segment.PostingsList) *roaring.Bitmap {
	it := pl.Iterator(false, false, false, nil)
	if opt, ok := it.(segment.OptimizablePostingsIterator); ok {
		if bm := opt.ActualBitmap(); bm != nil {
			return bm
		}
		if doc, ok := opt.DocNum1Hit(); ok {
			return roaring.BitmapOf(uint32(doc))
		}
	}
	bm := roaring.New()
	for p, err := it.Next(); err == nil && p != nil; p, err = it.Next() {
		bm.Add(uint32(p.Number()))
	}
	return bm
}

// everyPosting returns the postings of term in field, deleted documents
// included; nil when the segment has none. A dictionary reads its terms
// with state of its own: the workers of a search take turns.
func (sv *segView) everyPosting(field, term string) (segment.PostingsList, error) {
	sv.mu.Lock()
	defer sv.mu.Unlock()
	d, err := sv.dictLocked(field)
	if err != nil {
		return nil, err
	}
	return d.PostingsList([]byte(term), nil, nil)
}

// live returns the segment's live documents.
func (sv *segView) live() *roaring.Bitmap {
	bm := roaring.New()
	bm.AddRange(0, sv.seg.Count())
	if sv.deleted != nil {
		bm.AndNot(sv.deleted)
	}
	return bm
}

// termRange calls fn for each term of field in [from, to) — the whole
// field when both are empty — in order, with its live documents
// (read-only).
func (sv *segView) termRange(field, from, to string, fn func(term string, docs *roaring.Bitmap) error) error {
	d, err := sv.dict(field)
	if err != nil {
		return err
	}
	var start, end []byte
	if from != "" {
		start = []byte(from)
	}
	if to != "" {
		end = []byte(to)
	}
	it := d.AutomatonIterator(nil, start, end)
	for {
		entry, err := it.Next()
		if err != nil {
			return fmt.Errorf("terms of %s: %w", field, err)
		}
		if entry == nil {
			return nil
		}
		pl, err := d.PostingsList([]byte(entry.Term), sv.deleted, nil)
		if err != nil {
			return fmt.Errorf("postings of %s:%s: %w", field, entry.Term, err)
		}
		if pl == nil || pl.Count() == 0 {
			continue
		}
		if err := fn(entry.Term, postingsBitmap(pl)); err != nil {
			return err
		}
	}
}

// stored returns the value of a stored field of a document: read from the
// segment's file (storedread.go), or through Bleve when that is not open
// or fails.
func (sv *segView) stored(doc uint64, name string) ([]byte, error) {
	if sv.file != nil {
		value, err := sv.file.field(doc, name)
		if err == nil {
			return value, nil
		}
		storedFallbacks.Add(1)
	}
	return sv.storedBleve(doc, name)
}

// withStored calls fn with the value of a stored field of a document,
// valid only during the call: stored without its copy, for reads of many
// documents (layouts, titles) whose garbage would otherwise be theirs.
func (sv *segView) withStored(doc uint64, name string, fn func([]byte)) error {
	if sv.file != nil {
		err := sv.file.visit(doc, func(field string, _ byte, v []byte, _ []uint64) bool {
			if field == name {
				fn(v)
				return false
			}
			return true
		})
		if err == nil {
			return nil
		}
		storedFallbacks.Add(1)
	}
	v, err := sv.storedBleve(doc, name)
	if err == nil {
		fn(v)
	}
	return err
}

// storedBleve is stored through Bleve's memory map.
func (sv *segView) storedBleve(doc uint64, name string) ([]byte, error) {
	var value []byte
	err := sv.seg.VisitStoredFields(doc, func(field string, _ byte, v []byte, _ []uint64) bool {
		if field == name {
			value = append([]byte(nil), v...)
			return false
		}
		return true
	})
	if err != nil {
		return nil, fmt.Errorf("stored fields of document %d: %w", doc, err)
	}
	return value, nil
}

// externalID returns a document's ID.
func (sv *segView) externalID(doc uint64) (string, error) {
	if sv.file != nil {
		var id string
		err := sv.file.visit(doc, func(_ string, _ byte, v []byte, _ []uint64) bool {
			id = string(v)
			return false
		})
		if err == nil && id != "" {
			return id, nil
		}
		storedFallbacks.Add(1)
	}
	id, err := sv.seg.DocID(doc)
	if err != nil {
		return "", fmt.Errorf("ID of document %d: %w", doc, err)
	}
	return string(id), nil
}

// segmentsOf returns the segments of a scorch snapshot, with the number
// the snapshot gives the first document of each, as Bleve numbers them.
func segmentsOf(is *scorch.IndexSnapshot) []*segView {
	var out []*segView
	var offset uint64
	for _, ss := range is.Segments() {
		out = append(out, &segView{seg: ss.Segment(), deleted: ss.Deleted(), id: ss.Id(), offset: offset})
		offset += ss.Segment().Count()
	}
	return out
}

// normLength recovers a field's length from a posting. Zap v17 keeps the
// length itself and offers it as NormUint64; older formats keep
// 1/sqrt(length).
func normLength(p segment.Posting) uint64 {
	if n, ok := p.(interface{ NormUint64() uint64 }); ok {
		return n.NormUint64()
	}
	norm := p.Norm()
	if norm <= 0 {
		return 1
	}
	return uint64(math.Round(1 / (norm * norm)))
}
