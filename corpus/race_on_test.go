//go:build race

package corpus

// raceDetector tells tests that memory figures are the race detector's.
const raceDetector = true
