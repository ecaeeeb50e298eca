package corpus

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"runtime"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
)

// ReadJSON reads articles from a JSON array or a JSONL stream (one object
// per line), told apart by the first non-space byte; gzip is detected by
// its magic bytes. name is used in problems ("request body:3: ...")
// and as the articles' Origin.
//
// Records may hold id, url, source, title, summary, byline, published,
// category and either paragraphs (an array of strings) or body (a string
// whose paragraphs are separated by blank lines; paragraphs win when both
// are present and any paragraph holds text). Other fields are ignored.
// Title, summary and paragraphs come back byte for byte as given: no
// trimming, no normalization, every paragraph in place, however long, empty
// or blank (a null paragraph is an empty one). A body's paragraphs are its
// runs of lines between blank lines, as written; a body without a blank
// line is cut into passages of whole sentences (see SplitPassages).
//
// A malformed record, invalid UTF-8 (raw, or a lone surrogate escape), a bad
// field (wrong type, unparsable date), a record without text (no
// paragraphs, body or summary) or one over the default Limits is yielded
// as a *Problem naming its line, and reading goes on with the next record.
// An input whose first 100 records are all malformed is abandoned with one
// more problem: it is not JSON. I/O and gzip errors end the input with a
// problem after the records read so far. Output order is input order.
// Records are decoded in parallel; the iterator returns only after its
// goroutines have finished, and it reads from r only while it runs.
func ReadJSON(r io.Reader, name string) iter.Seq2[Article, error] {
	return ReadJSONLimits(r, name, Limits{})
}

// ReadJSONLimits is ReadJSON with limits on each record.
func ReadJSONLimits(r io.Reader, name string, limits Limits) iter.Seq2[Article, error] {
	return func(yield func(Article, error) bool) {
		e := &emitter{ctx: context.Background(), yield: yield}
		e.readJSON(r, jsonInput{name: name, limits: limits.orDefaults()})
	}
}

// Limits bound the work and memory one record of a JSON input may cost.
// The zero value of a field means its default.
type Limits struct {
	// MaxRecordBytes bounds one record: a JSON Lines line or an element
	// of a JSON array. A longer one is skipped unread (its bytes are not
	// held) and reported as ErrTooLarge.
	MaxRecordBytes int
	// MaxParagraphs bounds the paragraphs of one article as given: the
	// elements of paragraphs, or the paragraphs of a body between blank
	// lines. (The passages of a body without breaks are bounded by
	// MaxRecordBytes.) More is reported as ErrTooLarge.
	MaxParagraphs int
}

// Default limits: a long article is a few hundred kilobytes and a few
// hundred paragraphs.
const (
	DefaultMaxRecordBytes = 8 << 20
	DefaultMaxParagraphs  = 10_000
)

func (l Limits) orDefaults() Limits {
	if l.MaxRecordBytes <= 0 {
		l.MaxRecordBytes = DefaultMaxRecordBytes
	}
	if l.MaxParagraphs <= 0 {
		l.MaxParagraphs = DefaultMaxParagraphs
	}
	return l
}

// jsonInput is one JSON input being read.
type jsonInput struct {
	name   string // in problems, and the articles' Origin
	limits Limits
}

// Batching bounds: records travel between goroutines in batches, and a
// few batches per worker at most are in flight, which bounds memory.
const (
	batchBytes = 256 << 10
	batchRecs  = 256
	// giveUpAfter malformed records with no good one in between means the
	// input is not JSON at all; one problem then beats thousands.
	giveUpAfter = 100
)

// rawRec locates one record in a batch's buffer. over is the size limit
// the record exceeded (its bytes were skipped), or 0.
type rawRec struct{ lo, hi, line, over int }

type result struct {
	a   Article
	err error
}

// jsonBatch carries raw records from the reader goroutine to a decoding
// worker, and their results to the consumer, which takes batches in input
// order and waits on done.
type jsonBatch struct {
	buf  []byte
	recs []rawRec
	out  []result
	tail *Problem // ends the input after these records, if not nil
	done chan struct{}
}

func (b *jsonBatch) reset() {
	b.buf = b.buf[:0]
	b.recs = b.recs[:0]
	clear(b.out)
	b.out = b.out[:0]
	b.tail = nil
	b.done = make(chan struct{})
}

// recordSource fills a batch with the next raw records; it reports whether
// the input is exhausted and any problem that ended it.
type recordSource interface {
	fill(b *jsonBatch) (eof bool, tail *Problem)
}

// readJSON streams the articles of one JSON input; it returns false when
// the consumer stopped or the context was canceled.
func (e *emitter) readJSON(r io.Reader, in jsonInput) bool {
	name := in.name
	br, closer, p := maybeGunzip(r, name)
	if p != nil {
		return e.emit(Article{}, p)
	}
	if closer != nil {
		defer closer.Close()
	}
	c, line, err := firstByte(br)
	if err != nil {
		if err == io.EOF {
			return e.emit(Article{}, &Problem{Path: name, Err: ErrEmpty})
		}
		return e.emit(Article{}, &Problem{Path: name, Line: line, Err: readErr(err)})
	}
	var src recordSource
	if c == '[' {
		br.ReadByte()
		src = &arraySource{br: br, name: name, line: line, first: true, max: in.limits.MaxRecordBytes}
	} else {
		src = &lineSource{br: br, name: name, line: line - 1, max: in.limits.MaxRecordBytes}
	}
	return e.runPipeline(src, in)
}

// maybeGunzip wraps r in a buffered reader, decompressing if r starts with
// the gzip magic bytes.
func maybeGunzip(r io.Reader, name string) (*bufio.Reader, io.Closer, *Problem) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the magic bytes promised a header
			}
			return nil, nil, &Problem{Path: name, Err: gzipErr(err)}
		}
		return bufio.NewReaderSize(gz, 256<<10), gz, nil
	}
	return br, nil, nil
}

// firstByte skips a byte order mark and whitespace and returns the first
// other byte (left unread) and its line.
func firstByte(br *bufio.Reader) (byte, int, error) {
	line := 1
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\uFEFF")) {
		br.Discard(3)
	}
	for {
		c, err := br.ReadByte()
		if err != nil {
			return 0, line, err
		}
		switch c {
		case '\n':
			line++
		case ' ', '\t', '\r':
		default:
			br.UnreadByte()
			return c, line, nil
		}
	}
}

func (e *emitter) runPipeline(src recordSource, in jsonInput) bool {
	name := in.name
	workers := max(1, runtime.GOMAXPROCS(0))
	depth := 2*workers + 2
	order := make(chan *jsonBatch, depth)
	work := make(chan *jsonBatch, depth)
	free := make(chan *jsonBatch, depth+workers+1)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	defer func() {
		close(stop)
		wg.Wait()
	}()

	wg.Go(func() {
		defer close(work)
		defer close(order)
		for {
			var b *jsonBatch
			select {
			case b = <-free:
			default:
				b = &jsonBatch{}
			}
			b.reset()
			eof, tail := src.fill(b)
			b.tail = tail
			select {
			case order <- b:
			case <-stop:
				return
			}
			select {
			case work <- b:
			case <-stop:
				return
			}
			if eof {
				return
			}
		}
	})
	for range workers {
		wg.Go(func() {
			for {
				select {
				case b, ok := <-work:
					if !ok {
						return
					}
					decodeBatch(b, in)
					close(b.done)
				case <-stop:
					return
				}
			}
		})
	}

	bad, good := 0, 0
	for b := range order {
		select {
		case <-b.done:
		case <-e.ctx.Done():
			return e.alive() // false: reports ctx.Err()
		}
		for _, r := range b.out {
			if r.err != nil {
				bad++
				if good == 0 && bad > giveUpAfter {
					return e.emit(Article{}, &Problem{Path: name, Err: fmt.Errorf("%w: giving up after %d bad records and no good one", ErrMalformed, giveUpAfter)})
				}
			} else {
				good++
			}
			if !e.emit(r.a, r.err) {
				return false
			}
		}
		if b.tail != nil && !e.emit(Article{}, b.tail) {
			return false
		}
		if cap(b.buf) <= 4*batchBytes { // do not hoard a huge record's buffer
			select {
			case free <- b:
			default:
			}
		}
	}
	return true
}

func decodeBatch(b *jsonBatch, in jsonInput) {
	for _, r := range b.recs {
		if r.over > 0 {
			err := fmt.Errorf("%w: record over %s", ErrTooLarge, sizeText(r.over))
			b.out = append(b.out, result{err: &Problem{Path: in.name, Line: r.line, Err: err}})
			continue
		}
		a, err := in.article(b.buf[r.lo:r.hi])
		if err != nil {
			b.out = append(b.out, result{err: &Problem{Path: in.name, Line: r.line, Err: err}})
			continue
		}
		b.out = append(b.out, result{a: a})
	}
}

// sizeText says a limit in bytes as people do: "8 MiB", "100 bytes".
func sizeText(n int) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// article turns one raw JSON record into an article.
func (in jsonInput) article(raw []byte) (Article, error) {
	if !utf8.Valid(raw) {
		return Article{}, fmt.Errorf("%w at column %d", ErrInvalidUTF8, invalidUTF8At(raw)+1)
	}
	rec, err := decodeRecord(raw, in.limits.MaxParagraphs)
	if err != nil {
		return Article{}, err
	}
	return rec.article(in.name, in.limits.MaxParagraphs)
}

// invalidUTF8At returns the offset of the first invalid UTF-8 byte in b.
func invalidUTF8At(b []byte) int {
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return len(b)
}

// article turns a decoded record into an article. Title, summary and
// paragraphs are kept byte for byte as given; the short metadata (ID, URL,
// outlet, byline, category) loses surrounding whitespace. Metadata and
// summary are copied so that holding on to them does not pin the whole
// input line in memory; paragraphs stay substrings of it (they are most of
// it anyway).
func (r *record) article(origin string, maxParagraphs int) (Article, error) {
	a := Article{
		ID:       strings.Clone(strings.TrimSpace(r.id)),
		URL:      strings.Clone(strings.TrimSpace(r.url)),
		Source:   strings.Clone(strings.TrimSpace(r.source)),
		Title:    strings.Clone(r.title),
		Summary:  strings.Clone(r.summary),
		Byline:   strings.Clone(strings.TrimSpace(r.byline)),
		Category: strings.Clone(strings.TrimSpace(r.category)),
	}
	if a.ID != "" {
		if err := CheckID(a.ID); err != nil {
			return Article{}, fmt.Errorf("%w: id: %w", ErrBadField, err)
		}
	}
	if r.published != "" {
		d, err := ParseDate(r.published)
		if err != nil {
			return Article{}, fmt.Errorf("%w: published: %w", ErrBadField, err)
		}
		a.Published = d
	}
	if slices.ContainsFunc(r.paragraphs, hasText) {
		a.Paragraphs = r.paragraphs
	} else {
		a.Paragraphs = appendBody(nil, r.body, maxParagraphs)
		if len(a.Paragraphs) > maxParagraphs {
			return Article{}, tooManyParagraphs(maxParagraphs)
		}
	}
	if len(a.Paragraphs) == 0 && !hasText(a.Summary) {
		return Article{}, ErrNoText
	}
	finish(&a, origin)
	return a, nil
}

func tooManyParagraphs(max int) error {
	return fmt.Errorf("%w: more than %d paragraphs", ErrTooLarge, max)
}

// hasText reports whether s holds more than whitespace.
func hasText(s string) bool {
	return skipSpace(s, 0, len(s)) < len(s)
}

// appendBody appends the paragraphs of a body: the runs of lines between
// blank lines, each as written but for the line break that ends it. A body
// without a blank line is one paragraph that lost its breaks; it is cut
// into passages of whole sentences (see SplitPassages).
//
// It stops after max+1 paragraphs between blank lines: more than max is
// an error for the caller to report.
func appendBody(dst []string, body string, max int) []string {
	first := len(dst)
	start, end := -1, 0 // the paragraph being read: its first byte, the end of its last line
	for off := 0; off < len(body); {
		lineEnd, next := len(body), len(body)
		if nl := strings.IndexByte(body[off:], '\n'); nl >= 0 {
			lineEnd, next = off+nl, off+nl+1
		}
		if blankLine(body[off:lineEnd]) {
			if start >= 0 {
				dst = append(dst, body[start:end])
				start = -1
				if len(dst)-first > max {
					return dst
				}
			}
		} else {
			if start < 0 {
				start = off
			}
			end = lineEnd
			if end > off && body[end-1] == '\r' && next > lineEnd {
				end-- // the \r of a \r\n line break
			}
		}
		off = next
	}
	if start >= 0 {
		dst = append(dst, body[start:end])
	}
	if len(dst)-first <= 1 {
		return appendPassages(dst[:first], body)
	}
	return dst
}

// blankLine reports whether a line (without its \n) is blank: spaces,
// tabs and a carriage return only, as for nextBlock.
func blankLine(line string) bool {
	for i := 0; i < len(line); i++ {
		if c := line[i]; c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// lineSource reads JSONL: one record per line, blank lines skipped.
type lineSource struct {
	br   *bufio.Reader
	name string
	line int // lines read so far
	max  int // longest record kept, in bytes
}

func (s *lineSource) fill(b *jsonBatch) (bool, *Problem) {
	for len(b.recs) < batchRecs && len(b.buf) < batchBytes {
		lo := len(b.buf)
		s.line++
		tooLong := false
		var err error
		for {
			var frag []byte
			frag, err = s.br.ReadSlice('\n')
			if !tooLong && len(b.buf)-lo+len(frag) > s.max {
				tooLong = true
				b.buf = b.buf[:lo]
			}
			if !tooLong {
				b.buf = append(b.buf, frag...)
			}
			if err != bufio.ErrBufferFull {
				break
			}
		}
		rec := bytes.TrimLeft(b.buf[lo:], " \t\r\n")
		start := len(b.buf) - len(rec)
		rec = bytes.TrimRight(rec, " \t\r\n")
		switch {
		case tooLong:
			b.recs = append(b.recs, rawRec{lo, lo, s.line, s.max})
		case len(rec) > 0:
			b.recs = append(b.recs, rawRec{start, start + len(rec), s.line, 0})
		default:
			b.buf = b.buf[:lo]
		}
		if err == io.EOF {
			return true, nil
		}
		if err != nil {
			return true, &Problem{Path: s.name, Line: s.line, Err: readErr(err)}
		}
	}
	return false, nil
}

// readErr names what failed when reading an input: decompression or the
// read itself.
func readErr(err error) error {
	if errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) || errors.Is(err, io.ErrUnexpectedEOF) {
		return gzipErr(err)
	}
	return fmt.Errorf("read: %w", err)
}

// gzipErr says "gzip: " once: the gzip package's own errors already
// start with it ("gzip: invalid header"), a truncated stream does not.
func gzipErr(err error) error {
	if strings.HasPrefix(err.Error(), "gzip: ") {
		return err
	}
	return fmt.Errorf("gzip: %w", err)
}
