package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// holderFile names, in an index directory, the process that holds the
// index for writing, so that another process refused the index can say
// who holds it and, for a server, where it listens. It is written once
// the index is open and removed before it is closed; a file left by a
// process that died is recognized by its PID.
const holderFile = "vnsearch-holder.json"

// holder is what holderFile records.
type holder struct {
	Command string    `json:"command"` // the vnsearch subcommand: serve, index, delete…
	PID     int       `json:"pid"`
	URL     string    `json:"url,omitempty"` // where a serve listens
	Since   time.Time `json:"since"`
}

// writeHolder records h in the index directory dir, atomically.
func writeHolder(dir string, h holder) error {
	data, err := json.Marshal(h)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, holderFile+".*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(data, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), filepath.Join(dir, holderFile))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
	}
	return err
}

// readHolder returns the holder recorded in dir, if there is one and its
// process is alive.
func readHolder(dir string) (holder, bool) {
	data, err := os.ReadFile(filepath.Join(dir, holderFile))
	if err != nil {
		return holder{}, false
	}
	var h holder
	if json.Unmarshal(data, &h) != nil || h.PID <= 0 || h.PID == os.Getpid() || !processAlive(h.PID) {
		return holder{}, false
	}
	return h, true
}

// removeHolder removes the holder file of dir if it names this process.
func removeHolder(dir string) error {
	path := filepath.Join(dir, holderFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var h holder
	if json.Unmarshal(data, &h) == nil && h.PID != os.Getpid() {
		return nil // another process's, written after this one let go
	}
	return os.Remove(path)
}

// defaultServerURL is the address the busy hints of the commands name;
// when the holder is a server, its own address replaces it.
const defaultServerURL = "http://127.0.0.1:8080"

// busyMessage says that the index at dir is in use, by whom when known,
// and what to do instead: hint, which names the server at
// defaultServerURL, when a server holds the index (or the holder is
// unknown); otherwise, to wait for the holder.
func busyMessage(dir, hint string) string {
	h, known := readHolder(dir)
	if !known {
		return fmt.Sprintf("the index at %s is in use by another process (a running `vnsearch serve`?); %s", dir, hint)
	}
	who := fmt.Sprintf("`vnsearch %s` (PID %d, since %s)", h.Command, h.PID, h.Since.Local().Format(time.DateTime))
	switch {
	case h.Command != "serve":
		return fmt.Sprintf("the index at %s is in use by %s; wait for it to finish, or stop it, and try again", dir, who)
	case h.URL == "":
		return fmt.Sprintf("the index at %s is in use by %s, which is starting; %s", dir, who, hint)
	}
	return fmt.Sprintf("the index at %s is in use by %s, listening on %s; %s",
		dir, who, h.URL, strings.ReplaceAll(hint, defaultServerURL, h.URL))
}
