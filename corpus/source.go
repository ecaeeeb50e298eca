package corpus

import (
	"context"
	"embed"
	"fmt"
	"io"
	"io/fs"
	"iter"
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

// Articles streams every article in the files under paths, in order: the
// files Files walks to (see there for which, and how links are followed);
// Origin is the file's path as reached from the given path.
//
// Non-fatal problems (unreadable or malformed input) are yielded as
// (Article{}, *Problem) and iteration continues; a canceled ctx yields
// ctx.Err() once and stops. Articles stream: memory does not grow with the
// size of the corpus.
func Articles(ctx context.Context, paths ...string) iter.Seq2[Article, error] {
	return readFiles(ctx, Files(ctx, paths...))
}

// readFiles streams the articles of files.
func readFiles(ctx context.Context, files iter.Seq2[File, error]) iter.Seq2[Article, error] {
	return func(yield func(Article, error) bool) {
		e := &emitter{ctx: ctx, yield: yield}
		for f, err := range files {
			if err != nil {
				if !e.emit(Article{}, err) {
					return
				}
				continue
			}
			if !e.readFile(f) {
				return
			}
		}
	}
}

// readFile reads one file, named by its path in problems and Origin.
func (e *emitter) readFile(file File) bool {
	p := file.Path
	f, err := file.Open()
	if err != nil {
		return e.problem(p, 0, pathErr(err))
	}
	defer f.Close()
	if file.Format == FormatJSON {
		return e.readJSON(f, jsonInput{name: p, limits: Limits{}.orDefaults()})
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
	if file.Format == FormatHTML {
		a, err := ParseHTML(data, HTMLPage{Name: p})
		return e.emit(a, err)
	}
	a, err := ParsePage(data, p)
	return e.emit(a, err)
}

// ArticlesFS is Articles over fsys, from root (a file or a directory; "" or
// "." for all of fsys), walked by the same rules. Paths, problems and Origin
// use fsys's slash-separated names. Symbolic links to files are read; links
// to directories are not followed (fs.FS cannot tell where they lead).
func ArticlesFS(ctx context.Context, fsys fs.FS, root string) iter.Seq2[Article, error] {
	if root == "" {
		root = "."
	}
	return readFiles(ctx, walkFiles(ctx, fsTree{fsys}, root))
}
