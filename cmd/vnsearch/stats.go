package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/ingest"
)

// statsSources is how many outlets the human output lists.
const statsSources = 10

func newStatsCommand(a *app) *cobra.Command {
	var jsonOut, verify bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Describe the index: articles, sources, size, dates",
		Long: `Describe the index: articles, sources, size on disk, dates.

With --verify, also sum the body lengths every article records and compare
the sum with the totals BM25 ranks with; a difference (drift) makes the exit
code 1, and "vnsearch compact" recounts them.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			loc, err := a.where()
			if err != nil {
				return err
			}
			ix, err := a.open(loc, true, false, "ask that server instead, e.g. curl http://127.0.0.1:8080/stats")
			if err != nil {
				return err
			}
			defer ix.Close()
			st, err := ix.Stats(cmd.Context())
			if err != nil {
				return err
			}
			ingested, err := ingestStatus(ix)
			if err != nil {
				return err
			}
			var check *index.LengthCheck
			if verify {
				c, err := ix.VerifyLengths(cmd.Context())
				if err != nil {
					return err
				}
				check = &c
			}
			drift := func() error {
				if check != nil && check.Drift() {
					return fmt.Errorf("the BM25 length totals drifted from what the articles hold; run `vnsearch compact` to recount them")
				}
				return nil
			}
			if jsonOut {
				out := struct {
					index.Stats
					Ingest  *ingest.Status     `json:"ingest,omitempty"`
					Lengths *index.LengthCheck `json:"lengths,omitempty"`
				}{st, ingested, check}
				if err := api.WriteJSON(a.stdout, out, false); err != nil {
					return err
				}
				return drift()
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintf(tw, "index:\t%s\n", loc.path)
			fmt.Fprintf(tw, "articles:\t%d\n", st.Articles)
			fmt.Fprintf(tw, "size on disk:\t%s\n", api.HumanBytes(st.SizeBytes))
			switch {
			case st.Oldest.IsZero():
				fmt.Fprintf(tw, "dates:\tnone known\n")
			default:
				fmt.Fprintf(tw, "dates:\t%s to %s\n", api.DisplayDate(st.Oldest), api.DisplayDate(st.Newest))
			}
			if len(st.Sources) == 0 {
				fmt.Fprintf(tw, "sources:\tnone known\n")
			}
			for i, sc := range st.Sources {
				label := ""
				if i == 0 {
					label = "sources:"
				}
				if i == statsSources {
					fmt.Fprintf(tw, "\t… %d more in --json\n", len(st.Sources)-statsSources)
					break
				}
				name := plain(sc.Source)
				if name == "" {
					name = "(none)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\n", label, name, sc.Articles)
			}
			if check != nil {
				verdict := "no drift"
				if check.Drift() {
					verdict = fmt.Sprintf("DRIFT: recorded %d tokens (%d marked)", check.Recorded.Tokens, check.Recorded.Marked)
				}
				fmt.Fprintf(tw, "BM25 lengths:\t%d tokens (%d with diacritics) over %d articles: %s\n",
					check.Counted.Tokens, check.Counted.Marked, check.Articles, verdict)
			}
			printIngest(tw, ingested)
			if err := tw.Flush(); err != nil {
				return err
			}
			return drift()
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the JSON that GET /stats answers with")
	cmd.Flags().BoolVar(&verify, "verify", false, "check the BM25 length totals against the articles")
	return cmd
}
