package server

import (
	"bytes"
	"context"
	"encoding/json"
	"log"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
)

// Timeouts and limits of the HTTP server. POST /articles paces its own
// body (see DefaultMinBodyRate) and extends its write deadline for
// indexing.
const (
	ReadHeaderTimeout = 10 * time.Second
	ReadTimeout       = 30 * time.Second
	WriteTimeout      = 30 * time.Second
	IdleTimeout       = 2 * time.Minute
	// MaxHeaderBytes bounds a request's headers; net/http answers larger
	// ones with 431 itself.
	MaxHeaderBytes = 64 << 10
)

// HTTPServer returns the http.Server for h, with the timeouts and limits
// above. Requests run on base (canceled to cut requests short); errLog
// receives net/http's own complaints.
func HTTPServer(h http.Handler, base context.Context, errLog *log.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		BaseContext:       func(net.Listener) context.Context { return base },
		ErrorLog:          errLog,
	}
}

// JSONErrors wraps a listener so that the answers net/http writes itself,
// before any handler runs, are JSON like every other error. It answers a
// request it cannot parse (a malformed request line or header, a missing
// Host) with 400, headers over MaxHeaderBytes with 431, an unknown
// Transfer-Encoding with 501, and an Expect other than 100-continue with
// 417, all in plain text; it closes a connection whose headers do not
// arrive within ReadHeaderTimeout without a word, and no wrapper can
// change that.
//
// net/http writes each of those answers in one Write on the connection,
// and they are recognizable: no handler of this server answers in plain
// text, or with 417.
func JSONErrors(ln net.Listener) net.Listener { return jsonListener{ln} }

type jsonListener struct{ net.Listener }

func (l jsonListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return jsonConn{c}, nil
}

type jsonConn struct{ net.Conn }

// CloseWrite lets net/http half-close the connection after an error, as
// it does with a bare TCP connection.
func (c jsonConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

func (c jsonConn) Write(p []byte) (int, error) {
	if answer, ok := rewriteOwnError(p); ok {
		if _, err := c.Conn.Write(answer); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// netHTTPErrorHeaders are the headers of net/http's own plain-text
// answers.
const netHTTPErrorHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// rewriteOwnError turns one of net/http's own answers into JSON: a status
// line, netHTTPErrorHeaders and a short text; or a 417 without a body.
func rewriteOwnError(p []byte) ([]byte, bool) {
	const proto = "HTTP/1.1 "
	if !bytes.HasPrefix(p, []byte(proto)) || len(p) < len(proto)+3 {
		return nil, false
	}
	code, err := strconv.Atoi(string(p[len(proto) : len(proto)+3]))
	if err != nil || code < 400 {
		return nil, false
	}
	var msg string
	if head, text, found := bytes.Cut(p, []byte(netHTTPErrorHeaders)); found &&
		!bytes.Contains(head, []byte("\r\n")) && !bytes.Contains(text, []byte("\r\n")) {
		msg = ownErrorMessage(code, string(text))
	} else if code == http.StatusExpectationFailed && bytes.HasSuffix(p, []byte("\r\n\r\n")) {
		msg = "the Expect header asks for something other than 100-continue: this server knows no other expectation"
	} else {
		return nil, false
	}
	body, _ := json.Marshal(api.Error{Error: msg})
	body = append(body, '\n')
	var out bytes.Buffer
	out.WriteString(proto + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	out.WriteString("Content-Type: application/json; charset=utf-8\r\n")
	out.WriteString("X-Content-Type-Options: nosniff\r\n")
	out.WriteString("Connection: close\r\n")
	out.WriteString("Content-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n")
	out.Write(body)
	return out.Bytes(), true
}

// ownErrorMessage words net/http's answer text for a client.
func ownErrorMessage(code int, text string) string {
	switch code {
	case http.StatusRequestHeaderFieldsTooLarge:
		return "the request's headers are larger than " + api.HumanBytes(MaxHeaderBytes)
	case http.StatusNotImplemented:
		return "unsupported Transfer-Encoding: this server takes chunked or none"
	}
	// "400 Bad Request", or "400 Bad Request: missing required Host header".
	prefix := strconv.Itoa(code) + " " + http.StatusText(code)
	if detail, ok := bytes.CutPrefix([]byte(text), []byte(prefix+": ")); ok {
		return "malformed HTTP request: " + string(detail)
	}
	return "malformed HTTP request"
}
