package corpus

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
)

//go:embed seeds/*.txt
var seedFS embed.FS

// Seeds streams the five seed pages embedded in the binary; their Origin is
// "seeds/<file name>".
func Seeds(ctx context.Context) iter.Seq2[Article, error] {
	return ArticlesFS(ctx, seedFS, "seeds")
}

// maxPage bounds a scraped page read into memory.
const maxPage = 64 << 20

// emitter forwards results to the consumer of an iterator and remembers
// when to stop: when the consumer breaks off or the context is canceled
// (reported once, as ctx.Err()).
type emitter struct {
	ctx     context.Context
	yield   func(Article, error) bool
	stopped bool
}

// alive reports whether iteration goes on. The first time it finds the
// context canceled it yields ctx.Err() and stops.
func (e *emitter) alive() bool {
	if e.stopped {
		return false
	}
	if err := e.ctx.Err(); err != nil {
		e.stopped = true
		e.yield(Article{}, err)
		return false
	}
	return true
}

// emit yields (a, err) unless iteration must stop; it reports whether to
// go on.
func (e *emitter) emit(a Article, err error) bool {
	if !e.alive() {
		return false
	}
	if !e.yield(a, err) {
		e.stopped = true
		return false
	}
	return true
}

func (e *emitter) problem(path string, line int, err error) bool {
	return e.emit(Article{}, &Problem{Path: path, Line: line, Err: err})
}

// Articles streams every article under paths, in order: a file is read by
// its extension (.txt pages, .html/.htm pages, .jsonl/.ndjson/.json JSON, any of them .gz);
// a directory is walked recursively in lexical order, reading the files
// with those extensions and skipping names that start with a dot. Symbolic
// links are followed; a link back into a directory being walked is
// reported as a problem, and a file or directory reached twice is read
// once. Origin is the file's path as reached from the given path.
//
// Non-fatal problems (unreadable or malformed input) are yielded as
// (Article{}, *Problem) and iteration continues; a canceled ctx yields
// ctx.Err() once and stops. Articles stream: memory does not grow with the
// size of the corpus.
func Articles(ctx context.Context, paths ...string) iter.Seq2[Article, error] {
	return func(yield func(Article, error) bool) {
		w := &osWalker{
			e:     &emitter{ctx: ctx, yield: yield},
			dirs:  map[string]bool{},
			files: map[string]bool{},
		}
		for _, p := range paths {
			if !w.root(p) {
				return
			}
		}
	}
}

type fileKind int

const (
	kindNone fileKind = iota
	kindPage
	kindJSON
	kindHTML
)

// kindOf tells how to read a file from its name.
func kindOf(name string) fileKind {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".gz")
	switch path.Ext(n) {
	case ".txt":
		return kindPage
	case ".jsonl", ".ndjson", ".json":
		return kindJSON
	case ".html", ".htm":
		return kindHTML
	}
	return kindNone
}

// osWalker walks the operating system's file tree. It keys what it has
// seen by real (symlink-free, absolute) path.
type osWalker struct {
	e     *emitter
	dirs  map[string]bool
	files map[string]bool
}

func (w *osWalker) root(p string) bool {
	if !w.e.alive() {
		return false
	}
	fi, err := os.Stat(p)
	if err != nil {
		if errors.Is(err, syscall.ELOOP) {
			err = fmt.Errorf("%w: %w", ErrSymlinkLoop, pathErr(err))
		}
		return w.e.problem(p, 0, pathErr(err))
	}
	real, err := realPath(p)
	if err != nil {
		return w.e.problem(p, 0, err)
	}
	if fi.IsDir() {
		return w.dir(p, real, nil)
	}
	k := kindOf(p)
	if k == kindNone {
		return w.e.problem(p, 0, fmt.Errorf("%w: want .txt, .html, .htm, .jsonl, .ndjson or .json, optionally .gz", ErrUnsupported))
	}
	return w.file(p, real, k)
}

// realPath returns p's absolute path with no symbolic links; callers stat
// p first, so a link cycle has been reported (as ELOOP) already.
func realPath(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", pathErr(err)
	}
	return filepath.Abs(r)
}

// pathErr drops the path from a *fs.PathError, since problems name it
// already; errors.Is still sees the cause.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

// dir walks directory p (real path real) below the chain of real
// directory paths ancestors.
func (w *osWalker) dir(p, real string, ancestors []string) bool {
	if w.dirs[real] {
		return true
	}
	w.dirs[real] = true
	entries, err := os.ReadDir(p)
	if err != nil {
		// Go on with whatever entries were read.
		if !w.e.problem(p, 0, pathErr(err)) {
			return false
		}
	}
	ancestors = append(ancestors, real)
	for _, de := range entries {
		if !w.e.alive() {
			return false
		}
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		child := filepath.Join(p, name)
		childReal := filepath.Join(real, name)
		typ := de.Type()
		if typ&fs.ModeSymlink != 0 {
			fi, err := os.Stat(child)
			if err != nil {
				if errors.Is(err, syscall.ELOOP) {
					err = fmt.Errorf("%w: %w", ErrSymlinkLoop, pathErr(err))
				}
				if !w.e.problem(child, 0, pathErr(err)) {
					return false
				}
				continue
			}
			r, err := realPath(child)
			if err != nil {
				if !w.e.problem(child, 0, err) {
					return false
				}
				continue
			}
			childReal, typ = r, fi.Mode().Type()
			if fi.IsDir() {
				if a := within(ancestors, r); a != "" {
					if !w.e.problem(child, 0, fmt.Errorf("%w: links to %s, which contains it", ErrSymlinkLoop, a)) {
						return false
					}
					continue
				}
			}
		}
		var ok bool
		switch {
		case typ.IsDir():
			ok = w.dir(child, childReal, ancestors)
		case typ.IsRegular():
			if k := kindOf(name); k != kindNone {
				ok = w.file(child, childReal, k)
			} else {
				ok = true
			}
		default:
			ok = true // devices, sockets, pipes: not corpus files
		}
		if !ok {
			return false
		}
	}
	return true
}

// within returns the first of ancestors that lies inside (or is) dir, or "".
func within(ancestors []string, dir string) string {
	for _, a := range ancestors {
		if a == dir || strings.HasPrefix(a, dir+string(filepath.Separator)) || dir == string(filepath.Separator) {
			return a
		}
	}
	return ""
}

func (w *osWalker) file(p, real string, k fileKind) bool {
	if w.files[real] {
		return true
	}
	w.files[real] = true
	return w.e.readFile(p, k, func() (io.ReadCloser, error) { return os.Open(p) })
}

// readFile reads one file of kind k, named p in problems and Origin.
func (e *emitter) readFile(p string, k fileKind, open func() (io.ReadCloser, error)) bool {
	f, err := open()
	if err != nil {
		return e.problem(p, 0, pathErr(err))
	}
	defer f.Close()
	if k == kindJSON {
		return e.readJSON(f, p)
	}
	br, closer, prob := maybeGunzip(f, p)
	if prob != nil {
		return e.emit(Article{}, prob)
	}
	if closer != nil {
		defer closer.Close()
	}
	data, err := io.ReadAll(io.LimitReader(br, maxPage+1))
	if err != nil {
		return e.problem(p, 0, readErr(pathErr(err)))
	}
	if len(data) > maxPage {
		return e.problem(p, 0, fmt.Errorf("%w: page over %d MiB", ErrTooLarge, maxPage>>20))
	}
	if k == kindHTML {
		a, err := ParseHTML(data, HTMLPage{Name: p})
		return e.emit(a, err)
	}
	a, err := ParsePage(data, p)
	return e.emit(a, err)
}

// ArticlesFS is Articles over fsys, from root (a file or a directory; "" or
// "." for all of fsys). Paths, problems and Origin use fsys's slash-
// separated names. Symbolic links to files are read; links to directories
// are not followed (fs.FS cannot tell where they lead).
func ArticlesFS(ctx context.Context, fsys fs.FS, root string) iter.Seq2[Article, error] {
	if root == "" {
		root = "."
	}
	return func(yield func(Article, error) bool) {
		e := &emitter{ctx: ctx, yield: yield}
		if !e.alive() {
			return
		}
		fi, err := fs.Stat(fsys, root)
		if err != nil {
			e.problem(root, 0, pathErr(err))
			return
		}
		open := func(p string) func() (io.ReadCloser, error) {
			return func() (io.ReadCloser, error) { return fsys.Open(p) }
		}
		if !fi.IsDir() {
			k := kindOf(root)
			if k == kindNone {
				e.problem(root, 0, fmt.Errorf("%w: want .txt, .html, .htm, .jsonl, .ndjson or .json, optionally .gz", ErrUnsupported))
				return
			}
			e.readFile(root, k, open(root))
			return
		}
		fs.WalkDir(fsys, root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if !e.problem(p, 0, pathErr(err)) {
					return fs.SkipAll
				}
				return nil
			}
			if p != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			k := kindOf(d.Name())
			if k == kindNone {
				return nil
			}
			if d.Type()&fs.ModeSymlink != 0 {
				fi, err := fs.Stat(fsys, p)
				if err != nil {
					if !e.problem(p, 0, pathErr(err)) {
						return fs.SkipAll
					}
					return nil
				}
				if !fi.Mode().IsRegular() {
					return nil
				}
			} else if !d.Type().IsRegular() {
				return nil
			}
			if !e.readFile(p, k, open(p)) {
				return fs.SkipAll
			}
			return nil
		})
	}
}
