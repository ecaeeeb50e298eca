package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// Server is a search server running as a child process: `vnsearch serve`
// or, for the peer, `vnsearch bench bleve-serve`.
type Server struct {
	Engine string
	URL    string // http://127.0.0.1:PORT
	child  *Child
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// serverStartTimeout bounds the wait for a server to listen: opening a
// large index takes a while.
const serverStartTimeout = 5 * time.Minute

// Serve starts a server of engine on the index at dir, on a free loopback
// port, and waits until it listens. A vnsearch server takes writes with
// token when it is not empty.
func (b Binary) Serve(ctx context.Context, engine, dir, token string) (*Server, error) {
	var args []string
	switch engine {
	case Vnsearch:
		args = []string{"serve", "--index", dir, "--addr", "127.0.0.1:0"}
		if token != "" {
			args = append(args, "--token", token)
		}
	case Peer:
		args = []string{"bench", "bleve-serve", "--index", dir, "--addr", "127.0.0.1:0"}
	default:
		return nil, fmt.Errorf("bench: unknown engine %q", engine)
	}
	child, err := StartChild(ctx, b.Path, args, b.env(), nil)
	if err != nil {
		return nil, err
	}
	line, err := child.WaitLine(listening.MatchString, serverStartTimeout)
	if err != nil {
		child.Stop(10 * time.Second)
		return nil, err
	}
	return &Server{Engine: engine, URL: listening.FindStringSubmatch(line)[1], child: child}, nil
}

// PeakRSS is the server's peak resident memory so far, in bytes.
func (s *Server) PeakRSS() int64 { return s.child.PeakRSS() }

// Stop stops the server (SIGTERM, then a kill after 30 seconds).
func (s *Server) Stop() error {
	_, err := s.child.Stop(30 * time.Second)
	return err
}

// ServedArticles asks a vnsearch server (GET /stats) how many articles it
// serves.
func ServedArticles(ctx context.Context, baseURL string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(baseURL, "/")+"/stats", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("bench: GET /stats: %w", err)
	}
	defer resp.Body.Close()
	var st struct {
		Articles int `json:"articles"`
	}
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("bench: GET /stats: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return 0, fmt.Errorf("bench: GET /stats: %w", err)
	}
	return st.Articles, nil
}
