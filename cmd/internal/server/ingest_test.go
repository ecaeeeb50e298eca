package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/ingest"
)

func TestStatsShowsIngestion(t *testing.T) {
	ix, err := index.Create(filepath.Join(t.TempDir(), "ix"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	polled := time.Date(2024, 5, 12, 8, 0, 0, 0, time.UTC)
	status := ingest.Status{Feeds: []ingest.FeedStatus{{URL: "https://vnexpress.net/rss/tin-moi-nhat.rss", LastPoll: polled,
		PagesFetched: 3, Failures: 1, LastError: "HTTP 500 Internal Server Error"}}}
	for _, tt := range []struct {
		name   string
		ingest func() ingest.Status
		want   bool
	}{
		{"following", func() ingest.Status { return status }, true},
		{"not following", nil, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Config{Index: ix, Ingest: tt.ingest})
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequestWithContext(context.Background(), http.MethodGet, "/stats", nil))
			if rec.Code != http.StatusOK {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			var got struct {
				Articles *uint64        `json:"articles"`
				Ingest   *ingest.Status `json:"ingest"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.Articles == nil {
				t.Error("the index's statistics are gone from /stats")
			}
			if (got.Ingest != nil) != tt.want {
				t.Fatalf("ingest = %+v, want present: %v", got.Ingest, tt.want)
			}
			if tt.want {
				f := got.Ingest.Feeds[0]
				if f.URL != status.Feeds[0].URL || !f.LastPoll.Equal(polled) || f.PagesFetched != 3 || f.LastError == "" {
					t.Errorf("feed status %+v", f)
				}
			}
		})
	}
}
