package main

import (
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
)

func newSearchCommand(a *app) *cobra.Command {
	var (
		params  api.SearchParams
		jsonOut bool
		color   bool
	)
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Search the index",
		Long: `Search the index and print the best articles, each with a snippet in which
the matches stand out: bold on a terminal, [bracketed] otherwise.

Words match with or without diacritics; "quoted phrases" must match as a
phrase; -word and -"phrase" exclude. Several arguments are joined into one
query; put -- before a query that starts with -.`,
		Example: `  vnsearch search ma túy
  vnsearch search "ma tuy" --source vov.vn --since 2023-09 -n 5
  vnsearch search --json -- '-"Trung Quốc" tội phạm'`,
		Args: needArgs("QUERY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			params.Query = strings.Join(args, " ")
			req, err := params.Request()
			if err != nil {
				return err
			}
			loc, err := a.where()
			if err != nil {
				return err
			}
			if err := a.ensureDefault(ctx, loc); err != nil {
				return err
			}
			busy := fmt.Sprintf("query that server instead, e.g. curl 'http://127.0.0.1:8080/search?q=%s'", url.QueryEscape(params.Query))
			ix, err := a.open(loc, true, false, busy)
			if err != nil {
				return err
			}
			defer ix.Close()
			res, err := ix.Search(ctx, req)
			if err != nil {
				return err
			}
			if jsonOut {
				return api.WriteJSON(a.stdout, res, false)
			}
			bold := color || (a.stdoutTTY && a.getenv("NO_COLOR") == "")
			return printResults(a.stdout, res, req.From, bold)
		},
	}
	f := cmd.Flags()
	f.IntVarP(&params.Size, "size", "n", index.DefaultSize, fmt.Sprintf("number of results (at most %d)", index.MaxSize))
	f.IntVar(&params.From, "from", 0, "skip this many results (for paging)")
	f.StringArrayVar(&params.Sources, "source", nil, "only from this outlet, e.g. vov.vn (repeat, or separate with commas)")
	f.StringArrayVar(&params.Categories, "category", nil, "only in this category (repeat, or separate with commas)")
	f.StringVar(&params.Since, "since", "", "published in or after this period: YYYY, YYYY-MM or YYYY-MM-DD")
	f.StringVar(&params.Until, "until", "", "published in or before this period: YYYY, YYYY-MM or YYYY-MM-DD")
	f.StringVar(&params.Sort, "sort", string(index.ByRelevance), "order: relevance, or date (newest first)")
	f.BoolVar(&jsonOut, "json", false, "print the JSON that GET /search answers with")
	f.BoolVar(&color, "color", false, "show matches in bold even when not on a terminal")
	return cmd
}

// printResults prints a page of results for people.
func printResults(w io.Writer, resp *index.Result, from int, bold bool) error {
	out := &errWriter{w: w}
	switch {
	case resp.Total == 0:
		out.printf("No results for %q. Try other or fewer words; `vnsearch analyze` shows how a text is read.\n", resp.Query)
		return out.err
	case len(resp.Hits) == 0:
		out.printf("About %d results (%.1f ms), none past --from %d.\n", resp.Total, resp.TookMS, from)
		return out.err
	}
	out.printf("About %d results (%.1f ms)\n", resp.Total, resp.TookMS)
	for i, h := range resp.Hits {
		title := plain(h.Title)
		if strings.TrimSpace(title) == "" {
			title = "(untitled)"
		}
		out.printf("\n%d. %s\n", from+i+1, title)
		meta := []string{}
		if h.Source != "" {
			meta = append(meta, plain(h.Source))
		}
		if d := api.DisplayDate(h.Published); d != "" {
			meta = append(meta, d)
		}
		meta = append(meta, "score "+strconv.FormatFloat(h.Score, 'g', 4, 64), plain(h.ID))
		out.printf("   %s\n", strings.Join(meta, " · "))
		var snippet strings.Builder
		for _, seg := range api.Segments(h.Snippet, h.Highlights) {
			text := plain(seg.Text)
			switch {
			case !seg.Match:
				snippet.WriteString(text)
			case bold:
				snippet.WriteString("\x1b[1m" + text + "\x1b[0m")
			default:
				snippet.WriteString("[" + text + "]")
			}
		}
		out.printf("   %s\n", snippet.String())
		if h.URL != "" {
			out.printf("   %s\n", plain(h.URL))
		}
	}
	return out.err
}

// plain makes text from the index safe to print on a terminal: control
// characters (escape sequences, line breaks) become spaces.
func plain(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return ' '
		}
		return r
	}, s)
}

// errWriter remembers the first write error, so that output code can
// print freely and check once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
