package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
)

// statsSources is how many outlets the human output lists.
const statsSources = 10

func newStatsCommand(a *app) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Describe the index: articles, sources, size, dates",
		Args:  exactArgs(0, "no arguments"),
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
			if jsonOut {
				return api.WriteJSON(a.stdout, st, false)
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
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the JSON that GET /stats answers with")
	return cmd
}
