//go:build unix

package main

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/vnsearch/vnsearch/cluster"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/internal/natstest"
)

// startNATSCluster runs three NATS servers with JetStream, routed to
// each other on loopback, and returns their client URLs once JetStream
// answers: the stream (R3) is created then, as a node would.
func startNATSCluster(t *testing.T) string {
	t.Helper()
	url := natstest.URLs(natstest.StartCluster(t, "vnsearch-kill9"))
	nc, err := nats.Connect(url, nats.MaxReconnects(-1))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	// The JetStream meta leader takes a moment to be elected.
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := cluster.Open(ctx, nc, 3)
		cancel()
		if err == nil {
			return url
		}
		if time.Now().After(deadline) {
			t.Fatalf("creating the R3 stream: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // back off before asking again
	}
}

// killWriter writes to a cluster through its nodes' HTTP API, as a client
// that retries does: every write carries an Idempotency-Key and is sent
// again, to another node, until one acknowledges it.
type killWriter struct {
	t      *testing.T
	token  string
	nodes  []string // base URLs
	rng    *rand.Rand
	client *http.Client

	key     int      // writes sent so far, for their keys
	changes int      // changes acknowledged: records and deletes
	seqs    []uint64 // the sequence each write was acknowledged with
	retries int      // attempts that failed and were sent again
	// want is the article each ID must hold in the end, nil when deleted.
	want map[string]*corpus.Article
}

// send sends one write (method on path with body) until a node
// acknowledges it, and returns its sequence.
func (w *killWriter) send(method, path string, body []byte) uint64 {
	w.t.Helper()
	w.key++
	key := fmt.Sprintf("%s-%d-%x", w.t.Name(), w.key, w.rng.Uint64())
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for attempt := 0; time.Now().Before(deadline); attempt++ {
		if attempt > 0 {
			w.retries++
			time.Sleep(20 * time.Millisecond) // back off before the retry
		}
		node := w.nodes[w.rng.IntN(len(w.nodes))]
		req, err := http.NewRequest(method, node+path, bytes.NewReader(body))
		if err != nil {
			w.t.Error(err)
			return 0
		}
		req.Header.Set("Authorization", "Bearer "+w.token)
		req.Header.Set("Idempotency-Key", key)
		resp, err := w.client.Do(req)
		if err != nil {
			last = err.Error() // the node is down, or died answering
			continue
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		last = fmt.Sprintf("%s: %d %s", node, resp.StatusCode, data)
		if resp.StatusCode == http.StatusServiceUnavailable {
			continue
		}
		var ack struct{ Seq uint64 }
		if resp.StatusCode != http.StatusAccepted || json.Unmarshal(data, &ack) != nil || ack.Seq == 0 {
			w.t.Errorf("%s %s: %s", method, path, last)
			return 0
		}
		if n := len(w.seqs); n > 0 && ack.Seq <= w.seqs[n-1] {
			w.t.Errorf("%s %s acknowledged as seq %d after this writer's seq %d", method, path, ack.Seq, w.seqs[n-1])
		}
		w.seqs = append(w.seqs, ack.Seq)
		return ack.Seq
	}
	w.t.Errorf("%s %s: no node acknowledged it within 20s; last: %s", method, path, last)
	return 0
}

var killTopics = []struct{ title, text string }{
	{"Giá vàng hôm nay tăng mạnh", "Thị trường vàng trong nước biến động, giá vàng miếng tăng theo thế giới."},
	{"Bão số %d đổ bộ miền Trung", "Mưa lớn kéo dài, nhiều tỉnh miền Trung sơ tán người dân khỏi vùng ngập."},
	{"Đội tuyển bóng đá thắng trận", "Đội tuyển bóng đá quốc gia giành chiến thắng trên sân nhà."},
	{"Chứng khoán giảm điểm", "Thị trường chứng khoán giảm điểm, nhà đầu tư bán ròng cổ phiếu ngân hàng."},
	{"Giá xăng giảm từ chiều nay", "Liên Bộ Công Thương - Tài chính điều chỉnh giá xăng dầu."},
}

// killWords fill articles to lengths that vary, and so do their scores.
var killWords = strings.Fields("người dân thành phố hôm nay cho biết theo ghi nhận của phóng viên tại hiện trường")

// killPlaces are where articles happen: a query of a topic and a place
// finds fewer articles than a page holds.
var killPlaces = strings.Split("Hà Nội,Huế,Đà Nẵng,Cần Thơ,Hải Phòng,Nha Trang,Vinh,Quy Nhơn,Lào Cai,Sơn La,Cà Mau,Bạc Liêu,Tây Ninh,Long An,Hà Giang,Cao Bằng", ",")

// words makes a sentence of n words of killWords.
func (w *killWriter) words(n int) string {
	var b strings.Builder
	b.WriteString("Tin")
	for range n {
		b.WriteString(" " + killWords[w.rng.IntN(len(killWords))])
	}
	return b.String() + "."
}

// article makes the version-th article of ID id.
func (w *killWriter) article(id string, version int) corpus.Article {
	topic := killTopics[w.rng.IntN(len(killTopics))]
	title := topic.title
	if strings.Contains(title, "%d") {
		title = fmt.Sprintf(title, w.rng.IntN(12)+1)
	}
	return corpus.Article{
		ID:     id,
		Title:  fmt.Sprintf("%s (%s, bản %d)", title, id, version),
		Source: "Báo Thử",
		Paragraphs: []string{
			topic.text,
			fmt.Sprintf("Tin từ %s lúc %d giờ, bài %s sửa lần %d.", killPlaces[w.rng.IntN(len(killPlaces))], w.rng.IntN(24), id, version),
			w.words(w.rng.IntN(16)), // lengths vary, and so scores
		},
	}
}

// run makes writes writes: batches of new and replaced articles, and now
// and then a delete. Before write k it calls before(k), and stops early
// once stop is set.
func (w *killWriter) run(prefix string, writes int, before func(k int), stop *atomic.Bool) {
	var ids []string
	version := map[string]int{}
	for k := range writes {
		before(k)
		if stop.Load() {
			return
		}
		if k%7 == 6 && len(ids) > 0 {
			id := ids[w.rng.IntN(len(ids))]
			if w.send("DELETE", "/articles/"+id, nil) != 0 {
				w.want[id] = nil
				w.changes++
			}
			continue
		}
		var body bytes.Buffer
		var batch []corpus.Article
		for range 1 + w.rng.IntN(12) {
			var id string
			if len(ids) > 0 && w.rng.IntN(4) == 0 {
				id = ids[w.rng.IntN(len(ids))] // replaced, or added again after its delete
			} else {
				id = fmt.Sprintf("%s%04d", prefix, len(ids))
				ids = append(ids, id)
			}
			version[id]++
			a := w.article(id, version[id])
			line, _ := json.Marshal(a)
			body.Write(append(line, '\n'))
			batch = append(batch, a)
		}
		if w.send("POST", "/articles", body.Bytes()) != 0 {
			for i := range batch {
				w.want[batch[i].ID] = &batch[i]
			}
			w.changes += len(batch)
		}
	}
}

// killNode is a node of TestClusterNodeKilledCatchesUp.
type killNode struct {
	dir, addr string
	proc      *serveProcess
}

// health is what a cluster node's /healthz says.
type health struct {
	AppliedSeq    uint64 `json:"applied_seq"`
	Lag           uint64 `json:"lag"`
	StreamLastSeq uint64 `json:"stream_last_seq"`
}

func (n *killNode) health(t *testing.T) health {
	t.Helper()
	var h health
	status, body := n.proc.call(t, "GET", "/healthz", "", nil)
	if status != http.StatusOK || json.Unmarshal([]byte(body), &h) != nil {
		t.Fatalf("healthz: %d %s", status, body)
	}
	return h
}

var joinedRE = regexp.MustCompile(`joined the cluster at \S+; applied up to seq (\d+)`)

// contentHash hashes what an article's readers see of it.
func contentHash(title string, paragraphs []string) [32]byte {
	data, _ := json.Marshal(struct {
		Title      string
		Paragraphs []string
	}{title, paragraphs})
	return sha256.Sum256(data)
}

// TestClusterNodeKilledCatchesUp runs three `vnsearch serve --nats` nodes
// on an R3 stream while two clients write to random nodes, kills one with
// SIGKILL mid-stream, writes on through the others, and starts it again on
// its index: it catches up, and every node then holds exactly the
// acknowledged writes, once each.
func TestClusterNodeKilledCatchesUp(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three NATS servers and three vnsearch serve processes, one killed and started again")
	}
	bin := binary(t)
	start := time.Now()
	const token = "kill9-token"
	natsURL := startNATSCluster(t)
	env := childEnv(t, "VNSEARCH_TOKEN="+token)

	nodes := make([]*killNode, 3)
	var urls []string
	for i := range nodes {
		addr := fmt.Sprintf("127.0.0.1:%d", natstest.FreePort(t))
		nodes[i] = &killNode{dir: filepath.Join(t.TempDir(), fmt.Sprint("node", i)), addr: addr}
		urls = append(urls, "http://"+addr)
	}
	startNode := func(n *killNode) {
		n.proc = startServeBinary(t, bin, env, "--index", n.dir, "--nats", natsURL, "--addr", n.addr)
		if n.proc.url != "http://"+n.addr {
			t.Fatalf("node listens on %s, not %s", n.proc.url, n.addr)
		}
	}
	for _, n := range nodes {
		startNode(n)
	}
	t.Logf("NATS cluster and three nodes up in %s", time.Since(start).Round(time.Millisecond))

	// Two clients write, each its own IDs, so that what each ID holds in
	// the end is the last write its client had acknowledged. Once the
	// first has made killAt writes and node 1 has applied some of them,
	// node 1 is killed while both write on; they wait for the kill at
	// write holdAt, so that the writes from there to pauseAt are made
	// while it is down. They wait at pauseAt until it runs again: the
	// writes after are made while it catches up.
	const writes, killAt, holdAt, pauseAt = 90, 20, 40, 60
	killNow, killDone, resume := make(chan struct{}), make(chan struct{}), make(chan struct{})
	var paused, done sync.WaitGroup
	var stop atomic.Bool
	writers := make([]*killWriter, 2)
	for i := range writers {
		w := &killWriter{
			t: t, token: token, nodes: urls, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i))),
			client: &http.Client{Timeout: 15 * time.Second}, want: map[string]*corpus.Article{},
		}
		writers[i] = w
		paused.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			w.run(fmt.Sprintf("w%d-", i), writes, func(k int) {
				switch {
				case k == killAt && i == 0:
					close(killNow)
				case k == holdAt:
					<-killDone
				case k == pauseAt:
					paused.Done()
					<-resume
				}
			}, &stop)
		}()
	}
	// A test that fails midway stops its writers before its nodes.
	killed, resumed := sync.OnceFunc(func() { close(killDone) }), sync.OnceFunc(func() { close(resume) })
	t.Cleanup(func() {
		stop.Store(true)
		killed()
		resumed()
		done.Wait()
	})

	victim := nodes[1]
	<-killNow
	var before health
	deadline := time.Now().Add(20 * time.Second)
	for before = victim.health(t); before.AppliedSeq == 0; before = victim.health(t) {
		if time.Now().After(deadline) {
			t.Fatalf("node 1 applied nothing within 20s:\n%s", victim.proc.log())
		}
		time.Sleep(10 * time.Millisecond) // poll again
	}
	// Anywhere in the node's next fetch (which waits up to 500 ms for a
	// full batch) or apply, not just after one.
	time.Sleep(time.Duration(rand.IntN(600)) * time.Millisecond)
	if err := syscall.Kill(victim.proc.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.proc.exited
	killedAt := time.Now()
	killed()
	paused.Wait()
	startNode(victim) // the same index directory and address
	t.Logf("node 1 killed %s after the start, having applied up to seq %d of %d; started again %s later",
		killedAt.Sub(start).Round(time.Millisecond), before.AppliedSeq, before.StreamLastSeq, time.Since(killedAt).Round(time.Millisecond))
	resumed()
	done.Wait()
	if t.Failed() {
		t.FailNow()
	}

	// Nothing doubled in the log: it holds one message per change
	// acknowledged, the last acknowledged the stream's last.
	var changes int
	var lastSeq uint64
	want := map[string]*corpus.Article{}
	for _, w := range writers {
		changes += w.changes
		lastSeq = max(lastSeq, w.seqs[len(w.seqs)-1])
		for id, a := range w.want {
			want[id] = a
		}
	}
	nc, err := nats.Connect(natsURL)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, cluster.Stream)
	if err != nil {
		t.Fatal(err)
	}
	info := stream.CachedInfo()
	if info.Config.Replicas != 3 || info.State.Msgs != uint64(changes) || info.State.LastSeq != lastSeq {
		t.Errorf("stream: %d replicas, %d messages up to seq %d; want 3, the %d changes acknowledged, up to seq %d",
			info.Config.Replicas, info.State.Msgs, info.State.LastSeq, changes, lastSeq)
	}

	// Every node applies the log up to the last acknowledged write.
	for i, n := range nodes {
		deadline := time.Now().Add(20 * time.Second)
		h := n.health(t)
		for ; h.AppliedSeq < lastSeq; h = n.health(t) {
			if time.Now().After(deadline) {
				t.Fatalf("node %d has applied up to seq %d, not %d, within 20s:\n%s", i, h.AppliedSeq, lastSeq, n.proc.log())
			}
			time.Sleep(20 * time.Millisecond) // poll again
		}
		if h.AppliedSeq != lastSeq || h.Lag != 0 {
			t.Errorf("node %d: %+v, want applied_seq %d and lag 0", i, h, lastSeq)
		}
	}
	t.Logf("every node applied the %d changes (seq %d) %s after the kill", changes, lastSeq, time.Since(killedAt).Round(time.Millisecond))

	// The killed node resumed from what its index had applied, which
	// holds at least what it said it had applied before the kill.
	log := victim.proc.log()
	if m := joinedRE.FindStringSubmatch(log); m == nil || strings.Contains(log, "restored the snapshot") || strings.Contains(log, "created a new index") {
		t.Errorf("the killed node, started again, did not resume from its index:\n%s", log)
	} else if resumed, _ := strconv.ParseUint(m[1], 10, 64); resumed < before.AppliedSeq {
		t.Errorf("the killed node had applied up to seq %d, and started again from seq %d:\n%s", before.AppliedSeq, resumed, log)
	} else {
		t.Logf("the killed node started again from seq %d of its index", resumed)
	}

	// Each holds every article acknowledged, as sent, and no other, and
	// they answer searches alike.
	live := 0
	for _, a := range want {
		if a != nil {
			live++
		}
	}
	var answers [][]string
	var totals []string
	for i, n := range nodes {
		var st index.Stats
		status, body := n.proc.call(t, "GET", "/stats", "", nil)
		if status != http.StatusOK || json.Unmarshal([]byte(body), &st) != nil || st.Articles != uint64(live) {
			t.Errorf("node %d: /stats %d %s; want %d articles", i, status, body, live)
		}
		bad := 0
		for id, a := range want {
			status, body := n.proc.call(t, "GET", "/articles/"+id, "", nil)
			if a == nil {
				if status != http.StatusNotFound {
					bad++
					t.Errorf("node %d: deleted %s: %d %s", i, id, status, body)
				}
			} else {
				var got corpus.Article
				if status != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil ||
					contentHash(got.Title, got.Paragraphs) != contentHash(a.Title, a.Paragraphs) {
					bad++
					t.Errorf("node %d: %s: %d %s; want %q %q", i, id, status, body, a.Title, a.Paragraphs)
				}
			}
			if bad > 5 {
				t.Fatalf("node %d: too many articles wrong", i)
			}
		}
		var all []string
		for _, q := range killQueries {
			var r index.Result
			status, body := n.proc.call(t, "GET", fmt.Sprintf("/search?q=%s&size=%d&min_seq=%d", neturl.QueryEscape(q), index.MaxSize, lastSeq), "", nil)
			if status != http.StatusOK || json.Unmarshal([]byte(body), &r) != nil || r.Total == 0 {
				t.Fatalf("node %d: search %s: %d %s", i, q, status, body)
			}
			if r.Total >= index.MaxSize {
				// Fewer, every hit is on the page and rescored: no tie
				// at a cut, which nodes may break otherwise, arises.
				t.Errorf("search %q finds %d articles: the test wants queries that find fewer than %d", q, r.Total, index.MaxSize)
			}
			all = append(all, fmt.Sprintf("%s: total %d", q, r.Total))
			all = append(all, scoredHits(r)...)
			if i == 0 {
				totals = append(totals, fmt.Sprintf("%q %d", q, r.Total))
			}
		}
		answers = append(answers, all)
		if i > 0 && !slices.Equal(answers[0], all) {
			t.Errorf("node %d answers otherwise than node 0:\n%s\nnode 0:\n%s", i, strings.Join(all, "\n"), strings.Join(answers[0], "\n"))
		}
	}
	t.Logf("%d articles (%d deleted) written by %d changes, %d attempts sent again; searches agree (%s); %s in all",
		live, len(want)-live, changes, writers[0].retries+writers[1].retries, strings.Join(totals, ", "), time.Since(start).Round(time.Millisecond))
}

// killQueries each find fewer articles than a page holds.
var killQueries = []string{"bão Đà Nẵng", "bóng đá Hà Nội", "chứng khoán Cần Thơ", "xăng Vinh", "Nha Trang", "Quy Nhơn"}

// scoredHits lists the hits as "id score", ties (equal scores) in ID
// order: nodes that applied the log in different batches may order ties
// differently.
func scoredHits(r index.Result) []string {
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
