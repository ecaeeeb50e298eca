package index

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	"github.com/blevesearch/vellum"
)

// Scored postings are read from the segment files by vnsearch, not by
// zap's iterator, whose Advance walks every posting between where it is
// and where it goes (zapx v17 posting.go, nextDocNumAtOrAfterClean: one
// roaring Next a posting): a conjunction's long lists and a block-max
// skip cost as much as reading the list whole. This reader works a chunk
// at a time: a chunk's documents are taken from the roaring bitmap of the
// postings (Bleve's, from its map) in bulk, its frequencies and lengths
// read with pread and decoded as far as the documents read need; a jump
// within a chunk is a binary search, and chunks jumped over are neither
// read nor decoded.
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
// Bleve's bitmap, frequencies and lengths from the file, a chunk at a time.
// A chunk's documents are taken from the bitmap in bulk, and its entries
// decoded as far as the documents read need; a chunk a search jumps over
// is neither read nor decoded.
type filePostings struct {
	sf        *storedFile
	fn        *freqNorms
	all       *roaring.Bitmap         // every posting, deleted documents too: entries count them
	many      roaring.ManyIntIterable // over all, in order
	taken     uint64                  // postings many has given
	deleted   *roaring.Bitmap         // may be nil
	chunkSize uint64

	chunk int64    // the chunk loaded; -1 before the first
	docs  []uint32 // its documents, deleted ones too
	pos   int      // the next of docs to look at
	// freqs and lengths are the chunk's entries decoded so far, in order;
	// off is where the next starts in buf, the chunk's bytes.
	freqs, lengths []uint64
	buf            []byte
	off            int
	// win holds the bytes read last, from winAt: chunks that follow are
	// read ahead, as far as chunkReadAhead.
	win   []byte
	winAt uint64
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
	pl, err := sv.everyPosting(field, term)
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
	return &filePostings{sf: sv.file, fn: fn, all: all, many: all.ManyIterator(), deleted: deleted, chunkSize: size, chunk: -1}, nil
}

// next reads the next live document.
func (p *filePostings) next() (doc, freq, length uint64, ok bool, err error) {
	return p.advance(0)
}

// advance reads the first live document at or after target, past the
// one last read. A target in a later chunk is reached in one jump, the
// chunks between skipped whole; within a chunk, by binary search.
func (p *filePostings) advance(target uint64) (doc, freq, length uint64, ok bool, err error) {
	if target > uint64(^uint32(0)) {
		return 0, 0, 0, false, nil
	}
	for {
		if p.pos == len(p.docs) || p.chunk >= 0 && target/p.chunkSize > uint64(p.chunk) {
			c := max(p.chunk+1, int64(target/p.chunkSize))
			if c >= int64(len(p.fn.ends)) {
				p.chunk, p.docs, p.pos = int64(len(p.fn.ends)), p.docs[:0], 0
				return 0, 0, 0, false, nil
			}
			if err := p.load(c); err != nil {
				return 0, 0, 0, false, err
			}
			continue
		}
		if uint64(p.docs[p.pos]) < target {
			j, _ := slices.BinarySearch(p.docs[p.pos:], uint32(target))
			if p.pos += j; p.pos == len(p.docs) {
				continue
			}
		}
		i := p.pos
		p.pos++
		d := uint64(p.docs[i])
		if p.deleted != nil && p.deleted.Contains(uint32(d)) {
			continue
		}
		if err := p.decode(i); err != nil {
			return 0, 0, 0, false, err
		}
		return d, p.freqs[i], p.lengths[i], true, nil
	}
}

// decode decodes the chunk's entries up to the i-th: per entry a uvarint
// freq<<1|hasLocations and, when freq > 0, a uvarint length. Most take a
// byte or two; this loop is a third of a search's time on a big index.
func (p *filePostings) decode(i int) error {
	b, off := p.buf, p.off
	for len(p.freqs) <= i {
		f, n := fastUvarint(b[min(off, len(b)):])
		if n <= 0 {
			return fmt.Errorf("%s: bad entry in chunk %d", p.sf.path, p.chunk)
		}
		off += n
		var length uint64
		if f>>1 != 0 {
			if length, n = fastUvarint(b[off:]); n <= 0 {
				return fmt.Errorf("%s: bad entry in chunk %d", p.sf.path, p.chunk)
			}
			off += n
		}
		p.freqs = append(p.freqs, f>>1)
		p.lengths = append(p.lengths, length)
	}
	p.off = off
	return nil
}

// fastUvarint is binary.Uvarint with the one- and two-byte cases first.
func fastUvarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	if len(b) > 1 && b[1] < 0x80 {
		return uint64(b[0]&0x7f) | uint64(b[1])<<7, 2
	}
	return binary.Uvarint(b)
}

// load reads chunk c: its documents from the bitmap, its bytes from the
// file.
func (p *filePostings) load(c int64) error {
	if c >= int64(len(p.fn.ends)) {
		return fmt.Errorf("%s: chunk %d of %d", p.sf.path, c, len(p.fn.ends))
	}
	starts, err := p.sf.chunkStarts(p.fn, p.all, p.chunkSize)
	if err != nil {
		return err
	}
	first, end := starts[c], p.all.GetCardinality()
	if c+1 < int64(len(starts)) {
		end = starts[c+1]
	}
	if first < p.taken || end < first {
		return fmt.Errorf("%s: postings out of order", p.sf.path)
	}
	// Step the bitmap over the chunks jumped, in bulk.
	p.docs = slices.Grow(p.docs[:0], max(int(end-first), 256))
	for p.taken < first {
		got := p.many.NextMany(p.docs[:min(uint64(cap(p.docs)), first-p.taken)])
		if got == 0 {
			return fmt.Errorf("%s: postings out of order", p.sf.path)
		}
		p.taken += uint64(got)
	}
	n := int(end - first)
	p.docs = p.docs[:n]
	for got := 0; got < n; {
		k := p.many.NextMany(p.docs[got:])
		if k == 0 {
			return fmt.Errorf("%s: postings out of order", p.sf.path)
		}
		got += k
	}
	p.taken = end
	var start uint64
	if c > 0 {
		start = p.fn.ends[c-1]
	}
	size := p.fn.ends[c] - start
	if size > 1<<26 {
		return fmt.Errorf("%s: a chunk of %d bytes", p.sf.path, size)
	}
	at := p.fn.dataStart + start
	if at < p.winAt || at+size > p.winAt+uint64(len(p.win)) {
		// Read this chunk and those after it, up to chunkReadAhead.
		ahead := max(size, min(chunkReadAhead, p.fn.ends[len(p.fn.ends)-1]-start))
		win, err := p.sf.readAt(&p.win, at, int(ahead))
		if err != nil {
			return err
		}
		p.win, p.winAt = win, at
	}
	p.buf = p.win[at-p.winAt : at-p.winAt+size]
	p.off, p.chunk, p.pos = 0, c, 0
	p.freqs, p.lengths = slices.Grow(p.freqs[:0], n), slices.Grow(p.lengths[:0], n)
	return nil
}

// chunkReadAhead is how many bytes of frequencies one read takes, when
// the list has that many past the chunk read: the chunks of a list walked
// through, or jumped through, cost one system call in several.
const chunkReadAhead = 32 << 10

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
