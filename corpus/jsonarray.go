package corpus

import (
	"bufio"
	"fmt"
	"io"
)

// arraySource reads the elements of a JSON array without holding the
// array: a light scanner finds where each element ends (tracking strings
// and nesting only) and hands the raw element to the decoder, so a
// malformed element is reported alone and the rest is still read. Only a
// defect in the array's own punctuation ends the input early. (A
// json.Decoder could not do either: it buffers a whole element before it
// can tell its size, and stops at the first malformed one.)
type arraySource struct {
	br    *bufio.Reader
	name  string
	line  int // line of the next unscanned byte
	first bool
	state int
	max   int // longest element kept, in bytes

	chunk   []byte
	pending []byte // unscanned part of chunk
	readErr error

	// Scanner state of the element being read.
	depth     int
	inStr     bool
	esc       bool
	scalar    bool
	elemLo    int
	elemLine  int
	elemBytes int
	tooLong   bool
}

const (
	stBefore = iota // expecting an element (or ']' right after '[')
	stIn            // inside an element
	stAfter         // expecting ',' or ']'
	stDone          // after the closing ']'
)

func (s *arraySource) problem(format string, args ...any) *Problem {
	return &Problem{Path: s.name, Line: s.line, Err: fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))}
}

func (s *arraySource) fill(b *jsonBatch) (bool, *Problem) {
	if s.chunk == nil {
		s.chunk = make([]byte, 64<<10)
	}
	for {
		if len(s.pending) == 0 {
			if s.readErr != nil {
				return s.atEnd()
			}
			n, err := s.br.Read(s.chunk)
			s.pending = s.chunk[:n]
			s.readErr = err
			continue
		}
		if s.state != stIn && (len(b.recs) >= batchRecs || len(b.buf) >= batchBytes) {
			return false, nil
		}
		p := s.pending
		switch s.state {
		case stIn:
			n, done := s.scan(p)
			s.appendElem(b, p[:n])
			s.pending = p[n:]
			if done {
				s.finishElem(b)
				s.state = stAfter
			}
			continue
		}
		c := p[0]
		switch c {
		case ' ', '\t', '\r':
			s.pending = p[1:]
			continue
		case '\n':
			s.line++
			s.pending = p[1:]
			continue
		}
		switch s.state {
		case stBefore:
			if c == ']' {
				s.state = stDone
				s.pending = p[1:]
				if !s.first {
					return true, s.problem("',' before ']'")
				}
				continue
			}
			if c == ',' {
				return true, s.problem("missing array element before ','; rest of input skipped")
			}
			s.startElem(b, c)
			s.appendElem(b, p[:1])
			s.pending = p[1:]
			s.state = stIn
		case stAfter:
			s.pending = p[1:]
			switch c {
			case ',':
				s.first = false
				s.state = stBefore
			case ']':
				s.state = stDone
			default:
				return true, s.problem("want ',' or ']' after array element, found %q; rest of input skipped", c)
			}
		case stDone:
			return true, s.problem("unexpected %q after the closing ']'", c)
		}
	}
}

func (s *arraySource) atEnd() (bool, *Problem) {
	if s.readErr != io.EOF {
		return true, &Problem{Path: s.name, Line: s.line, Err: readErr(s.readErr)}
	}
	if s.state != stDone {
		return true, s.problem("unexpected end of input: array not closed")
	}
	return true, nil
}

func (s *arraySource) startElem(b *jsonBatch, c byte) {
	s.elemLo = len(b.buf)
	s.elemLine = s.line
	s.elemBytes = 0
	s.tooLong = false
	s.depth, s.inStr, s.esc, s.scalar = 0, false, false, false
	switch c {
	case '{', '[':
		s.depth = 1
	case '"':
		s.inStr = true
	default:
		s.scalar = true
	}
}

func (s *arraySource) appendElem(b *jsonBatch, p []byte) {
	s.elemBytes += len(p)
	if s.elemBytes > s.max {
		s.tooLong = true
		b.buf = b.buf[:s.elemLo]
	}
	if !s.tooLong {
		b.buf = append(b.buf, p...)
	}
}

func (s *arraySource) finishElem(b *jsonBatch) {
	if s.tooLong {
		b.recs = append(b.recs, rawRec{s.elemLo, s.elemLo, s.elemLine, s.max})
		return
	}
	b.recs = append(b.recs, rawRec{s.elemLo, len(b.buf), s.elemLine, 0})
}

// scan advances through p inside the current element and returns how many
// bytes belong to it and whether it ended there.
func (s *arraySource) scan(p []byte) (int, bool) {
	for i, c := range p {
		if c == '\n' {
			s.line++
		}
		if s.scalar {
			switch c {
			case ',', ']', '}', ' ', '\t', '\r', '\n':
				if c == '\n' {
					s.line-- // not consumed: counted again by the caller
				}
				return i, true
			}
			continue
		}
		if s.inStr {
			switch {
			case s.esc:
				s.esc = false
			case c == '\\':
				s.esc = true
			case c == '"':
				s.inStr = false
				if s.depth == 0 {
					return i + 1, true
				}
			}
			continue
		}
		switch c {
		case '"':
			s.inStr = true
		case '{', '[':
			s.depth++
		case '}', ']':
			s.depth--
			if s.depth <= 0 {
				return i + 1, true
			}
		}
	}
	return len(p), false
}
