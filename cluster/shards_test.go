package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/vnsearch/vnsearch/analyzer"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// shardVocab is the words of the synthetic articles, the commonest first.
var shardVocab = strings.Fields(`công an tỉnh người dân hà nội giá vàng tăng mạnh thị trường chứng khoán
	ma túy bắt giữ xe khách lật đèo hà giang mưa lũ miền trung điện nước trường học sinh viên bệnh viện bác sĩ
	giao thông tai nạn cao tốc bóng đá đội tuyển việt nam thủ tướng chính phủ quốc hội kinh tế xuất khẩu gạo
	cà phê du lịch đà nẵng hội an sân bay máy bay đường sắt bắc nam thời tiết nắng nóng rét đậm học phí
	bất động sản chung cư ngân hàng lãi suất tín dụng doanh nghiệp nhà máy công nhân lương hưu bảo hiểm`)

// shardArticles makes n articles of Zipf-distributed words, with outlets,
// categories and dates for facets and sorting by date.
func shardArticles(n int) []corpus.Article {
	rng := rand.New(rand.NewPCG(12, 4))
	zipf := rand.NewZipf(rng, 1.05, 2, uint64(len(shardVocab)-1))
	text := func(words int) string {
		w := make([]string, words)
		for i := range w {
			w[i] = shardVocab[zipf.Uint64()]
		}
		return strings.Join(w, " ")
	}
	sources := []string{"vnexpress", "tuoitre", "thanhnien", "dantri", "vietnamnet", "zing", "laodong"}
	categories := []string{"thời sự", "kinh doanh", "thể thao", "giáo dục", "sức khỏe", "du lịch"}
	out := make([]corpus.Article, n)
	for i := range out {
		a := corpus.Article{
			ID:         fmt.Sprintf("s%04d", i),
			Title:      text(4 + rng.IntN(8)),
			Source:     sources[rng.IntN(len(sources))],
			Category:   categories[rng.IntN(len(categories))],
			Summary:    text(5 + rng.IntN(20)),
			Paragraphs: []string{text(10 + rng.IntN(80)), text(5 + rng.IntN(150))},
		}
		if i%9 != 0 {
			day := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(400*24)) * time.Hour)
			a.Published = corpus.Date{Time: day, Precision: corpus.Instant}
		}
		out[i] = a
	}
	return out
}

// shardQueries makes queries of one to four words, some quoted or with an
// exclusion, each as written and folded.
func shardQueries(n int) []string {
	rng := rand.New(rand.NewPCG(5, 9))
	var out []string
	for range n {
		w := make([]string, 1+rng.IntN(4))
		for i := range w {
			w[i] = shardVocab[rng.IntN(len(shardVocab))]
		}
		q := strings.Join(w, " ")
		switch rng.IntN(8) {
		case 0:
			q = `"` + strings.Join(w[:min(2, len(w))], " ") + `" ` + strings.Join(w[min(2, len(w)):], " ")
		case 1:
			q += " -" + shardVocab[rng.IntN(len(shardVocab))]
		}
		out = append(out, q, analyzer.Fold(q))
	}
	return out
}

// shardReplica is one node serving one shard.
type shardReplica struct {
	shard  int
	node   *ShardNode
	ix     *index.Index
	cancel context.CancelFunc
	done   chan error
}

func (r *shardReplica) kill(t testing.TB) {
	t.Helper()
	if r.cancel == nil {
		return
	}
	r.cancel()
	if err := <-r.done; err != nil {
		t.Error(err)
	}
	r.cancel = nil
	r.node.Close()
	if err := r.ix.Close(); err != nil {
		t.Error(err)
	}
}

// sameUpToTies compares the IDs of got with want's, where hits of equal
// score may come in either order or be others of that score at the end.
func sameUpToTies(got, want []index.Hit) (exact, ties bool) {
	ids := func(hs []index.Hit) []string {
		var out []string
		for _, h := range hs {
			out = append(out, h.ID)
		}
		return out
	}
	if slices.Equal(ids(got), ids(want)) {
		return true, true
	}
	if len(got) != len(want) {
		return false, false
	}
	for i := range got {
		if got[i].ID != want[i].ID && got[i].Score != want[i].Score {
			return false, false
		}
	}
	return false, true
}

// TestShardedSearchAnswersAsOneIndex runs 4 shards × 2 replicas, each on
// its own index, and one local index over the same articles, and checks
// that every query finds the same top ten in the same order; then that
// with one replica of each shard stopped the answers are still whole, and
// with both of one shard stopped they are partial and say so.
func TestShardedSearchAnswersAsOneIndex(t *testing.T) {
	ctx := context.Background()
	const shards = 4
	s, nc, log := openTestLog(t, shards)
	if _, err := OpenShards(ctx, nc, 1, 3); err == nil || !strings.Contains(err.Error(), "created with 4 shards") {
		t.Errorf("joining with another number of shards: %v", err)
	}
	if l, err := Open(ctx, nc, 1); err != nil || l.Shards() != shards {
		t.Errorf("joining without a number: %v shards, %v", l, err)
	}

	var replicas []*shardReplica
	for k := range shards {
		for r := range 2 {
			replicas = append(replicas, startShardReplica(t, s.ClientURL(), k, filepath.Join(t.TempDir(), fmt.Sprintf("r%d-shard-%d", r, k))))
		}
	}
	t.Cleanup(func() {
		for _, r := range replicas {
			r.kill(t)
		}
	})

	whole, err := index.Create(filepath.Join(t.TempDir(), "whole"))
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	articles := shardArticles(800)
	var seq uint64
	for i := 0; i < len(articles); i += 100 {
		batch := articles[i:min(i+100, len(articles))]
		if seq, err = log.PublishArticles(ctx, "", 0, batch); err != nil {
			t.Fatal(err)
		}
		if _, err := whole.Add(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < len(articles); i += 17 {
		if seq, err = log.PublishDelete(ctx, "", articles[i].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := whole.Delete(ctx, articles[i].ID); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range replicas {
		// A replica whose shard's last change is older than seq is caught
		// up to seq once it has seen the stream's end.
		if err := r.node.Replicas()[0].WaitApplied(ctx, seq, 20*time.Second); err != nil {
			t.Fatalf("replica of shard %d: %v", r.shard, err)
		}
	}
	var held uint64
	for _, r := range firstReplicas(replicas) {
		st, _ := r.ix.Stats(ctx)
		held += st.Articles
	}
	if st, _ := whole.Stats(ctx); held != st.Articles {
		t.Fatalf("the shards hold %d articles, the whole index %d", held, st.Articles)
	}

	sharded := NewSharded(nc, shards)
	sharded.Timeout = 10 * time.Second
	if err := sharded.WaitApplied(ctx, seq, time.Second); err != nil {
		t.Errorf("the cluster's wait for seq %d: %v", seq, err)
	}
	if err := sharded.WaitApplied(ctx, seq+1, 100*time.Millisecond); !errors.Is(err, ErrNotApplied) {
		t.Errorf("the cluster's wait for a sequence not written: %v", err)
	}
	queries := shardQueries(150)
	check := func(queries []string, answered int) (exact, ties int) {
		t.Helper()
		for i, q := range queries {
			r := index.Request{Query: q, Size: 10}
			if i%10 == 3 {
				r.Facets = []string{"source", "category", "month"}
			}
			want, err := whole.Search(ctx, r)
			if err != nil {
				t.Fatalf("%q: %v", q, err)
			}
			got, e, tie := compareSearch(t, sharded, want, r)
			if got.Shards == nil || *got.Shards != (index.ShardsAnswered{Total: shards, Answered: answered}) {
				t.Fatalf("%q: shards %+v, want %d of %d answered", q, got.Shards, answered, shards)
			}
			switch {
			case e:
				exact++
			case tie:
				ties++
			}
			if fmt.Sprint(got.Facets) != fmt.Sprint(want.Facets) {
				t.Errorf("%q: facets %v\n one index %v", q, got.Facets, want.Facets)
			}
		}
		return exact, ties
	}
	exact, ties := check(queries, shards)
	t.Logf("%d queries: %d the same top ten in the same order, %d the same up to ties", len(queries), exact, ties)
	if exact < len(queries)*9/10 {
		t.Errorf("only %d of %d queries answered exactly as one index", exact, len(queries))
	}

	// Deeper pages, sorted by date, grouped by story, filtered, with
	// other ranking parameters.
	params := index.DefaultParams()
	params.RescoreDepth, params.BM25B = 20, 0.5
	for _, q := range queries[:20] {
		for _, r := range []index.Request{
			{Query: q, From: 10, Size: 20},
			{Query: q, Size: 10, Sort: index.ByDate},
			{Query: q, Size: 5, Group: index.GroupStory},
			{Query: q, Size: 10, Sources: []string{"tuoitre", "dantri"}, Categories: []string{"kinh doanh"},
				Since: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC)},
			{Query: q, Size: 10, Params: &params},
		} {
			want, err := whole.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			got, err := sharded.Search(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			if _, tie := sameUpToTies(got.Hits, want.Hits); !tie {
				t.Errorf("%+v: sharded %v\n one index %v", r, scoredIDs(got.Hits), scoredIDs(want.Hits))
			}
		}
	}
	a, err := sharded.Get(ctx, articles[5].ID)
	if err != nil || a.Title != articles[5].Title {
		t.Errorf("get %s: %q, %v", articles[5].ID, a.Title, err)
	}
	if _, err := sharded.Get(ctx, articles[17].ID); !errors.Is(err, index.ErrNotFound) {
		t.Errorf("get of a deleted article: %v", err)
	}
	st, err := sharded.Stats(ctx)
	if wst, _ := whole.Stats(ctx); err != nil || st.Articles != wst.Articles || fmt.Sprint(st.Sources) != fmt.Sprint(wst.Sources) {
		t.Errorf("stats %+v, %v\n one index %+v", st, err, wst)
	}

	// One replica of every shard stopped: the others answer it all.
	for _, r := range firstReplicas(replicas) {
		r.kill(t)
	}
	check(queries[:60], shards)

	// Both replicas of shard 2 stopped: the answer is partial, and says so.
	replicas[5].kill(t)
	for _, q := range queries[:20] {
		got, err := sharded.Search(ctx, index.Request{Query: q, Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		if got.Shards == nil || *got.Shards != (index.ShardsAnswered{Total: shards, Answered: 3}) {
			t.Fatalf("%q: shards %+v, want 3 of 4 answered", q, got.Shards)
		}
		for _, h := range got.Hits {
			if ShardOf(h.ID, shards) == 2 {
				t.Errorf("%q: hit %s of the stopped shard", q, h.ID)
			}
		}
	}
	for _, a := range articles {
		if ShardOf(a.ID, shards) == 2 {
			if _, err := sharded.Get(ctx, a.ID); !errors.Is(err, index.ErrUnavailable) {
				t.Errorf("get %s of the stopped shard: %v", a.ID, err)
			}
			break
		}
	}
}

func scoredIDs(hits []index.Hit) []string {
	var out []string
	for _, h := range hits {
		out = append(out, fmt.Sprintf("%s:%.4f", h.ID, h.Score))
	}
	return out
}

// firstReplicas is the first replica of each shard.
func firstReplicas(rs []*shardReplica) []*shardReplica {
	var out []*shardReplica
	for i := 0; i < len(rs); i += 2 {
		out = append(out, rs[i])
	}
	return out
}

// TestShardRequestAskedAgain checks that a request a replica never
// answers (it died with it in hand) is asked again.
func TestShardRequestAskedAgain(t *testing.T) {
	s := startNATS(t)
	nc := connect(t, s)
	var seen int
	var mu sync.Mutex
	replica := connect(t, s)
	sub, err := replica.QueueSubscribe(shardSubject(0), shardSubject(0), func(msg *nats.Msg) {
		mu.Lock()
		seen++
		first := seen == 1
		mu.Unlock()
		if first {
			return // lost
		}
		data, _ := json.Marshal(shardResponse{Article: &corpus.Article{ID: "x", Title: "Một"}})
		msg.Respond(data)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	// The server knows of the subscription once the replica's connection
	// has flushed it: otherwise the first request finds no responder.
	if err := replica.Flush(); err != nil {
		t.Fatal(err)
	}
	sharded := NewSharded(nc, 1)
	sharded.Timeout = 200 * time.Millisecond
	a, err := sharded.Get(context.Background(), "x")
	mu.Lock()
	defer mu.Unlock()
	if err != nil || a.Title != "Một" || seen != 2 {
		t.Fatalf("get: %+v, %v after %d requests", a, err, seen)
	}
}

// baomoiPath is the shared corpus of real articles, beside the repository
// clone; tests that read it skip when it is absent.
var baomoiPath = filepath.Join("..", "..", "shared", "corpus", "baomoi-35k.jsonl.gz")

// TestShardedSearchOnRealNews is TestShardedSearchAnswersAsOneIndex's
// parity check on real articles (4 shards, one replica each): queries are
// the first words of titles, as written and folded.
func TestShardedSearchOnRealNews(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("short or race: indexes thousands of real articles twice")
	}
	ctx := context.Background()
	sharded, whole, articles := realNewsCluster(t, 3000, 4)
	queries := titleQueries(articles, 150, 4)
	// Long queries too: what every shard says of them must still fit a
	// NATS message.
	for i := range 4 {
		body := strings.Join(articles[i*7].Paragraphs, " ")
		for len([]rune(body)) > index.MaxQueryLength {
			body = body[:strings.LastIndex(body, " ")]
		}
		queries = append(queries, analyzer.Fold(body))
	}
	exact, ties, restored, expanded := 0, 0, 0, 0
	for _, q := range queries {
		r := index.Request{Query: q, Size: 10}
		want, err := whole.Search(ctx, r)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		_, e, tie := compareSearch(t, sharded, want, r)
		switch {
		case e:
			exact++
		case tie:
			ties++
		}
		if want.DidYouMean != "" {
			restored++
		}
		if alts, _ := whole.Expansions(q); len(alts) > 0 {
			expanded++
		}
	}
	t.Logf("%d articles, %d queries (%d restored, %d with synonyms): %d the same top ten in the same order, %d the same up to ties",
		len(articles), len(queries), restored, expanded, exact, ties)
	if restored == 0 || expanded == 0 {
		t.Errorf("the queries exercise restoration %d times and synonyms %d times: both are wanted", restored, expanded)
	}
	for _, q := range []string{"ubnd", "tp.hcm", "csgt"} {
		got, err := sharded.Expansions(q)
		want, _ := whole.Expansions(q)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%q: the cluster expands to %v (%v), one index to %v", q, got, err, want)
		}
	}

	// Suggestions: merged from each shard's phrases starting with the
	// prefix, close to one index's (see index.MergeSuggestions).
	top, overlap, prefixes := 0, 0.0, 0
	for i := 0; i < len(articles) && prefixes < 60; i += 37 {
		syl := strings.Fields(analyzer.Fold(strings.ToLower(articles[i].Title)))
		if len(syl) < 2 || len(syl[1]) < 2 {
			continue
		}
		prefix := syl[0] + " " + syl[1][:2]
		want, err := whole.Suggest(ctx, prefix, 5)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 {
			continue
		}
		got, err := sharded.Suggest(ctx, prefix, 5)
		if err != nil {
			t.Fatalf("%q: sharded suggest: %v", prefix, err)
		}
		prefixes++
		if len(got) > 0 && got[0].Text == want[0].Text {
			top++
		}
		same := 0
		for _, w := range want {
			for _, g := range got {
				if g.Text == w.Text {
					same++
				}
			}
		}
		overlap += float64(same) / float64(len(want))
	}
	t.Logf("suggestions for %d prefixes: the same first for %d, %.0f%% of one index's found", prefixes, top, 100*overlap/float64(prefixes))
	if prefixes < 20 || top < prefixes*9/10 || overlap < 0.9*float64(prefixes) {
		t.Errorf("suggestions for %d prefixes: the same first for %d, %.0f%% of one index's found", prefixes, top, 100*overlap/float64(prefixes))
	}
}

// TestShardReplicasApplyTheirShardOnly publishes one at a time and in
// bulk to a cluster of three shards and checks that each shard's replica
// holds exactly the articles ShardOf gives it, and is caught up to the
// stream's last sequence though its own last change is older.
func TestShardReplicasApplyTheirShardOnly(t *testing.T) {
	ctx := context.Background()
	const shards = 3
	_, nc, log := openTestLog(t, shards)
	var reps []*Replica
	for k := range shards {
		ix, err := index.Create(filepath.Join(t.TempDir(), fmt.Sprint("shard-", k)))
		if err != nil {
			t.Fatal(err)
		}
		rep, err := NewShardReplica(nc, ix, k, shards)
		if err != nil {
			t.Fatal(err)
		}
		runCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- rep.Run(runCtx) }()
		t.Cleanup(func() { cancel(); <-done; ix.Close() })
		reps = append(reps, rep)
	}
	var ids []string
	for i := range 20 {
		a := article(i)
		ids = append(ids, a.ID)
		if _, err := log.Publish(ctx, Change{Article: &a}, MsgID("", 0)); err != nil {
			t.Fatal(err)
		}
	}
	bulk, err := log.Bulk(8)
	if err != nil {
		t.Fatal(err)
	}
	for i := 20; i < 50; i++ {
		a := article(i)
		ids = append(ids, a.ID)
		if err := bulk.Add(ctx, Change{Article: &a}, MsgID("", 0)); err != nil {
			t.Fatal(err)
		}
	}
	if st := bulk.Wait(); st.Failed > 0 {
		t.Fatalf("bulk: %+v", st)
	}
	last, err := log.PublishDelete(ctx, "", ids[0])
	if err != nil {
		t.Fatal(err)
	}
	for k, rep := range reps {
		if err := rep.WaitApplied(ctx, last, 10*time.Second); err != nil {
			t.Fatalf("shard %d: %v", k, err)
		}
		for _, id := range ids[1:] {
			_, err := rep.Index().Get(ctx, id)
			if mine := ShardOf(id, shards) == k; mine != (err == nil) {
				t.Errorf("shard %d: %s of shard %d: %v", k, id, ShardOf(id, shards), err)
			}
		}
		if _, err := rep.Index().Get(ctx, ids[0]); err == nil {
			t.Errorf("shard %d holds the deleted %s", k, ids[0])
		}
	}
	if _, err := NewShardReplica(nc, reps[0].Index(), 3, shards); err == nil {
		t.Error("a replica of shard 3 of 3 was made")
	}
}

// realNewsCluster indexes the first n articles of baomoi into one index
// and into a cluster of shards shards (one replica each), and returns a
// Sharded of the cluster, the index and the articles.
func realNewsCluster(t testing.TB, n, shards int) (*Sharded, *index.Index, []corpus.Article) {
	if _, err := os.Stat(baomoiPath); err != nil {
		t.Skipf("no corpus of real articles at %s: %v", baomoiPath, err)
	}
	ctx := context.Background()
	var articles []corpus.Article
	for a, err := range corpus.Articles(ctx, baomoiPath) {
		if err != nil {
			continue
		}
		articles = append(articles, a)
		if len(articles) == n {
			break
		}
	}
	s, nc, log := openTestLog(t, shards)
	var nodes []*shardReplica
	for k := range shards {
		nodes = append(nodes, startShardReplica(t, s.ClientURL(), k, filepath.Join(t.TempDir(), fmt.Sprint("shard-", k))))
	}
	t.Cleanup(func() {
		for _, r := range nodes {
			r.kill(t)
		}
	})
	whole, err := index.Create(filepath.Join(t.TempDir(), "whole"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { whole.Close() })
	seq, err := log.PublishArticles(ctx, "", 0, articles)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := whole.Add(ctx, articles); err != nil {
		t.Fatal(err)
	}
	for _, r := range nodes {
		if err := r.node.Replicas()[0].WaitApplied(ctx, seq, 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	sharded := NewSharded(nc, shards)
	sharded.Timeout = 10 * time.Second
	return sharded, whole, articles
}

// startShardReplica starts a node serving shard of the cluster at url,
// its index created in dir.
func startShardReplica(t testing.TB, url string, shard int, dir string) *shardReplica {
	t.Helper()
	rep := &shardReplica{shard: shard, done: make(chan error, 1)}
	node, err := JoinShards(context.Background(), Config{URLs: url, ServeShards: []int{shard}}, func(int) (*index.Index, error) {
		ix, err := index.Create(dir)
		rep.ix = ix
		return ix, err
	})
	if err != nil {
		t.Fatal(err)
	}
	rep.node = node
	var runCtx context.Context
	runCtx, rep.cancel = context.WithCancel(context.Background())
	go func() { rep.done <- node.Run(runCtx) }()
	return rep
}

// compareSearch searches r on the cluster and checks what it answers
// against want, one index's answer: the same hits in the same order up to
// ties (exact, tie), the same total, the same restoration offered.
func compareSearch(t *testing.T, sharded *Sharded, want *index.Result, r index.Request) (got *index.Result, exact, tie bool) {
	t.Helper()
	got, err := sharded.Search(context.Background(), r)
	if err != nil {
		t.Fatalf("%q: sharded: %v", r.Query, err)
	}
	if exact, tie = sameUpToTies(got.Hits, want.Hits); !tie {
		t.Errorf("%q: sharded %v\n one index %v", r.Query, scoredIDs(got.Hits), scoredIDs(want.Hits))
	}
	if got.Total != want.Total {
		t.Errorf("%q: total %d, one index %d", r.Query, got.Total, want.Total)
	}
	if got.DidYouMean != want.DidYouMean {
		t.Errorf("%q: did you mean %q, one index %q", r.Query, got.DidYouMean, want.DidYouMean)
	}
	return got, exact, tie
}

// titleQueries draws n queries from the titles of articles, one to
// longest syllables from a title's start, each as written and folded.
func titleQueries(articles []corpus.Article, n, longest int) []string {
	rng := rand.New(rand.NewPCG(3, 3))
	var queries []string
	for range n {
		words := strings.Fields(articles[rng.IntN(len(articles))].Title)
		q := strings.Join(words[:min(len(words), 1+rng.IntN(longest))], " ")
		queries = append(queries, q, analyzer.Fold(q))
	}
	return queries
}
