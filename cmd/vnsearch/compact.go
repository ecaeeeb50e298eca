package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCompactCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "compact",
		Short: "Merge the index's segments and recount its BM25 length totals",
		Long: `Merge the index's segments into one, so that it takes less room and
searches visit one segment, and recount the body length totals BM25 ranks
with from the articles themselves. vnsearch index does this by itself after
a bulk load.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			loc, err := a.where()
			if err != nil {
				return err
			}
			ix, err := a.open(loc, false, false, "stop that process first")
			if err != nil {
				return err
			}
			defer ix.Close()
			if err := ix.Compact(cmd.Context()); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "compacted %s\n", loc.path)
			return nil
		},
	}
}
