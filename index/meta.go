package index

import (
	"bytes"
	"errors"
	"fmt"
)

// metaPrefix keeps the keys of Meta and SetMeta apart from the index's own
// internal values (mapping version, length totals).
const metaPrefix = "vnsearch.meta."

// errEmptyMetaKey refuses an empty key.
var errEmptyMetaKey = errors.New("index: meta: empty key")

// Meta returns the value stored under key by SetMeta, or nil when there is
// none. Callers keep small state beside the articles in it (what a feed
// follower has seen), so that it lives and dies with the index.
func (ix *Index) Meta(key string) ([]byte, error) {
	if key == "" {
		return nil, errEmptyMetaKey
	}
	v, err := ix.bleve.GetInternal([]byte(metaPrefix + key))
	if err != nil {
		return nil, fmt.Errorf("index: meta %q: %w", key, err)
	}
	return bytes.Clone(v), nil
}

// SetMeta stores value under key, durably when it returns; a nil value
// deletes the key. It is refused with ErrReadOnly on a read-only index.
func (ix *Index) SetMeta(key string, value []byte) error {
	if key == "" {
		return errEmptyMetaKey
	}
	if ix.readOnly {
		return fmt.Errorf("index: set meta %q: %w", key, ErrReadOnly)
	}
	var err error
	if value == nil {
		err = ix.bleve.DeleteInternal([]byte(metaPrefix + key))
	} else {
		err = ix.bleve.SetInternal([]byte(metaPrefix+key), value)
	}
	if err != nil {
		return fmt.Errorf("index: set meta %q: %w", key, err)
	}
	return nil
}
