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

// Error formats the problem as compilers do: "seeds/001.txt:12: <msg>",
// or "seeds/001.txt: <msg>" when Line is 0. It is the one format of a
// problem everywhere: the command line lists problems with it.
func (p *Problem) Error() string {
	var b strings.Builder
	if p.Path != "" {
		b.WriteString(p.Path)
	} else {
		b.WriteString("<input>")
	}
	if p.Line > 0 {
		b.WriteByte(':')
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
