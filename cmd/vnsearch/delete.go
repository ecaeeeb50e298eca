package main

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

func newDeleteCommand(a *app) *cobra.Command {
	return &cobra.Command{
		Use:   "delete ID...",
		Short: "Delete articles from the index",
		Long:  `Delete the articles with the given IDs. It fails if none of them is in the index.`,
		Args:  needArgs("ID"),
		RunE: func(cmd *cobra.Command, ids []string) error {
			loc, err := a.where()
			if err != nil {
				return err
			}
			busy := fmt.Sprintf("delete through that server instead, e.g. curl -X DELETE -H \"Authorization: Bearer $VNSEARCH_TOKEN\" http://127.0.0.1:8080/articles/%s",
				url.PathEscape(ids[0]))
			ix, err := a.open(loc, false, false, busy)
			if err != nil {
				return err
			}
			defer ix.Close()
			n, err := ix.Delete(cmd.Context(), ids...)
			if err != nil {
				return err
			}
			if n == 0 {
				return fmt.Errorf("none of the IDs is in the index at %s: %s", loc.path, strings.Join(ids, ", "))
			}
			missing := ""
			if unique := len(slices.Compact(slices.Sorted(slices.Values(ids)))); n < unique {
				missing = fmt.Sprintf(" (%d of the %d IDs were not in the index)", unique-n, unique)
			}
			_, err = fmt.Fprintf(a.stdout, "deleted %d articles%s\n", n, missing)
			return err
		},
	}
}
