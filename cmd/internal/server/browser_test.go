package server

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// findChromium returns a headless-capable Chromium or Chrome on PATH.
func findChromium() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	return ""
}

// runChromium runs the browser headless on url with extra flags and
// returns its standard output.
func runChromium(t *testing.T, browser string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--no-default-browser-check", "--hide-scrollbars",
		"--user-data-dir=" + t.TempDir(),
	}
	cmd := exec.CommandContext(ctx, browser, append(base, args...)...)
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", browser, strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// TestPageInBrowser loads the search page in a real headless browser: the
// rendered DOM must hold the results with their highlights, Vietnamese
// intact. The screenshot is kept in $VNSEARCH_ARTIFACTS when set.
func TestPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	browser := findChromium()
	if browser == "" {
		t.Skip("chromium not installed: no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
	}
	f := newFixture(t, Config{})
	page := f.url + "/?q=" + url.QueryEscape("ma túy") + "&size=3&hl=vi"

	dom := string(runChromium(t, browser, "--dump-dom", page))
	for _, want := range []string{
		"Tăng cường hợp tác quốc tế trong phòng, chống tội phạm",
		"<mark>ma túy</mark>",
		"Kết quả 1–3 trong khoảng 5",
		`rel="next"`,
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q:\n%s", want, dom)
		}
	}
	if n := hitCount(dom); n != 3 {
		t.Errorf("rendered page shows %d results, want 3", n)
	}

	dir := os.Getenv("VNSEARCH_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "search-page.png")
	runChromium(t, browser, "--screenshot="+shot, "--window-size=1200,900", page)
	info, err := os.Stat(shot)
	if err != nil || info.Size() == 0 {
		t.Fatalf("no screenshot at %s: %v", shot, err)
	}
	t.Logf("screenshot of the search page: %s", shot)
}
