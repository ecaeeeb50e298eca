package main

import (
	"os"
	"path/filepath"
	"testing"
)

// Output to /dev/null or a file gets no progress bar and no bold: neither
// is a terminal, although /dev/null is a character device.
func TestIsTerminal(t *testing.T) {
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	if isTerminal(devNull) {
		t.Errorf("%s counts as a terminal", os.DevNull)
	}
	file, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if isTerminal(file) {
		t.Error("a regular file counts as a terminal")
	}
	// A pseudo-terminal does count (Linux: the master side of a new one).
	pty, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Logf("no pseudo-terminal to check against (%v)", err)
		return
	}
	defer pty.Close()
	if !isTerminal(pty) {
		t.Error("a pseudo-terminal does not count as a terminal")
	}
}
