package server

import (
	"context"
	"fmt"
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

// artifacts returns the directory for screenshots: $VNSEARCH_ARTIFACTS
// when set, else a temporary one.
func artifacts(t *testing.T) string {
	dir := os.Getenv("VNSEARCH_ARTIFACTS")
	if dir == "" {
		return t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestPageJourneyInBrowser uses the page as a reader does, in a real
// browser driven by mouse and keyboard: types a query, expands a story
// group, clicks a facet and removes it, opens an article from the
// keyboard, at 1280 and 390 px wide. It checks what a reader would notice
// — the results, focus outlines, no horizontal scrolling on a phone, no
// layout shift — and keeps screenshots in $VNSEARCH_ARTIFACTS.
func TestPageJourneyInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a browser")
	}
	path := findChromium()
	if path == "" {
		t.Skip("chromium not installed: no chromium, chromium-browser or google-chrome on PATH (apt-get install chromium)")
	}
	f := newFixture(t, Config{})
	if _, err := f.ix.Add(context.Background(), nearCopies()); err != nil {
		t.Fatal(err)
	}
	dir := artifacts(t)
	b := startBrowser(t, path)
	for _, width := range []int{1280, 390} {
		shot := func(name string) {
			p := filepath.Join(dir, fmt.Sprintf("%s-%d.png", name, width))
			b.screenshot(p)
			t.Logf("screenshot: %s", p)
		}
		b.width(width)
		b.navigate(f.url + "/?hl=vi")

		// Type a query and press Enter.
		b.eval(`document.querySelector('input[name=q]').focus()`, nil)
		b.call("Input.insertText", map[string]any{"text": "áp thấp nhiệt đới"}, nil)
		home := b.str("location.href")
		b.key("Enter", 13)
		b.navigated(home)
		if got := b.str(`document.querySelector('[role=status]').textContent`); !strings.HasPrefix(got, "Kết quả 1–2 trong khoảng 4") {
			t.Errorf("%d px: summary %q", width, got)
		}
		var shift float64
		b.eval(`new Promise(done => { let sum = 0;
			new PerformanceObserver(list => { for (const e of list.getEntries()) sum += e.value; }).observe({type: 'layout-shift', buffered: true});
			setTimeout(() => done(sum), 300); })`, &shift)
		if shift > 0.01 {
			t.Errorf("%d px: cumulative layout shift %.3f while the results load", width, shift)
		}
		var overflow int
		b.eval(`document.documentElement.scrollWidth - window.innerWidth`, &overflow)
		if overflow > 0 {
			t.Errorf("%d px: the page is %d px wider than the window", width, overflow)
		}
		shot("results")

		// Expand the story group.
		b.click("details.story summary")
		b.waitFor(`document.querySelector('details.story').open`)
		var shown int
		b.eval(`[...document.querySelectorAll('details.story li a')].filter(a => a.getBoundingClientRect().height > 0).length`, &shown)
		if shown != 2 {
			t.Errorf("%d px: the expanded story shows %d articles, want 2", width, shown)
		}
		shot("story")

		// Click a facet, then remove it.
		results := b.str("location.href")
		b.click(`[data-facet=source] li a`)
		b.navigated(results)
		if got := b.str(`document.querySelector('.chips li').textContent`); !strings.HasPrefix(got, "Nguồn: báo a") {
			t.Errorf("%d px: active filter %q", width, got)
		}
		if got := b.str(`document.querySelector('[role=status]').textContent`); !strings.Contains(got, "trong khoảng 2") {
			t.Errorf("%d px: narrowed summary %q", width, got)
		}
		shot("facet")
		narrowed := b.str("location.href")
		b.click(".chips li a")
		b.navigated(narrowed)
		if got := b.str(`document.querySelector('[role=status]').textContent`); !strings.Contains(got, "trong khoảng 4") {
			t.Errorf("%d px: after removing the filter: %q", width, got)
		}

		// Open the first result from the keyboard: Tab to its title, with
		// a visible focus outline, and Enter.
		b.eval(`document.activeElement.blur()`, nil)
		found := false
		for range 80 {
			b.key("Tab", 9)
			var at bool
			b.eval(`document.activeElement === document.querySelector('ol.hits .title a')`, &at)
			if at {
				found = true
				break
			}
		}
		if !found {
			t.Fatalf("%d px: Tab never reached the first result", width)
		}
		if got := b.str(`getComputedStyle(document.activeElement).outlineStyle + ' ' + getComputedStyle(document.activeElement).outlineWidth`); got != "solid 3px" {
			t.Errorf("%d px: focused link outline %q, want solid 3px", width, got)
		}
		list := b.str("location.href")
		b.key("Enter", 13)
		b.navigated(list)
		href := b.str("location.href")
		if !strings.Contains(href, "/a/") || !strings.Contains(href, "#p") {
			t.Fatalf("%d px: opened %s, want an article view at a paragraph", width, href)
		}
		var inView bool
		b.eval(`(() => { const p = document.querySelector(':target'); if (!p) return false;
			const r = p.getBoundingClientRect(); return r.top >= 0 && r.top < window.innerHeight; })()`, &inView)
		if !inView {
			t.Errorf("%d px: the matched paragraph %s is not in view", width, href)
		}
		var marks int
		b.eval(`document.querySelectorAll('article mark').length`, &marks)
		if marks == 0 {
			t.Errorf("%d px: the article view marks no match", width)
		}
		b.eval(`document.documentElement.scrollWidth - window.innerWidth`, &overflow)
		if overflow > 0 {
			t.Errorf("%d px: the article view is %d px wider than the window", width, overflow)
		}
		shot("article")
	}
}
