package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
)

func newAnalyzeCommand(a *app) *cobra.Command {
	var folded, jsonOut bool
	cmd := &cobra.Command{
		Use:   "analyze TEXT...",
		Short: "Show the tokens the index makes of a text",
		Long: `Show the tokens the index makes of a text, with their positions and byte
offsets, as Elasticsearch's _analyze does: to see why something matches, or
does not. --folded shows them without diacritics, as queries match.
Several arguments are joined with spaces.`,
		Example: `  vnsearch analyze "Ma túy đá"
  vnsearch analyze --folded --json TP.HCM`,
		Args: needArgs("TEXT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			tokens, err := api.Analyze(strings.Join(args, " "), folded)
			if err != nil {
				return err
			}
			if jsonOut {
				return api.WriteJSON(a.stdout, tokens, false)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "POSITION\tSTART\tEND\tTERM")
			for _, t := range tokens {
				fmt.Fprintf(tw, "%d\t%d\t%d\t%s\n", t.Position, t.Start, t.End, plain(t.Term))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&folded, "folded", false, "fold the tokens: no diacritics, đ as d")
	cmd.Flags().BoolVar(&jsonOut, "json", false, `print [{"term","position","start","end"}], as GET /analyze does`)
	return cmd
}
