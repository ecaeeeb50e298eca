package server

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/index"
)

//go:embed suggest.js
var suggestScript []byte

//go:embed page.html
var pageHTML string

// pageTemplate is parsed once; html/template escapes every value by
// context, and highlights reach it as text segments, never as HTML. It
// holds the search page ("page") and the article view ("article").
var pageTemplate = template.Must(template.New("page").Parse(pageHTML))

// pageFacets are the facets the page shows, in order.
var pageFacets = []string{"source", "category", "month"}

// pageData is what the search page shows.
type pageData struct {
	M        *messages
	Query    string
	Sort     string
	Lang     string // hl to keep in the form, when the request gave it
	Sources  []pageSource
	Articles string // in the index, for the empty page
	Intro    template.HTML

	Searched bool
	Error    string
	Total    uint64
	Summary  string // "Kết quả 1–10 trong khoảng 83.095"
	Took     string
	// DidYouMean is the query with its diacritics restored, offered as
	// a link to search it (index.Result.DidYouMean).
	DidYouMean, DidYouMeanHref string
	First                      int // 1-based number of the first hit shown
	Hits                       []pageHit
	Prev                       string // links to the neighboring pages
	Next                       string
	Active                     []activeFilter
	Facets                     []pageFacet
	Timeline                   *timeline
}

type pageSource struct {
	Source   string
	Articles int
	Selected bool
}

type pageHit struct {
	Title    string
	Href     string // the article view
	URL      string // the original
	Meta     string // source · date
	Segments []api.Segment
	// More is "và 3 bài cùng sự kiện" when the hit's story holds
	// Others too.
	More   string
	Others []pageHit
}

// activeFilter is a filter in force, with a link that removes it.
type activeFilter struct {
	Label, Value, Remove string
}

// pageFacet is one facet's values, each a link that narrows to it.
type pageFacet struct {
	Name, Heading string
	Values        []facetValue
}

type facetValue struct {
	Label, Count, Href string
	Active             bool
}

// timeline is a bar chart of the matches by month, drawn in inline SVG.
type timeline struct {
	Width, Height int
	MaxPX         int // the chart's widest, in CSS pixels
	Bars          []timelineBar
	First, Last   string
}

type timelineBar struct {
	X, Y, W, H  int
	Href, Title string
}

// pageLinks builds the page's links from the request's parameters.
type pageLinks struct{ query url.Values }

// with returns the page's link with the parameters changed by edit and
// paging reset.
func (l pageLinks) with(edit func(v url.Values)) string {
	v := url.Values{}
	for key, values := range l.query {
		v[key] = slices.Clone(values)
	}
	v.Del("from")
	edit(v)
	return "/?" + v.Encode()
}

// GET /: the search page. It takes the parameters of GET /search and
// needs no JavaScript.
func (s *Server) page(w http.ResponseWriter, r *http.Request) error {
	query := r.URL.Query()
	lang, explicit := requestLang(r)
	m := pageMessages[lang]
	data := pageData{M: m, Query: query.Get("q"), Sort: query.Get("sort")}
	if explicit {
		data.Lang = string(lang)
	}
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
	data.Articles = api.FormatCount(st.Articles, lang)
	data.Intro = template.HTML(fmt.Sprintf(string(m.Intro), data.Articles))
	// An error in the parameters is the search's to report; the outlets
	// chosen show either way.
	params, paramsErr := api.ParamsFromQuery(query)
	selected := splitValues(params.Sources)
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
	return writePage(w, code, "page", data)
}

// GET /suggest.js: the search box's completions.
func (s *Server) suggestJS(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "max-age=3600")
	_, _ = w.Write(suggestScript) // an error means the client is gone
	return nil
}

// writePage renders a template of the page into w.
func writePage(w http.ResponseWriter, code int, name string, data any) error {
	var buf bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&buf, name, data); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes()) // an error means the client is gone
	return nil
}

// splitValues splits comma-separated parameter values, as the search
// does.
func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" {
				out = append(out, part)
			}
		}
	}
	return out
}

// searchPage runs the page's search and fills in its results.
func (s *Server) searchPage(r *http.Request, query url.Values, params api.SearchParams, data *pageData) error {
	m := data.M
	params.Facets = pageFacets
	// The page shows each story once unless asked otherwise.
	if !query.Has("group") {
		params.Group = api.GroupStory
	}
	req, err := params.Request()
	if err != nil {
		return err
	}
	res, err := s.runSearch(r.Context(), req)
	if err != nil {
		return err
	}
	links := pageLinks{query}
	data.Total = res.Total
	if res.DidYouMean != "" {
		data.DidYouMean = res.DidYouMean
		data.DidYouMeanHref = links.with(func(v url.Values) { v.Set("q", res.DidYouMean) })
	}
	data.Took = fmt.Sprintf(m.Took, formatMS(res.TookMS, m.Lang))
	if sh := res.Shards; sh != nil && sh.Answered < sh.Total {
		data.Took += "; " + fmt.Sprintf(m.Partial, sh.Answered, sh.Total)
	}
	data.First = req.From + 1
	last := req.From + len(res.Hits)
	data.Summary = fmt.Sprintf(m.Results, api.FormatCount(uint64(data.First), m.Lang),
		api.FormatCount(uint64(last), m.Lang), api.FormatTotal(res.Total, res.TotalIsLowerBound, m.Lang))
	for _, h := range res.Hits {
		ph := s.pageHit(h, query, m)
		if h.Story != nil && h.Story.Size > 1 {
			ph.More = fmt.Sprintf(m.SameStory, api.FormatCount(uint64(h.Story.Size-1), m.Lang))
			for _, o := range h.Story.Others {
				ph.Others = append(ph.Others, s.pageHit(o, query, m))
			}
		}
		data.Hits = append(data.Hits, ph)
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
	if next := req.From + size; uint64(next) < res.Total && next+size <= index.MaxWindow && len(res.Hits) == size {
		data.Next = link(next)
	}
	data.Active = activeFilters(links, params, m)
	data.Facets = facetLinks(links, res.Facets, params, m)
	data.Timeline = newTimeline(links, res.Facets["month"], m)
	return nil
}

// pageHit is how the page shows a hit: its title links to the article
// view, which opens at the matched paragraph.
func (s *Server) pageHit(h index.Hit, query url.Values, m *messages) pageHit {
	title := strings.TrimSpace(h.Title)
	if title == "" {
		title = m.Untitled
	}
	var meta []string
	for _, v := range []string{h.Source, api.FormatDate(h.Published, m.Lang)} {
		if v != "" {
			meta = append(meta, v)
		}
	}
	return pageHit{
		Title:    title,
		Href:     articleHref(h.ID, query.Get("q"), query.Get("hl"), h.Paragraph),
		URL:      h.URL,
		Meta:     strings.Join(meta, " · "),
		Segments: api.Segments(h.Snippet, h.Highlights),
	}
}

// articleHref links to the article view of id, highlighting q, at the
// paragraph given (none for the summary).
func articleHref(id, q, hl string, paragraph int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	if hl != "" {
		v.Set("hl", hl)
	}
	href := "/a/" + url.PathEscape(id)
	if len(v) > 0 {
		href += "?" + v.Encode()
	}
	if paragraph >= 0 {
		href += "#p" + strconv.Itoa(paragraph)
	}
	return href
}

// formatMS writes milliseconds to a tenth, with the language's decimal
// mark.
func formatMS(ms float64, l api.Lang) string {
	s := strconv.FormatFloat(ms, 'f', 1, 64)
	if l == api.Vietnamese {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// activeFilters lists the filters in force, each with a link removing it.
func activeFilters(links pageLinks, p api.SearchParams, m *messages) []activeFilter {
	var out []activeFilter
	for _, f := range []struct {
		key    string
		values []string
	}{{"source", p.Sources}, {"category", p.Categories}} {
		values := splitValues(f.values)
		for _, v := range values {
			rest := slices.DeleteFunc(slices.Clone(values), func(x string) bool { return x == v })
			out = append(out, activeFilter{Label: m.Facets[f.key], Value: v, Remove: links.with(func(q url.Values) {
				q.Del(f.key)
				if len(rest) > 0 {
					q[f.key] = rest
				}
			})})
		}
	}
	if p.Since != "" || p.Until != "" {
		label, value := m.Period, api.FormatMonth(p.Since, m.Lang)+" – "+api.FormatMonth(p.Until, m.Lang)
		switch {
		case p.Since == p.Until:
			label, value = m.Facets["month"], api.FormatMonth(p.Since, m.Lang)
		case p.Until == "":
			value = api.FormatMonth(p.Since, m.Lang) + " –"
		case p.Since == "":
			value = "– " + api.FormatMonth(p.Until, m.Lang)
		}
		out = append(out, activeFilter{Label: label, Value: value, Remove: links.with(func(q url.Values) {
			q.Del("since")
			q.Del("until")
		})})
	}
	return out
}

// facetLinks lists the source and category facets' values, each linking
// to the search narrowed to it.
func facetLinks(links pageLinks, facets map[string][]index.FacetCount, p api.SearchParams, m *messages) []pageFacet {
	var out []pageFacet
	for _, f := range []struct {
		key    string
		chosen []string
	}{{"source", p.Sources}, {"category", p.Categories}} {
		counts := facets[f.key]
		if len(counts) == 0 {
			continue
		}
		chosen := splitValues(f.chosen)
		pf := pageFacet{Name: f.key, Heading: m.Facets[f.key]}
		for _, c := range counts {
			pf.Values = append(pf.Values, facetValue{
				Label:  c.Value,
				Count:  api.FormatCount(c.Count, m.Lang),
				Active: slices.Contains(chosen, c.Value),
				Href:   links.with(func(q url.Values) { q.Set(f.key, c.Value) }),
			})
		}
		out = append(out, pf)
	}
	return out
}

// Timeline geometry, in SVG user units.
const (
	timelineHeight = 60
	timelineBarW   = 8
	timelineGap    = 2
)

// newTimeline draws the months facet as bars, one a month from the first
// month with a match to the last (months without one are empty bars),
// each linking to the search narrowed to its month; nil without months.
func newTimeline(links pageLinks, months []index.FacetCount, m *messages) *timeline {
	if len(months) == 0 {
		return nil
	}
	counts := map[string]uint64{}
	var most uint64
	for _, c := range months {
		counts[c.Value] = c.Count
		most = max(most, c.Count)
	}
	first, ok1 := parseMonth(months[0].Value)
	last, ok2 := parseMonth(months[len(months)-1].Value)
	if !ok1 || !ok2 || most == 0 {
		return nil
	}
	t := &timeline{Height: timelineHeight, First: api.FormatMonth(months[0].Value, m.Lang), Last: api.FormatMonth(months[len(months)-1].Value, m.Lang)}
	for i, mo := 0, first; mo <= last && i < 1200; i, mo = i+1, mo+1 {
		value := fmt.Sprintf("%04d-%02d", mo/12, mo%12+1)
		n := counts[value]
		h := 0
		if n > 0 {
			h = max(2, int(uint64(timelineHeight)*n/most))
		}
		t.Bars = append(t.Bars, timelineBar{
			X: i * (timelineBarW + timelineGap), Y: timelineHeight - h, W: timelineBarW, H: h,
			Title: fmt.Sprintf(m.TimelineBar, api.FormatMonth(value, m.Lang), api.FormatCount(n, m.Lang)),
			Href:  links.with(func(q url.Values) { q.Set("since", value); q.Set("until", value) }),
		})
	}
	t.Width = len(t.Bars)*(timelineBarW+timelineGap) - timelineGap
	// A few months stay narrow bars, not the whole width.
	t.MaxPX = max(len(t.Bars)*12, 160)
	return t
}

// parseMonth reads "2023-09" as a count of months since year 0.
func parseMonth(s string) (int, bool) {
	if len(s) != 7 || s[4] != '-' {
		return 0, false
	}
	y, err1 := strconv.Atoi(s[:4])
	mo, err2 := strconv.Atoi(s[5:])
	if err1 != nil || err2 != nil || mo < 1 || mo > 12 {
		return 0, false
	}
	return y*12 + mo - 1, true
}
