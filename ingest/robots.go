package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// robotsAgent is the product token vnsearch looks for in robots.txt.
const robotsAgent = "vnsearch"

// maxRobots bounds a robots.txt read (Google reads 500 KiB).
const maxRobots = 512 << 10

// robots is the part of one robots.txt that applies to vnsearch.
type robots struct {
	rules      []robotsRule
	crawlDelay time.Duration
}

type robotsRule struct {
	allow   bool
	pattern string // path pattern: '*' any run, a final '$' the end
}

// allowed applies the rules to a path (with its query): the longest
// matching pattern wins, an Allow winning a tie (RFC 9309).
func (r *robots) allowed(path string) bool {
	best, allow := -1, true
	for _, rule := range r.rules {
		if rule.pattern == "" {
			continue // "Disallow:" with nothing allows everything
		}
		if robotsMatch(rule.pattern, path) {
			if n := len(rule.pattern); n > best || (n == best && rule.allow) {
				best, allow = n, rule.allow
			}
		}
	}
	return allow
}

// robotsMatch matches a robots.txt path pattern against path: the
// pattern is a prefix, '*' standing for any run of characters and a final
// '$' for the end of the path.
func robotsMatch(pattern, path string) bool {
	anchored := strings.HasSuffix(pattern, "$")
	pattern = strings.TrimSuffix(pattern, "$")
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(path, parts[0]) {
		return false
	}
	pos := len(parts[0])
	if len(parts) == 1 {
		return !anchored || pos == len(path)
	}
	for _, p := range parts[1 : len(parts)-1] {
		j := strings.Index(path[pos:], p)
		if j < 0 {
			return false
		}
		pos += j + len(p)
	}
	last := parts[len(parts)-1]
	if anchored {
		return len(path)-pos >= len(last) && strings.HasSuffix(path, last)
	}
	return strings.Contains(path[pos:], last)
}

// parseRobots reads the group of a robots.txt for agent: the group whose
// user-agent line names its product token (case-insensitively), else the
// "*" group.
func parseRobots(data []byte, agent string) *robots {
	token := strings.TrimSpace(strings.SplitN(strings.ToLower(agent), "/", 2)[0])
	var (
		specific, general *robots
		current           []*robots // groups the lines being read belong to
		inAgents          bool      // reading a group's user-agent lines
	)
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxRobots)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		value = strings.TrimSpace(value)
		switch key {
		case "user-agent":
			if !inAgents {
				current = nil
			}
			inAgents = true
			name := strings.ToLower(value)
			switch {
			case name == "*":
				if general == nil {
					general = &robots{}
				}
				current = append(current, general)
			case strings.TrimSpace(strings.SplitN(name, "/", 2)[0]) == token:
				if specific == nil {
					specific = &robots{}
				}
				current = append(current, specific)
			default:
				current = append(current, &robots{}) // another crawler's group
			}
		case "allow", "disallow":
			inAgents = false
			for _, g := range current {
				g.rules = append(g.rules, robotsRule{allow: key == "allow", pattern: value})
			}
		case "crawl-delay":
			inAgents = false
			if s, err := strconv.ParseFloat(value, 64); err == nil && s > 0 {
				for _, g := range current {
					g.crawlDelay = time.Duration(s * float64(time.Second))
				}
			}
		default:
			inAgents = false
		}
	}
	switch {
	case specific != nil:
		return specific
	case general != nil:
		return general
	}
	return &robots{}
}

// robotsCache keeps each host's robots.txt for a while.
type robotsCache struct {
	f *Fetcher

	mu      sync.Mutex
	entries map[string]*robotsEntry // by scheme://host
}

type robotsEntry struct {
	mu      sync.Mutex // held while fetching, so a host's file is fetched once
	rules   *robots
	expires time.Time
}

func newRobotsCache(f *Fetcher) *robotsCache {
	return &robotsCache{f: f, entries: map[string]*robotsEntry{}}
}

// allowed reports whether robots.txt lets vnsearch fetch u. A robots.txt
// that is missing (4xx) allows everything; one that cannot be read (5xx,
// network error) forbids everything for a few minutes.
func (c *robotsCache) allowed(ctx context.Context, u *url.URL) (bool, error) {
	key := strings.ToLower(u.Scheme + "://" + u.Host)
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &robotsEntry{}
		c.entries[key] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.f.opts.Now()
	if e.rules == nil || !now.Before(e.expires) {
		rules, ttl, err := c.fetch(ctx, key)
		if err != nil {
			return false, err
		}
		e.rules, e.expires = rules, now.Add(ttl)
		c.f.setCrawlDelay(u.Host, rules.crawlDelay)
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return e.rules.allowed(path), nil
}

// fetch reads the robots.txt at base and says how long to trust it.
func (c *robotsCache) fetch(ctx context.Context, base string) (*robots, time.Duration, error) {
	u, _ := url.Parse(base + "/robots.txt")
	resp, err := c.f.get(ctx, u, Validators{}, maxRobots)
	if err != nil {
		if ctx.Err() != nil {
			return nil, 0, ctx.Err()
		}
		var he *HTTPError
		if errors.As(err, &he) && he.Status >= 400 && he.Status < 500 && he.Status != 429 {
			return &robots{}, c.f.opts.RobotsTTL, nil // no robots.txt: all allowed
		}
		if errors.Is(err, ErrTooLarge) {
			return &robots{}, c.f.opts.RobotsTTL, nil
		}
		return &robots{rules: []robotsRule{{allow: false, pattern: "/"}}}, 5 * time.Minute, nil
	}
	return parseRobots(resp.Body, robotsAgent), c.f.opts.RobotsTTL, nil
}
