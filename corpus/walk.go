package corpus

import (
	"context"
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

// Format is how a file is read, told from its name.
type Format uint8

const (
	FormatPage Format = iota + 1 // a scraped page: .txt
	FormatJSON                   // JSON Lines or a JSON array: .jsonl, .ndjson, .json
	FormatHTML                   // a web page: .html, .htm
)

// formatOf tells how to read a file from its name (.gz or not); 0 means
// it is not a corpus file.
func formatOf(name string) Format {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".gz")
	switch path.Ext(n) {
	case ".txt":
		return FormatPage
	case ".jsonl", ".ndjson", ".json":
		return FormatJSON
	case ".html", ".htm":
		return FormatHTML
	}
	return 0
}

var errUnsupported = fmt.Errorf("%w: want .txt, .html, .htm, .jsonl, .ndjson or .json, optionally .gz", ErrUnsupported)

// File is one file a walk found to read.
type File struct {
	// Path is the file's path as reached from the path given to the
	// walk; it names the file in problems and is its articles' Origin.
	Path   string
	Format Format
	open   func() (io.ReadCloser, error)
}

// Open opens the file's raw bytes (still compressed when its name ends
// in .gz).
func (f File) Open() (io.ReadCloser, error) { return f.open() }

// Files walks paths and yields the files Articles reads, in the order it
// reads them: a file is taken by its extension (.txt pages, .html/.htm
// web pages, .jsonl/.ndjson/.json JSON, any of them .gz); a directory is walked
// recursively in lexical order, taking the files with those extensions and
// skipping names that start with a dot. Symbolic links are followed; a
// link back into a directory being walked is reported as a problem
// (ErrSymlinkLoop), and a file or directory reached twice is taken once.
//
// What cannot be walked (a missing path, an unsupported file named
// explicitly, an unreadable directory, a dangling link) is yielded as
// (File{}, *Problem) and the walk goes on; a canceled ctx yields ctx.Err()
// once and stops.
func Files(ctx context.Context, paths ...string) iter.Seq2[File, error] {
	return walkFiles(ctx, osTree{}, paths...)
}

// fileTree is what the walker needs of a file system.
type fileTree interface {
	stat(p string) (fs.FileInfo, error) // follows symbolic links
	readDir(p string) ([]fs.DirEntry, error)
	// realPath identifies what p leads to (absolute, free of links), so
	// that what is reached twice is read once and loops are found.
	realPath(p string) (string, error)
	join(dir, name string) string
	open(p string) (io.ReadCloser, error)
	// followDirLinks tells whether links to directories are walked.
	followDirLinks() bool
}

// osTree is the operating system's file tree.
type osTree struct{}

func (osTree) stat(p string) (fs.FileInfo, error)      { return os.Stat(p) }
func (osTree) readDir(p string) ([]fs.DirEntry, error) { return os.ReadDir(p) }
func (osTree) join(dir, name string) string            { return filepath.Join(dir, name) }
func (osTree) open(p string) (io.ReadCloser, error)    { return os.Open(p) }
func (osTree) followDirLinks() bool                    { return true }

// realPath: callers stat p first, so a link cycle has been reported (as
// ELOOP) already.
func (osTree) realPath(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", pathErr(err)
	}
	return filepath.Abs(r)
}

// fsTree is an fs.FS. fs.FS cannot tell where a link leads, so links to
// directories are not walked and a path is its own identity.
type fsTree struct{ fsys fs.FS }

func (t fsTree) stat(p string) (fs.FileInfo, error)      { return fs.Stat(t.fsys, p) }
func (t fsTree) readDir(p string) ([]fs.DirEntry, error) { return fs.ReadDir(t.fsys, p) }
func (t fsTree) realPath(p string) (string, error)       { return path.Clean(p), nil }
func (t fsTree) join(dir, name string) string            { return path.Join(dir, name) }
func (t fsTree) open(p string) (io.ReadCloser, error)    { return t.fsys.Open(p) }
func (t fsTree) followDirLinks() bool                    { return false }

// walker walks a tree, keying what it has seen by real path.
type walker struct {
	ctx     context.Context
	t       fileTree
	yield   func(File, error) bool
	stopped bool
	dirs    map[string]bool
	files   map[string]bool
}

func walkFiles(ctx context.Context, t fileTree, paths ...string) iter.Seq2[File, error] {
	return func(yield func(File, error) bool) {
		w := &walker{ctx: ctx, t: t, yield: yield, dirs: map[string]bool{}, files: map[string]bool{}}
		for _, p := range paths {
			if !w.root(p) {
				return
			}
		}
	}
}

// alive reports whether the walk goes on; the first time it finds the
// context canceled it yields ctx.Err() and stops.
func (w *walker) alive() bool {
	if w.stopped {
		return false
	}
	if err := w.ctx.Err(); err != nil {
		w.stopped = true
		w.yield(File{}, err)
		return false
	}
	return true
}

func (w *walker) emit(f File, err error) bool {
	if !w.alive() {
		return false
	}
	if !w.yield(f, err) {
		w.stopped = true
		return false
	}
	return true
}

func (w *walker) problem(p string, err error) bool {
	return w.emit(File{}, &Problem{Path: p, Err: err})
}

// statErr names a link cycle the operating system refused to follow.
func statErr(err error) error {
	if errors.Is(err, syscall.ELOOP) {
		return fmt.Errorf("%w: %w", ErrSymlinkLoop, pathErr(err))
	}
	return pathErr(err)
}

func (w *walker) root(p string) bool {
	if !w.alive() {
		return false
	}
	fi, err := w.t.stat(p)
	if err != nil {
		return w.problem(p, statErr(err))
	}
	real, err := w.t.realPath(p)
	if err != nil {
		return w.problem(p, err)
	}
	if fi.IsDir() {
		return w.dir(p, real, nil)
	}
	f := formatOf(p)
	if f == 0 {
		return w.problem(p, errUnsupported)
	}
	return w.file(p, real, f)
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
func (w *walker) dir(p, real string, ancestors []string) bool {
	if w.dirs[real] {
		return true
	}
	w.dirs[real] = true
	entries, err := w.t.readDir(p)
	if err != nil {
		// Go on with whatever entries were read.
		if !w.problem(p, pathErr(err)) {
			return false
		}
	}
	ancestors = append(ancestors, real)
	for _, de := range entries {
		if !w.alive() {
			return false
		}
		name := de.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		child := w.t.join(p, name)
		childReal := w.t.join(real, name)
		typ := de.Type()
		if typ&fs.ModeSymlink != 0 {
			fi, err := w.t.stat(child)
			if err != nil {
				if !w.problem(child, statErr(err)) {
					return false
				}
				continue
			}
			if fi.IsDir() && !w.t.followDirLinks() {
				continue
			}
			r, err := w.t.realPath(child)
			if err != nil {
				if !w.problem(child, err) {
					return false
				}
				continue
			}
			childReal, typ = r, fi.Mode().Type()
			if fi.IsDir() {
				if a := within(ancestors, r); a != "" {
					if !w.problem(child, fmt.Errorf("%w: links to %s, which contains it", ErrSymlinkLoop, a)) {
						return false
					}
					continue
				}
			}
		}
		ok := true
		switch {
		case typ.IsDir():
			ok = w.dir(child, childReal, ancestors)
		case typ.IsRegular():
			if f := formatOf(name); f != 0 {
				ok = w.file(child, childReal, f)
			}
		}
		// Devices, sockets, pipes are not corpus files.
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

func (w *walker) file(p, real string, f Format) bool {
	if w.files[real] {
		return true
	}
	w.files[real] = true
	t := w.t
	return w.emit(File{Path: p, Format: f, open: func() (io.ReadCloser, error) { return t.open(p) }}, nil)
}
