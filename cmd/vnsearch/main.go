// Command vnsearch indexes Vietnamese news articles and searches them, from
// the command line or over HTTP (vnsearch serve).
//
// Each command is a thin layer over the library packages: flags become a
// library call, and its result is printed. What the command line and the
// HTTP endpoint share lives in cmd/internal/api.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/vnsearch/vnsearch/index"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// After the first signal a command winds down; a second one kills it.
	context.AfterFunc(ctx, stop)
	code := run(ctx, os.Args[1:], &app{
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		getenv:    os.Getenv,
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
	})
	stop()
	os.Exit(code)
}

// isTerminal reports whether f is a terminal. (Being a character device
// is not enough: /dev/null is one.)
func isTerminal(f *os.File) bool {
	return term.IsTerminal(int(f.Fd()))
}

// app is what the commands of one run share: where they write, the
// environment they read, and the global flags.
type app struct {
	stdout, stderr       io.Writer
	getenv               func(string) string
	stdoutTTY, stderrTTY bool

	indexFlag    string // --index
	synonymsFlag string // --synonyms

	// started is set once a command's own code runs; an error before
	// that came from parsing the command line. command is its name.
	started bool
	command string

	// held is the index directory this run holds for writing, whose
	// holder file names it (see recordHolder), since heldSince.
	held      string
	heldSince time.Time

	// fitLimit: serve fits the default soft memory limit to the index it
	// opens (fitMemoryLimit), neither --memory-limit nor $GOMEMLIMIT
	// having set one.
	fitLimit bool
}

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // the work failed, or (index) some input was rejected
	exitUsage   = 2 // the command line or the query is wrong
)

// run runs the command line args and returns the exit code.
func run(ctx context.Context, args []string, a *app) int {
	root := newRootCommand(a)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	a.releaseHolder()
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(a.stderr, "vnsearch: %v\n", err)
	if !a.started || isUsage(err) {
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	return exitFailure
}

// usageError is a mistake on the command line that cobra does not catch.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

func isUsage(err error) bool {
	var ue *usageError
	return errors.As(err, &ue) || errors.Is(err, index.ErrBadQuery)
}

// newRootCommand builds the vnsearch command with every subcommand.
func newRootCommand(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "vnsearch",
		Short: "Full-text search for Vietnamese news",
		Long: `vnsearch indexes Vietnamese news articles and searches them, with or without
diacritics: "ma tuy" finds "ma túy", and the diacritics you type rank first.

The index lives in --index, else $VNSEARCH_INDEX, else in a per-user
directory: $XDG_DATA_HOME/vnsearch/index or ~/.local/share/vnsearch/index
(macOS: ~/Library/Application Support/vnsearch/index; Windows:
%LocalAppData%\vnsearch\index). When that per-user index does not exist yet,
search and serve build it from the five seed articles embedded in vnsearch.`,
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			a.started = true
			a.command = cmd.Name()
		},
	}
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.PersistentFlags().StringVar(&a.indexFlag, "index", "",
		"index directory (default $VNSEARCH_INDEX, else "+defaultIndexHint+")")
	root.PersistentFlags().StringVar(&a.synonymsFlag, "synonyms", "",
		"a synonyms file (Solr's format: \"a, b, c\" or \"a => b\" a line), searched beside the built-in and mined ones")

	// Every subcommand; help lists them by name.
	commands := []func(*app) *cobra.Command{
		newIndexCommand,
		newSearchCommand,
		newSuggestCommand,
		newAnalyzeCommand,
		newSynonymsCommand,
		newGetCommand,
		newDeleteCommand,
		newStatsCommand,
		newCompactCommand,
		newServeCommand,
		newFollowCommand,
		newEvalCommand,
		newBenchCommand,
	}
	for _, newCommand := range commands {
		root.AddCommand(newCommand(a))
	}
	return root
}

// needArgs requires at least one argument, named what in the error.
func needArgs(what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) == 0 {
			return usagef("missing %s: usage: %s", what, cmd.UseLine())
		}
		return nil
	}
}

// exactArgs requires exactly n arguments.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < n:
			return usagef("missing %s: usage: %s", what, cmd.UseLine())
		case len(args) > n:
			return usagef("too many arguments (%d), want %s: usage: %s", len(args), what, cmd.UseLine())
		}
		return nil
	}
}
