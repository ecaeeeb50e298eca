package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// clusterHealth is what /healthz answers on a cluster node.
type clusterHealth struct {
	Status         string  `json:"status"`
	AppliedSeq     *uint64 `json:"applied_seq"`
	StreamFirstSeq *uint64 `json:"stream_first_seq"`
	StreamLastSeq  *uint64 `json:"stream_last_seq"`
	Lag            *uint64 `json:"lag"`
	SnapshotSeq    *uint64 `json:"snapshot_seq"`
	StreamError    string  `json:"stream_error"`
}

func (h clusterHealth) String() string {
	v := func(p *uint64) string {
		if p == nil {
			return "-"
		}
		return fmt.Sprint(*p)
	}
	return fmt.Sprintf("applied %s, stream %s…%s, lag %s, snapshot %s, error %q",
		v(h.AppliedSeq), v(h.StreamFirstSeq), v(h.StreamLastSeq), v(h.Lag), v(h.SnapshotSeq), h.StreamError)
}

func getHealth(t *testing.T, f *fixture) clusterHealth {
	t.Helper()
	status, _, body := f.do("GET", "/healthz", "", nil)
	var h clusterHealth
	if err := json.Unmarshal(body, &h); status != http.StatusOK || err != nil || h.Status != "ok" {
		t.Fatalf("healthz: %d %s (%v)", status, body, err)
	}
	return h
}

func is(p *uint64, want uint64) bool { return p != nil && *p == want }

func TestClusterHealthzLagAndSnapshot(t *testing.T) {
	ctx := context.Background()
	ns := natstest.Start(t)
	ix, err := index.Create(filepath.Join(t.TempDir(), "idx"))
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	node, err := cluster.Join(ctx, cluster.Config{URLs: ns.ClientURL()}, ix)
	if err != nil {
		t.Fatal(err)
	}
	defer node.Close()
	f := newFixture(t, Config{Index: ix, Token: token, Log: node})

	// Written while the node does not apply the log yet: it lags by 6.
	var body strings.Builder
	for i := range 6 {
		fmt.Fprintf(&body, `{"id":"h%d","title":"Bão số %d","paragraphs":["Mưa lớn."]}`+"\n", i, i)
	}
	status, _, resp := f.do("POST", "/articles", "Bearer "+token, strings.NewReader(body.String()))
	seq := loggedSeq(t, status, http.StatusAccepted, resp)
	if seq != 6 {
		t.Fatalf("6 articles written up to seq %d", seq)
	}
	if h := getHealth(t, f); !is(h.AppliedSeq, 0) || !is(h.StreamLastSeq, 6) || !is(h.StreamFirstSeq, 1) || !is(h.Lag, 6) || !is(h.SnapshotSeq, 0) {
		t.Fatalf("before applying: %v", h)
	}
	metric := func(name string) string {
		_, _, resp := f.do("GET", "/metrics", "", nil)
		for line := range strings.Lines(string(resp)) {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				return strings.TrimSpace(v)
			}
		}
		return "none"
	}
	if got := metric("vnsearch_cluster_apply_lag"); got != "6" {
		t.Errorf("vnsearch_cluster_apply_lag %s, want 6", got)
	}

	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- node.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	if err := node.WaitApplied(ctx, seq, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	if _, err := node.Snapshot(ctx); err != nil {
		t.Fatal(err)
	}
	h := getHealth(t, f)
	if !is(h.AppliedSeq, 6) || !is(h.StreamLastSeq, 6) || !is(h.Lag, 0) || !is(h.SnapshotSeq, 6) || !is(h.StreamFirstSeq, 7) {
		t.Fatalf("after applying and a snapshot: %v", h)
	}
	for name, want := range map[string]string{
		"vnsearch_cluster_apply_lag": "0", "vnsearch_cluster_applied_seq": "6",
		"vnsearch_cluster_stream_last_seq": "6", "vnsearch_cluster_snapshot_seq": "6",
	} {
		if got := metric(name); got != want {
			t.Errorf("%s %s, want %s", name, got, want)
		}
	}

	// The stream out of reach: the node still answers, and says so.
	ns.Shutdown()
	h = getHealth(t, f)
	if !is(h.AppliedSeq, 6) || h.Lag != nil || h.StreamError == "" {
		t.Fatalf("without NATS: %v", h)
	}
}
