package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
)

func newAnalyzeCommand(a *app) *cobra.Command {
	var folded, jsonOut, expand bool
	cmd := &cobra.Command{
		Use:   "analyze TEXT...",
		Short: "Show the tokens the index makes of a text",
		Long: `Show the tokens the index makes of a text, with their positions and byte
offsets, as Elasticsearch's _analyze does: to see why something matches, or
does not. --folded shows them without diacritics, as queries match.
Several arguments are joined with spaces.

When the text, as a query, holds a form of a synonym (built in, mined from
the index's articles, or in --synonyms), the other forms it is searched as
follow the tokens; --json prints them with --expand.`,
		Example: `  vnsearch analyze "Ma túy đá"
  vnsearch analyze --folded --json TP.HCM
  vnsearch analyze --json --expand "ubnd tỉnh"`,
		Args: needArgs("TEXT"),
		RunE: func(cmd *cobra.Command, args []string) error {
			text := strings.Join(args, " ")
			tokens, err := api.Analyze(text, folded)
			if err != nil {
				return err
			}
			expansions, err := a.expansions(text)
			if err != nil {
				return err
			}
			if jsonOut {
				if expand {
					return api.WriteJSON(a.stdout, api.Analyzed{Tokens: tokens, Expansions: expansions}, false)
				}
				return api.WriteJSON(a.stdout, tokens, false)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "POSITION\tSTART\tEND\tTERM")
			for _, t := range tokens {
				fmt.Fprintf(tw, "%d\t%d\t%d\t%s\n", t.Position, t.Start, t.End, plain(t.Term))
			}
			if len(expansions) > 0 {
				fmt.Fprintln(tw, "\nSearched also as (synonyms):")
				for _, e := range expansions {
					fmt.Fprintf(tw, "  %s\t→ %s\t(%s)\n", plain(e.Form), plain(e.As), plain(e.Query))
				}
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&folded, "folded", false, "fold the tokens: no diacritics, đ as d")
	cmd.Flags().BoolVar(&jsonOut, "json", false, `print [{"term","position","start","end"}], as GET /analyze does`)
	cmd.Flags().BoolVar(&expand, "expand", false, `with --json, print {"tokens":[…],"expansions":[{"form","as","query"}]}, as GET /analyze?expand=true does`)
	return cmd
}

// expansions returns what a search for text is searched as besides: with
// the synonyms of the index when it can be read, else with the built-in
// ones and --synonyms.
func (a *app) expansions(text string) ([]index.Expansion, error) {
	syn, err := a.userSynonyms()
	if err != nil {
		return nil, err
	}
	if text == "" || strings.TrimSpace(text) == "" {
		return []index.Expansion{}, nil
	}
	if loc, err := a.where(); err == nil && index.Exists(loc.path) {
		if ix, err := index.Open(loc.path, index.Options{ReadOnly: true, Synonyms: syn}); err == nil {
			defer ix.Close()
			return ix.Expansions(text)
		}
	}
	return index.ExpandQuery(text, syn)
}
