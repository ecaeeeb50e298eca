package eval

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// Report holds the metrics of several engines on one set of queries, by
// variant.
type Report struct {
	Engines  []string             `json:"engines"`
	Variants []string             `json:"variants"`
	Rows     []Row                `json:"rows"`
	outcomes map[string][]Outcome // by engine
}

// Row is one engine on one variant.
type Row struct {
	Variant string `json:"variant"`
	Engine  string `json:"engine"`
	Metrics
	// SameAsWritten is the share of queries whose top results are exactly
	// those of the same title as written; nil for the written variant.
	SameAsWritten *float64 `json:"same_as_written,omitempty"`
}

// NewReport summarizes each engine's outcomes by variant. Variants are
// listed in the order of Variants, then any others.
func NewReport(outcomes map[string][]Outcome, engines []string, qrels Qrels) *Report {
	r := &Report{Engines: engines, outcomes: outcomes}
	seen := map[string]bool{}
	for _, e := range engines {
		for _, o := range outcomes[e] {
			seen[o.Query.Variant()] = true
		}
	}
	for _, v := range Variants {
		if seen[v.Name] {
			r.Variants = append(r.Variants, v.Name)
			delete(seen, v.Name)
		}
	}
	var rest []string
	for v := range seen {
		rest = append(rest, v)
	}
	slices.Sort(rest)
	r.Variants = append(r.Variants, rest...)

	variants := r.Variants
	if len(variants) > 1 {
		variants = append(variants, "all")
	}
	for _, v := range variants {
		for _, e := range engines {
			var these []Outcome
			written := map[string][]string{}
			for _, o := range outcomes[e] {
				if o.Query.Variant() == v || v == "all" {
					these = append(these, o)
				}
				if o.Query.Variant() == "written" {
					written[base(o.Query.ID)] = o.Results
				}
			}
			row := Row{Variant: v, Engine: e, Metrics: Summarize(these, qrels)}
			if v != "written" && v != "all" && len(written) > 0 {
				same, n := 0, 0
				for _, o := range these {
					if w, ok := written[base(o.Query.ID)]; ok {
						n++
						if slices.Equal(w, o.Results) {
							same++
						}
					}
				}
				if n > 0 {
					share := float64(same) / float64(n)
					row.SameAsWritten = &share
				}
			}
			r.Rows = append(r.Rows, row)
		}
	}
	return r
}

func base(qid string) string {
	if i := strings.LastIndexByte(qid, '/'); i >= 0 {
		return qid[:i]
	}
	return qid
}

// Row returns the metrics of engine on variant.
func (r *Report) Row(variant, engine string) (Row, bool) {
	for _, row := range r.Rows {
		if row.Variant == variant && row.Engine == engine {
			return row, true
		}
	}
	return Row{}, false
}

// WriteTable writes the report as a table for people.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tengine\tqueries\tMRR@10\tR@1\tR@10\tnDCG@10\tpara@1\tpMRR@10\tsame\tp50 ms\tp95 ms\tp99 ms\t")
	for _, row := range r.Rows {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%s\t%s\t%s\t%.1f\t%.1f\t%.1f\t\n",
			row.Variant, row.Engine, row.Queries, row.MRR, row.Recall1, row.Recall10, row.NDCG10,
			share(row.ParagraphAccuracy), share(row.ParagraphMRR), share(row.SameAsWritten), row.P50Ms, row.P95Ms, row.P99Ms)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintln(w, "para@1: top article right and its best paragraph right; pMRR@10: MRR of (article, paragraph) results; same: share of queries answered exactly as the title as written")
	return err
}

func share(p *float64) string {
	if p == nil {
		return "-"
	}
	return fmt.Sprintf("%.4f", *p)
}

// WritePerQuery writes one TSV line per engine and query: qid, engine,
// rank of the first relevant article (0: not in the top 10), the top hit,
// the query — so that regressions can be read one by one.
func (r *Report) WritePerQuery(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "qid\tengine\trank\ttop\tquery"); err != nil {
		return err
	}
	for _, e := range r.Engines {
		for _, o := range r.outcomes[e] {
			top := ""
			if len(o.Results) > 0 {
				top = o.Results[0]
			}
			if _, err := fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", o.Query.ID, e, o.Rank, top, o.Query.Text); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteQueries writes queries as "qid<TAB>query" lines.
func WriteQueries(w io.Writer, queries []Query) error {
	for _, q := range queries {
		if _, err := fmt.Fprintf(w, "%s\t%s\n", q.ID, strings.ReplaceAll(q.Text, "\t", " ")); err != nil {
			return err
		}
	}
	return nil
}

// WriteQrels writes judgments as "qid<TAB>article_id[<TAB>paragraph]" lines,
// in the order of queries.
func WriteQrels(w io.Writer, queries []Query, qrels Qrels) error {
	for _, q := range queries {
		for _, j := range qrels[q.ID] {
			line := q.ID + "\t" + j.Article
			if j.Paragraph >= 0 {
				line += fmt.Sprintf("\t%d", j.Paragraph)
			}
			if _, err := fmt.Fprintln(w, line); err != nil {
				return err
			}
		}
	}
	return nil
}
