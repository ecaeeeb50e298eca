package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeFollowsAndWatchesEndToEnd runs vnsearch serve --follow --watch
// --prune: a feed's page and a dropped file become searchable, /stats
// shows both, a deleted file's article goes, and SIGTERM stops it all.
func TestServeFollowsAndWatchesEndToEnd(t *testing.T) {
	env := childEnv(t)
	idx := filepath.Join(t.TempDir(), "idx")
	if r, _ := runBinary(t, env, 60*time.Second, "index", "--index", idx, "../../corpus/seeds"); r.code != 0 {
		t.Fatalf("index: %d %s", r.code, r.stderr)
	}
	site := newsSite(t)
	feeds := filepath.Join(t.TempDir(), "feeds.txt")
	if err := os.WriteFile(feeds, []byte("# test feeds\n"+site.URL+"/rss\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p := startServe(t, env, "--index", idx, "--follow", feeds, "--watch", dir, "--prune")

	page, err := os.ReadFile("../../corpus/testdata/html/vov-2.html")
	if err != nil {
		t.Fatal(err)
	}
	dropped := filepath.Join(dir, "coffee.html")
	if err := os.WriteFile(dropped, page, 0o644); err != nil {
		t.Fatal(err)
	}
	search := func(q string) []string {
		code, body := p.call(t, "GET", "/search?q="+url.QueryEscape(q), "", nil)
		if code != 200 {
			t.Fatalf("search %q: %d %s", q, code, body)
		}
		var res struct {
			Hits []struct{ Title string } `json:"hits"`
		}
		if err := json.Unmarshal([]byte(body), &res); err != nil {
			t.Fatal(err)
		}
		var titles []string
		for _, h := range res.Hits {
			titles = append(titles, h.Title)
		}
		return titles
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 15 s\n%s", what, p.log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	has := func(titles []string, want string) bool {
		for _, t := range titles {
			if t == want {
				return true
			}
		}
		return false
	}
	eventually("the dropped file is searchable", func() bool {
		return has(search("cà phê xuất khẩu"), "Giá cà phê xuất khẩu lập kỷ lục mới")
	})
	eventually("the feed's page is searchable", func() bool {
		return has(search("ma túy Lào"), "Việt Nam - Lào tăng cường hợp tác phòng, chống tội phạm ma túy")
	})
	eventually("/stats shows the feed and the folder", func() bool {
		_, body := p.call(t, "GET", "/stats", "", nil)
		var st struct {
			Ingest struct {
				Feeds []struct {
					PagesFetched int `json:"pages_fetched"`
					SummaryOnly  int `json:"summary_only"`
				} `json:"feeds"`
				Watch []struct {
					Files int `json:"files"`
				} `json:"watch"`
			} `json:"ingest"`
		}
		return json.Unmarshal([]byte(body), &st) == nil && len(st.Ingest.Feeds) == 1 && st.Ingest.Feeds[0].PagesFetched == 1 &&
			st.Ingest.Feeds[0].SummaryOnly == 1 && len(st.Ingest.Watch) == 1 && st.Ingest.Watch[0].Files == 1
	})
	if err := os.Remove(dropped); err != nil {
		t.Fatal(err)
	}
	eventually("the deleted file's article is gone", func() bool {
		return !has(search("cà phê xuất khẩu"), "Giá cà phê xuất khẩu lập kỷ lục mới")
	})
	p.stop(t)
	if strings.Contains(p.log(), "level=ERROR") {
		t.Errorf("errors logged:\n%s", p.log())
	}
}
