package index

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
)

// Stored articles are packed in a small binary form, deflated: every
// field as written, length-prefixed, in a fixed order. Decoding it is a
// few copies, where JSON took a tenth of a millisecond an article —
// most of the cost of a page of results. Deflate packs Vietnamese text a
// fifth tighter than the snappy zap applies to stored fields, and the
// stored articles are among the largest parts of the index.
const packVersion = 1

// pack writes an article in the stored form.
func (pk *packer) pack(a *corpus.Article) ([]byte, error) {
	raw := pk.raw[:0]
	raw = append(raw, packVersion)
	for _, f := range []string{a.ID, a.URL, a.Source, a.Title} {
		raw = appendString(raw, f)
	}
	head := len(raw)
	for _, f := range []string{a.Summary, a.Byline, a.Category, a.Hash} {
		raw = appendString(raw, f)
	}
	raw = append(raw, byte(a.Published.Precision))
	if !a.Published.IsZero() {
		raw = appendString(raw, a.Published.Time.Format(time.RFC3339Nano))
	}
	raw = binary.AppendUvarint(raw, uint64(len(a.Paragraphs)))
	for _, p := range a.Paragraphs {
		raw = appendString(raw, p)
	}
	pk.raw = raw
	return pk.deflate(raw, head)
}

// deflate compresses b, ending a deflate block after its first head
// bytes: an inflater reads them without inflating the rest (a title for
// the suggestions, packedTitle), since Go's inflater stops at the end of a
// block and not before it has filled its 32 KiB window. The rest keeps the
// head in its window: on baomoi the block costs 25 bytes an article (1,573
// → 1,598) and a title reads in 1.6 µs instead of 26 (BenchmarkPackedTitle).
func (pk *packer) deflate(b []byte, head int) ([]byte, error) {
	pk.buf.Reset()
	var err error
	if pk.zw == nil {
		// Level 6, not 1: 8% smaller (1,831 bytes an article of generated
		// news instead of 1,991) for ~40 µs more an article, 3% of a build.
		if pk.zw, err = flate.NewWriter(&pk.buf, flate.DefaultCompression); err != nil {
			return nil, err
		}
	} else {
		pk.zw.Reset(&pk.buf)
	}
	if head < len(b) {
		if _, err := pk.zw.Write(b[:head]); err != nil {
			return nil, err
		}
		if err := pk.zw.Flush(); err != nil {
			return nil, err
		}
		b = b[head:]
	}
	if _, err := pk.zw.Write(b); err != nil {
		return nil, err
	}
	if err := pk.zw.Close(); err != nil {
		return nil, err
	}
	return bytes.Clone(pk.buf.Bytes()), nil
}

// inflate decompresses what deflate made.
func inflate(packed []byte) ([]byte, error) {
	zr := inflaters.Get().(io.ReadCloser)
	defer inflaters.Put(zr)
	if err := zr.(flate.Resetter).Reset(bytes.NewReader(packed), nil); err != nil {
		return nil, err
	}
	// Vietnamese text deflates to about a third: start there.
	out := bytes.NewBuffer(make([]byte, 0, 4*len(packed)+64))
	if _, err := out.ReadFrom(zr); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// inflaters reuse deflate's decompressors, which are large to allocate
// an article at a time.
var inflaters = sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}

var errPacked = errors.New("damaged")

// unmarshalArticle reads a stored article; name says which in errors.
func unmarshalArticle(name string, packed []byte) (corpus.Article, error) {
	raw, err := inflate(packed)
	if err != nil {
		return corpus.Article{}, fmt.Errorf("index: article %s is damaged: %w", name, err)
	}
	a, err := unpack(raw)
	if err != nil {
		return corpus.Article{}, fmt.Errorf("index: article %s is damaged: %w", name, err)
	}
	return a, nil
}

func unpack(raw []byte) (corpus.Article, error) {
	var a corpus.Article
	if len(raw) == 0 || raw[0] != packVersion {
		return a, errPacked
	}
	b := raw[1:]
	str := func() (string, bool) {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return "", false
		}
		s := string(b[k : k+int(n)])
		b = b[k+int(n):]
		return s, true
	}
	for _, f := range []*string{&a.ID, &a.URL, &a.Source, &a.Title, &a.Summary, &a.Byline, &a.Category, &a.Hash} {
		var ok bool
		if *f, ok = str(); !ok {
			return a, errPacked
		}
	}
	if len(b) == 0 {
		return a, errPacked
	}
	a.Published.Precision, b = corpus.Precision(b[0]), b[1:]
	if !a.Published.IsZero() {
		s, ok := str()
		if !ok {
			return a, errPacked
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return a, errPacked
		}
		a.Published.Time = t
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return a, errPacked
	}
	b = b[k:]
	a.Paragraphs = make([]string, n)
	for i := range a.Paragraphs {
		var ok bool
		if a.Paragraphs[i], ok = str(); !ok {
			return a, errPacked
		}
	}
	if len(b) != 0 {
		return a, errPacked
	}
	return a, nil
}
