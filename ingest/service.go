package ingest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
)

// Service runs a Follower and a Watcher (either may be nil) in the
// background until stopped.
type Service struct {
	follower *Follower
	watcher  *Watcher

	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	err    error
}

// Start runs follower and watcher until ctx is canceled or Stop is called.
func Start(ctx context.Context, follower *Follower, watcher *Watcher) *Service {
	ctx, cancel := context.WithCancel(ctx)
	s := &Service{follower: follower, watcher: watcher, cancel: cancel}
	run := func(f func(context.Context) error) {
		s.wg.Go(func() {
			if err := f(ctx); err != nil && !errors.Is(err, context.Canceled) {
				s.mu.Lock()
				s.err = errors.Join(s.err, err)
				s.mu.Unlock()
			}
		})
	}
	if follower != nil {
		run(follower.Run)
	}
	if watcher != nil {
		run(watcher.Run)
	}
	return s
}

// Stop stops the service and waits until nothing of it runs; it returns
// what made either part stop early, if anything.
func (s *Service) Stop() error {
	if s == nil {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Status describes what the service follows and watches; a nil Service
// has an empty status.
func (s *Service) Status() Status {
	var st Status
	if s == nil {
		return st
	}
	if s.follower != nil {
		st.Feeds = s.follower.Status()
	}
	if s.watcher != nil {
		st.Watch = s.watcher.Status()
	}
	return st
}

// ReadFeedList reads a list of feed URLs, one a line; blank lines and
// lines starting with # are skipped.
func ReadFeedList(r io.Reader, name string) ([]string, error) {
	var urls []string
	sc := bufio.NewScanner(r)
	for no := 1; sc.Scan(); no++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if !strings.HasPrefix(line, "http://") && !strings.HasPrefix(line, "https://") {
			return nil, fmt.Errorf("%s line %d: %q is not an http(s) URL", name, no, line)
		}
		urls = append(urls, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(urls) == 0 {
		return nil, fmt.Errorf("%s: no feed URLs in it", name)
	}
	return urls, nil
}

// ReadFeedFile reads a feed list from a file.
func ReadFeedFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadFeedList(f, path)
}
