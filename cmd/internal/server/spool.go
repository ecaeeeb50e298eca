package server

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"

	"github.com/vnsearch/vnsearch/corpus"
)

// spool keeps the good records of a request body in a temporary file
// between reading the body and indexing it. A body is indexed only once
// all of it has been read and found good, and holding all of it in memory
// until then would cost many times its size; on disk it costs its size,
// and memory holds one batch at a time.
type spool struct {
	f       *os.File
	w       *bufio.Writer
	enc     *gob.Encoder
	records int
}

// newSpool creates an empty spool in dir ("" for the system's temporary
// directory).
func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "vnsearch-post-*.gob")
	if err != nil {
		return nil, fmt.Errorf("spooling the request body: %w", err)
	}
	w := bufio.NewWriterSize(f, 256<<10)
	return &spool{f: f, w: w, enc: gob.NewEncoder(w)}, nil
}

// add appends an article.
func (s *spool) add(a *corpus.Article) error {
	if err := s.enc.Encode(a); err != nil {
		return fmt.Errorf("spooling the request body: %w", err)
	}
	s.records++
	return nil
}

// batches reads the articles back in order, in batches of at most
// maxArticles articles and, past the first article of a batch, maxBytes
// bytes of text. Each article's Origin is origin. A batch is only valid
// until the next one is yielded.
func (s *spool) batches(maxArticles, maxBytes int, origin string) iter.Seq2[[]corpus.Article, error] {
	return func(yield func([]corpus.Article, error) bool) {
		if err := s.w.Flush(); err != nil {
			yield(nil, fmt.Errorf("spooling the request body: %w", err))
			return
		}
		if _, err := s.f.Seek(0, io.SeekStart); err != nil {
			yield(nil, fmt.Errorf("reading the spooled request body: %w", err))
			return
		}
		dec := gob.NewDecoder(bufio.NewReaderSize(s.f, 256<<10))
		batch := make([]corpus.Article, 0, min(maxArticles, s.records))
		size := 0
		for range s.records {
			var a corpus.Article
			if err := dec.Decode(&a); err != nil {
				yield(nil, fmt.Errorf("reading the spooled request body: %w", err))
				return
			}
			a.Origin = origin
			n := textBytes(&a)
			if len(batch) > 0 && (len(batch) == maxArticles || size+n > maxBytes) {
				if !yield(batch, nil) {
					return
				}
				clear(batch)
				batch, size = batch[:0], 0
			}
			batch = append(batch, a)
			size += n
		}
		if len(batch) > 0 {
			yield(batch, nil)
		}
	}
}

// close removes the spool's file.
func (s *spool) close() error {
	return errors.Join(s.f.Close(), os.Remove(s.f.Name()))
}

// textBytes is the size of an article's text.
func textBytes(a *corpus.Article) int {
	n := len(a.ID) + len(a.URL) + len(a.Source) + len(a.Title) + len(a.Summary) + len(a.Byline) + len(a.Category)
	for _, p := range a.Paragraphs {
		n += len(p)
	}
	return n
}
