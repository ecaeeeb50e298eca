package server

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// clusterNodes starts a NATS server with JetStream and n servers, each
// over its own empty index, joined to it.
func clusterNodes(t *testing.T, n int) []*fixture {
	t.Helper()
	ns := natstest.Start(t)
	var nodes []*fixture
	for i := range n {
		ix, err := index.Create(filepath.Join(t.TempDir(), fmt.Sprint("idx", i)))
		if err != nil {
			t.Fatal(err)
		}
		node, err := cluster.Join(context.Background(), cluster.Config{URLs: ns.ClientURL()}, ix)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- node.Run(ctx) }()
		t.Cleanup(func() {
			cancel()
			<-done
			node.Close()
			ix.Close()
		})
		nodes = append(nodes, newFixture(t, Config{Index: ix, Token: token, Log: node}))
	}
	return nodes
}

// loggedSeq reads the seq of a write's answer.
func loggedSeq(t *testing.T, status, want int, body []byte) uint64 {
	t.Helper()
	if status != want {
		t.Fatalf("write: status %d, want %d: %s", status, want, body)
	}
	var w loggedWrite
	if err := json.Unmarshal(body, &w); err != nil || w.Seq == 0 {
		t.Fatalf("write answer %s: %v", body, err)
	}
	return w.Seq
}

// scored lists the hits as "id score", ties (equal scores) in ID order:
// replicas that applied one log in different batches may order ties
// differently.
func scored(r index.Result) []string {
	hits := slices.Clone(r.Hits)
	slices.SortStableFunc(hits, func(a, b index.Hit) int {
		if a.Score != b.Score {
			return -cmp.Compare(a.Score, b.Score)
		}
		return strings.Compare(a.ID, b.ID)
	})
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s %.6g", h.ID, h.Score))
	}
	return out
}

func hitIDs(r index.Result) []string {
	var ids []string
	for _, h := range r.Hits {
		ids = append(ids, h.ID)
	}
	return ids
}

func TestClusterWritesReadOnEveryNode(t *testing.T) {
	nodes := clusterNodes(t, 3)
	var body strings.Builder
	for i := range 12 {
		fmt.Fprintf(&body, `{"id":"c%02d","title":"Giá vàng hôm nay tăng %d","paragraphs":["Thị trường vàng trong nước biến động mạnh, phiên %d."]}`+"\n", i, i, i)
	}
	status, _, resp := nodes[0].do("POST", "/articles", "Bearer "+token, strings.NewReader(body.String()))
	seq := loggedSeq(t, status, http.StatusAccepted, resp)

	var first []string
	for i, f := range nodes {
		r := f.search(fmt.Sprintf("q=gi%%C3%%A1+v%%C3%%A0ng&size=20&min_seq=%d", seq))
		ids := scored(r)
		if r.Total != 12 || len(ids) != 12 {
			t.Fatalf("node %d: %d hits (total %d) after min_seq %d, want 12", i, len(ids), r.Total, seq)
		}
		if i == 0 {
			first = ids
		} else if !slices.Equal(ids, first) {
			t.Fatalf("node %d answers %v, node 0 %v", i, ids, first)
		}
	}
	// A delete on another node, read back on the first.
	status, _, resp = nodes[2].do("DELETE", "/articles/c05", "Bearer "+token, nil)
	seq = loggedSeq(t, status, http.StatusAccepted, resp)
	r := nodes[0].search(fmt.Sprintf("q=v%%C3%%A0ng&size=20&min_seq=%d", seq))
	if r.Total != 11 || slices.Contains(hitIDs(r), "c05") {
		t.Fatalf("after the delete: total %d, hits %v", r.Total, hitIDs(r))
	}
	// The same article added again after its delete is a new write: it
	// comes back (a write is named by its attempt, not its content).
	again := `{"id":"c05","title":"Giá vàng hôm nay tăng 5","paragraphs":["Thị trường vàng trong nước biến động mạnh, phiên 5."]}`
	status, _, resp = nodes[1].do("POST", "/articles", "Bearer "+token, strings.NewReader(again))
	seq = loggedSeq(t, status, http.StatusAccepted, resp)
	r = nodes[0].search(fmt.Sprintf("q=v%%C3%%A0ng&size=20&min_seq=%d", seq))
	if r.Total != 12 || !slices.Contains(hitIDs(r), "c05") {
		t.Fatalf("after adding c05 back: total %d, hits %v", r.Total, hitIDs(r))
	}
	// Writes still need the token.
	if status, _, _ := nodes[1].do("DELETE", "/articles/c01", "", nil); status != http.StatusUnauthorized {
		t.Fatalf("delete without a token: status %d", status)
	}
	status, _, resp = nodes[0].do("GET", "/healthz", "", nil)
	var health struct {
		AppliedSeq uint64 `json:"applied_seq"`
	}
	if err := json.Unmarshal(resp, &health); status != http.StatusOK || err != nil || health.AppliedSeq < seq {
		t.Fatalf("healthz: %d %s, want applied_seq >= %d", status, resp, seq)
	}
	if _, _, resp = nodes[0].do("GET", "/metrics", "", nil); !strings.Contains(string(resp), fmt.Sprintf("\nvnsearch_cluster_applied_seq %d\n", health.AppliedSeq)) {
		t.Errorf("/metrics lacks vnsearch_cluster_applied_seq %d", health.AppliedSeq)
	}
	status, header, resp := nodes[1].do("GET", "/search?q=v%C3%A0ng&min_seq=x", "", nil)
	wantError(t, "min_seq=x", status, http.StatusBadRequest, header, resp)
}

// postKeyed posts body to f with an Idempotency-Key and returns the
// status and the answer.
func postKeyed(t *testing.T, f *fixture, key, body string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", f.url+"/articles", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Idempotency-Key", key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, data
}

func TestClusterRetriedWriteAppliedOnce(t *testing.T) {
	nodes := clusterNodes(t, 2)
	body := `{"id":"k1","title":"Bão số 3 đổ bộ","paragraphs":["Mưa lớn kéo dài."]}
{"id":"k2","title":"Lũ quét ở vùng núi","paragraphs":["Nước dâng nhanh."]}
`
	status, resp := postKeyed(t, nodes[0], "post-7f3a", body)
	first := loggedSeq(t, status, http.StatusAccepted, resp)
	// The client did not hear the answer and retries, on another node.
	status, resp = postKeyed(t, nodes[1], "post-7f3a", body)
	if again := loggedSeq(t, status, http.StatusAccepted, resp); again != first {
		t.Fatalf("retried write answered seq %d, first %d: appended twice", again, first)
	}
	// Another key is another write, appended after it.
	status, resp = postKeyed(t, nodes[1], "post-7f3b", body)
	if next := loggedSeq(t, status, http.StatusAccepted, resp); next != first+2 {
		t.Fatalf("a new write answered seq %d after %d", next, first)
	}
	status, resp = postKeyed(t, nodes[0], strings.Repeat("k", 300), body)
	if status != http.StatusBadRequest || !strings.Contains(string(resp), "Idempotency-Key") {
		t.Fatalf("an oversized key: %d %s", status, resp)
	}
}
