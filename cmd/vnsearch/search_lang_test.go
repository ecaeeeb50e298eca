package main

import (
	"strings"
	"testing"
)

// TestSearchFacetsAndLanguage: --facets prints the counts of every match
// by source, category and month, and --json holds them as GET /search
// does; output is English unless the locale is Vietnamese.
func TestSearchFacetsAndLanguage(t *testing.T) {
	idx := seededIndex(t)
	res := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "--facets", "ma túy").stdout)
	var sources []string
	for _, c := range res.Facets["source"] {
		sources = append(sources, c.Value+" "+strings.Repeat("|", int(c.Count)))
	}
	if strings.Join(sources, ",") != "antv ||,vov.vn ||" || len(res.Facets["month"]) != 1 || res.Facets["category"] == nil {
		t.Errorf("--json --facets: %+v", res.Facets)
	}
	if only := decodeSearch(t, mustRun(t, nil, "search", "--index", idx, "--json", "--facets=month", "ma túy").stdout); len(only.Facets) != 1 || only.Facets["month"] == nil {
		t.Errorf("--facets=month: %+v", only.Facets)
	}
	if r := runCLI(t, nil, "search", "--index", idx, "--facets=author", "ma túy"); r.code != 2 || !strings.Contains(r.stderr, "author") {
		t.Errorf("--facets=author: exit %d, %q", r.code, r.stderr)
	}

	for _, tc := range []struct {
		name string
		env  map[string]string
		want []string
	}{
		{"default", nil, []string{"About 5 results (", "Matches by source: antv 2 · vov.vn 2", "Matches by month: 2023-09 1", " · score "}},
		{"LANG=en_US.UTF-8", map[string]string{"LANG": "en_US.UTF-8"}, []string{"About 5 results ("}},
		{"LANG=vi_VN.UTF-8", map[string]string{"LANG": "vi_VN.UTF-8"}, []string{"Khoảng 5 kết quả (", "Số bài theo nguồn: antv 2 · vov.vn 2", "Số bài theo tháng: 09/2023 1", " · điểm "}},
		{"LC_ALL wins", map[string]string{"LANG": "vi_VN.UTF-8", "LC_ALL": "C"}, []string{"About 5 results ("}},
	} {
		out := mustRun(t, tc.env, "search", "--index", idx, "--facets", "ma túy").stdout
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out)
			}
		}
	}
	none := mustRun(t, map[string]string{"LANG": "vi_VN.UTF-8"}, "search", "--index", idx, "xyzzyqwert").stdout
	if !strings.HasPrefix(none, `Không tìm thấy kết quả nào cho "xyzzyqwert"`) {
		t.Errorf("vi, no results: %q", none)
	}
}
