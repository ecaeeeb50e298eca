package bench

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
)

// Engines measured.
const (
	Vnsearch = "vnsearch"
	// Peer is stock Bleve 2.6.1 as baseline.CreateStatic sets it up.
	Peer = "bleve-static"
)

// CorpusInfo describes a corpus as the index sees it.
type CorpusInfo struct {
	Paths    []string `json:"paths"`
	Articles int      `json:"articles"`
	// TextBytes counts the UTF-8 bytes of the titles, summaries and
	// paragraphs: the raw text an index's size is compared with.
	TextBytes int64 `json:"text_bytes"`
	Problems  int   `json:"problems"`
}

// ReadCorpusInfo reads the corpus under paths once, counting its articles
// and their text.
func ReadCorpusInfo(ctx context.Context, paths ...string) (CorpusInfo, error) {
	info := CorpusInfo{Paths: paths}
	for a, err := range corpus.Articles(ctx, paths...) {
		if err != nil {
			var p *corpus.Problem
			if errors.As(err, &p) {
				info.Problems++
				continue
			}
			return info, fmt.Errorf("bench: reading %s: %w", strings.Join(paths, ", "), err)
		}
		info.Articles++
		info.TextBytes += TextBytes(&a)
	}
	if info.Articles == 0 {
		return info, fmt.Errorf("bench: no articles in %s (%d problems)", strings.Join(paths, ", "), info.Problems)
	}
	return info, nil
}

// TextBytes is the size of an article's text: title, summary and
// paragraphs.
func TextBytes(a *corpus.Article) int64 {
	n := int64(len(a.Title) + len(a.Summary))
	for _, p := range a.Paragraphs {
		n += int64(len(p))
	}
	return n
}

// BuildResult is one index build, by a child process.
type BuildResult struct {
	Engine    string        `json:"engine"`
	Corpus    string        `json:"corpus"`
	Articles  int           `json:"articles"`
	TextBytes int64         `json:"text_bytes"`
	Wall      time.Duration `json:"wall_ns"`
	PeakRSS   int64         `json:"peak_rss_bytes"` // VmHWM of the child, polled
	DiskBytes int64         `json:"disk_bytes"`
	Index     string        `json:"index"`
}

// ArticlesPerSecond is the build rate.
func (r BuildResult) ArticlesPerSecond() float64 { return float64(r.Articles) / r.Wall.Seconds() }

// MBPerSecond is the build rate in megabytes (10⁶) of article text a
// second.
func (r BuildResult) MBPerSecond() float64 { return float64(r.TextBytes) / 1e6 / r.Wall.Seconds() }

// DiskX is the index's size on disk over the raw text.
func (r BuildResult) DiskX() float64 { return float64(r.DiskBytes) / float64(r.TextBytes) }

// Binary is the vnsearch executable that the harness runs as a child:
// `vnsearch index` and `vnsearch serve` for vnsearch, and the hidden
// `vnsearch bench bleve-build` and `bleve-serve` for the peer.
type Binary struct {
	Path string
	// Env is the children's environment; nil means ChildEnv().
	Env []string
}

// ChildEnv is this process's environment without the variables that
// would change what a child vnsearch does (its index and token come from
// flags).
func ChildEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if name == "VNSEARCH_INDEX" || name == "VNSEARCH_TOKEN" {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (b Binary) env() []string {
	if b.Env != nil {
		return b.Env
	}
	return ChildEnv()
}

// Build builds a fresh index of the corpus at dir (which must not exist)
// with engine, in a child process — `vnsearch index` for vnsearch, the
// command users run, and `vnsearch bench bleve-build` for the peer — and
// measures its size once the child has exited.
func (b Binary) Build(ctx context.Context, engine string, info CorpusInfo, dir string) (BuildResult, error) {
	r, err := b.RunBuild(ctx, engine, info, dir)
	if err != nil {
		return r, err
	}
	return r, r.MeasureDisk()
}

// RunBuild is Build without measuring the index's size: the wall time is
// the child's, from its start to its exit.
func (b Binary) RunBuild(ctx context.Context, engine string, info CorpusInfo, dir string) (BuildResult, error) {
	if _, err := os.Stat(dir); err == nil {
		return BuildResult{}, fmt.Errorf("bench: build %s: %s already exists", engine, dir)
	}
	var args []string
	switch engine {
	case Vnsearch:
		args = append([]string{"index", "--index", dir}, info.Paths...)
	case Peer:
		args = append([]string{"bench", "bleve-build", "--index", dir}, info.Paths...)
	default:
		return BuildResult{}, fmt.Errorf("bench: unknown engine %q", engine)
	}
	child, err := StartChild(ctx, b.Path, args, b.env(), nil)
	if err != nil {
		return BuildResult{}, err
	}
	res, err := child.Wait()
	// `vnsearch index` exits 1 when it skipped bad input, having indexed
	// the rest; the corpus's problems were counted beforehand.
	if err != nil && !(res.Exit == 1 && info.Problems > 0 && strings.Contains(child.tail.String(), "problems in the input")) {
		return BuildResult{}, err
	}
	return BuildResult{
		Engine: engine, Corpus: corpusName(info.Paths), Articles: info.Articles, TextBytes: info.TextBytes,
		Wall: res.Wall, PeakRSS: res.PeakRSS, Index: dir,
	}, nil
}

// MeasureDisk sets DiskBytes to the size of the index on disk.
func (r *BuildResult) MeasureDisk() error {
	size, err := DirSize(r.Index)
	r.DiskBytes = size
	return err
}

func corpusName(paths []string) string {
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return strings.Join(names, "+")
}

// DirSize is the total size of the regular files under dir.
func DirSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bench: size of %s: %w", dir, err)
	}
	return n, nil
}
