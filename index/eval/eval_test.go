package eval

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/index/baseline"
)

func TestReadQueriesAndQrels(t *testing.T) {
	qs, err := ReadQueries(strings.NewReader("# known items\n1/written\tma túy\n\n1/no-diacritics\tma tuy\r\n"), "q.tsv")
	if err != nil || len(qs) != 2 || qs[1].Text != "ma tuy" || qs[1].Variant() != "no-diacritics" {
		t.Fatalf("ReadQueries = %v, %v", qs, err)
	}
	qr, err := ReadQrels(strings.NewReader("1/written\ta1\t3\n1/written\ta2\n"), "r.tsv")
	if err != nil || !slices.Equal(qr["1/written"], []Judgment{{"a1", 3}, {"a2", -1}}) {
		t.Fatalf("ReadQrels = %v, %v", qr, err)
	}
	for _, bad := range []struct{ queries, qrels string }{
		{queries: "1\tma túy\n2 ma tuy\n"},
		{queries: "1\tma\n1\ttúy\n"},
		{qrels: "1\ta1\tx\n"},
		{qrels: "1\n"},
	} {
		var err error
		if bad.queries != "" {
			_, err = ReadQueries(strings.NewReader(bad.queries), "q.tsv")
		} else {
			_, err = ReadQrels(strings.NewReader(bad.qrels), "r.tsv")
		}
		if err == nil || !strings.Contains(err.Error(), "line ") {
			t.Errorf("%q: error %v, want one naming the line", bad, err)
		}
	}
}

func TestMetrics(t *testing.T) {
	qrels := Qrels{
		"a": {{"x", 2}},
		"b": {{"y", -1}, {"z", -1}},
		"c": {{"w", -1}},
	}
	outcomes := []Outcome{
		grade(Query{ID: "a"}, qrels["a"], []Result{{"x", 2}, {"q", 0}}, time.Millisecond),
		grade(Query{ID: "b"}, qrels["b"], []Result{{"q", 0}, {"z", 0}, {"y", 0}}, 2*time.Millisecond),
		grade(Query{ID: "c"}, qrels["c"], []Result{{"q", 0}}, 3*time.Millisecond),
	}
	m := Summarize(outcomes, qrels)
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !near(m.MRR, (1+0.5+0)/3) || !near(m.Recall1, 1.0/3) || !near(m.Recall10, (1+1+0)/3.0) {
		t.Errorf("MRR %v R@1 %v R@10 %v", m.MRR, m.Recall1, m.Recall10)
	}
	ndcgB := (1/math.Log2(3) + 1/math.Log2(4)) / (1 + 1/math.Log2(3))
	if !near(m.NDCG10, (1+ndcgB+0)/3) {
		t.Errorf("nDCG %v, want %v", m.NDCG10, (1+ndcgB)/3)
	}
	if m.ParagraphAccuracy == nil || *m.ParagraphAccuracy != 1 {
		t.Errorf("paragraph accuracy %v", m.ParagraphAccuracy)
	}
	if m.P50Ms != 2 || m.P99Ms != 3 {
		t.Errorf("latency p50 %v p99 %v", m.P50Ms, m.P99Ms)
	}
	wrongPara := grade(Query{ID: "a"}, qrels["a"], []Result{{"x", 1}}, 0)
	if wrongPara.ParagraphRight == nil || *wrongPara.ParagraphRight {
		t.Error("wrong best paragraph counted right")
	}
}

func TestFlipTones(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hòa bình", "Hoà bình"},
		{"hoà thuý khoẻ", "hòa thúy khỏe"},
		{"THÚY", "THUÝ"},
		{"quý", "quý"},     // qu: the u is no vowel
		{"hoàng", "hoàng"}, // not open
		{"hoa thuy", "hoa thuy"},
		{"hoặc", "hoặc"},
		{"tuỳ, ", "tùy, "},
	}
	for _, tt := range tests {
		if got := flipTones(tt.in); got != tt.want {
			t.Errorf("flipTones(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func seedArticles(t *testing.T) []corpus.Article {
	t.Helper()
	var out []corpus.Article
	for a, err := range corpus.Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	more := []struct{ id, title, body string }{
		{"g1", "Giá vàng hôm nay tăng mạnh lên mức kỷ lục", "Giá vàng trong nước sáng nay tăng mạnh, vượt mức kỷ lục cũ nhờ giá thế giới đi lên."},
		{"g2", "Hòa bình và thịnh vượng cho khu vực", "Các nhà lãnh đạo cam kết giữ gìn hòa bình, thúc đẩy thịnh vượng chung."},
		{"g3", "Đắk Lắk khởi công đường cao tốc mới", "Tỉnh Đắk Lắk vừa khởi công tuyến đường cao tốc dài 117 km."},
		{"g4", "Thời tiết Hà Nội chuyển lạnh đột ngột", "Không khí lạnh tràn về khiến nhiệt độ Hà Nội giảm sâu trong đêm."},
	}
	for _, m := range more {
		out = append(out, corpus.Article{ID: m.id, Title: m.title, Paragraphs: []string{m.body}})
	}
	return out
}

func TestGenIsDeterministic(t *testing.T) {
	articles := seedArticles(t)
	q1, r1, err := Gen(slices.Values(articles), 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(articles)
	q2, r2, err := Gen(slices.Values(articles), 5, 7)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(q1, q2) || len(r1) != len(r2) {
		t.Fatalf("same seed, different order: different evaluations:\n%v\n%v", q1, q2)
	}
	if len(q1) != 5*len(Variants) {
		t.Fatalf("%d queries, want %d", len(q1), 5*len(Variants))
	}
	byVariant := map[string]string{}
	for _, q := range q1 {
		if strings.HasPrefix(q.ID, "1/") {
			byVariant[q.Variant()] = q.Text
		}
	}
	if byVariant["nfd"] != norm.NFD.String(byVariant["written"]) || strings.ContainsAny(byVariant["no-diacritics"], "đĐáàạ") {
		t.Errorf("variants of one title: %q", byVariant)
	}
	if _, _, err := Gen(slices.Values(articles), 100, 7); err == nil {
		t.Error("asked for more titles than exist: no error")
	}
}

// TestKnownItemSeedsBeatBaseline runs the whole evaluation on a small
// corpus: vnsearch and stock Bleve built from the same articles, titles
// left out.
func TestKnownItemSeedsBeatBaseline(t *testing.T) {
	ctx := context.Background()
	articles := seedArticles(t)
	queries, qrels, err := Gen(slices.Values(articles), 6, 1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	vn, err := index.Create(filepath.Join(dir, "vn"))
	if err != nil {
		t.Fatal(err)
	}
	defer vn.Close()
	if _, err := vn.AddStream(ctx, WithoutTitles(slices.Values(articles)), index.StreamOptions{}); err != nil {
		t.Fatal(err)
	}
	stock, err := baseline.Create(filepath.Join(dir, "stock"))
	if err != nil {
		t.Fatal(err)
	}
	defer stock.Close()
	if _, err := stock.AddStream(ctx, WithoutTitles(slices.Values(articles)), 100); err != nil {
		t.Fatal(err)
	}
	outcomes := map[string][]Outcome{}
	engines := []Engine{Index{Index: vn}, Baseline{stock}}
	var names []string
	for _, e := range engines {
		o, err := Run(ctx, e, queries, qrels)
		if err != nil {
			t.Fatal(err)
		}
		outcomes[e.Name()] = o
		names = append(names, e.Name())
	}
	r := NewReport(outcomes, names, qrels)
	var table strings.Builder
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + table.String())
	for _, v := range []string{"tone-flipped", "nfd"} {
		if row, _ := r.Row(v, "vnsearch"); row.SameAsWritten == nil || *row.SameAsWritten != 1 {
			t.Errorf("%s: vnsearch answers differ from the written titles': %v", v, row.SameAsWritten)
		}
	}
	written, _ := r.Row("written", "vnsearch")
	folded, _ := r.Row("no-diacritics", "vnsearch")
	stockFolded, _ := r.Row("no-diacritics", "bleve-standard")
	if folded.MRR < 0.95*written.MRR || folded.MRR <= stockFolded.MRR {
		t.Errorf("no diacritics: vnsearch MRR %.3f (written %.3f), stock %.3f", folded.MRR, written.MRR, stockFolded.MRR)
	}
	var per strings.Builder
	if err := r.WritePerQuery(&per); err != nil || strings.Count(per.String(), "\n") != 1+2*len(queries) {
		t.Errorf("per-query lines: %d, %v", strings.Count(per.String(), "\n"), err)
	}
}

type failing struct{}

func (failing) Name() string { return "failing" }
func (failing) Search(context.Context, string, int) ([]Result, error) {
	return nil, errors.New("boom")
}

func TestRunReportsEngineErrors(t *testing.T) {
	_, err := Run(context.Background(), failing{}, []Query{{ID: "1", Text: "ma túy"}}, Qrels{"1": {{"a", -1}}})
	if err == nil || !strings.Contains(err.Error(), "failing") || !strings.Contains(err.Error(), "ma túy") {
		t.Errorf("error %v: want the engine and the query named", err)
	}
}

func TestGenParagraphs(t *testing.T) {
	var articles []corpus.Article
	for i := range 20 {
		articles = append(articles, corpus.Article{ID: fmt.Sprintf("a%d", i), Title: "Tin",
			Paragraphs: []string{
				"Đoạn một có câu đầu tiên khá dài để làm truy vấn thử nghiệm. Câu thứ hai.",
				fmt.Sprintf("Đoạn hai số %d kể về chuyện ở làng bên cạnh con sông lớn. Rồi câu ngắn.", i),
				"Đoạn ba chỉ một câu.",
			}})
	}
	queries, qrels, rewritten, err := GenParagraphs(slices.Values(articles), 5, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) != 10 || len(rewritten) != 20 {
		t.Fatalf("%d queries, %d articles", len(queries), len(rewritten))
	}
	again, _, _, _ := GenParagraphs(slices.Values(articles), 5, 3)
	if !slices.Equal(queries, again) {
		t.Error("not deterministic")
	}
	byID := map[string]corpus.Article{}
	for _, a := range rewritten {
		byID[a.ID] = a
	}
	for _, q := range queries {
		j := qrels[q.ID][0]
		p := byID[j.Article].Paragraphs[j.Paragraph]
		if q.Variant() == "written" && (strings.Contains(p, q.Text) || !strings.Contains(articles[0].Paragraphs[0]+articles[0].Paragraphs[1], strings.Fields(q.Text)[0])) {
			t.Errorf("%s: %q still in its paragraph %q", q.ID, q.Text, p)
		}
		if strings.TrimSpace(p) == "" {
			t.Errorf("%s: paragraph left empty", q.ID)
		}
	}
}
