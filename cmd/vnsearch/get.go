package main

import (
	"errors"
	"fmt"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
)

func newGetCommand(a *app) *cobra.Command {
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "get ID",
		Short: "Print an article as JSON",
		Long: `Print the article with the given ID as indented JSON; --json prints it on
one line, as GET /articles/{id} does. Search results show the IDs.`,
		Args: exactArgs(1, "one ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			id := args[0]
			loc, err := a.where()
			if err != nil {
				return err
			}
			ix, err := a.open(loc, true, false, fmt.Sprintf("ask that server instead, e.g. curl http://127.0.0.1:8080/articles/%s", url.PathEscape(id)))
			if err != nil {
				return err
			}
			defer ix.Close()
			art, err := ix.Get(cmd.Context(), id)
			if errors.Is(err, index.ErrNotFound) {
				return fmt.Errorf("no article with ID %q in the index at %s", id, loc.path)
			}
			if err != nil {
				return err
			}
			return api.WriteJSON(a.stdout, art, !jsonOut)
		},
	}
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print compact JSON, as GET /articles/{id} does")
	return cmd
}
