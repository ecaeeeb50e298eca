package ingest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"mime"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// FollowOptions tune a Follower; zero values take the defaults.
type FollowOptions struct {
	// Fetcher gets feeds and pages: NewFetcher(FetchOptions{}) by default.
	Fetcher *Fetcher
	// Interval is the time between two polls of a feed: 15 min by default.
	Interval time.Duration
	// MinBackoff is the wait before retrying a feed or page that failed
	// once: 1 min by default. Each failure in a row doubles it, up to
	// MaxBackoff (6 h by default); a Retry-After asking more wins.
	MinBackoff, MaxBackoff time.Duration
	// MaxItems bounds the new items fetched in one poll of a feed (50 by
	// default); the rest come in the next poll, soon after.
	MaxItems int
	// MaxTries bounds the fetches of an item's page before its summary
	// is kept for good: 8 by default.
	MaxTries int
	// Logger hears what happens; nil discards it.
	Logger *slog.Logger
	// Now tells the time: time.Now by default.
	Now func() time.Time
}

// Follower polls RSS and Atom feeds and indexes their new items.
type Follower struct {
	ix    Index
	opts  FollowOptions
	feeds []*feed
	log   *slog.Logger

	mu sync.Mutex // guards every feed's rec
}

type feed struct {
	url     string
	polling sync.Mutex // one poll of a feed at a time
	rec     *feedRecord
}

// NewFollower returns a Follower of feedURLs into ix, with the state the
// index remembers of them.
func NewFollower(ix Index, feedURLs []string, opts FollowOptions) (*Follower, error) {
	if opts.Fetcher == nil {
		opts.Fetcher = NewFetcher(FetchOptions{Now: opts.Now})
	}
	if opts.Interval <= 0 {
		opts.Interval = 15 * time.Minute
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = time.Minute
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = 6 * time.Hour
	}
	if opts.MaxItems <= 0 {
		opts.MaxItems = 50
	}
	if opts.MaxTries <= 0 {
		opts.MaxTries = 8
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	f := &Follower{ix: ix, opts: opts, log: opts.Logger}
	if f.log == nil {
		f.log = slog.New(slog.DiscardHandler)
	}
	seen := map[string]bool{}
	var urls []string
	for _, raw := range feedURLs {
		u, err := url.Parse(strings.TrimSpace(raw))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("ingest: feed %q: want an http or https URL", raw)
		}
		s := u.String()
		if seen[s] {
			continue
		}
		seen[s] = true
		rec := &feedRecord{}
		if _, err := loadJSON(ix, feedKeyPrefix+s, rec); err != nil {
			return nil, fmt.Errorf("ingest: feed %s: %w", s, err)
		}
		if rec.Items == nil {
			rec.Items = map[string]*itemRecord{}
		}
		f.feeds = append(f.feeds, &feed{url: s, rec: rec})
		urls = append(urls, s)
	}
	if len(f.feeds) == 0 {
		return nil, errors.New("ingest: no feeds to follow")
	}
	if err := registerFeeds(ix, urls); err != nil {
		return nil, fmt.Errorf("ingest: %w", err)
	}
	return f, nil
}

// Run polls every feed when it is due until ctx is canceled, each feed on
// its own so that one failing or slow never holds back the others. It
// returns when every poll has stopped.
func (f *Follower) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, fd := range f.feeds {
		wg.Go(func() {
			for {
				f.poll(ctx, fd)
				wait := f.nextDue(fd).Sub(f.opts.Now())
				if wait < 0 {
					wait = 0
				}
				t := time.NewTimer(wait)
				select {
				case <-ctx.Done():
					t.Stop()
					return
				case <-t.C:
				}
			}
		})
	}
	wg.Wait()
	f.opts.Fetcher.CloseIdle()
	return ctx.Err()
}

// PollDue polls, once, every feed that is due, and fetches again the
// pages of items that are due, all feeds at once; it returns when they
// are done.
func (f *Follower) PollDue(ctx context.Context) {
	var wg sync.WaitGroup
	for _, fd := range f.feeds {
		wg.Go(func() { f.poll(ctx, fd) })
	}
	wg.Wait()
}

// Status describes the feeds followed.
func (f *Follower) Status() []FeedStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]FeedStatus, len(f.feeds))
	for i, fd := range f.feeds {
		out[i] = feedStatus(fd.url, fd.rec)
	}
	return out
}

// nextDue is when fd next has something to do.
func (f *Follower) nextDue(fd *feed) time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	next := fd.rec.NextPoll
	for _, it := range fd.rec.Items {
		if it.pending() && it.NextTry.Before(next) {
			next = it.NextTry
		}
	}
	return next
}

func (f *Follower) backoff(failures int, asked time.Duration) time.Duration {
	d := f.opts.MinBackoff
	for i := 1; i < failures && d < f.opts.MaxBackoff; i++ {
		d *= 2
	}
	return max(min(d, f.opts.MaxBackoff), asked)
}

// poll does what is due for one feed: the feed itself, then the pages
// of items indexed from their summary. It never returns an error: what
// fails is recorded, and retried later.
func (f *Follower) poll(ctx context.Context, fd *feed) {
	fd.polling.Lock()
	defer fd.polling.Unlock()
	now := f.opts.Now()

	// Work on a copy; the status reads the record meanwhile.
	f.mu.Lock()
	rec := cloneRecord(fd.rec)
	f.mu.Unlock()

	var (
		articles []corpus.Article
		stale    []string // summary-only articles replaced under another ID
		updates  = map[string]*itemRecord{}
		inFeed   = map[string]bool{}
	)
	if !now.Before(rec.NextPoll) {
		items, err := f.fetchFeed(ctx, fd.url, rec, now)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			rec.Failures++
			rec.LastError = err.Error()
			rec.fail(now, fd.url, err)
			var he *HTTPError
			asked := time.Duration(0)
			if errors.As(err, &he) {
				asked = he.RetryAfter
			}
			rec.NextPoll = now.Add(f.backoff(rec.Failures, asked))
			f.log.Warn("feed failed", "feed", fd.url, "failures", rec.Failures, "retry", rec.NextPoll, "err", err)
		} else {
			rec.Failures, rec.LastError = 0, ""
			rec.LastSuccess = now
			rec.NextPoll = now.Add(f.opts.Interval)
			fresh := 0
			for _, it := range items {
				key := itemKey(it)
				if key == "" {
					continue
				}
				inFeed[key] = true
				if _, seen := rec.Items[key]; seen || updates[key] != nil {
					continue
				}
				if fresh == f.opts.MaxItems {
					rec.NextPoll = now // more to fetch: come back soon
					break
				}
				fresh++
				a, ir := f.newItem(ctx, fd.url, rec, it, now)
				if ctx.Err() != nil {
					return
				}
				articles = append(articles, a)
				updates[key] = ir
			}
		}
	}

	// Pages that failed before, due again.
	for key, it := range rec.Items {
		if updates[key] != nil || !it.pending() || now.Before(it.NextTry) {
			continue
		}
		a, err := f.fetchPage(ctx, it.URL)
		if ctx.Err() != nil {
			return
		}
		up := *it
		up.Tries++
		if err != nil {
			rec.PageFailures++
			rec.fail(now, it.URL, err)
			up.LastError = err.Error()
			up.NextTry = now.Add(f.backoff(up.Tries, 0))
			if up.Tries >= f.opts.MaxTries || permanent(err) {
				up.NextTry = time.Time{} // keep the summary for good
			}
			updates[key] = &up
			continue
		}
		rec.PagesFetched++
		if a.ID != it.ID {
			stale = append(stale, it.ID)
		}
		up.ID, up.SummaryOnly, up.NextTry, up.LastError = a.ID, false, time.Time{}, ""
		articles = append(articles, a)
		updates[key] = &up
		f.log.Info("item upgraded from its summary", "feed", fd.url, "url", it.URL)
	}

	maps.Copy(rec.Items, updates)
	if len(inFeed) > 0 {
		rec.trim(now, inFeed)
	}
	// The articles, the summaries their pages replace and what is
	// remembered of the feed go in one batch: after a crash, either the
	// index holds the articles and knows it, or neither.
	raw, err := json.Marshal(rec)
	if err != nil {
		f.log.Error("encoding feed state", "feed", fd.url, "err", err)
		return
	}
	ops := index.Ops{Meta: map[string][]byte{feedKeyPrefix + fd.url: raw}}
	for i := range articles {
		ops.Ops = append(ops.Ops, index.Op{Article: &articles[i]})
	}
	for _, id := range stale {
		ops.Ops = append(ops.Ops, index.Op{Delete: id})
	}
	applied, err := f.ix.Apply(ctx, ops)
	if err != nil {
		if ctx.Err() != nil {
			return // stopping: the next run does it all again
		}
		// Nothing of this poll is remembered: it is all done again.
		f.log.Error("indexing feed items", "feed", fd.url, "err", err)
		f.mu.Lock()
		fd.rec.LastError = "indexing: " + err.Error()
		fd.rec.NextPoll = now.Add(f.backoff(fd.rec.Failures+1, 0))
		f.mu.Unlock()
		return
	}
	if len(articles) > 0 {
		f.log.Info("feed items indexed", "feed", fd.url, "added", applied.Added, "updated", applied.Updated,
			"unchanged", applied.Unchanged, "replaced", applied.Deleted)
	}
	f.mu.Lock()
	fd.rec = rec
	f.mu.Unlock()
}

// fetchFeed gets and parses a feed; nil items and nil error mean it has
// not changed.
func (f *Follower) fetchFeed(ctx context.Context, feedURL string, rec *feedRecord, now time.Time) ([]*gofeed.Item, error) {
	rec.Polls++
	rec.LastPoll = now
	resp, err := f.opts.Fetcher.Get(ctx, feedURL, rec.Validators)
	if err != nil {
		return nil, err
	}
	if resp.NotModified {
		rec.NotModified++
		return nil, nil
	}
	parsed, err := gofeed.NewParser().Parse(bytes.NewReader(resp.Body))
	if err != nil {
		return nil, fmt.Errorf("feed %s: %w", feedURL, err)
	}
	rec.Validators = resp.Validators
	rec.Title = strings.TrimSpace(parsed.Title)
	return parsed.Items, nil
}

// newItem indexes a new item from its page, or from its summary when the
// page cannot be had.
func (f *Follower) newItem(ctx context.Context, feedURL string, rec *feedRecord, it *gofeed.Item, now time.Time) (corpus.Article, *itemRecord) {
	link := itemLink(it, feedURL)
	ir := &itemRecord{URL: link, Seen: now.UTC()}
	var (
		a   corpus.Article
		err error
	)
	if link == "" {
		err = errors.New("the item has no link")
	} else {
		a, err = f.fetchPage(ctx, link)
	}
	if err == nil {
		rec.PagesFetched++
		fillFromItem(&a, it, link)
		corpus.Complete(&a)
		ir.ID = a.ID
		return a, ir
	}
	rec.PageFailures++
	rec.fail(now, link, err)
	a = summaryArticle(it, link)
	ir.ID = a.ID
	ir.SummaryOnly, ir.Tries, ir.LastError = true, 1, err.Error()
	if link != "" && f.opts.MaxTries > 1 && !permanent(err) {
		ir.NextTry = now.Add(f.backoff(1, 0))
	}
	f.log.Warn("item indexed from its summary", "feed", feedURL, "url", link, "err", err)
	return a, ir
}

// fetchPage fetches an item's page and extracts its article.
func (f *Follower) fetchPage(ctx context.Context, link string) (corpus.Article, error) {
	resp, err := f.opts.Fetcher.Get(ctx, link, Validators{})
	if err != nil {
		return corpus.Article{}, err
	}
	if mt, _, _ := mime.ParseMediaType(resp.ContentType); resp.ContentType != "" && mt != "text/html" && mt != "application/xhtml+xml" {
		return corpus.Article{}, fmt.Errorf("fetch %s: %w (%s)", link, errNotPage, mt)
	}
	a, err := corpus.ParseHTML(resp.Body, corpus.HTMLPage{URL: resp.URL, ContentType: resp.ContentType})
	if err != nil {
		return corpus.Article{}, err
	}
	if a.URL == "" {
		a.URL = link
		a.ID = ""
		corpus.Complete(&a)
	}
	return a, nil
}

// errNotPage: the item links to something else than a web page.
var errNotPage = errors.New("not a web page")

// permanent reports failures that fetching again would not mend: the
// link is not a web page, or the page holds no article.
func permanent(err error) bool {
	var p *corpus.Problem
	return errors.Is(err, errNotPage) || errors.As(err, &p)
}

// itemKey identifies an item across polls: its GUID, else its link.
func itemKey(it *gofeed.Item) string {
	if g := strings.TrimSpace(it.GUID); g != "" {
		return g
	}
	return strings.TrimSpace(it.Link)
}

func itemLink(it *gofeed.Item, feedURL string) string {
	link := strings.TrimSpace(it.Link)
	if link == "" {
		if g := strings.TrimSpace(it.GUID); strings.HasPrefix(g, "http://") || strings.HasPrefix(g, "https://") {
			link = g
		}
	}
	if link == "" {
		return ""
	}
	base, err := url.Parse(feedURL)
	if err != nil {
		return ""
	}
	u, err := base.Parse(link)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return u.String()
}

// fillFromItem completes what the page did not say with what the feed did.
func fillFromItem(a *corpus.Article, it *gofeed.Item, link string) {
	if a.Title == "" {
		a.Title = collapse(it.Title)
	}
	if a.Published.IsZero() {
		a.Published = itemDate(it)
	}
	if a.Category == "" && len(it.Categories) > 0 {
		a.Category = collapse(it.Categories[0])
	}
	if a.Byline == "" {
		a.Byline = itemAuthor(it)
	}
	if a.URL == "" {
		a.URL = link
	}
	a.Hash = ""
}

// summaryArticle is the article an item gives by itself: its title and
// its summary, stripped of markup.
func summaryArticle(it *gofeed.Item, link string) corpus.Article {
	summary := plainText(it.Description)
	if summary == "" {
		summary = plainText(it.Content)
	}
	if summary == "" {
		summary = collapse(it.Title)
	}
	a := corpus.Article{
		URL:        link,
		Title:      collapse(it.Title),
		Summary:    summary,
		Byline:     itemAuthor(it),
		Published:  itemDate(it),
		Paragraphs: []string{},
	}
	if len(it.Categories) > 0 {
		a.Category = collapse(it.Categories[0])
	}
	if u, err := url.Parse(link); err == nil && u.Host != "" {
		a.Source = strings.TrimPrefix(strings.ToLower(u.Hostname()), "www.")
	}
	corpus.Complete(&a)
	return a
}

func itemDate(it *gofeed.Item) corpus.Date {
	if it.PublishedParsed != nil {
		return corpus.Date{Time: *it.PublishedParsed, Precision: corpus.Instant}
	}
	if it.UpdatedParsed != nil {
		return corpus.Date{Time: *it.UpdatedParsed, Precision: corpus.Instant}
	}
	return corpus.Date{}
}

func itemAuthor(it *gofeed.Item) string {
	var names []string
	for _, p := range it.Authors {
		if p != nil && strings.TrimSpace(p.Name) != "" {
			names = append(names, collapse(p.Name))
		}
	}
	return strings.Join(names, ", ")
}

// plainText returns the text of an HTML fragment, whitespace collapsed.
func plainText(s string) string {
	if !strings.ContainsAny(s, "<&") {
		return collapse(s)
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	for {
		switch z.Next() {
		case html.ErrorToken:
			return collapse(b.String())
		case html.TextToken:
			b.Write(z.Text())
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			b.WriteByte(' ')
		}
	}
}

func collapse(s string) string { return strings.Join(strings.Fields(s), " ") }

func cloneRecord(r *feedRecord) *feedRecord {
	c := *r
	c.Recent = append([]Failure(nil), r.Recent...)
	c.Items = make(map[string]*itemRecord, len(r.Items))
	for k, v := range r.Items {
		it := *v
		c.Items[k] = &it
	}
	return &c
}
