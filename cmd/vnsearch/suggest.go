package main

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
)

func newSuggestCommand(a *app) *cobra.Command {
	var (
		jsonOut bool
		n       int
	)
	cmd := &cobra.Command{
		Use:   "suggest PREFIX",
		Short: "Complete what a reader is typing from the phrases of the titles",
		Long: `Print completions of PREFIX taken from the titles of the indexed articles,
the commonest first, with how often titles hold each (a title a phrase
heads counts twice). Diacritics need not be typed: "trung kh" finds
"Trùng Khánh"; those typed rank first. A PREFIX ending in a space completes
the next syllable. --json prints what GET /suggest answers.`,
		Example: `  vnsearch suggest "trung kh"
  vnsearch suggest --json -n 5 "ma t"`,
		Args: needArgs("PREFIX"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			prefix := strings.Join(args, " ")
			loc, err := a.where()
			if err != nil {
				return err
			}
			if err := a.ensureDefault(ctx, loc); err != nil {
				return err
			}
			busy := fmt.Sprintf("ask that server instead, e.g. curl 'http://127.0.0.1:8080/suggest?q=%s'", url.QueryEscape(prefix))
			ix, err := a.open(loc, true, false, busy)
			if err != nil {
				return err
			}
			defer ix.Close()
			c, err := api.Suggest(ctx, ix, prefix, n)
			if err != nil {
				return err
			}
			if jsonOut {
				return api.WriteJSON(a.stdout, c, false)
			}
			for _, s := range c.Suggestions {
				fmt.Fprintf(a.stdout, "%s\t%d\n", s.Text, s.Count)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print JSON, as GET /suggest does")
	cmd.Flags().IntVarP(&n, "size", "n", api.DefaultSuggestions, fmt.Sprintf("number of completions (at most %d)", index.MaxSuggestions))
	return cmd
}
