package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
)

// Scored postings are read from the segment files by vnsearch, not by
// zap's iterator, whose Advance walks every posting between where it is
// and where it goes (zapx v17 posting.go, nextDocNumAtOrAfterClean: one
// roaring Next a posting): a conjunction's long lists and a block-max
// skip cost as much as reading the list whole. This reader jumps: the
// roaring bitmap of the postings (Bleve's, from its map) is advanced with
// AdvanceIfNeeded, the chunk of frequencies and lengths that holds the
// document is read with pread, and within it only the entries before the
// document are stepped over.
//
// What zapx v17 writes (new.go, section_inverted_text_index.go, posting.go,
// intcoder.go), as read here:
//
//	sections index, at the footer's sectionsIndexOffset: uvarint number of
//	       fields, then each field's address (big-endian uint64)
//	field: uvarint name length, name, uvarint options, uvarint number of
//	       sections, then per section: type (uint16), address (uint64)
//	inverted text section: two uvarints (doc values), uvarint dictionary
//	       address; there: uvarint FST length, FST (vellum): term →
//	       postings offset, or a "1-hit" posting encoded in the value
//	postings: uvarint freqOffset, uvarint locOffset, uvarint bitmap
//	       length, roaring bitmap of the documents
//	freqOffset: uvarint number of chunks, each chunk's end (uvarints,
//	       cumulative), then the chunks; per document of the chunk, in
//	       order: uvarint freq<<1|hasLocations, and when freq > 0 uvarint
//	       length (the "norm")
//	a document's chunk: its number / chunkSize, chunkSize given by the
//	       footer's chunk mode and the list's cardinality (chunk.go)
//
// A segment in another form, a term in a 1-hit posting, anything the
// reader does not find as described, is read through Bleve.

// zapSectionInvertedText is the section type of the inverted text index
// (zapx SectionInvertedTextIndex).
const zapSectionInvertedText = 0 // zapx SectionInvertedTextIndex

// zapFSTValueMask and zapFSTValue1Hit mark a term's FST value that holds
// its only posting rather than an offset (zapx FSTValEncodingMask,
// FSTValEncoding1Hit).
const (
	zapFSTValueMask = uint64(0xc000000000000000)
	zapFSTValue1Hit = uint64(0x8000000000000000)
)

// termDicts are the term dictionaries of a segment file's fields.
type termDicts struct {
	mu     sync.Mutex
	fields map[string]uint64      // field → address of its inverted text section; read once
	fsts   map[string]*vellum.FST // loaded on first use
	failed map[string]bool        // fields read through Bleve
	// lists are the terms read so far, by field and term: at most one
	// entry for each term of the segment, its chunks' ends and starts.
	lists map[string]*freqNorms
}

// freqNorms is where one term's frequencies and lengths are in a file.
type freqNorms struct {
	dataStart uint64   // the first chunk's first byte
	ends      []uint64 // each chunk's end, from dataStart
	once      sync.Once
	starts    []uint64 // see chunkStarts; set once
}

// uvarintAt reads the uvarint at off.
func (sf *storedFile) uvarintAt(off uint64) (uint64, int, error) {
	var b [binary.MaxVarintLen64]byte
	n, err := sf.f.ReadAt(b[:], int64(off))
	if n == 0 {
		return 0, 0, fmt.Errorf("%s: uvarint at %d: %w", sf.path, off, err)
	}
	v, k := binary.Uvarint(b[:n])
	if k <= 0 {
		return 0, 0, fmt.Errorf("%s: bad uvarint at %d", sf.path, off)
	}
	return v, k, nil
}

// sectionOf returns the address of field's inverted text section.
func (sf *storedFile) sectionOf(field string) (uint64, error) {
	d := &sf.dicts
	if d.fields == nil {
		fields, err := sf.readSections()
		if err != nil {
			return 0, err
		}
		d.fields = fields
	}
	addr, ok := d.fields[field]
	if !ok || addr == 0 {
		return 0, fmt.Errorf("%s: no inverted index of field %q", sf.path, field)
	}
	return addr, nil
}

// readSections reads the sections index: each field's inverted text
// section.
func (sf *storedFile) readSections() (map[string]uint64, error) {
	pos := sf.sectionsIndex
	n, k, err := sf.uvarintAt(pos)
	if err != nil {
		return nil, err
	}
	if n > 1<<16 {
		return nil, fmt.Errorf("%s: %d fields", sf.path, n)
	}
	pos += uint64(k)
	addrs := make([]byte, 8*n)
	if _, err := sf.f.ReadAt(addrs, int64(pos)); err != nil {
		return nil, fmt.Errorf("%s: sections index: %w", sf.path, err)
	}
	out := map[string]uint64{}
	for i := range n {
		addr := binary.BigEndian.Uint64(addrs[8*i:])
		if addr == 0 {
			continue
		}
		nameLen, k, err := sf.uvarintAt(addr)
		if err != nil {
			return nil, err
		}
		if nameLen > 1<<16 {
			return nil, fmt.Errorf("%s: field name of %d bytes", sf.path, nameLen)
		}
		p := addr + uint64(k)
		name := make([]byte, nameLen)
		if _, err := sf.f.ReadAt(name, int64(p)); err != nil {
			return nil, fmt.Errorf("%s: field name: %w", sf.path, err)
		}
		p += nameLen
		if _, k, err = sf.uvarintAt(p); err != nil { // options
			return nil, err
		}
		p += uint64(k)
		sections, k, err := sf.uvarintAt(p)
		if err != nil {
			return nil, err
		}
		if sections > 64 {
			return nil, fmt.Errorf("%s: field %q has %d sections", sf.path, name, sections)
		}
		p += uint64(k)
		table := make([]byte, 10*sections)
		if _, err := sf.f.ReadAt(table, int64(p)); err != nil {
			return nil, fmt.Errorf("%s: sections of %q: %w", sf.path, name, err)
		}
		for s := range sections {
			if binary.BigEndian.Uint16(table[10*s:]) == zapSectionInvertedText {
				out[string(name)] = binary.BigEndian.Uint64(table[10*s+2:])
			}
		}
	}
	return out, nil
}

// fst returns the term dictionary of field, read once.
func (sf *storedFile) fst(field string) (*vellum.FST, error) {
	d := &sf.dicts
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.fsts[field]; ok {
		return f, nil
	}
	if d.failed[field] {
		return nil, errNotHere
	}
	f, err := sf.loadFST(field)
	if err != nil {
		if d.failed == nil {
			d.failed = map[string]bool{}
		}
		d.failed[field] = true
		return nil, err
	}
	if d.fsts == nil {
		d.fsts = map[string]*vellum.FST{}
	}
	d.fsts[field] = f
	return f, nil
}

// errNotHere means a term is to be read through Bleve.
var errNotHere = errors.New("read through Bleve")

// maxFST bounds a term dictionary read onto the heap.
const maxFST = 1 << 30

func (sf *storedFile) loadFST(field string) (*vellum.FST, error) {
	pos, err := sf.sectionOf(field)
	if err != nil {
		return nil, err
	}
	for range 2 { // the doc values' start and end
		_, k, err := sf.uvarintAt(pos)
		if err != nil {
			return nil, err
		}
		pos += uint64(k)
	}
	dictAt, _, err := sf.uvarintAt(pos)
	if err != nil {
		return nil, err
	}
	size, k, err := sf.uvarintAt(dictAt)
	if err != nil {
		return nil, err
	}
	if size == 0 || size > maxFST {
		return nil, fmt.Errorf("%s: dictionary of %q is %d bytes", sf.path, field, size)
	}
	raw := make([]byte, size)
	if _, err := sf.f.ReadAt(raw, int64(dictAt)+int64(k)); err != nil {
		return nil, fmt.Errorf("%s: dictionary of %q: %w", sf.path, field, err)
	}
	f, err := vellum.Load(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: dictionary of %q: %w", sf.path, field, err)
	}
	return f, nil
}

// freqNormsOf returns where term's frequencies and lengths are in field;
// errNotHere when it is to be read through Bleve.
func (sf *storedFile) freqNormsOf(field, term string) (*freqNorms, error) {
	key := field + "\x00" + term
	d := &sf.dicts
	d.mu.Lock()
	fn, ok := d.lists[key]
	d.mu.Unlock()
	if ok {
		return fn, nil
	}
	fn, err := sf.readFreqNorms(field, term)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lists == nil {
		d.lists = map[string]*freqNorms{}
	}
	if have, ok := d.lists[key]; ok {
		return have, nil
	}
	d.lists[key] = fn
	return fn, nil
}

func (sf *storedFile) readFreqNorms(field, term string) (*freqNorms, error) {
	f, err := sf.fst(field)
	if err != nil {
		return nil, err
	}
	off, ok, err := f.Get([]byte(term))
	if err != nil || !ok || off&zapFSTValueMask == zapFSTValue1Hit {
		return nil, errNotHere
	}
	freqAt, _, err := sf.uvarintAt(off)
	if err != nil {
		return nil, err
	}
	chunks, k, err := sf.uvarintAt(freqAt)
	if err != nil {
		return nil, err
	}
	if chunks == 0 || chunks > sf.numDocs+1 {
		return nil, fmt.Errorf("%s: %q has %d chunks", sf.path, term, chunks)
	}
	pos := freqAt + uint64(k)
	raw := make([]byte, binary.MaxVarintLen64*chunks)
	n, err := sf.f.ReadAt(raw, int64(pos))
	if n == 0 {
		return nil, fmt.Errorf("%s: chunks of %q: %w", sf.path, term, err)
	}
	raw = raw[:n]
	fn := &freqNorms{ends: make([]uint64, chunks)}
	read := 0
	for i := range fn.ends {
		v, k := binary.Uvarint(raw[read:])
		if k <= 0 || i > 0 && v < fn.ends[i-1] {
			return nil, fmt.Errorf("%s: bad chunk ends of %q", sf.path, term)
		}
		fn.ends[i], read = v, read+k
	}
	fn.dataStart = pos + uint64(read)
	return fn, nil
}

// chunkSize is zap's (chunk.go getChunkSize): the documents a chunk
// spans, for a list of cardinality documents; 0 for a mode not known.
func (sf *storedFile) chunkSize(cardinality uint64) uint64 {
	switch m := uint64(sf.chunkMode); {
	case m == 0:
		return 0
	case m <= 1024:
		return m
	case m == 1025:
		if cardinality <= 1024 {
			return sf.numDocs
		}
		return 1024
	case m == 1026:
		return sf.numDocs / (cardinality/1024 + 1)
	}
	return 0
}

// filePostings reads one term's postings in one segment: documents from
// Bleve's bitmap, frequencies and lengths from the file.
type filePostings struct {
	sf        *storedFile
	fn        *freqNorms
	all       *roaring.Bitmap     // every posting, deleted documents too: entries count them
	it        roaring.IntPeekable // over all
	deleted   *roaring.Bitmap     // may be nil
	chunkSize uint64

	begun bool   // a document was taken from it
	last  uint64 // the index in all of the document last taken from it
	at    uint64 // that document

	chunk int64  // the chunk in buf; -1 for none
	buf   []byte // its bytes
	off   int    // where the next entry starts in buf
	// win holds the bytes read last, from winAt: chunks that follow are
	// read ahead, as far as chunkReadAhead.
	win   []byte
	winAt uint64
	entry uint64 // the index in all of the entry at off
}

// newFilePostings returns a reader of term's postings in field of the
// segment, or errNotHere.
func (sv *segView) filePostings(field, term string) (*filePostings, error) {
	if sv.file == nil {
		return nil, errNotHere
	}
	fn, err := sv.file.freqNormsOf(field, term)
	if err != nil {
		return nil, err
	}
	d, err := sv.dict(field)
	if err != nil {
		return nil, err
	}
	pl, err := d.PostingsList([]byte(term), nil, nil)
	if err != nil || pl == nil {
		return nil, errNotHere
	}
	it, ok := pl.Iterator(false, false, false, nil).(segment.OptimizablePostingsIterator)
	if !ok {
		return nil, errNotHere
	}
	all := it.ActualBitmap()
	if all == nil || all.IsEmpty() {
		return nil, errNotHere
	}
	size := sv.file.chunkSize(all.GetCardinality())
	if size == 0 || uint64(all.Maximum())/size >= uint64(len(fn.ends)) {
		return nil, errNotHere
	}
	deleted := sv.deleted
	if deleted != nil && deleted.IsEmpty() {
		deleted = nil
	}
	return &filePostings{sf: sv.file, fn: fn, all: all, it: all.Iterator(), deleted: deleted, chunkSize: size, chunk: -1}, nil
}

// take takes the iterator's next document, counting it.
func (p *filePostings) take() uint64 {
	d := uint64(p.it.Next())
	if p.begun {
		p.last++
	} else {
		p.last, p.begun = 0, true
	}
	p.at = d
	return d
}

// next reads the next live document.
func (p *filePostings) next() (doc, freq, length uint64, ok bool, err error) {
	return p.advance(0)
}

// advance reads the first live document at or after target, past the
// one last read. A target in a later chunk is reached in one jump: to
// that chunk's first document, whose index in all the chunk starts say;
// then document by document.
func (p *filePostings) advance(target uint64) (doc, freq, length uint64, ok bool, err error) {
	if target > uint64(^uint32(0)) {
		return 0, 0, 0, false, nil
	}
	if c := target / p.chunkSize; c > 0 && (!p.begun || c > p.at/p.chunkSize) {
		starts, err := p.sf.chunkStarts(p.fn, p.all, p.chunkSize)
		if err != nil {
			return 0, 0, 0, false, err
		}
		if c >= uint64(len(starts)) {
			return 0, 0, 0, false, nil
		}
		p.it.AdvanceIfNeeded(uint32(c * p.chunkSize))
		// The next document taken is the starts[c]-th.
		if starts[c] > 0 {
			p.last, p.begun = starts[c]-1, true
		} else {
			p.begun = false
		}
	}
	for p.it.HasNext() {
		d := p.take()
		if d < target || p.deleted != nil && p.deleted.Contains(uint32(d)) {
			continue
		}
		return p.read(d)
	}
	return 0, 0, 0, false, nil
}

// read reads document d's entry, d being the p.last-th of all.
func (p *filePostings) read(d uint64) (doc, freq, length uint64, ok bool, err error) {
	if c := int64(d / p.chunkSize); c != p.chunk {
		if err := p.load(c); err != nil {
			return 0, 0, 0, false, err
		}
	}
	if p.last < p.entry {
		return 0, 0, 0, false, fmt.Errorf("%s: postings out of order", p.sf.path)
	}
	for p.entry < p.last {
		if err := p.skipEntry(); err != nil {
			return 0, 0, 0, false, err
		}
		p.entry++
	}
	f, err := p.uvarint()
	if err != nil {
		return 0, 0, 0, false, err
	}
	freq = f >> 1
	if freq != 0 {
		if length, err = p.uvarint(); err != nil {
			return 0, 0, 0, false, err
		}
	}
	p.entry++
	return d, freq, length, true, nil
}

// load reads chunk c.
func (p *filePostings) load(c int64) error {
	if c >= int64(len(p.fn.ends)) {
		return fmt.Errorf("%s: chunk %d of %d", p.sf.path, c, len(p.fn.ends))
	}
	starts, err := p.sf.chunkStarts(p.fn, p.all, p.chunkSize)
	if err != nil {
		return err
	}
	var start uint64
	if c > 0 {
		start = p.fn.ends[c-1]
	}
	n := p.fn.ends[c] - start
	if n > 1<<26 {
		return fmt.Errorf("%s: a chunk of %d bytes", p.sf.path, n)
	}
	at := p.fn.dataStart + start
	if at < p.winAt || at+n > p.winAt+uint64(len(p.win)) {
		// Read this chunk and those after it, up to chunkReadAhead.
		size := max(n, min(chunkReadAhead, p.fn.ends[len(p.fn.ends)-1]-start))
		win, err := p.sf.readAt(&p.win, at, int(size))
		if err != nil {
			return err
		}
		p.win, p.winAt = win, at
	}
	p.buf = p.win[at-p.winAt : at-p.winAt+n]
	p.off, p.chunk, p.entry = 0, c, starts[c]
	return nil
}

// chunkReadAhead is how many bytes of frequencies one read takes, when
// the list has that many past the chunk read: the chunks of a list walked
// through, or jumped through, cost one system call in several.
const chunkReadAhead = 32 << 10

// skipEntry steps over the entry at off without decoding it: a first
// byte of 0 or 1 is a frequency of 0, without a length; else two
// uvarints, each ending at a byte below 0x80.
func (p *filePostings) skipEntry() error {
	b, i := p.buf, p.off
	if i < len(b) && b[i] <= 1 {
		p.off = i + 1
		return nil
	}
	for range 2 {
		for i < len(b) && b[i] >= 0x80 {
			i++
		}
		if i >= len(b) {
			return fmt.Errorf("%s: bad entry in chunk %d", p.sf.path, p.chunk)
		}
		i++
	}
	p.off = i
	return nil
}

func (p *filePostings) uvarint() (uint64, error) {
	v, k := binary.Uvarint(p.buf[p.off:])
	if k <= 0 {
		return 0, fmt.Errorf("%s: bad entry in chunk %d", p.sf.path, p.chunk)
	}
	p.off += k
	return v, nil
}

// chunkStarts returns, for each chunk of a term's frequencies, the index
// in its postings of the chunk's first document: counted once for the
// segment, then kept with its file (a number a chunk, a chunk for about
// every thousand postings).
func (sf *storedFile) chunkStarts(fn *freqNorms, all *roaring.Bitmap, size uint64) ([]uint64, error) {
	fn.once.Do(func() {
		starts := make([]uint64, len(fn.ends))
		for c := 1; c < len(starts); c++ {
			if first := uint64(c) * size; first <= uint64(^uint32(0)) {
				starts[c] = all.Rank(uint32(first - 1))
			} else {
				starts[c] = all.GetCardinality()
			}
		}
		fn.starts = starts
	})
	return fn.starts, nil
}
