package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/vnsearch/vnsearch/index"
)

// Index is what a Follower needs of an index; *index.Index has it all.
// Apply writes a poll's articles, the summaries their pages replace, and
// the feed's state (what was seen, validators, failures, under Meta keys)
// in one atomic batch, so that after a restart or a crash the state and
// the articles agree.
type Index interface {
	Apply(ctx context.Context, ops index.Ops) (index.Applied, error)
	Meta(key string) ([]byte, error)
	SetMeta(key string, value []byte) error
}

// MetaReader reads the stored state; a read-only index has it.
type MetaReader interface {
	Meta(key string) ([]byte, error)
}

// Keys of the state kept in the index.
const (
	feedListKey   = "ingest.feeds" // JSON list of every feed URL followed
	feedKeyPrefix = "ingest.feed." // + URL: a feedRecord
)

// feedRecord is what is remembered of one feed.
type feedRecord struct {
	Title       string     `json:"title,omitempty"`
	Validators  Validators `json:"validators"`
	LastPoll    time.Time  `json:"last_poll,omitzero"`
	LastSuccess time.Time  `json:"last_success,omitzero"`
	NextPoll    time.Time  `json:"next_poll,omitzero"`
	Failures    int        `json:"failures,omitempty"` // in a row
	LastError   string     `json:"last_error,omitempty"`

	Polls        int       `json:"polls"`
	NotModified  int       `json:"not_modified"`
	PagesFetched int       `json:"pages_fetched"`
	PageFailures int       `json:"page_failures"`
	Recent       []Failure `json:"recent_failures,omitempty"`

	Items map[string]*itemRecord `json:"items,omitempty"` // by GUID (or link)
}

// itemRecord is what is remembered of one feed item.
type itemRecord struct {
	ID   string    `json:"id"` // of the article indexed for it
	URL  string    `json:"url,omitempty"`
	Seen time.Time `json:"seen"`
	// SummaryOnly marks an item indexed from the feed's summary because
	// its page could not be had; it is fetched again at NextTry.
	SummaryOnly bool      `json:"summary_only,omitempty"`
	Tries       int       `json:"tries,omitempty"`
	NextTry     time.Time `json:"next_try,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
}

// Failure is one failed fetch, for the status.
type Failure struct {
	Time   time.Time `json:"time"`
	URL    string    `json:"url"`
	Reason string    `json:"reason"`
}

// maxRecent is how many failures a feed's status lists.
const maxRecent = 5

func (r *feedRecord) fail(now time.Time, url string, err error) {
	r.Recent = append(r.Recent, Failure{Time: now.UTC(), URL: url, Reason: err.Error()})
	if len(r.Recent) > maxRecent {
		r.Recent = slices.Clone(r.Recent[len(r.Recent)-maxRecent:])
	}
}

// Remembered items are bounded: those no longer in the feed are forgotten
// after maxItemAge, and never more than maxItems are kept. Items waiting
// for their page are kept while they wait.
const (
	maxItems   = 2000
	maxItemAge = 60 * 24 * time.Hour
)

func (r *feedRecord) trim(now time.Time, inFeed map[string]bool) {
	for k, it := range r.Items {
		if !inFeed[k] && !it.pending() && now.Sub(it.Seen) > maxItemAge {
			delete(r.Items, k)
		}
	}
	if len(r.Items) <= maxItems {
		return
	}
	keys := make([]string, 0, len(r.Items))
	for k := range r.Items {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return r.Items[keys[i]].Seen.After(r.Items[keys[j]].Seen) })
	for _, k := range keys[maxItems:] {
		if !inFeed[k] && !r.Items[k].pending() {
			delete(r.Items, k)
		}
	}
}

func (it *itemRecord) pending() bool { return it.SummaryOnly && !it.NextTry.IsZero() }

func loadJSON(ix MetaReader, key string, v any) (bool, error) {
	raw, err := ix.Meta(key)
	if err != nil {
		return false, err
	}
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("ingest: state %q is damaged: %w", key, err)
	}
	return true, nil
}

func saveJSON(ix Index, key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ix.SetMeta(key, raw)
}

// registerFeeds adds urls to the list of feeds followed.
func registerFeeds(ix Index, urls []string) error {
	var list []string
	if _, err := loadJSON(ix, feedListKey, &list); err != nil {
		return err
	}
	n := len(list)
	for _, u := range urls {
		if !slices.Contains(list, u) {
			list = append(list, u)
		}
	}
	if len(list) == n {
		return nil
	}
	return saveJSON(ix, feedListKey, list)
}

// Status is what ingestion has done: for GET /stats and vnsearch stats.
type Status struct {
	Feeds []FeedStatus  `json:"feeds,omitempty"`
	Watch []WatchStatus `json:"watch,omitempty"`
}

// FeedStatus describes one feed followed.
type FeedStatus struct {
	URL         string    `json:"url"`
	Title       string    `json:"title,omitempty"`
	LastPoll    time.Time `json:"last_poll,omitzero"`
	LastSuccess time.Time `json:"last_success,omitzero"`
	NextPoll    time.Time `json:"next_poll,omitzero"`
	Polls       int       `json:"polls"`
	NotModified int       `json:"not_modified"` // polls answered 304
	// Items counts the items remembered; PagesFetched the item pages
	// fetched and indexed; SummaryOnly the items indexed from the feed's
	// summary, still waiting for their page.
	Items        int       `json:"items"`
	PagesFetched int       `json:"pages_fetched"`
	PageFailures int       `json:"page_failures"`
	SummaryOnly  int       `json:"summary_only"`
	Failures     int       `json:"consecutive_failures"`
	LastError    string    `json:"last_error,omitempty"`
	Recent       []Failure `json:"recent_failures,omitempty"`
}

func feedStatus(url string, r *feedRecord) FeedStatus {
	st := FeedStatus{
		URL: url, Title: r.Title, LastPoll: r.LastPoll, LastSuccess: r.LastSuccess, NextPoll: r.NextPoll,
		Polls: r.Polls, NotModified: r.NotModified, Items: len(r.Items), PagesFetched: r.PagesFetched,
		PageFailures: r.PageFailures, Failures: r.Failures, LastError: r.LastError, Recent: slices.Clone(r.Recent),
	}
	for _, it := range r.Items {
		if it.SummaryOnly {
			st.SummaryOnly++
		}
	}
	return st
}

// ReadStatus reads the state of every feed ever followed into ix, for a
// process that is not following them (vnsearch stats).
func ReadStatus(ix MetaReader) (Status, error) {
	var st Status
	var list []string
	if _, err := loadJSON(ix, feedListKey, &list); err != nil {
		return st, err
	}
	for _, u := range list {
		var r feedRecord
		if _, err := loadJSON(ix, feedKeyPrefix+u, &r); err != nil {
			return st, err
		}
		st.Feeds = append(st.Feeds, feedStatus(u, &r))
	}
	return st, nil
}
