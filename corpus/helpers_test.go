package corpus

import (
	"io/fs"
	"path"
	"testing"
)

type seedPage struct {
	name string
	data []byte
}

// seedPages returns the embedded seed pages, in name order.
func seedPages(tb testing.TB) []seedPage {
	tb.Helper()
	entries, err := fs.ReadDir(seedFS, "seeds")
	if err != nil {
		tb.Fatal(err)
	}
	var pages []seedPage
	for _, e := range entries {
		name := path.Join("seeds", e.Name())
		data, err := fs.ReadFile(seedFS, name)
		if err != nil {
			tb.Fatal(err)
		}
		pages = append(pages, seedPage{name, data})
	}
	if len(pages) != 5 {
		tb.Fatalf("want 5 seed pages, found %d", len(pages))
	}
	return pages
}
