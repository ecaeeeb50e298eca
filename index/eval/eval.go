// Package eval measures ranking quality and speed the way TREC tools do:
// queries and relevance judgments (qrels) in, MRR@10, recall, nDCG@10 and
// latency percentiles out, for vnsearch and stock Bleve side by side.
//
// Queries are TSV lines "qid<TAB>query"; qrels are "qid<TAB>article_id" with
// an optional third column, the index of the relevant paragraph. A qid may
// carry a variant after a slash ("17/folded"); reports break results down
// by variant. Gen builds a known-item evaluation from a corpus: article
// titles as queries, in the variants Vietnamese readers type.
package eval

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Depth is how many results each query is judged on.
const Depth = 10

// Query is one evaluation query.
type Query struct {
	ID   string
	Text string
}

// Variant is the part of the query ID after its last slash, or "all".
func (q Query) Variant() string {
	if i := strings.LastIndexByte(q.ID, '/'); i >= 0 && i+1 < len(q.ID) {
		return q.ID[i+1:]
	}
	return "all"
}

// Judgment says an article is relevant to a query, and which of its
// paragraphs answers it when that is known (-1 otherwise).
type Judgment struct {
	Article   string
	Paragraph int
}

// Qrels are the relevance judgments, by query ID.
type Qrels map[string][]Judgment

// Result is one ranked article.
type Result struct {
	ID        string
	Paragraph int // the best-matching paragraph, -1 when unknown
}

// Engine answers queries.
type Engine interface {
	Name() string
	Search(ctx context.Context, query string, k int) ([]Result, error)
}

// ReadQueries reads "qid<TAB>query" lines. Blank lines and lines starting
// with # are skipped.
func ReadQueries(r io.Reader, name string) ([]Query, error) {
	var out []Query
	seen := map[string]int{}
	err := eachLine(r, name, func(line int, fields []string) error {
		if len(fields) != 2 || fields[0] == "" || strings.TrimSpace(fields[1]) == "" {
			return errors.New(`want "qid<TAB>query"`)
		}
		if first, dup := seen[fields[0]]; dup {
			return fmt.Errorf("query %q already given on line %d", fields[0], first)
		}
		seen[fields[0]] = line
		out = append(out, Query{ID: fields[0], Text: fields[1]})
		return nil
	})
	return out, err
}

// ReadQrels reads "qid<TAB>article_id[<TAB>paragraph]" lines.
func ReadQrels(r io.Reader, name string) (Qrels, error) {
	out := Qrels{}
	err := eachLine(r, name, func(_ int, fields []string) error {
		if len(fields) < 2 || len(fields) > 3 || fields[0] == "" || fields[1] == "" {
			return errors.New(`want "qid<TAB>article_id[<TAB>paragraph]"`)
		}
		j := Judgment{Article: fields[1], Paragraph: -1}
		if len(fields) == 3 {
			p, err := strconv.Atoi(fields[2])
			if err != nil || p < 0 {
				return fmt.Errorf("paragraph %q: want a number from 0", fields[2])
			}
			j.Paragraph = p
		}
		out[fields[0]] = append(out[fields[0]], j)
		return nil
	})
	return out, err
}

func eachLine(r io.Reader, name string, fn func(line int, fields []string) error) error {
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if line != "" {
			line = strings.TrimRight(line, "\r\n")
			if strings.TrimSpace(line) != "" && !strings.HasPrefix(line, "#") {
				if ferr := fn(n, strings.Split(line, "\t")); ferr != nil {
					return fmt.Errorf("eval: %s line %d: %w", name, n, ferr)
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("eval: %s line %d: %w", name, n, err)
		}
	}
}

// Outcome is how one engine did on one query.
type Outcome struct {
	Query   Query
	Rank    int // of the first relevant article in the top Depth; 0 if none
	Found   int // relevant articles in the top Depth
	Results []string
	Latency time.Duration
	// ParagraphRight is set when the query has a paragraph judgment: the
	// top article is relevant and its best paragraph is the judged one.
	ParagraphRight *bool
	// ParagraphRank is, when the query has a paragraph judgment, the rank
	// of the first result naming a judged article and paragraph; 0 if none.
	ParagraphRank int
	NDCG          float64
}

// Run asks engine every query that has judgments and grades the answers.
// Queries without judgments are skipped.
func Run(ctx context.Context, engine Engine, queries []Query, qrels Qrels) ([]Outcome, error) {
	var out []Outcome
	for _, q := range queries {
		judged := qrels[q.ID]
		if len(judged) == 0 {
			continue
		}
		start := time.Now()
		results, err := engine.Search(ctx, q.Text, Depth)
		latency := time.Since(start)
		if err != nil {
			return out, fmt.Errorf("eval: %s: query %s (%q): %w", engine.Name(), q.ID, q.Text, err)
		}
		out = append(out, grade(q, judged, results, latency))
	}
	return out, nil
}

func grade(q Query, judged []Judgment, results []Result, latency time.Duration) Outcome {
	o := Outcome{Query: q, Latency: latency}
	relevant := map[string]Judgment{}
	for _, j := range judged {
		relevant[j.Article] = j
	}
	var dcg float64
	for i, r := range results[:min(Depth, len(results))] {
		o.Results = append(o.Results, r.ID)
		j, ok := relevant[r.ID]
		if !ok {
			continue
		}
		o.Found++
		if o.Rank == 0 {
			o.Rank = i + 1
		}
		dcg += 1 / math.Log2(float64(i+2))
		if i == 0 && j.Paragraph >= 0 {
			right := r.Paragraph == j.Paragraph
			o.ParagraphRight = &right
		}
		if o.ParagraphRank == 0 && slices.ContainsFunc(judged, func(j Judgment) bool {
			return j.Article == r.ID && j.Paragraph >= 0 && j.Paragraph == r.Paragraph
		}) {
			o.ParagraphRank = i + 1
		}
	}
	if o.ParagraphRight == nil && slices.ContainsFunc(judged, func(j Judgment) bool { return j.Paragraph >= 0 }) {
		wrong := false
		o.ParagraphRight = &wrong
	}
	var ideal float64
	for i := range min(len(relevant), Depth) {
		ideal += 1 / math.Log2(float64(i+2))
	}
	o.NDCG = dcg / ideal
	return o
}

// Metrics summarize outcomes.
type Metrics struct {
	Queries  int     `json:"queries"`
	MRR      float64 `json:"mrr_at_10"`
	Recall1  float64 `json:"recall_at_1"`
	Recall10 float64 `json:"recall_at_10"`
	NDCG10   float64 `json:"ndcg_at_10"`
	// ParagraphAccuracy and ParagraphMRR are over the queries with
	// paragraph judgments, nil when there are none: the share whose top
	// result names the right article and paragraph, and the MRR@10 of
	// (article, paragraph) results.
	ParagraphAccuracy *float64 `json:"paragraph_accuracy_at_1,omitempty"`
	ParagraphMRR      *float64 `json:"paragraph_mrr_at_10,omitempty"`
	P50Ms             float64  `json:"latency_p50_ms"`
	P95Ms             float64  `json:"latency_p95_ms"`
	P99Ms             float64  `json:"latency_p99_ms"`
}

// Summarize computes the metrics of outcomes. recall@k counts a query as
// the share of its relevant articles in the top k.
func Summarize(outcomes []Outcome, qrels Qrels) Metrics {
	m := Metrics{Queries: len(outcomes)}
	if len(outcomes) == 0 {
		return m
	}
	var latencies []time.Duration
	paragraphs, right := 0, 0
	var paragraphMRR float64
	for _, o := range outcomes {
		if o.Rank > 0 {
			m.MRR += 1 / float64(o.Rank)
		}
		n := float64(len(distinctArticles(qrels[o.Query.ID])))
		if o.Rank == 1 {
			m.Recall1 += 1 / n
		}
		m.Recall10 += float64(o.Found) / n
		m.NDCG10 += o.NDCG
		if o.ParagraphRight != nil {
			paragraphs++
			if *o.ParagraphRight {
				right++
			}
			if o.ParagraphRank > 0 {
				paragraphMRR += 1 / float64(o.ParagraphRank)
			}
		}
		latencies = append(latencies, o.Latency)
	}
	count := float64(len(outcomes))
	m.MRR /= count
	m.Recall1 /= count
	m.Recall10 /= count
	m.NDCG10 /= count
	if paragraphs > 0 {
		acc := float64(right) / float64(paragraphs)
		m.ParagraphAccuracy = &acc
		pmrr := paragraphMRR / float64(paragraphs)
		m.ParagraphMRR = &pmrr
	}
	slices.Sort(latencies)
	pct := func(p float64) float64 {
		return float64(latencies[int(math.Ceil(p*float64(len(latencies))))-1]) / float64(time.Millisecond)
	}
	m.P50Ms, m.P95Ms, m.P99Ms = pct(0.50), pct(0.95), pct(0.99)
	return m
}

func distinctArticles(js []Judgment) map[string]bool {
	out := map[string]bool{}
	for _, j := range js {
		out[j.Article] = true
	}
	return out
}
