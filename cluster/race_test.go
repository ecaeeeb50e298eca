//go:build race

package cluster

// raceEnabled says the tests run under the race detector, which slows
// indexing several times over.
const raceEnabled = true
