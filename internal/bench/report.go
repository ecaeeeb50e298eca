package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Machine describes where a run took place.
type Machine struct {
	CPUs     int     `json:"cpus"`
	CPU      string  `json:"cpu,omitempty"`
	MemoryGB float64 `json:"memory_gb,omitempty"`
	OS       string  `json:"os"`
	Arch     string  `json:"arch"`
	Go       string  `json:"go"`
}

// ThisMachine describes the machine this process runs on (CPU model and
// memory from /proc where there is one).
func ThisMachine() Machine {
	m := Machine{CPUs: runtime.NumCPU(), OS: runtime.GOOS, Arch: runtime.GOARCH, Go: runtime.Version()}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range bytes.Lines(data) {
			if k, v, ok := strings.Cut(string(line), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range bytes.Lines(data) {
			if f := strings.Fields(string(line)); len(f) >= 2 && f[0] == "MemTotal:" {
				if kb, err := strconv.ParseFloat(f[1], 64); err == nil {
					m.MemoryGB = kb / (1 << 20)
				}
			}
		}
	}
	return m
}

func (m Machine) String() string {
	s := fmt.Sprintf("%d CPUs", m.CPUs)
	if m.CPU != "" {
		s += " (" + m.CPU + ")"
	}
	if m.MemoryGB > 0 {
		s += fmt.Sprintf(", %.0f GB", m.MemoryGB)
	}
	return s + fmt.Sprintf(", %s/%s, %s", m.OS, m.Arch, m.Go)
}

// LatencySection is the latency of every engine on one index.
type LatencySection struct {
	Corpus   string       `json:"corpus"`
	Articles int          `json:"articles"`
	Rows     []LatencyRow `json:"rows"`
	// PeakRSS is each server's peak resident memory by the end, in bytes.
	PeakRSS map[string]int64 `json:"peak_rss_bytes,omitempty"`
}

// Report is everything one run measured.
type Report struct {
	Date        time.Time           `json:"date"`
	Machine     Machine             `json:"machine"`
	Generated   []GenStats          `json:"generated,omitempty"`
	Build       []BuildResult       `json:"build,omitempty"`
	Latency     []LatencySection    `json:"latency,omitempty"`
	Load        []LoadResult        `json:"load,omitempty"`
	Incremental []IncrementalResult `json:"incremental,omitempty"`
}

// Print writes the report as tables.
func (r *Report) Print(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "vnsearch bench, %s, on %s\n", r.Date.Format("2006-01-02 15:04 MST"), r.Machine)
	fmt.Fprintln(bw, "Read each figure beside the peer's from this same run: single times vary with other work on the machine.")
	if len(r.Generated) > 0 {
		fmt.Fprintln(bw)
		PrintGenerated(bw, r.Generated)
	}
	if len(r.Build) > 0 {
		fmt.Fprintln(bw)
		PrintBuild(bw, r.Build)
	}
	for _, s := range r.Latency {
		fmt.Fprintln(bw)
		PrintLatency(bw, s)
	}
	if len(r.Latency) > 1 {
		fmt.Fprintln(bw)
		PrintGrowth(bw, r.Latency)
	}
	if len(r.Load) > 0 {
		fmt.Fprintln(bw)
		PrintLoad(bw, r.Load)
	}
	if len(r.Incremental) > 0 {
		fmt.Fprintln(bw)
		PrintIncremental(bw, r.Incremental)
	}
	return bw.Flush()
}

// PrintGenerated writes a table of generated corpora.
func PrintGenerated(w io.Writer, gs []GenStats) {
	fmt.Fprintln(w, "generated corpora")
	t := table{head: []string{"file", "articles", "size", "text", "time", "text MB/s"}}
	for _, g := range gs {
		t.add(baseName(g.Path), thousands(int64(g.Articles)), megabytes(g.Bytes), megabytes(g.TextBytes),
			seconds(g.Elapsed), fmt.Sprintf("%.0f", g.MBPerSecond()))
	}
	t.write(w)
}

// PrintBuild writes a table of builds.
func PrintBuild(w io.Writer, bs []BuildResult) {
	fmt.Fprintln(w, "build (a fresh index, by a child process; peak RSS is its VmHWM, polled every 10 ms)")
	t := table{head: []string{"corpus", "engine", "articles", "text", "wall", "articles/s", "MB/s", "peak RSS", "disk", "disk/text"}}
	for _, b := range bs {
		t.add(b.Corpus, b.Engine, thousands(int64(b.Articles)), megabytes(b.TextBytes), seconds(b.Wall),
			thousands(int64(b.ArticlesPerSecond()+0.5)), fmt.Sprintf("%.2f", b.MBPerSecond()),
			megabytes(b.PeakRSS), megabytes(b.DiskBytes), fmt.Sprintf("%.2f×", b.DiskX()))
	}
	t.write(w)
}

// PrintLatency writes a table of query latencies on one index.
func PrintLatency(w io.Writer, s LatencySection) {
	fmt.Fprintf(w, "latency on %s (%s articles), one query at a time, %d hits with snippets; ms\n",
		s.Corpus, thousands(int64(s.Articles)), PageSize)
	t := table{head: []string{"queries", "engine", "n", "found", "client p50", "p95", "p99", "server p50", "p95", "p99", "errors"}}
	for _, r := range s.Rows {
		t.add(r.Set, r.Engine, strconv.Itoa(r.Queries), fmt.Sprintf("%.0f%%", 100*r.Found),
			ms(r.Client.P50), ms(r.Client.P95), ms(r.Client.P99),
			ms(r.Server.P50), ms(r.Server.P95), ms(r.Server.P99), strconv.Itoa(r.Errors))
	}
	t.write(w)
	for _, engine := range slices.Sorted(maps.Keys(s.PeakRSS)) {
		fmt.Fprintf(w, "%s server peak RSS: %s\n", engine, megabytes(s.PeakRSS[engine]))
	}
	for _, r := range s.Rows {
		if r.FirstError != "" {
			fmt.Fprintf(w, "%s %s: first error: %s\n", r.Engine, r.Set, r.FirstError)
		}
	}
}

// PrintGrowth writes client p50 / p99 of each set and engine, one column
// per index, so that growth with the archive reads across.
func PrintGrowth(w io.Writer, sections []LatencySection) {
	fmt.Fprintln(w, "growth: client p50 / p99 ms as the archive grows")
	head := []string{"queries", "engine"}
	for _, s := range sections {
		head = append(head, thousands(int64(s.Articles)))
	}
	t := table{head: head}
	type key struct{ set, engine string }
	var keys []key
	cells := map[key][]string{}
	for i, s := range sections {
		for _, r := range s.Rows {
			k := key{r.Set, r.Engine}
			if _, ok := cells[k]; !ok {
				keys = append(keys, k)
				cells[k] = make([]string, len(sections))
			}
			cells[k][i] = ms(r.Client.P50) + " / " + ms(r.Client.P99)
		}
	}
	for _, k := range keys {
		t.add(append([]string{k.set, k.engine}, cells[k]...)...)
	}
	t.write(w)
}

// PrintLoad writes a table of load tests.
func PrintLoad(w io.Writer, ls []LoadResult) {
	fmt.Fprintln(w, "load: concurrent clients over loopback HTTP, mixed queries; client ms")
	t := table{head: []string{"engine", "clients", "seconds", "queries", "queries/s", "p50", "p99", "short p50", "p99", "headline p50", "p99", "errors", "server RSS"}}
	for _, l := range ls {
		rss := "—"
		if l.PeakRSS > 0 {
			rss = megabytes(l.PeakRSS)
		}
		t.add(l.Engine, strconv.Itoa(l.Clients), fmt.Sprintf("%.0f", l.Duration.Seconds()), thousands(int64(l.Queries)),
			fmt.Sprintf("%.0f", l.QPS), ms(l.Client.P50), ms(l.Client.P99), ms(l.Short.P50), ms(l.Short.P99),
			ms(l.Headline.P50), ms(l.Headline.P99), strconv.Itoa(l.Errors), rss)
	}
	t.write(w)
	for _, l := range ls {
		if l.FirstError != "" {
			fmt.Fprintf(w, "%s: first error: %s\n", l.Engine, l.FirstError)
		}
	}
}

// PrintIncremental writes a table of incremental adds.
func PrintIncremental(w io.Writer, is []IncrementalResult) {
	fmt.Fprintln(w, "incremental adds to a built index: time to acknowledge a batch; ms")
	t := table{head: []string{"engine", "via", "index", "batches", "size", "p50", "p99", "max", "searchable at once"}}
	for _, r := range is {
		t.add(r.Engine, r.Via, thousands(int64(r.IndexArticles)), strconv.Itoa(r.Batches), strconv.Itoa(r.BatchSize),
			ms(r.Ack.P50), ms(r.Ack.P99), ms(r.Ack.Max), fmt.Sprintf("%d/%d", r.Searchable, r.Batches))
	}
	t.write(w)
}

// table is a plain text table: the first two columns left-aligned, the
// rest right-aligned.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) {
	widths := make([]int, len(t.head))
	for _, row := range append([][]string{t.head}, t.rows...) {
		for i, c := range row {
			if i < len(widths) {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
	}
	for _, row := range append([][]string{t.head}, t.rows...) {
		var sb strings.Builder
		for i, c := range row {
			if i >= len(widths) {
				break
			}
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				sb.WriteString("  ")
			}
			if i < 2 {
				sb.WriteString(c + pad)
			} else {
				sb.WriteString(pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(sb.String(), " "))
	}
}

func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

// thousands formats n with commas: 1,234,567.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var sb strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(c)
	}
	if neg {
		return "-" + sb.String()
	}
	return sb.String()
}

func megabytes(n int64) string { return thousands((n+500_000)/1_000_000) + " MB" }

func seconds(d time.Duration) string { return fmt.Sprintf("%.1f s", d.Seconds()) }

func ms(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
