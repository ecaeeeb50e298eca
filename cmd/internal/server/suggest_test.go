package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
)

func TestSuggestRoute(t *testing.T) {
	f := newFixture(t, Config{})
	// The seeds' titles: "Bộ Công an Việt Nam và Trung Quốc hội đàm cấp
	// cao" and three that start "Việt Nam".
	for _, tc := range []struct{ q, want string }{
		{"viet n", "Việt Nam"},
		{"Việt N", "Việt Nam"},
		{"bo cong a", "Bộ Công an"},
	} {
		status, header, body := f.do("GET", "/suggest?q="+url.QueryEscape(tc.q), "", nil)
		if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
			t.Fatalf("suggest %q: status %d, %s", tc.q, status, body)
		}
		var c api.Completions
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		if c.Prefix != tc.q || len(c.Suggestions) == 0 || c.Suggestions[0].Text != tc.want {
			t.Errorf("suggest %q: %s, want %q first", tc.q, body, tc.want)
		}
	}
	status, _, body := f.do("GET", "/suggest?q=zzzz", "", nil)
	if status != http.StatusOK || !strings.Contains(string(body), `"suggestions":[]`) {
		t.Errorf("no completion: status %d, %s; want an empty list", status, body)
	}
	for _, q := range []string{"", "q=a&n=0", "q=a&n=21", "q=a&n=x", "q=%ff", "q=" + strings.Repeat("a", api.MaxSuggestLength+1)} {
		status, header, body := f.do("GET", "/suggest?"+q, "", nil)
		wantError(t, "suggest "+q[:min(len(q), 30)], status, http.StatusBadRequest, header, body)
	}
	status, header, body := f.do("GET", "/suggest.js", "", nil)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "text/javascript") || !strings.Contains(string(body), "/suggest?") {
		t.Errorf("/suggest.js: status %d, %s", status, header.Get("Content-Type"))
	}
}
