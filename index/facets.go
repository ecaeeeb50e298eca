package index

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/RoaringBitmap/roaring/v2"
)

// Facets count the documents a search matches by the value of a field:
// every matching document, not only the hits shown, read from the
// bitmaps of the field's terms intersected with the match set — no
// document is visited. "month" is the publication month ("2023-09"),
// listed oldest first, for a timeline; the others are listed by count.
var facetFields = map[string]string{
	"source":   fieldSource,
	"category": fieldCategory,
	"month":    fieldMonth,
}

// MaxFacetValues bounds the values listed of a facet other than month.
const MaxFacetValues = 50

// FacetCount is how many matching documents hold one value.
type FacetCount struct {
	Value string `json:"value"` // normalized, as filters take it
	Count uint64 `json:"count"`
}

// FacetNames lists the facets a Request may ask for.
func FacetNames() []string {
	names := make([]string, 0, len(facetFields))
	for name := range facetFields {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}

func checkFacets(names []string) error {
	for _, n := range names {
		if _, ok := facetFields[n]; !ok {
			return fmt.Errorf("%w: facet %q: want one of %v", ErrBadQuery, n, FacetNames())
		}
	}
	return nil
}

// facets counts the documents r.matches holds by each named facet: every
// value when all, else the MaxFacetValues largest.
func (r *ranker) facets(names []string, all bool) (map[string][]FacetCount, error) {
	out := map[string][]FacetCount{}
	for _, name := range names {
		if _, done := out[name]; done {
			continue
		}
		counts := map[string]uint64{}
		for i, sv := range r.snap.segs {
			docs := r.matches[i]
			if docs == nil || docs.IsEmpty() {
				continue
			}
			err := sv.termRange(facetFields[name], "", "", func(term string, holding *roaring.Bitmap) error {
				if n := docs.AndCardinality(holding); n > 0 {
					counts[term] += n
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
		list := make([]FacetCount, 0, len(counts))
		for v, n := range counts {
			list = append(list, FacetCount{Value: v, Count: n})
		}
		out[name] = SortFacet(name, list, all)
	}
	return out, nil
}

// SortFacet orders the counts of the named facet as a search lists them:
// months oldest first, other values by count, the largest first (ties by
// value), and keeps the MaxFacetValues largest unless all.
func SortFacet(name string, list []FacetCount, all bool) []FacetCount {
	if name == "month" {
		slices.SortFunc(list, func(a, b FacetCount) int { return cmp.Compare(a.Value, b.Value) })
		return list
	}
	slices.SortFunc(list, func(a, b FacetCount) int {
		if a.Count != b.Count {
			return cmp.Compare(b.Count, a.Count)
		}
		return cmp.Compare(a.Value, b.Value)
	})
	if !all {
		list = list[:min(len(list), MaxFacetValues)]
	}
	return list
}
