package ledger

import (
	"errors"
	"fmt"

	"qkdchat/identity"
)

// Errors callers may branch on with errors.Is.
var (
	ErrNotFound     = errors.New("ledger: not found")
	ErrClosed       = errors.New("ledger: closed")
	ErrReadOnly     = errors.New("ledger: opened read-only")
	ErrBadSignature = errors.New("bad signature")
	ErrBadProof     = errors.New("ledger: proof does not verify")
	ErrConflict     = errors.New("ledger: conflicting signed checkpoints")
	ErrStale        = errors.New("ledger: checkpoint is older than one already cosigned")
	ErrInUse        = errors.New("ledger: database is in use by another process")
	ErrCorrupt      = errors.New("ledger: database is corrupt")
	// ErrJournalPending: a read-only open found acknowledged appends that
	// only the journal holds (the writer stopped abruptly).
	ErrJournalPending = errors.New("ledger: journal not yet applied")
)

// InUseError reports a ledger database locked by another process.
type InUseError struct{ Path string }

func (e *InUseError) Error() string {
	return fmt.Sprintf("ledger database %s is in use by another process (is qkdchat already running?)", e.Path)
}

// Unwrap returns ErrInUse.
func (e *InUseError) Unwrap() error { return ErrInUse }

// CorruptError reports a ledger database file that cannot be read.
type CorruptError struct {
	Path string
	Err  error
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("ledger database %s is corrupt or not a ledger: %v", e.Path, e.Err)
}

// Unwrap returns both ErrCorrupt and the underlying error.
func (e *CorruptError) Unwrap() []error { return []error{ErrCorrupt, e.Err} }

// ConflictError carries the evidence of a peer that signed two checkpoints
// that cannot both describe one append-only ledger.
type ConflictError struct {
	Conflict Conflict
	// Duplicate: the same evidence was already stored (it is not stored
	// again). Dropped: the peer's evidence quota is full, so it was not
	// stored (MaxConflictsPerPeer, MaxConflictBytesPerPeer).
	Duplicate, Dropped bool
}

func (e *ConflictError) Error() string {
	c := e.Conflict
	return fmt.Sprintf("ledger: peer %s signed conflicting checkpoints (%s): size %d and size %d", identity.Fingerprint(c.Peer), c.Kind, c.Old.Size, c.New.Size)
}

// Unwrap returns ErrConflict.
func (e *ConflictError) Unwrap() error { return ErrConflict }
