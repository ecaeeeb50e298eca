package index

import (
	"bufio"
	"encoding/gob"
	"errors"
	"io/fs"
	"os"
)

// The index keeps what it derives from its articles and would otherwise
// count again at the next open (the lexicon, the suggestions' table) in gob
// files beside itself.

// saveGob writes v to path through a temporary file, synced and renamed
// into place: a reader finds the old file or the new one, never a part.
func saveGob(path string, v any) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = gob.NewEncoder(w).Encode(v)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// loadGob reads path into v; found is false when there is no such file.
func loadGob(path string, v any) (found bool, err error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	return true, gob.NewDecoder(bufio.NewReader(f)).Decode(v)
}
