package audit

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/node/datadir"
	"qkdchat/session"
)

// Auditor reads and checks a ledger for a front end: verify, browse,
// export, prove, audit, and the few owner's acts on the ledger's records
// (checkpoint, dismiss a conflict, acknowledge a journal loss). Every
// result is a value of this package (reports, rows, proofs as bytes), so
// that the CLI and the UI need neither package ledger nor bbolt, fernet or
// tlog, and each operation is built once for both.
//
// An Auditor comes from an open node (node.Node.Auditor, by New), sharing
// its ledger, or from a data directory with no node running (Open). It is safe
// for concurrent use.
type Auditor struct {
	l     *ledger.Ledger
	open  Opener // nil when opened on a directory: no keys to open content
	owned bool   // Close closes l
}

// Opener opens a transaction of the ledger into its message, as the node
// that sent or received it can (node's openTransaction); an error
// wrapping ErrNoKey means it does not hold the key.
type Opener func(tx *ledger.Transaction) (*session.Message, error)

// ErrNoKey means this node does not hold the key a transaction was sealed
// under (it was neither party, or the key store was lost).
var ErrNoKey = errors.New("this user does not hold the key for that transaction")

// New returns the auditor of a running node's ledger l, whose content
// open opens. Its Close does not close l.
func New(l *ledger.Ledger, open Opener) *Auditor { return &Auditor{l: l, open: open} }

// ErrNoLedger means a data directory holds no ledger.db.
var ErrNoLedger = errors.New("no ledger")

// Mode says how Open opens the ledger.
type Mode int

const (
	// ReadOnly opens the ledger shared and changes nothing; it refuses a
	// ledger whose journal, not yet recovered, lost acknowledged
	// transactions (see node.JournalLoss).
	ReadOnly Mode = iota
	// ReadWrite opens the ledger exclusively, recovering its journal
	// (recording any loss), so that the owner's acts can be written.
	ReadWrite
)

// Open opens the ledger of the data directory dir, with no node
// running. It never creates a ledger or an identity: a directory without
// ledger.db gives an error wrapping ErrNoLedger. A damaged file gives a
// *datadir.DamagedFileError in the same words as when a node opens dir; a
// journal that lost acknowledged transactions gives an error node.JournalLoss
// recognises. Close it when done.
func Open(dir string, mode Mode) (*Auditor, error) {
	path := filepath.Join(dir, datadir.LedgerFile)
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("app: open %s: %w", path, ErrNoLedger)
	}
	id, err := identity.Load(dir)
	if err != nil {
		return nil, datadir.ExplainDamage(dir, err)
	}
	l, err := ledger.Open(path, id, &ledger.Options{ReadOnly: mode == ReadOnly})
	if err != nil {
		return nil, datadir.ExplainDamage(dir, err)
	}
	return &Auditor{l: l, owned: true}, nil
}

// Close closes the ledger if the auditor opened it (Open); the
// auditor of a node leaves the node's ledger open.
func (a *Auditor) Close() error {
	if !a.owned {
		return nil
	}
	return a.l.Close()
}

// Path is the ledger's file.
func (a *Auditor) Path() string { return a.l.Path() }

// Fingerprint is the fingerprint of the ledger owner's key.
func (a *Auditor) Fingerprint() string { return a.l.Identity().Fingerprint() }

// Size is the number of transactions in the ledger.
func (a *Auditor) Size() int64 { return a.l.Size() }

// Height is the number of blocks in the ledger.
func (a *Auditor) Height() int64 { return a.l.Height() }
