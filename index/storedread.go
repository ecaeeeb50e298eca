package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/golang/snappy"
)

// Stored fields are read from the segment files with pread, not through
// Bleve's memory maps. A search reads the stored layout of each candidate
// it ranks and the stored article of each hit it cuts a snippet from;
// through the map, every page so read stays
// in the process's resident memory until the segment is closed, and over
// many searches that is most of the stored section of the index: on baomoi
// 35k it made most of serve's peak. Read with pread, the same pages sit in
// the kernel's page cache, shared and reclaimable, and count in no
// process. Postings, dictionaries and doc values are still read through
// Bleve's maps.
//
// The reader decodes the stored section of zap version 17, the format
// Bleve v2.6 writes. A segment in any other form — not yet persisted (in
// memory), another zap version, a file written through a file callback
// (encrypted) — is read through Bleve, as is any document the reader
// cannot decode.
//
// The layout, as zapx/v17 writes it (new.go writeStoredFields, merge.go
// mergeStoredAndRemap) and reads it (read.go, segment.go
// visitStoredFields):
//
//	document d, at offset O(d):  uvarint metaLen, uvarint dataLen,
//	                             meta [metaLen], data [dataLen]
//	meta:  uvarint len(_id), then per stored value: uvarint field, type,
//	       offset, length, number of array positions, array positions
//	data:  _id bytes, then the snappy block of the other values, which
//	       meta's offsets and lengths index
//	stored index, at storedIndexOffset: O(0), O(1), … as big-endian uint64
//	footer, the file's last bytes: writer id [n], n (uint32), numDocs,
//	       storedIndexOffset, sectionsIndexOffset (uint64 each), chunk
//	       mode, version, CRC (uint32 each), all big-endian
const (
	zapStoredVersion = 17
	zapFooterSize    = 4 + 8 + 8 + 8 + 4 + 4 + 4 // without the writer id
	// storedReadHint bounds the first read of a document when the stored
	// index gives no plausible size for it.
	storedReadHint = 16 << 10
	// storedMaxDoc bounds a document's stored bytes: larger is corruption.
	storedMaxDoc = 1 << 30
)

// storedFallbacks counts stored reads that went through Bleve because the
// file reader failed on a segment it had accepted (tests watch it).
var storedFallbacks atomic.Int64

// storedFile reads the stored fields of one persisted zap segment.
type storedFile struct {
	f           *os.File
	path        string
	numDocs     uint64
	storedIndex uint64   // offset of the stored index
	offsets     []uint64 // the stored index: where each document starts
	fields      []string // field names by number, as the segment has them
	refs        int      // guarded by storedFiles.mu
	// For reading postings (postingsread.go).
	sectionsIndex uint64
	chunkMode     uint32
	dicts         termDicts
}

// openStoredFile opens the file of a segment for reading its stored
// fields; an error means the segment must be read through Bleve.
func openStoredFile(seg segment.Segment) (*storedFile, error) {
	ps, ok := seg.(segment.PersistedSegment)
	if !ok {
		return nil, errors.New("segment not persisted")
	}
	if v, ok := seg.(interface{ Version() uint32 }); ok && v.Version() != zapStoredVersion {
		return nil, fmt.Errorf("zap version %d", v.Version())
	}
	f, err := os.Open(ps.Path())
	if err != nil {
		return nil, err
	}
	sf := &storedFile{f: f, path: ps.Path(), fields: seg.Fields()}
	if err := sf.readFooter(seg); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("%s: %w", ps.Path(), err)
	}
	return sf, nil
}

// readFooter reads and checks the file's footer against the segment.
func (sf *storedFile) readFooter(seg segment.Segment) error {
	st, err := sf.f.Stat()
	if err != nil {
		return err
	}
	size := st.Size()
	if size < zapFooterSize {
		return errors.New("too short for a zap segment")
	}
	var foot [zapFooterSize]byte
	if _, err := sf.f.ReadAt(foot[:], size-zapFooterSize); err != nil {
		return err
	}
	be := binary.BigEndian
	idLen := int64(be.Uint32(foot[0:]))
	numDocs := be.Uint64(foot[4:])
	storedIndex := be.Uint64(foot[12:])
	sf.sectionsIndex, sf.chunkMode = be.Uint64(foot[20:]), be.Uint32(foot[28:])
	version := be.Uint32(foot[32:])
	switch {
	case version != zapStoredVersion:
		return fmt.Errorf("zap version %d", version)
	case idLen != 0:
		// Written through a file callback (encryption, say): Bleve
		// knows how to read it back, this reader does not.
		return errors.New("written through a file callback")
	case numDocs != seg.Count():
		return fmt.Errorf("footer counts %d documents, the segment %d", numDocs, seg.Count())
	case numDocs > 0 && (storedIndex >= uint64(size) || (uint64(size)-storedIndex)/8 < numDocs):
		return fmt.Errorf("stored index at %d beyond the file", storedIndex)
	}
	if cb, ok := seg.(interface{ CallbackId() string }); ok && cb.CallbackId() != "" {
		return errors.New("written through a file callback")
	}
	if si, ok := seg.(interface{ StoredIndexOffset() uint64 }); ok && si.StoredIndexOffset() != storedIndex {
		return fmt.Errorf("footer puts the stored index at %d, the segment at %d", storedIndex, si.StoredIndexOffset())
	}
	sf.numDocs, sf.storedIndex = numDocs, storedIndex
	// The stored index is read once, onto the heap (8 bytes a document,
	// 280 kB for baomoi's 35k): a document is then one read.
	index := make([]byte, 8*numDocs)
	if _, err := sf.f.ReadAt(index, int64(storedIndex)); err != nil {
		return fmt.Errorf("stored index: %w", err)
	}
	sf.offsets = make([]uint64, numDocs)
	for i := range sf.offsets {
		sf.offsets[i] = be.Uint64(index[8*i:])
	}
	return nil
}

// storedBufs are the buffers of stored reads: the document's bytes as
// read, and its values decompressed.
type storedBufs struct{ raw, values []byte }

var storedBufPool = sync.Pool{New: func() any { return new(storedBufs) }}

// storedBufMax bounds the buffers kept for reuse.
const storedBufMax = 256 << 10

// visit calls fn for the stored values of document doc, "_id" first, as
// Bleve's VisitStoredFields does, until fn returns false. The values are
// valid during the call only.
func (sf *storedFile) visit(doc uint64, fn func(field string, typ byte, value []byte, arrayPos []uint64) bool) error {
	if doc >= sf.numDocs {
		return nil
	}
	// Where the document starts, and where the next one does: the size
	// to read, if the file is laid out as zap writes it.
	start, end := sf.offsets[doc], sf.storedIndex
	if doc+1 < sf.numDocs {
		end = sf.offsets[doc+1]
	}
	if start >= sf.storedIndex {
		return fmt.Errorf("document %d at %d, beyond the stored section", doc, start)
	}
	hint := uint64(storedReadHint)
	if end > start && end-start <= storedMaxDoc {
		hint = end - start
	}
	hint = min(hint, sf.storedIndex-start)

	bufs := storedBufPool.Get().(*storedBufs)
	defer func() {
		if cap(bufs.raw) > storedBufMax {
			bufs.raw = nil
		}
		if cap(bufs.values) > storedBufMax {
			bufs.values = nil
		}
		storedBufPool.Put(bufs)
	}()
	raw, err := sf.readAt(&bufs.raw, start, int(hint))
	if err != nil {
		return err
	}
	metaLen, k1 := binary.Uvarint(raw)
	if k1 <= 0 {
		return fmt.Errorf("document %d: bad meta length", doc)
	}
	dataLen, k2 := binary.Uvarint(raw[k1:])
	if k2 <= 0 || metaLen > storedMaxDoc || dataLen > storedMaxDoc {
		return fmt.Errorf("document %d: bad data length", doc)
	}
	head := uint64(k1 + k2)
	need := head + metaLen + dataLen
	if need > sf.storedIndex-start {
		return fmt.Errorf("document %d: %d bytes run past the stored section", doc, need)
	}
	if need > uint64(len(raw)) {
		if raw, err = sf.readAt(&bufs.raw, start, int(need)); err != nil {
			return err
		}
	}
	meta := raw[head : head+metaLen]
	data := raw[head+metaLen : need]

	idLen, k := binary.Uvarint(meta)
	if k <= 0 || idLen > uint64(len(data)) {
		return fmt.Errorf("document %d: bad _id length", doc)
	}
	meta = meta[k:]
	if !fn("_id", 't', data[:idLen], nil) {
		return nil
	}
	compressed := data[idLen:]
	size, err := snappy.DecodedLen(compressed)
	if err != nil {
		return fmt.Errorf("document %d: %w", doc, err)
	}
	if cap(bufs.values) < size {
		bufs.values = make([]byte, size)
	}
	values, err := snappy.Decode(bufs.values[:cap(bufs.values)], compressed)
	if err != nil {
		return fmt.Errorf("document %d: %w", doc, err)
	}
	var arrayPos []uint64
	for len(meta) > 0 {
		var v [5]uint64
		for i := range v {
			x, k := binary.Uvarint(meta)
			if k <= 0 {
				return fmt.Errorf("document %d: bad stored field meta", doc)
			}
			v[i], meta = x, meta[k:]
		}
		field, typ, offset, length, positions := v[0], v[1], v[2], v[3], v[4]
		if field >= uint64(len(sf.fields)) || offset > uint64(len(values)) || length > uint64(len(values))-offset || positions > uint64(len(meta)) {
			return fmt.Errorf("document %d: stored field meta out of range", doc)
		}
		arrayPos = arrayPos[:0]
		for range positions {
			x, k := binary.Uvarint(meta)
			if k <= 0 {
				return fmt.Errorf("document %d: bad array position", doc)
			}
			arrayPos, meta = append(arrayPos, x), meta[k:]
		}
		var ap []uint64
		if positions > 0 {
			ap = arrayPos
		}
		if !fn(sf.fields[field], byte(typ), values[offset:offset+length], ap) {
			return nil
		}
	}
	return nil
}

// readAt reads n bytes at off into *buf, grown as needed.
func (sf *storedFile) readAt(buf *[]byte, off uint64, n int) ([]byte, error) {
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	got, err := sf.f.ReadAt(b, int64(off))
	if got == n {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("%s: %w", sf.path, err)
}

// field returns a copy of the first value of the named stored field of a
// document, or nil when it has none.
func (sf *storedFile) field(doc uint64, name string) ([]byte, error) {
	var value []byte
	err := sf.visit(doc, func(field string, _ byte, v []byte, _ []uint64) bool {
		if field == name {
			value = append([]byte(nil), v...)
			return false
		}
		return true
	})
	return value, err
}

// storedFiles are the open segment files of an index, by segment
// identity. Each snapshot holds a reference to the files of its segments,
// and the set one to the files of the latest snapshot's; a file closes
// when the last goes. While a snapshot holds its segments, Bleve keeps
// their files (and had it removed one, the open file would stay valid).
type storedFiles struct {
	mu    sync.Mutex
	files map[uint64]*storedFile // nil: read the segment through Bleve
}

func newStoredFiles() *storedFiles { return &storedFiles{files: map[uint64]*storedFile{}} }

// acquire gives the segments of a new snapshot their files, and lets go
// of the files of segments it no longer holds.
func (fs *storedFiles) acquire(segs []*segView) {
	if fs == nil {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.files == nil {
		return // closed
	}
	listed := 0 // segments of segs that fs.files lists
	for _, sv := range segs {
		sf, known := fs.files[sv.id]
		if !known {
			if _, ok := sv.seg.(segment.PersistedSegment); !ok {
				// In memory: Bleve persists it under the same identity,
				// so its file is opened when a snapshot holds that.
				continue
			}
			var err error
			if sf, err = openStoredFile(sv.seg); err != nil {
				sf = nil
			} else {
				sf.refs = 1 // the set's
			}
			fs.files[sv.id] = sf
		}
		listed++
		if sf != nil {
			sf.refs++
			sv.file = sf
		}
	}
	if len(fs.files) == listed {
		return // none merged away
	}
	live := make(map[uint64]bool, len(segs))
	for _, sv := range segs {
		live[sv.id] = true
	}
	for id, sf := range fs.files {
		if !live[id] {
			delete(fs.files, id)
			fs.unrefLocked(sf)
		}
	}
}

// release lets go of the files of a snapshot's segments.
func (fs *storedFiles) release(segs []*segView) {
	if fs == nil {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, sv := range segs {
		if sv.file != nil {
			fs.unrefLocked(sv.file)
			sv.file = nil
		}
	}
}

func (fs *storedFiles) unrefLocked(sf *storedFile) {
	if sf == nil {
		return
	}
	sf.refs--
	if sf.refs == 0 {
		_ = sf.f.Close()
	}
}

// close lets go of the set's files, when the index closes.
func (fs *storedFiles) close() {
	if fs == nil {
		return
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for _, sf := range fs.files {
		fs.unrefLocked(sf)
	}
	fs.files = nil
}
