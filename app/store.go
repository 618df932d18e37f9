package app

import (
	"path/filepath"

	"qkdchat/store"
)

// Store is a node's local state in DATA/state.db (package store): pinned
// contacts, outboxes, cases. The ledger lives in its own file.
type Store = store.Store

// Contact is a peer pinned by its identity key after a verified pairing.
type Contact = store.Contact

// storeLockTimeout bounds the wait for a database held by another process.
const storeLockTimeout = store.LockTimeout

// ErrInUse means another qkdchat process holds the data directory.
var ErrInUse = store.ErrInUse

// OpenStore opens (creating if needed) the state database at path. A file
// that is empty, cut short, blank or has damaged header pages is refused
// before bbolt maps it, with a *DamagedFileError, and left as it is.
func OpenStore(path string) (*Store, error) {
	if err := checkDatabase(path); err != nil {
		return nil, err
	}
	return store.Open(path, damagedStateFile)
}

// damagedStateFile is the error for a damaged page of state.db.
func damagedStateFile(path, reason string) error {
	return &DamagedFileError{Dir: filepath.Dir(path), File: filepath.Base(path), Reason: reason}
}
