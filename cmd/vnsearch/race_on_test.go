//go:build race

package main

// raceEnabled says the tests run under the race detector, which slows
// the NATS servers they run in-process several times over.
const raceEnabled = true
