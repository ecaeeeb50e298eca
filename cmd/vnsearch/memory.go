package main

import "runtime/debug"

// indexGCPercent is the garbage collector's target for commands that
// write an index (index, serve): the heap may grow half again over what is
// live, not double. On baomoi 35k, vnsearch index peaks at 318 MB of
// resident memory instead of 403, for a tenth more CPU; serve under twelve
// clients and a writer peaks at 38–45 MB of anonymous memory instead of
// 50–57, 150 MB in all instead of 162–164 (BenchmarkServeMemory).
const indexGCPercent = 50

// boundHeap sets the collector's target for commands that write, unless
// the user chose one with GOGC.
func (a *app) boundHeap() {
	if a.getenv("GOGC") == "" {
		debug.SetGCPercent(indexGCPercent)
	}
}
