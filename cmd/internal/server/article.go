package server

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// articleData is what the article view shows.
type articleData struct {
	M             *messages
	Lang          string // hl to keep in links, when the request gave it
	Title         string
	TitleSegments []api.Segment
	Meta          string
	URL           string
	Back          string
	Summary       []api.Segment
	Paragraphs    []articleParagraph
}

type articleParagraph struct {
	ID       string // "p3": the anchor a hit's paragraph links to
	Segments []api.Segment
}

// GET /a/{id}?q=: an article, with the matches of q highlighted
// throughout; each paragraph is anchored (#p0, #p1…) so that a result
// opens at the paragraph its snippet came from. An unknown article is a
// 404, as a page for browsers and as JSON for other clients.
func (s *Server) articlePage(w http.ResponseWriter, r *http.Request) error {
	lang, explicit := requestLang(r)
	m := pageMessages[lang]
	id := r.PathValue("id")
	if err := corpus.CheckID(id); err != nil {
		return s.articleError(w, r, m, &statusError{http.StatusBadRequest, "/a/{id}: " + err.Error()})
	}
	query := r.URL.Query()
	q := query.Get("q")
	hl := &index.Highlighter{}
	if strings.TrimSpace(q) != "" {
		// What the search also ran for q (synonyms) stands out too.
		var alts []string
		if ex, ok := s.ix.(expander); ok {
			if exps, err := ex.Expansions(q); err == nil {
				for _, e := range exps {
					alts = append(alts, e.Query)
				}
			}
		}
		var err error
		if hl, err = index.NewHighlighter(q, alts...); err != nil {
			return s.articleError(w, r, m, err)
		}
	}
	release, err := s.hold()
	if err != nil {
		return err
	}
	a, err := s.ix.Get(r.Context(), id)
	release()
	if errors.Is(err, index.ErrNotFound) {
		return s.articleError(w, r, m, &statusError{http.StatusNotFound, fmt.Sprintf(errorMessages(r, m).NotFound, id)})
	}
	if err != nil {
		return err
	}
	if strings.TrimSpace(q) != "" {
		hl = hl.Within(append([]string{a.Title, a.Summary}, a.Paragraphs...)...)
	}
	mark := func(text string) []api.Segment {
		if strings.TrimSpace(q) == "" {
			return []api.Segment{{Text: text}}
		}
		return api.Segments(text, hl.Highlights(text))
	}
	data := articleData{M: m, Title: strings.TrimSpace(a.Title), URL: a.URL}
	if data.Title == "" {
		data.Title = m.Untitled
	}
	data.TitleSegments = mark(data.Title)
	if explicit {
		data.Lang = string(lang)
	}
	var meta []string
	for _, v := range []string{a.Source, a.Byline, api.FormatDate(a.Published, lang)} {
		if v = strings.TrimSpace(v); v != "" {
			meta = append(meta, v)
		}
	}
	data.Meta = strings.Join(meta, " · ")
	back := url.Values{}
	if q != "" {
		back.Set("q", q)
	}
	if data.Lang != "" {
		back.Set("hl", data.Lang)
	}
	data.Back = "/"
	if len(back) > 0 {
		data.Back += "?" + back.Encode()
	}
	if strings.TrimSpace(a.Summary) != "" {
		data.Summary = mark(a.Summary)
	}
	for i, p := range a.Paragraphs {
		if strings.TrimSpace(p) == "" {
			continue
		}
		data.Paragraphs = append(data.Paragraphs, articleParagraph{ID: "p" + strconv.Itoa(i), Segments: mark(p)})
	}
	return writePage(w, http.StatusOK, "article", data)
}

// wantsHTML reports whether the client takes a page (a browser).
func wantsHTML(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), "text/html") }

// errorMessages are the words of an error answer: the page's language
// for a browser, English in JSON, as every other JSON error is.
func errorMessages(r *http.Request, m *messages) *messages {
	if wantsHTML(r) {
		return m
	}
	return pageMessages[api.English]
}

// articleError answers a failed article view: a page for browsers, JSON
// for other clients.
func (s *Server) articleError(w http.ResponseWriter, r *http.Request, m *messages, err error) error {
	if !wantsHTML(r) {
		return err
	}
	code := status(err)
	return writePage(w, code, "page", pageData{M: m, Searched: true, Error: err.Error()})
}
