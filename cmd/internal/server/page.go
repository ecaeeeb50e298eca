package server

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
)

//go:embed page.html
var pageHTML string

// pageTemplate is parsed once; html/template escapes every value by
// context, and highlights reach it as text segments, never as HTML.
var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageData is what the search page shows.
type pageData struct {
	Query    string
	Sort     string
	Sources  []pageSource
	Articles uint64 // in the index, for the empty page

	Searched    bool
	Error       string
	Total       uint64
	TookMS      float64
	First, Last int // 1-based numbers of the hits shown
	Hits        []pageHit
	Prev, Next  string // links to the neighboring pages
}

type pageSource struct {
	Source   string
	Articles int
	Selected bool
}

type pageHit struct {
	Title, URL string
	Meta       string // source · date
	Segments   []api.Segment
}

// GET /: the search page. It takes the parameters of GET /search and
// needs no JavaScript.
func (s *Server) page(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	data := pageData{Query: query.Get("q"), Sort: query.Get("sort")}
	code := http.StatusOK

	// The index is held for the statistics only: the search holds it
	// itself.
	release, err := s.hold()
	if err != nil {
		return err
	}
	st, err := s.pageStats.get(func() (index.Stats, error) { return s.ix.Stats(r.Context()) })
	release()
	if err != nil {
		return err
	}
	data.Articles = st.Articles
	// An error in the parameters is the search's to report; the outlets
	// chosen show either way.
	params, paramsErr := api.ParamsFromQuery(query)
	selected := params.Sources
	for _, sc := range st.Sources {
		if sc.Source == "" {
			continue // articles without an outlet: no filter finds them
		}
		data.Sources = append(data.Sources, pageSource{Source: sc.Source, Articles: sc.Articles, Selected: slices.Contains(selected, sc.Source)})
	}
	// A source asked for but not in the list (another spelling, or one
	// past the list's end) still shows as chosen.
	for _, src := range selected {
		if !slices.ContainsFunc(data.Sources, func(p pageSource) bool { return p.Selected && p.Source == src }) {
			data.Sources = append(data.Sources, pageSource{Source: src, Selected: true})
		}
	}

	if strings.TrimSpace(data.Query) != "" {
		data.Searched = true
		err := paramsErr
		if err == nil {
			err = s.searchPage(r, query, params, &data)
		}
		if err != nil {
			code = status(err)
			if code >= http.StatusInternalServerError {
				s.log.ErrorContext(r.Context(), "search page failed", "err", err)
			}
			data.Error = err.Error()
		}
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes()) // an error means the client is gone
	return nil
}

// searchPage runs the page's search and fills in its results.
func (s *Server) searchPage(r *http.Request, query url.Values, params api.SearchParams, data *pageData) error {
	req, err := params.Request()
	if err != nil {
		return err
	}
	res, err := s.runSearch(r.Context(), req)
	if err != nil {
		return err
	}
	resp := res
	data.Total, data.TookMS = resp.Total, resp.TookMS
	data.First = req.From + 1
	data.Last = req.From + len(resp.Hits)
	for _, h := range resp.Hits {
		title := strings.TrimSpace(h.Title)
		if title == "" {
			title = "(untitled)"
		}
		var meta []string
		for _, m := range []string{h.Source, api.DisplayDate(h.Published)} {
			if m != "" {
				meta = append(meta, m)
			}
		}
		data.Hits = append(data.Hits, pageHit{
			Title:    title,
			URL:      h.URL,
			Meta:     strings.Join(meta, " · "),
			Segments: api.Segments(h.Snippet, h.Highlights),
		})
	}
	size := req.Size
	link := func(from int) string {
		v := url.Values{}
		for key, values := range query {
			v[key] = values
		}
		v.Set("from", strconv.Itoa(from))
		v.Set("size", strconv.Itoa(size))
		return "/?" + v.Encode()
	}
	if req.From > 0 {
		data.Prev = link(max(0, req.From-size))
	}
	if next := req.From + size; uint64(next) < resp.Total && next+size <= index.MaxWindow {
		data.Next = link(next)
	}
	return nil
}
