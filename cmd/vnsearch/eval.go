package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/vnsearch/vnsearch/cmd/internal/api"
	"github.com/vnsearch/vnsearch/corpus"
	"github.com/vnsearch/vnsearch/index"
	"github.com/vnsearch/vnsearch/index/baseline"
	"github.com/vnsearch/vnsearch/index/eval"
)

// restorationTitles is how many titles the measure of diacritic
// restoration holds out (see index.MeasureRestoration).
const restorationTitles = 2000

func newEvalCommand(a *app) *cobra.Command {
	var (
		queriesPath, qrelsPath string
		corpusPaths            []string
		work, url, stock       string
		dropTitles, noBaseline bool
		jsonOut                bool
		perQuery               string
		paramFlags             []string
		alsoFolded             bool
	)
	cmd := &cobra.Command{
		Use:   "eval --queries FILE --qrels FILE",
		Short: "Measure ranking quality and speed against relevance judgments",
		Long: `Run every judged query and report MRR@10, recall@1 and @10, nDCG@10,
paragraph accuracy@1 (where the qrels name paragraphs) and latency
percentiles, broken down by query variant (the part of a query ID after its
last slash).

Queries are TSV lines "qid<TAB>query"; qrels are "qid<TAB>article_id" with an
optional third column, the index of the relevant paragraph.

What is evaluated: with --corpus, a vnsearch index and a stock Bleve index
(standard analyzer, default mapping) are both built from the corpus, in
--work (kept and reused) or a temporary directory, and reported side by
side; with --url, a running vnsearch server; otherwise the index (--index).

A known-item evaluation from "vnsearch eval gen" must leave the titles out
of the indexes it is run on: pass --drop-titles.`,
		Example: `  vnsearch eval gen --corpus baomoi.jsonl.gz -n 2000 --out ki/
  vnsearch eval --queries ki/queries.tsv --qrels ki/qrels.tsv --corpus baomoi.jsonl.gz --drop-titles`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			if queriesPath == "" || qrelsPath == "" {
				return usagef("--queries and --qrels are both needed")
			}
			params := index.DefaultParams()
			for _, p := range paramFlags {
				if err := params.Set(p); err != nil {
					return usagef("--param: %v", err)
				}
			}
			if len(paramFlags) > 0 && url != "" {
				return usagef("--param changes ranking in this process; it cannot reach the server at --url")
			}
			queries, err := readWith(queriesPath, eval.ReadQueries)
			if err != nil {
				return err
			}
			qrels, err := readWith(qrelsPath, eval.ReadQrels)
			if err != nil {
				return err
			}
			if alsoFolded {
				queries = eval.WithFolded(queries, qrels)
			}
			if stock != "standard" && stock != "paragraphs" {
				return usagef("--baseline %q: want standard or paragraphs", stock)
			}
			engines, cleanup, err := a.evalEngines(ctx, corpusPaths, work, url, stock, dropTitles, noBaseline, &params)
			defer cleanup()
			if err != nil {
				return err
			}
			outcomes := map[string][]eval.Outcome{}
			var names []string
			for _, e := range engines {
				start := time.Now()
				o, err := eval.Run(ctx, e, queries, qrels)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "vnsearch: %s answered %d queries in %s\n", e.Name(), len(o), time.Since(start).Round(time.Millisecond))
				outcomes[e.Name()] = o
				names = append(names, e.Name())
			}
			report := eval.NewReport(outcomes, names, qrels)
			if perQuery != "" {
				if err := writeFile(perQuery, report.WritePerQuery); err != nil {
					return err
				}
			}
			var restoration *index.RestorationAccuracy
			if len(corpusPaths) > 0 {
				start := time.Now()
				problems := 0
				r, err := index.MeasureRestoration(ctx, evalArticles(ctx, corpusPaths, false, &problems), restorationTitles)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stderr, "vnsearch: measured diacritic restoration in %s\n", time.Since(start).Round(time.Millisecond))
				restoration = &r
			}
			if jsonOut {
				if restoration != nil {
					return api.WriteJSON(a.stdout, struct {
						*eval.Report
						Restoration *index.RestorationAccuracy `json:"restoration"`
					}{report, restoration}, true)
				}
				return api.WriteJSON(a.stdout, report, true)
			}
			if err := report.WriteTable(a.stdout); err != nil {
				return err
			}
			if r := restoration; r != nil {
				amb := 0.0
				if r.Ambiguous > 0 {
					amb = float64(r.AmbiguousCorrect) / float64(r.Ambiguous)
				}
				_, err := fmt.Fprintf(a.stdout, "\ndiacritic restoration: %.4f of %d syllables of %d held-out titles restored as written (%.4f of the %d with several written forms); lexicon of the other %d articles: %d forms, %d pairs, about %.1f MB\n",
					r.Accuracy(), r.Syllables, r.Titles, amb, r.Ambiguous, r.ModelArticles, r.Lexicon.Forms, r.Lexicon.Pairs, float64(r.Lexicon.Bytes)/1e6)
				return err
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&queriesPath, "queries", "", `TSV of "qid<TAB>query"`)
	f.StringVar(&qrelsPath, "qrels", "", `TSV of "qid<TAB>article_id[<TAB>paragraph]"`)
	f.StringArrayVar(&corpusPaths, "corpus", nil, "build vnsearch and stock Bleve indexes of this corpus (repeat for several) and compare them")
	f.StringVar(&stock, "baseline", "standard", "the stock Bleve baseline: standard (an article a document) or paragraphs (a paragraph a document)")
	f.StringVar(&work, "work", "", "with --corpus: keep the built indexes here, and reuse them")
	f.StringVar(&url, "url", "", "evaluate the vnsearch server at this URL, e.g. http://127.0.0.1:8080")
	f.BoolVar(&dropTitles, "drop-titles", false, "with --corpus: leave titles out of the indexes (known-item evaluation)")
	f.BoolVar(&noBaseline, "no-baseline", false, "with --corpus: build no stock Bleve index")
	f.BoolVar(&jsonOut, "json", false, "print the report as JSON")
	f.StringVar(&perQuery, "per-query", "", "write each query's rank of its relevant article to this TSV file")
	f.BoolVar(&alsoFolded, "also-folded", false, "ask every query also without diacritics, as variant no-diacritics")
	f.StringArrayVar(&paramFlags, "param", nil, "set a ranking parameter, name=value (repeatable): "+strings.Join(index.ParamNames(), ", "))
	cmd.AddCommand(newEvalGenCommand(a))
	return cmd
}

func newEvalGenCommand(a *app) *cobra.Command {
	var (
		corpusPath, out, task string
		n                     int
		seed                  uint64
	)
	cmd := &cobra.Command{
		Use:   "gen --corpus PATH --out DIR",
		Short: "Build a known-item or known-paragraph evaluation from a corpus",
		Long: `--task title (the default): sample N articles of the corpus,
deterministically from --seed, and write their titles as queries — as
written, without diacritics, with tone marks in the other placement style,
decomposed (NFD), and with every other syllable stripped of diacritics —
each judged to have its own article as the one relevant result. Writes
DIR/queries.tsv and DIR/qrels.tsv; evaluate with --drop-titles.

--task paragraph: sample N paragraphs of articles of three paragraphs or
more and write one sentence of each as a query (as written and without
diacritics), judged to be answered by its paragraph; the corpus to evaluate
on, with those sentences taken out, goes to DIR/corpus.jsonl.`,
		Args: exactArgs(0, "no arguments"),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if corpusPath == "" || out == "" {
				return usagef("--corpus and --out are both needed")
			}
			if n <= 0 {
				return usagef("-n %d: want a positive number", n)
			}
			problems := 0
			articles := corpusArticles(cmd.Context(), corpusPath, &problems)
			var (
				queries []eval.Query
				qrels   eval.Qrels
				err     error
				rewrite []corpus.Article
			)
			switch task {
			case "title":
				queries, qrels, err = eval.Gen(articles, n, seed)
			case "paragraph":
				queries, qrels, rewrite, err = eval.GenParagraphs(articles, n, seed)
			default:
				return usagef("--task %q: want title or paragraph", task)
			}
			if err != nil {
				return err
			}
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			evalCorpus := corpusPath
			if rewrite != nil {
				evalCorpus = filepath.Join(out, "corpus.jsonl")
				if err := writeFile(evalCorpus, func(w io.Writer) error { return writeArticles(w, rewrite) }); err != nil {
					return err
				}
			}
			qPath, rPath := filepath.Join(out, "queries.tsv"), filepath.Join(out, "qrels.tsv")
			if err := writeFile(qPath, func(w io.Writer) error { return eval.WriteQueries(w, queries) }); err != nil {
				return err
			}
			if err := writeFile(rPath, func(w io.Writer) error { return eval.WriteQrels(w, queries, qrels) }); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %d queries to %s and %s", len(queries), qPath, rPath)
			if problems > 0 {
				fmt.Fprintf(a.stdout, "; %d problems in the corpus were skipped", problems)
			}
			next := fmt.Sprintf("vnsearch eval --queries %s --qrels %s --corpus %s", qPath, rPath, evalCorpus)
			if task == "title" {
				next += " --drop-titles"
			} else {
				next += " --baseline paragraphs"
			}
			fmt.Fprintf(a.stdout, "\nnext: %s\n", next)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&corpusPath, "corpus", "", "the articles: a file or directory vnsearch index reads")
	f.StringVar(&out, "out", "", "directory to write queries.tsv and qrels.tsv to")
	f.IntVarP(&n, "n", "n", 2000, "number of titles or paragraphs")
	f.StringVar(&task, "task", "title", "title (known item) or paragraph (known paragraph)")
	f.Uint64Var(&seed, "seed", 1, "seed of the sample")
	return cmd
}

// evalEngines returns what the flags ask to evaluate, and a cleanup that
// closes indexes and removes temporary ones.
func (a *app) evalEngines(ctx context.Context, corpusPaths []string, work, url, stock string, dropTitles, noBaseline bool, params *index.Params) ([]eval.Engine, func(), error) {
	haveCorpus := len(corpusPaths) > 0
	var (
		engines  []eval.Engine
		cleanups []func()
	)
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	dir := work
	if haveCorpus && dir == "" {
		tmp, err := os.MkdirTemp("", "vnsearch-eval")
		if err != nil {
			return nil, cleanup, err
		}
		cleanups = append(cleanups, func() { os.RemoveAll(tmp) })
		dir = tmp
	}
	switch {
	case url != "":
		engines = append(engines, eval.Server{URL: url})
	case haveCorpus:
		ix, err := a.buildEvalIndex(ctx, filepath.Join(dir, "vnsearch"), corpusPaths, dropTitles)
		if err != nil {
			return nil, cleanup, err
		}
		cleanups = append(cleanups, func() { ix.Close() })
		engines = append(engines, eval.Index{Index: ix, Params: params})
	default:
		loc, err := a.where()
		if err != nil {
			return nil, cleanup, err
		}
		ix, err := a.open(loc, true, false, "evaluate that server instead: vnsearch eval --url http://127.0.0.1:8080 ...")
		if err != nil {
			return nil, cleanup, err
		}
		cleanups = append(cleanups, func() { ix.Close() })
		engines = append(engines, eval.Index{Index: ix, Params: params})
	}
	if haveCorpus && !noBaseline {
		engine, closer, err := a.buildBaseline(ctx, filepath.Join(dir, "bleve-"+stock), stock, corpusPaths, dropTitles)
		if err != nil {
			return nil, cleanup, err
		}
		cleanups = append(cleanups, closer)
		engines = append(engines, engine)
	} else if !haveCorpus {
		fmt.Fprintln(a.stderr, "vnsearch: no --corpus: no stock Bleve baseline to compare with")
	}
	return engines, cleanup, nil
}

// buildEvalIndex opens the vnsearch index at path, building it from the
// corpus first when it does not exist.
func (a *app) buildEvalIndex(ctx context.Context, path string, corpusPaths []string, dropTitles bool) (*index.Index, error) {
	if index.Exists(path) {
		fmt.Fprintf(a.stderr, "vnsearch: reusing the vnsearch index at %s\n", path)
		return index.Open(path, index.Options{ReadOnly: true})
	}
	ix, err := index.Create(path)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	problems := 0
	stats, err := ix.AddStream(ctx, evalArticles(ctx, corpusPaths, dropTitles, &problems), index.StreamOptions{})
	if err == nil {
		err = ix.Compact(ctx)
	}
	if err != nil {
		ix.Close()
		return nil, err
	}
	fmt.Fprintf(a.stderr, "vnsearch: built a vnsearch index of %d articles at %s in %s (%d problems skipped)\n",
		stats.Added+stats.Updated+stats.Unchanged, path, time.Since(start).Round(time.Millisecond), problems)
	return ix, nil
}

// buildBaseline opens the stock Bleve index of the given kind at path,
// building it from the corpus first when it does not exist.
func (a *app) buildBaseline(ctx context.Context, path, kind string, corpusPaths []string, dropTitles bool) (eval.Engine, func(), error) {
	_, statErr := os.Stat(path)
	exists := statErr == nil
	if exists {
		fmt.Fprintf(a.stderr, "vnsearch: reusing the stock Bleve index at %s\n", path)
	}
	start := time.Now()
	problems := 0
	var (
		engine eval.Engine
		closer func()
		n      int
		err    error
	)
	switch kind {
	case "paragraphs":
		var ix *baseline.Paragraphs
		if exists {
			ix, err = baseline.OpenParagraphs(path)
		} else if ix, err = baseline.CreateParagraphs(path); err == nil {
			n, err = ix.AddStream(ctx, evalArticles(ctx, corpusPaths, dropTitles, &problems), 1000)
		}
		if ix != nil {
			engine, closer = eval.BaselineParagraphs{Index: ix}, func() { ix.Close() }
		}
	default:
		var ix *baseline.Index
		if exists {
			ix, err = baseline.Open(path)
		} else if ix, err = baseline.Create(path); err == nil {
			n, err = ix.AddStream(ctx, evalArticles(ctx, corpusPaths, dropTitles, &problems), 1000)
		}
		if ix != nil {
			engine, closer = eval.Baseline{Index: ix}, func() { ix.Close() }
		}
	}
	if err != nil {
		if closer != nil {
			closer()
		}
		return nil, nil, err
	}
	if !exists {
		fmt.Fprintf(a.stderr, "vnsearch: built a stock Bleve index (%s) of %d articles at %s in %s\n", kind, n, path, time.Since(start).Round(time.Millisecond))
	}
	return engine, closer, nil
}

func evalArticles(ctx context.Context, corpusPaths []string, dropTitles bool, problems *int) iter.Seq[corpus.Article] {
	articles, _ := corpus.Skip(corpus.Articles(ctx, corpusPaths...), func(*corpus.Problem) { *problems++ })
	if dropTitles {
		return eval.WithoutTitles(articles)
	}
	return articles
}

// writeArticles writes articles as JSON Lines.
func writeArticles(w io.Writer, articles []corpus.Article) error {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	for i := range articles {
		if err := enc.Encode(&articles[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// corpusArticles streams the articles under path, counting the problems
// it skips. (Anything else corpus.Articles yields is the context's end,
// which the caller's context reports.)
func corpusArticles(ctx context.Context, path string, problems *int) iter.Seq[corpus.Article] {
	articles, _ := corpus.Skip(corpus.Articles(ctx, path), func(*corpus.Problem) { *problems++ })
	return articles
}

func readWith[T any](path string, read func(io.Reader, string) (T, error)) (T, error) {
	var zero T
	f, err := os.Open(path)
	if err != nil {
		return zero, err
	}
	defer f.Close()
	return read(f, path)
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
