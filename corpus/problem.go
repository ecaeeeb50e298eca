package corpus

import (
	"errors"
	"strconv"
	"strings"
)

// Problem is a non-fatal defect in one input: reported and skipped.
type Problem struct {
	Path string // file (or stream name) the problem is in
	Line int    // 1-based line, 0 when not line-specific
	Err  error
}

// Error formats the problem as "corpus: seeds/001.txt line 12: <msg>",
// leaving out "line N" when Line is 0.
func (p *Problem) Error() string {
	var b strings.Builder
	b.WriteString("corpus: ")
	if p.Path != "" {
		b.WriteString(p.Path)
	} else {
		b.WriteString("<input>")
	}
	if p.Line > 0 {
		b.WriteString(" line ")
		b.WriteString(strconv.Itoa(p.Line))
	}
	b.WriteString(": ")
	if p.Err != nil {
		b.WriteString(p.Err.Error())
	} else {
		b.WriteString("unknown problem")
	}
	return b.String()
}

func (p *Problem) Unwrap() error { return p.Err }

// Kinds of problem, for errors.Is. Problems wrap one of these (or an I/O
// or decompression error) with the details.
var (
	ErrEmpty       = errors.New("empty input")
	ErrNoText      = errors.New("no article text")
	ErrInvalidUTF8 = errors.New("invalid UTF-8")
	ErrMalformed   = errors.New("malformed JSON")
	ErrBadField    = errors.New("bad field")
	ErrSymlinkLoop = errors.New("symlink loop")
	ErrUnsupported = errors.New("unsupported file type")
	ErrTooLarge    = errors.New("input too large")
)
