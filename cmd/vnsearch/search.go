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
			return printResults(a.stdout, res, req.From, bold, cliMessages[api.LangFromLocale(a.getenv)])
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
	f.StringSliceVar(&params.Facets, "facets", nil, "count the matches by source, category and month (or those named: --facets=source,month)")
	f.Lookup("facets").NoOptDefVal = strings.Join(index.FacetNames(), ",")
	f.StringVar(&params.Group, "group", "", `"story": show each story once, its best article, with the others on the same event`)
	f.BoolVar(&jsonOut, "json", false, "print the JSON that GET /search answers with")
	f.BoolVar(&color, "color", false, "show matches in bold even when not on a terminal")
	return cmd
}

// cliText is the command line's output in one language: English by
// default, as tools speak, Vietnamese under a vi locale
// (LANG=vi_VN.UTF-8).
type cliText struct {
	lang            api.Lang
	noResults       string // %q: the query
	about, moreThan string // %s results, %s ms
	nonePast        string // appended: --from %d
	untitled, score string
	sameStory       string // %s: how many others
	facetHeading    string
	facets          map[string]string
	didYouMean      string // %s: the query restored
}

var cliMessages = map[api.Lang]*cliText{
	api.English: {
		lang:         api.English,
		noResults:    "No results for %q. Try other or fewer words; `vnsearch analyze` shows how a text is read.\n",
		about:        "About %s results (%s ms)",
		moreThan:     "More than %s results (%s ms)",
		nonePast:     ", none past --from %d",
		untitled:     "(untitled)",
		score:        "score",
		sameStory:    "and %s more on the same story",
		facetHeading: "Matches by",
		facets:       map[string]string{"source": "source", "category": "category", "month": "month"},
		didYouMean:   "Did you mean: %s\n",
	},
	api.Vietnamese: {
		lang:         api.Vietnamese,
		noResults:    "Không tìm thấy kết quả nào cho %q. Hãy thử từ khác hoặc ít từ hơn; `vnsearch analyze` cho biết một văn bản được đọc thế nào.\n",
		about:        "Khoảng %s kết quả (%s ms)",
		moreThan:     "Hơn %s kết quả (%s ms)",
		nonePast:     ", không còn kết quả nào sau --from %d",
		untitled:     "(không có tiêu đề)",
		score:        "điểm",
		sameStory:    "và %s bài cùng sự kiện",
		facetHeading: "Số bài theo",
		facets:       map[string]string{"source": "nguồn", "category": "chuyên mục", "month": "tháng"},
		didYouMean:   "Có phải bạn muốn tìm: %s\n",
	},
}

// printResults prints a page of results for people.
func printResults(w io.Writer, resp *index.Result, from int, bold bool, m *cliText) error {
	out := &errWriter{w: w}
	ms := strconv.FormatFloat(resp.TookMS, 'f', 1, 64)
	if m.lang == api.Vietnamese {
		ms = strings.Replace(ms, ".", ",", 1)
	}
	summary := m.about
	if resp.TotalIsLowerBound {
		summary = m.moreThan
	}
	summary = fmt.Sprintf(summary, api.FormatCount(resp.Total, m.lang), ms)
	if resp.DidYouMean != "" {
		dym := resp.DidYouMean
		if bold {
			dym = "\x1b[1m" + dym + "\x1b[0m"
		}
		out.printf(m.didYouMean, dym)
	}
	switch {
	case resp.Total == 0:
		out.printf(m.noResults, resp.Query)
		return out.err
	case len(resp.Hits) == 0:
		out.printf("%s%s.\n", summary, fmt.Sprintf(m.nonePast, from))
		printFacets(out, resp.Facets, m)
		return out.err
	}
	out.printf("%s\n", summary)
	for i, h := range resp.Hits {
		out.printf("\n%d. ", from+i+1)
		printHit(out, h, bold, m, "   ")
		if h.Story != nil && len(h.Story.Others) > 0 {
			out.printf("   %s:\n", fmt.Sprintf(m.sameStory, api.FormatCount(uint64(len(h.Story.Others)), m.lang)))
			for _, o := range h.Story.Others {
				out.printf("   - ")
				printHit(out, o, bold, m, "     ")
			}
		}
	}
	printFacets(out, resp.Facets, m)
	return out.err
}

// printHit prints one hit: its title, then indented its source, date,
// score and ID, its snippet and its URL.
func printHit(out *errWriter, h index.Hit, bold bool, m *cliText, indent string) {
	title := plain(h.Title)
	if strings.TrimSpace(title) == "" {
		title = m.untitled
	}
	out.printf("%s\n", title)
	meta := []string{}
	if h.Source != "" {
		meta = append(meta, plain(h.Source))
	}
	if d := api.FormatDate(h.Published, m.lang); d != "" {
		meta = append(meta, d)
	}
	meta = append(meta, m.score+" "+strconv.FormatFloat(h.Score, 'g', 4, 64), plain(h.ID))
	out.printf("%s%s\n", indent, strings.Join(meta, " · "))
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
	out.printf("%s%s\n", indent, snippet.String())
	if h.URL != "" {
		out.printf("%s%s\n", indent, plain(h.URL))
	}
}

// printFacets prints the facets counted, one a line: "source: vov.vn 2 ·
// antv 2".
func printFacets(out *errWriter, facets map[string][]index.FacetCount, m *cliText) {
	if len(facets) == 0 {
		return
	}
	out.printf("\n")
	for _, name := range []string{"source", "category", "month"} {
		counts, ok := facets[name]
		if !ok {
			continue
		}
		var parts []string
		for _, c := range counts {
			value := plain(c.Value)
			if name == "month" {
				value = api.FormatMonth(value, m.lang)
			}
			parts = append(parts, value+" "+api.FormatCount(c.Count, m.lang))
		}
		if len(parts) == 0 {
			parts = []string{"–"}
		}
		out.printf("%s %s: %s\n", m.facetHeading, m.facets[name], strings.Join(parts, " · "))
	}
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
