package server

import (
	"html/template"
	"net/http"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
)

// messages are the words of the search page and the article view in one
// language.
type messages struct {
	Lang          api.Lang
	Placeholder   string
	QueryLabel    string
	SourceLabel   string
	AllSources    string
	SortLabel     string
	Relevance     string
	Newest        string
	Search        string
	Results       string // "Results %s–%s of about %s"
	NoResults     string // followed by the query
	DidYouMean    string // followed by the query restored (a link)
	Partial       string // "only %d of %d shards answered", when some did not
	Took          string // "%s ms"
	Prev, Next    string
	Intro         template.HTML // "Search %s indexed articles…"
	Untitled      string
	Facets        map[string]string // facet name → heading
	Filters       string            // the active filters' heading
	Period        string            // a filter by dates other than one month
	Remove        string            // "remove filter"
	Timeline      string            // the timeline's label
	TimelineBar   string            // "%s: %s articles"
	SameStory     string            // "and %s articles on the same event"
	Original      string            // link to the original article
	BackToResults string
	NotFound      string
	Summary       string
	SkipToResults string
	Filter        string // "Filter results"
}

var pageMessages = map[api.Lang]*messages{
	api.Vietnamese: {
		Lang:          api.Vietnamese,
		Placeholder:   "Tìm kiếm tin tức…",
		QueryLabel:    "Từ khóa",
		SourceLabel:   "Nguồn",
		AllSources:    "Tất cả nguồn",
		SortLabel:     "Sắp xếp",
		Relevance:     "Phù hợp nhất",
		Newest:        "Mới nhất",
		Search:        "Tìm",
		Results:       "Kết quả %s–%s trong khoảng %s",
		NoResults:     "Không tìm thấy kết quả nào cho",
		DidYouMean:    "Có phải bạn muốn tìm:",
		Partial:       "chỉ %d trên %d phân vùng trả lời",
		Took:          "%s ms",
		Prev:          "← Trang trước",
		Next:          "Trang sau →",
		Intro:         "Tìm trong %s bài báo đã lập chỉ mục, có dấu hay không dấu: <em>ma túy</em> và <em>ma tuy</em> cho cùng kết quả.",
		Untitled:      "(không có tiêu đề)",
		Facets:        map[string]string{"source": "Nguồn", "category": "Chuyên mục", "month": "Tháng"},
		Filters:       "Đang lọc",
		Period:        "Thời gian",
		Remove:        "bỏ lọc",
		Timeline:      "Số bài theo tháng",
		TimelineBar:   "%s: %s bài",
		SameStory:     "và %s bài cùng sự kiện",
		Original:      "Xem bài gốc",
		BackToResults: "← Quay lại kết quả",
		NotFound:      "Không có bài báo nào mang mã %q.",
		Summary:       "Tóm tắt",
		SkipToResults: "Chuyển đến kết quả",
		Filter:        "Lọc kết quả",
	},
	api.English: {
		Lang:          api.English,
		Placeholder:   "Search the news…",
		QueryLabel:    "Query",
		SourceLabel:   "Source",
		AllSources:    "All sources",
		SortLabel:     "Sort",
		Relevance:     "Relevance",
		Newest:        "Newest",
		Search:        "Search",
		Results:       "Results %s–%s of about %s",
		NoResults:     "No results for",
		DidYouMean:    "Did you mean:",
		Partial:       "only %d of %d shards answered",
		Took:          "%s ms",
		Prev:          "← Previous",
		Next:          "Next →",
		Intro:         "Search %s indexed articles, with or without diacritics: <em>ma túy</em> and <em>ma tuy</em> find the same.",
		Untitled:      "(untitled)",
		Facets:        map[string]string{"source": "Source", "category": "Category", "month": "Month"},
		Filters:       "Filtered by",
		Period:        "Dates",
		Remove:        "remove filter",
		Timeline:      "Articles by month",
		TimelineBar:   "%s: %s articles",
		SameStory:     "and %s more on the same story",
		Original:      "Original article",
		BackToResults: "← Back to results",
		NotFound:      "No article with ID %q.",
		Summary:       "Summary",
		SkipToResults: "Skip to results",
		Filter:        "Filter results",
	},
}

// requestLang is the language a page is shown in: hl=vi or hl=en when
// given, else the one Accept-Language prefers, Vietnamese by default.
// explicit reports that hl chose it, so that links keep it.
func requestLang(r *http.Request) (l api.Lang, explicit bool) {
	if l, ok := api.ParseLang(r.URL.Query().Get("hl")); ok {
		return l, true
	}
	return api.LangFromAcceptLanguage(r.Header.Get("Accept-Language")), false
}
