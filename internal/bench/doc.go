// Package bench measures vnsearch beside stock Bleve, the way a user would
// meet both: it generates corpora of any size from a real one, builds
// indexes with the real commands in child processes (wall time, peak RSS,
// size on disk), and queries real servers over HTTP (latency percentiles,
// throughput under load, incremental adds).
//
// It uses only what users use — the vnsearch binary, its HTTP API and the
// public index API — so that it keeps measuring the same thing while the
// engine's internals change. `vnsearch bench` and the benchmarks in this
// package are its two front ends.
//
// The peer is stock Bleve as a Go developer would set it up (see
// baseline.CreateStatic). Every figure is meant to be read beside the
// peer's from the same run: the machines this runs on are shared, and
// single times do not hold from one run to the next; ratios do.
package bench
