package main

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
)

// synonymsList is what `vnsearch synonyms --json` prints.
type synonymsList struct {
	Mined   []index.Abbreviation `json:"mined"`
	Builtin []index.SynonymRule  `json:"builtin"`
	File    []index.SynonymRule  `json:"file"`
}

func newSynonymsCommand(a *app) *cobra.Command {
	var jsonOut bool
	var least int
	cmd := &cobra.Command{
		Use:   "synonyms",
		Short: "List the synonyms searches use: mined from the articles, built in, and --synonyms",
		Long: fmt.Sprintf(`List the synonyms a keyword query is searched with, for an editor to review:
the abbreviations the articles define inline ("Ủy ban nhân dân (UBND)"), with
how many articles define each, read from every article now; the built-in
list; and the rules of the --synonyms file, whose bad lines are reported
(exit code 1).

Searches use the abbreviations at least %d articles define, as mined when
the index was last compacted (after a bulk load, or by "vnsearch compact").`, index.MinedMinArticles),
		Example: `  vnsearch synonyms
  vnsearch synonyms --synonyms my-synonyms.txt --min 5`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			user, bad, err := a.readSynonyms()
			if err != nil {
				return err
			}
			loc, err := a.where()
			if err != nil {
				return err
			}
			save := a.synonymsFlag
			a.synonymsFlag = "" // its bad lines are reported below
			ix, err := a.open(loc, true, false, "stop that process first")
			a.synonymsFlag = save
			if err != nil {
				return err
			}
			defer ix.Close()
			mined, err := ix.MineAbbreviations(cmd.Context())
			if err != nil {
				return err
			}
			out := synonymsList{Mined: []index.Abbreviation{}, Builtin: index.BuiltinSynonyms().Rules, File: []index.SynonymRule{}}
			for _, m := range mined {
				if m.Articles >= least {
					out.Mined = append(out.Mined, m)
				}
			}
			if user != nil {
				out.File = user.Rules
			}
			if jsonOut {
				if err := api.WriteJSON(a.stdout, out, false); err != nil {
					return err
				}
			} else {
				tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
				fmt.Fprintf(tw, "Mined from the articles (%d; searches use those at least %d articles define):\n", len(out.Mined), index.MinedMinArticles)
				fmt.Fprintln(tw, "ARTICLES\tSHORT\tLONG")
				for _, m := range out.Mined {
					fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Articles, plain(m.Short), plain(m.Long))
				}
				fmt.Fprintf(tw, "\nBuilt in (%d):\n", len(out.Builtin))
				for _, r := range out.Builtin {
					fmt.Fprintln(tw, ruleText(r))
				}
				if a.synonymsFlag != "" {
					fmt.Fprintf(tw, "\n%s (%d):\n", a.synonymsFlag, len(out.File))
					for _, r := range out.File {
						fmt.Fprintf(tw, "%d:\t%s\n", r.Line, ruleText(r))
					}
				}
				if err := tw.Flush(); err != nil {
					return err
				}
			}
			if len(bad) > 0 {
				return synonymsError(bad)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, `print {"mined":[{"short","long","articles"}],"builtin":[{"from","to"}],"file":[{"from","to","line"}]}`)
	cmd.Flags().IntVar(&least, "min", 1, "list the mined abbreviations at least this many articles define")
	return cmd
}

// ruleText writes a rule as its line would be.
func ruleText(r index.SynonymRule) string {
	if equalForms(r.From, r.To) {
		return plain(strings.Join(r.From, ", "))
	}
	return plain(strings.Join(r.From, ", ") + " => " + strings.Join(r.To, ", "))
}

func equalForms(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
