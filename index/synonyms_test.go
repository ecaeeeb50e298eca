package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
)

func TestParseSynonyms(t *testing.T) {
	in := strings.Join([]string{
		"# abbreviations",                 // 1
		"",                                // 2
		"UBND, Ủy ban nhân dân",           // 3
		"  CSGT ,cảnh sát   giao thông  ", // 4
		"TPHCM, HCM => Thành phố Hồ Chí Minh", // 5
		"UBND",        // 6: one form
		"a, , b",      // 7: empty form
		"=> b",        // 8: empty side
		"a => b => c", // 9: two =>
		"!!!, b",      // 10: nothing to search
		"x, X",        // 11: one form twice
		`"UBND", b`,   // 12: a quote
	}, "\n")
	s, errs := ParseSynonyms(strings.NewReader(in), "syn.txt")
	want := []SynonymRule{
		{From: []string{"UBND", "Ủy ban nhân dân"}, To: []string{"UBND", "Ủy ban nhân dân"}, Line: 3},
		{From: []string{"CSGT", "cảnh sát giao thông"}, To: []string{"CSGT", "cảnh sát giao thông"}, Line: 4},
		{From: []string{"TPHCM", "HCM"}, To: []string{"Thành phố Hồ Chí Minh"}, Line: 5},
	}
	if len(s.Rules) != len(want) {
		t.Fatalf("rules %+v, want %+v", s.Rules, want)
	}
	for i := range want {
		if !slices.Equal(s.Rules[i].From, want[i].From) || !slices.Equal(s.Rules[i].To, want[i].To) || s.Rules[i].Line != want[i].Line {
			t.Errorf("rule %d: %+v, want %+v", i, s.Rules[i], want[i])
		}
	}
	var lines []int
	for _, err := range errs {
		var se *SynonymError
		if !errors.As(err, &se) || se.Name != "syn.txt" {
			t.Errorf("error %v", err)
			continue
		}
		lines = append(lines, se.Line)
		if !strings.HasPrefix(err.Error(), "syn.txt:") {
			t.Errorf("error %q does not start with file:line", err)
		}
	}
	if !slices.Equal(lines, []int{6, 7, 8, 9, 10, 11, 12}) {
		t.Errorf("bad lines reported: %v (%v), want 6 to 12", lines, errs)
	}
}

func TestBuiltinSynonyms(t *testing.T) {
	s := BuiltinSynonyms()
	if len(s.Rules) < 15 {
		t.Fatalf("%d built-in rules", len(s.Rules))
	}
	found := false
	for _, r := range s.Rules {
		if slices.Contains(r.From, "TP.HCM") && slices.Contains(r.To, "Thành phố Hồ Chí Minh") {
			found = true
		}
	}
	if !found {
		t.Error("the built-in list lacks TP.HCM")
	}
}

func TestFindDefinitions(t *testing.T) {
	for text, want := range map[string][]definition{
		"Chủ tịch Ủy ban nhân dân (UBND) tỉnh cho biết.":             {{"UBND", "Ủy ban nhân dân"}},
		"lực lượng Cảnh sát giao thông (CSGT) đã có mặt":             {{"CSGT", "Cảnh sát giao thông"}},
		"Hội đồng nhân dân (HĐND) và Thành phố Hồ Chí Minh (TP.HCM)": {{"HĐND", "Hội đồng nhân dân"}, {"TP.HCM", "Thành phố Hồ Chí Minh"}},
		"thi tốt nghiệp trung học phổ thông (THPT) năm nay":          {{"THPT", "trung học phổ thông"}},
		// Not definitions: initials that do not match, a comma between,
		// lowercase, one letter, the outlet's marker.
		"chỉ số giá tiêu dùng (CPI) tăng":     nil,
		"Ủy ban, nhân dân (UBND)":             nil,
		"Ủy ban nhân dân (ubnd)":              nil,
		"phương án (A) được chọn":             nil,
		"Trung tâm thể thao Phú Thọ (TP.HCM)": nil,
		"(ANTV) - Sáng nay":                   nil,
	} {
		if got := findDefinitions(text); !slices.Equal(got, want) {
			t.Errorf("%q: %q, want %q", text, got, want)
		}
	}
}

// TestMineSeeds mines the seed pages, which define no abbreviation by
// its initials, and synthetic articles that do.
func TestMineSeeds(t *testing.T) {
	m := newMineTally()
	for a, err := range corpus.Seeds(context.Background()) {
		if err != nil {
			t.Fatal(err)
		}
		m.add(append([]string{a.Title, a.Summary}, a.Paragraphs...)...)
	}
	if got := m.list(1); len(got) != 0 {
		t.Errorf("seeds: mined %+v, want nothing", got)
	}
	m.add("Chủ tịch Ủy ban nhân dân (UBND) tỉnh", "UBND tỉnh họp; Ủy ban nhân dân (UBND) huyện")
	m.add("Chủ tịch Uỷ ban nhân dân (UBND) xã")
	m.add("Lực lượng Cảnh sát giao thông (CSGT)")
	got := m.list(1)
	want := []Abbreviation{{"UBND", "Ủy ban nhân dân", 2}, {"CSGT", "Cảnh sát giao thông", 1}}
	if !slices.Equal(got, want) {
		t.Errorf("mined %+v, want %+v", got, want)
	}
	if got := m.list(2); len(got) != 1 {
		t.Errorf("at least 2 articles: %+v", got)
	}
}

// TestSynonymSearch: a query for one form finds the others, the form
// typed first — built-in abbreviations, and those the articles define.
func TestSynonymSearch(t *testing.T) {
	ix, err := Create(t.TempDir() + "/idx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	addArticles(t, ix,
		article("def1", "Họp Ban quản lý dự án", "Ban quản lý dự án (BQLDA) đường cao tốc đã họp sáng nay."),
		article("def2", "Tiến độ cao tốc", "Theo Ban quản lý dự án (BQLDA) số 2, tiến độ đạt 80%."),
		article("short", "BQLDA báo cáo", "BQLDA gửi báo cáo lên bộ."),
		article("long", "Ban quản lý dự án báo cáo", "Ban quản lý dự án gửi báo cáo lên bộ."),
		article("ubnd", "UBND tỉnh họp", "UBND tỉnh Lào Cai họp về mưa lũ."),
		article("uyban", "Ủy ban nhân dân tỉnh họp", "Ủy ban nhân dân tỉnh Yên Bái họp về mưa lũ."),
		article("other", "Mưa lũ", "Mưa lũ kéo dài ở vùng núi phía Bắc."),
	)
	ids := func(q string) []string { return hitIDs(search(t, ix, q)) }
	// Before the articles are mined, only the built-in list applies.
	if got := ids("bqlda"); !sameSet(got, []string{"def1", "def2", "short"}) {
		t.Errorf("bqlda before mining: %v", got)
	}
	if err := ix.Compact(context.Background()); err != nil {
		t.Fatal(err)
	}
	mined, err := ix.MineAbbreviations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mined, []Abbreviation{{"BQLDA", "Ban quản lý dự án", 2}}) {
		t.Errorf("mined %+v", mined)
	}
	// "short" and "long", "ubnd" and "uyban" are alike but for the form
	// they use: the form typed ranks first.
	for _, c := range []struct {
		q            string
		all          []string
		typed, other string
	}{
		{"bqlda", []string{"def1", "def2", "short", "long"}, "short", "long"},
		{"BQLDA", []string{"def1", "def2", "short", "long"}, "short", "long"},
		{"Ban quản lý dự án", []string{"def1", "def2", "short", "long", "uyban"}, "long", "short"},
		{"ubnd", []string{"ubnd", "uyban"}, "ubnd", "uyban"},
		{"Ủy ban nhân dân", []string{"ubnd", "uyban"}, "uyban", "ubnd"},
		{"ubnd mưa lũ", []string{"ubnd", "uyban"}, "ubnd", "uyban"},
	} {
		got := ids(c.q)
		if !sameSet(got, c.all) || slices.Index(got, c.typed) > slices.Index(got, c.other) {
			t.Errorf("%s: %v, want %v, %s before %s", c.q, got, c.all, c.typed, c.other)
		}
	}
	// With synonym_weight 0, the other form comes after every article
	// holding the form typed.
	p := DefaultParams()
	p.SynonymWeight = 0
	res, err := ix.Search(context.Background(), Request{Query: "bqlda", Params: &p})
	if err != nil || len(res.Hits) != 4 || res.Hits[3].ID != "long" {
		t.Errorf("bqlda, synonym_weight 0: %v, %v; want long last", hitIDs(res.Hits), err)
	}
	res, err = ix.Search(context.Background(), Request{Query: "ubnd", Facets: []string{"source"}})
	if err != nil || res.Total != 2 || len(res.Facets["source"]) != 1 || res.Facets["source"][0].Count != 2 {
		t.Errorf("ubnd: total %d, facets %v, %v; want 2", res.Total, res.Facets, err)
	}
	// The other form is highlighted in the hits it found.
	for _, h := range res.Hits {
		if h.ID == "uyban" && !slices.ContainsFunc(h.Highlights, func(s [2]int) bool {
			return strings.Contains(h.Snippet[s[0]:s[1]], "Ủy")
		}) {
			t.Errorf("ubnd: %q highlights %v", h.Snippet, h.Highlights)
		}
	}
	exp, err := ix.Expansions("ubnd")
	if err != nil || len(exp) != 1 || exp[0].As != "Ủy ban nhân dân" || exp[0].Query != `"Uy ban nhan dan"` {
		t.Errorf("Expansions(ubnd): %+v, %v", exp, err)
	}
}

// TestSynonymPagesAgree: the pages of a search with alternatives are
// slices of one order.
func TestSynonymPagesAgree(t *testing.T) {
	ix, err := Create(t.TempDir() + "/idx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	var arts []corpus.Article
	for i := range 30 {
		form := "UBND"
		if i%2 == 1 {
			form = "Ủy ban nhân dân"
		}
		title := fmt.Sprintf("Tin %d", i)
		if i%3 == 0 {
			title = form + " " + title // the second pass reorders
		}
		arts = append(arts, article(fmt.Sprintf("a%02d", i), title,
			fmt.Sprintf("%s %s họp lần thứ %d%s", form, strings.Repeat("tỉnh ", i%5+1), i, strings.Repeat(" về mưa lũ", i%7))))
	}
	addArticles(t, ix, arts...)
	all, err := ix.Search(context.Background(), Request{Query: "ubnd", Size: 30})
	if err != nil || len(all.Hits) != 30 || all.Total != 30 {
		t.Fatalf("ubnd: %d hits of %d, %v", len(all.Hits), all.Total, err)
	}
	var paged []string
	for from := 0; from < 30; from += 7 {
		res, err := ix.Search(context.Background(), Request{Query: "ubnd", From: from, Size: 7})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, hitIDs(res.Hits)...)
	}
	if !slices.Equal(paged, hitIDs(all.Hits)) {
		t.Errorf("pages %v, want %v", paged, hitIDs(all.Hits))
	}
}

// TestMineAbbreviationsWhole mines an index on every core: each article
// counted once, and a canceled mining an error, never a partial count
// (that Compact would save).
func TestMineAbbreviationsWhole(t *testing.T) {
	ix, err := Create(t.TempDir() + "/idx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	const n = 600
	for batch := range 6 {
		var as []corpus.Article
		for i := range n / 6 {
			as = append(as, article(fmt.Sprintf("a%d-%d", batch, i), "Giao thông",
				"Lực lượng Cảnh sát giao thông (CSGT) kiểm tra, CSGT nhắc nhở."))
		}
		addArticles(t, ix, as...)
	}
	got, err := ix.MineAbbreviations(context.Background())
	if err != nil || len(got) != 1 || got[0].Articles != n {
		t.Fatalf("mined %+v, %v; want CSGT defined by %d articles", got, err, n)
	}
	for i := range 30 {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(time.Duration(i)*100*time.Microsecond, cancel)
		got, err := ix.MineAbbreviations(ctx)
		cancel()
		if err == nil && (len(got) != 1 || got[0].Articles != n) {
			t.Fatalf("canceled after %d×100µs: mined %+v with no error; want all %d articles or an error", i, got, n)
		}
	}
}
