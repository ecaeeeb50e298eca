package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// shardNodes starts a NATS server and one node for each shard of a
// cluster of shards, serving that shard only; stop stops node i.
func shardNodes(t *testing.T, shards int) (nodes []*fixture, stop func(i int)) {
	t.Helper()
	ns := natstest.Start(t)
	var stops []func()
	for k := range shards {
		var ix *index.Index
		node, err := cluster.JoinShards(context.Background(), cluster.Config{URLs: ns.ClientURL(), Shards: shards, ServeShards: []int{k}},
			func(shard int) (*index.Index, error) {
				var err error
				ix, err = index.Create(filepath.Join(t.TempDir(), fmt.Sprint("shard-", shard)))
				return ix, err
			})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- node.Run(ctx) }()
		stopped := false
		stopNode := func() {
			if stopped {
				return
			}
			stopped = true
			cancel()
			<-done
			node.Close()
			ix.Close()
		}
		t.Cleanup(stopNode)
		stops = append(stops, stopNode)
		nodes = append(nodes, newFixture(t, Config{Index: ix, Token: token, Log: node, Shards: node.Sharded()}))
	}
	return nodes, func(i int) { stops[i]() }
}

func TestShardedClusterOverHTTP(t *testing.T) {
	nodes, stop := shardNodes(t, 2)
	var body strings.Builder
	for i := range 20 {
		fmt.Fprintf(&body, `{"id":"h%02d","title":"Giá vàng hôm nay tăng %d","paragraphs":["Thị trường vàng trong nước biến động mạnh, phiên %d."]}`+"\n", i, i, i)
	}
	status, _, resp := nodes[0].do("POST", "/articles", "Bearer "+token, strings.NewReader(body.String()))
	seq := loggedSeq(t, status, http.StatusAccepted, resp)
	for i, f := range nodes {
		r := f.search(fmt.Sprintf("q=v%%C3%%A0ng&size=30&min_seq=%d", seq))
		if r.Total != 20 || len(r.Hits) != 20 || r.Shards == nil || *r.Shards != (index.ShardsAnswered{Total: 2, Answered: 2}) {
			t.Fatalf("node %d: %d hits, total %d, shards %+v; want 20 of both shards", i, len(r.Hits), r.Total, r.Shards)
		}
	}
	status, _, resp = nodes[1].do("DELETE", "/articles/h03", "Bearer "+token, nil)
	seq = loggedSeq(t, status, http.StatusAccepted, resp)
	if r := nodes[0].search(fmt.Sprintf("q=v%%C3%%A0ng&size=30&min_seq=%d", seq)); r.Total != 19 {
		t.Fatalf("after the delete: total %d", r.Total)
	}
	// Every article is read from its shard, on any node.
	for i := range 20 {
		if i == 3 {
			continue
		}
		status, _, resp := nodes[i%2].do("GET", fmt.Sprintf("/articles/h%02d", i), "", nil)
		if status != http.StatusOK || !strings.Contains(string(resp), fmt.Sprintf("tăng %d\"", i)) {
			t.Fatalf("GET /articles/h%02d: %d %s", i, status, resp)
		}
	}
	if status, _, _ := nodes[0].do("GET", "/articles/h03", "", nil); status != http.StatusNotFound {
		t.Errorf("GET of the deleted article: %d", status)
	}
	status, _, resp = nodes[1].do("GET", "/healthz", "", nil)
	if status != http.StatusOK || !strings.Contains(string(resp), `"shards":{"served":[1],"total":2}`) {
		t.Errorf("healthz: %d %s", status, resp)
	}
	status, _, resp = nodes[0].do("GET", "/stats", "", nil)
	var st StatsAnswer
	if err := json.Unmarshal(resp, &st); status != http.StatusOK || err != nil || st.Articles != 19 {
		t.Errorf("stats: %d %s", status, resp)
	}

	// Typed without diacritics, the query is restored from both shards'
	// lexicons; the box completes from both shards' titles; the
	// synonyms are the cluster's.
	if r := nodes[1].search("q=gia+vang"); r.DidYouMean != "giá vàng" || r.Total != 19 {
		t.Errorf("gia vang: did you mean %q, total %d", r.DidYouMean, r.Total)
	}
	status, _, resp = nodes[0].do("GET", "/suggest?q=gia+v", "", nil)
	if status != http.StatusOK || !strings.Contains(string(resp), `"text":"Giá vàng hôm nay"`) {
		t.Errorf("suggest: %d %s", status, resp)
	}
	status, _, resp = nodes[0].do("GET", "/analyze?text=ubnd&expand=true", "", nil)
	if status != http.StatusOK || !strings.Contains(string(resp), "Ủy ban nhân dân") {
		t.Errorf("analyze: %d %s", status, resp)
	}

	// The node of shard 1 stopped: node 0 answers with shard 0's hits and
	// says that one shard of two answered.
	stop(1)
	status, _, resp = nodes[0].do("GET", "/search?q=v%C3%A0ng&size=30", "", nil)
	if status != http.StatusOK || !strings.Contains(string(resp), `"shards":{"total":2,"answered":1}`) {
		t.Fatalf("partial answer: %d %s", status, resp)
	}
	if status, _, page := nodes[0].getPage("q=v%C3%A0ng"); status != http.StatusOK ||
		!strings.Contains(page, "1 trên 2 phân vùng") && !strings.Contains(page, "1 of 2 shards") {
		t.Errorf("the search page does not say that one shard of two answered: %d", status)
	}
	for i := range 20 {
		if cluster.ShardOf(fmt.Sprintf("h%02d", i), 2) == 1 {
			status, _, resp := nodes[0].do("GET", fmt.Sprintf("/articles/h%02d", i), "", nil)
			if status != http.StatusServiceUnavailable {
				t.Errorf("GET of an article of the stopped shard: %d %s", status, resp)
			}
			break
		}
	}
}
