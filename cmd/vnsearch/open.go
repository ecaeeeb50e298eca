package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
)

// defaultIndexHint describes the per-user index directory in help.
const defaultIndexHint = "a per-user directory, e.g. ~/.local/share/vnsearch/index"

// indexLocation is where the index of a run is, and whether it is the
// per-user default, which search and serve may build from the seeds.
type indexLocation struct {
	path      string
	isDefault bool
}

// where returns the index directory: --index, else $VNSEARCH_INDEX, else
// the per-user default.
func (a *app) where() (indexLocation, error) {
	for _, p := range []string{a.indexFlag, a.getenv("VNSEARCH_INDEX")} {
		if p != "" {
			abs, err := filepath.Abs(p)
			if err != nil {
				return indexLocation{}, fmt.Errorf("index path %s: %w", p, err)
			}
			return indexLocation{path: abs}, nil
		}
	}
	dir, err := dataDir(runtime.GOOS, a.getenv)
	if err != nil {
		return indexLocation{}, err
	}
	return indexLocation{path: filepath.Join(dir, "vnsearch", "index"), isDefault: true}, nil
}

// dataDir returns the per-user data directory on goos.
func dataDir(goos string, getenv func(string) string) (string, error) {
	need := func(name string) (string, error) {
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("no per-user data directory: $%s is not set; pass --index or set VNSEARCH_INDEX", name)
		}
		return v, nil
	}
	switch goos {
	case "windows":
		return need("LocalAppData")
	case "darwin", "ios":
		home, err := need("HOME")
		return filepath.Join(home, "Library", "Application Support"), err
	case "plan9":
		home, err := need("home")
		return filepath.Join(home, "lib"), err
	}
	// XDG: a relative $XDG_DATA_HOME is invalid and ignored.
	if d := getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	home, err := need("HOME")
	return filepath.Join(home, ".local", "share"), err
}

// ensureDefault builds the per-user default index from the seed articles
// when it does not exist yet, and says so.
func (a *app) ensureDefault(ctx context.Context, loc indexLocation) error {
	if !loc.isDefault || index.Exists(loc.path) {
		return nil
	}
	_, err := a.buildDefault(ctx, loc, false)
	return err
}

// buildDefault builds the default index from the seed articles. With
// outdated, the index there was built by an older vnsearch: it is built
// again only when it holds nothing but the seeds (built reports whether).
func (a *app) buildDefault(ctx context.Context, loc indexLocation, outdated bool) (built bool, err error) {
	var seeds []corpus.Article
	ids := make([]string, 0, 8)
	for art, err := range corpus.Seeds(ctx) {
		if err != nil {
			return false, fmt.Errorf("reading the seed articles: %w", err)
		}
		seeds = append(seeds, art)
		ids = append(ids, art.ID)
	}
	if outdated {
		if !index.OutdatedHoldingOnly(loc.path, ids) {
			return false, nil // articles of the user's: Open says to index them again
		}
		if err := os.RemoveAll(loc.path); err != nil {
			return false, fmt.Errorf("rebuilding the default index at %s: %w", loc.path, err)
		}
	}
	ix, err := index.Create(loc.path)
	if err != nil {
		if index.Exists(loc.path) {
			return true, nil // another vnsearch built it meanwhile
		}
		return false, fmt.Errorf("building the default index: %w", err)
	}
	_, err = ix.Add(ctx, seeds)
	if cerr := ix.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Leave nothing half built, so that the next run tries again.
		_ = os.RemoveAll(loc.path)
		return false, fmt.Errorf("building the default index at %s: %w", loc.path, err)
	}
	if outdated {
		fmt.Fprintf(a.stderr, "vnsearch: rebuilt the default index at %s from the %d seed articles: an older vnsearch built it, "+
			"and it held nothing else\n", loc.path, len(seeds))
	} else {
		fmt.Fprintf(a.stderr, "vnsearch: built a default index at %s from the %d seed articles embedded in vnsearch; "+
			"`vnsearch index SOURCE...` adds your own\n", loc.path, len(seeds))
	}
	return true, nil
}

// open opens the index of this run: read-only for readers, for writing
// otherwise (creating it if create), recording this process as its
// holder. busyHint tells the user what to do instead when another process
// holds the index, naming the server as defaultServerURL.
func (a *app) open(loc indexLocation, readOnly, create bool, busyHint string) (*index.Index, error) {
	var (
		ix  *index.Index
		err error
	)
	syn, err := a.userSynonyms()
	if err != nil {
		return nil, err
	}
	if create {
		existed := index.Exists(loc.path)
		ix, err = index.OpenOrCreateWith(loc.path, index.Options{Synonyms: syn})
		if err == nil && !existed {
			fmt.Fprintf(a.stderr, "vnsearch: created a new index at %s\n", loc.path)
		}
	} else {
		ix, err = index.Open(loc.path, index.Options{ReadOnly: readOnly, Synonyms: syn})
	}
	switch {
	case err == nil:
		if !readOnly {
			a.recordHolder(loc.path, "")
		}
		return ix, nil
	case errors.Is(err, index.ErrIncompatible) && loc.isDefault:
		// Only when it fails: an index that opens costs no extra look.
		built, berr := a.buildDefault(context.Background(), loc, true)
		if berr != nil {
			return nil, berr
		}
		if built {
			loc.isDefault = false // once: a second failure is reported as it is
			return a.open(loc, readOnly, create, busyHint)
		}
	case errors.Is(err, index.ErrBusy):
		return nil, errors.New(busyMessage(loc.path, busyHint))
	case errors.Is(err, index.ErrNotExist):
		how := fmt.Sprintf("create it with `vnsearch --index %s index SOURCE...`", loc.path)
		if loc.isDefault {
			how = "create it with `vnsearch index SOURCE...`, or run `vnsearch search` once to build it from the seed articles"
		}
		return nil, fmt.Errorf("no index at %s: %s", loc.path, how)
	}
	return nil, err
}

// recordHolder records this process as the holder of the index at dir,
// listening on url when it serves. Failing to is no reason to stop: the
// record only makes another process's message more precise.
func (a *app) recordHolder(dir, url string) {
	h := holder{Command: a.command, PID: os.Getpid(), URL: url, Since: time.Now()}
	if a.held == dir && !a.heldSince.IsZero() {
		h.Since = a.heldSince
	}
	if err := writeHolder(dir, h); err != nil {
		fmt.Fprintf(a.stderr, "vnsearch: warning: cannot record this process as the index's holder: %v\n", err)
		return
	}
	a.held, a.heldSince = dir, h.Since
}

// releaseHolder removes the record of recordHolder, if any.
func (a *app) releaseHolder() {
	if a.held == "" {
		return
	}
	if err := removeHolder(a.held); err != nil {
		fmt.Fprintf(a.stderr, "vnsearch: warning: %v\n", err)
	}
	a.held = ""
}

// userSynonyms reads the --synonyms file; nil without one. A file with
// lines that cannot be read is an error naming each of them.
func (a *app) userSynonyms() (*index.Synonyms, error) {
	syn, errs, err := a.readSynonyms()
	if err != nil {
		return nil, err
	}
	if len(errs) > 0 {
		return nil, synonymsError(errs)
	}
	return syn, nil
}

// readSynonyms reads the --synonyms file, returning its bad lines apart.
func (a *app) readSynonyms() (*index.Synonyms, []error, error) {
	if a.synonymsFlag == "" {
		return nil, nil, nil
	}
	f, err := os.Open(a.synonymsFlag)
	if err != nil {
		return nil, nil, fmt.Errorf("--synonyms: %w", err)
	}
	defer f.Close()
	syn, errs := index.ParseSynonyms(f, a.synonymsFlag)
	return syn, errs, nil
}

func synonymsError(errs []error) error {
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	what := "bad lines"
	if len(errs) == 1 {
		what = "bad line"
	}
	return fmt.Errorf("--synonyms: %d %s:\n%s", len(errs), what, strings.Join(msgs, "\n"))
}
