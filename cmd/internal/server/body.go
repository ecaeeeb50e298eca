package server

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
)

// Limits on a request body (POST /articles), unless Config says otherwise.
const (
	// DefaultMaxBodyBytes bounds a body as sent, compressed or not.
	DefaultMaxBodyBytes = 32 << 20
	// DefaultMaxDecodedBytes bounds a body once decompressed: a few MB of
	// gzip can hold gigabytes of JSON.
	DefaultMaxDecodedBytes = 64 << 20
	// DefaultMinBodyRate and DefaultBodyGrace bound how slowly a body may
	// arrive: after the grace period, on average at least this many bytes
	// a second since the body started. A client that sends nothing, or a
	// trickle, is cut off instead of holding a connection for minutes.
	DefaultMinBodyRate = 64 << 10
	DefaultBodyGrace   = 10 * time.Second
)

// bodyState keeps the first failure reading a body. Reading goes through
// several layers (pace, size on the wire, gzip, decoded size) and the JSON
// reader above them reports what it sees as a problem of the input; the
// first failure is what the client is told.
// The JSON reader reads on a goroutine of its own, hence the lock.
type bodyState struct {
	mu  sync.Mutex
	err error
}

// fail records err unless a failure was recorded before, and returns the
// failure recorded.
func (st *bodyState) fail(err error) error {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.err == nil {
		st.err = err
	}
	return st.err
}

// failure returns the failure recorded, if any.
func (st *bodyState) failure() error {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.err
}

// failReader records the errors of r, as translate words them, in st. An
// error of a layer below that was already recorded passes through as it
// is.
type failReader struct {
	r         io.Reader
	st        *bodyState
	translate func(error) error
}

func (f *failReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err != nil && err != io.EOF {
		if failed := f.st.failure(); failed != nil {
			return n, failed
		}
		return n, f.st.fail(f.translate(err))
	}
	return n, err
}

// pacedReader reads a request body no slower, on average, than rate
// bytes a second after grace: before each read it sets the connection's
// read deadline to when the body would fall below that pace.
type pacedReader struct {
	r     io.Reader
	rc    *http.ResponseController
	start time.Time
	grace time.Duration
	rate  int64
	n     int64
}

func (p *pacedReader) Read(b []byte) (int, error) {
	due := p.start.Add(p.grace + time.Duration(float64(p.n)/float64(p.rate)*float64(time.Second)))
	// Not every ResponseWriter reaches a connection (a test recorder):
	// then the server's own read timeout is all there is.
	_ = p.rc.SetReadDeadline(due)
	n, err := p.r.Read(b)
	p.n += int64(n)
	return n, err
}

// capReader yields at most left bytes of r, and errOverCap if r holds
// more.
type capReader struct {
	r    io.Reader
	left int64
}

// errOverCap is what capReader returns when its input is too long.
var errOverCap = errors.New("over the limit")

func (c *capReader) Read(p []byte) (int, error) {
	// Read one byte past the limit, to tell "exactly the limit" from
	// "more".
	if int64(len(p)) > c.left+1 {
		p = p[:c.left+1]
	}
	n, err := c.r.Read(p)
	if int64(n) > c.left {
		n = int(c.left)
		c.left = 0
		return n, errOverCap
	}
	c.left -= int64(n)
	return n, err
}

// openBody returns the decoded stream of a POST body: paced, limited on
// the wire, gunzipped when it starts with gzip's magic bytes, and limited
// once decoded. Its read errors are the failures of st, with the status to
// answer.
func (s *Server) openBody(w http.ResponseWriter, r *http.Request, st *bodyState) (io.Reader, error) {
	paced := &failReader{
		r:  &pacedReader{r: r.Body, rc: http.NewResponseController(w), start: time.Now(), grace: s.bodyGrace, rate: s.minBodyRate},
		st: st,
		translate: func(err error) error {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return &statusError{http.StatusRequestTimeout, fmt.Sprintf(
					"request body arrived too slowly: a body must arrive at %s/s or faster after the first %s",
					api.HumanBytes(s.minBodyRate), s.bodyGrace)}
			}
			return &statusError{http.StatusBadRequest, fmt.Sprintf("reading the request body: %v", err)}
		},
	}
	wire := &failReader{
		r:  http.MaxBytesReader(w, io.NopCloser(paced), s.maxBody),
		st: st,
		translate: func(err error) error {
			if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
				return &statusError{http.StatusRequestEntityTooLarge,
					fmt.Sprintf("request body is larger than %s", api.HumanBytes(mbe.Limit))}
			}
			return err
		},
	}
	br := bufio.NewReaderSize(wire, 64<<10)
	var decoded io.Reader = br
	decompressed := ""
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			if failed := st.failure(); failed != nil {
				return nil, failed
			}
			return nil, &statusError{http.StatusBadRequest, "request body starts like gzip but is not: " + gzipText(err)}
		}
		gz.Multistream(true)
		decoded = &failReader{r: gz, st: st, translate: func(err error) error {
			return &statusError{http.StatusBadRequest, "request body: damaged gzip: " + gzipText(err)}
		}}
		decompressed = " once decompressed"
	}
	if failed := st.failure(); failed != nil {
		return nil, failed
	}
	return &failReader{
		r:  &capReader{r: decoded, left: s.maxDecoded},
		st: st,
		translate: func(err error) error {
			if errors.Is(err, errOverCap) {
				return &statusError{http.StatusRequestEntityTooLarge,
					fmt.Sprintf("request body is larger than %s%s", api.HumanBytes(s.maxDecoded), decompressed)}
			}
			return err
		},
	}, nil
}

// gzipText is a gzip error without its "gzip: " prefix, for messages that
// say gzip already.
func gzipText(err error) string {
	return strings.TrimPrefix(err.Error(), "gzip: ")
}
