package datadir

import (
	"errors"
	"fmt"
	"path/filepath"

	"qkdchat/identity"
	"qkdchat/internal/boltcheck"
	"qkdchat/ledger"
)

// Files inside a data directory that a damage verdict names.
const (
	LedgerFile  = "ledger.db"    // the bbolt ledger
	ProfileFile = "profile.json" // display name and role
	StateFile   = "state.db"     // contacts, outboxes, cases (bbolt)
)

// DamagedFileError reports a file of a data directory that qkdchat will
// not use as it is. Its message names the file and the directory, says
// what is wrong and what the user can do; the command or window that gets
// it has changed nothing in the directory.
type DamagedFileError struct {
	Dir    string // the data directory
	File   string // the file's name in it, such as StateFile
	Reason string // what is wrong, such as "it is empty (0 bytes)"
	Err    error  // the error found, for errors.Is and errors.As
}

func (e *DamagedFileError) Error() string {
	return fmt.Sprintf("%s is damaged: %s. %s.", filepath.Join(e.Dir, e.File), e.Reason, damageAdvice(e.File))
}

func (e *DamagedFileError) Unwrap() error { return e.Err }

// damageAdvice says what a user can do about a damaged file.
func damageAdvice(file string) string {
	switch file {
	case LedgerFile:
		return "Restore it from a backup; qkdchat will not open or change it as it is. Your identity and contacts are untouched"
	case StateFile:
		return "Restore it from a backup, or move it away to start again with no contacts (each peer then pairs again with a code). Your ledger and identity are untouched"
	case identity.KeyFile:
		return "Restore it from a backup: it is your identity, and a new key would change your fingerprint for every contact, so qkdchat will not replace it"
	case ProfileFile:
		return "Correct it, or move it away and give your name and role again. Nothing else was changed"
	}
	return "Restore it from a backup"
}

// ExplainDamage turns an error about a damaged file of the data directory
// dir (a cut-short or blank database, an unreadable ledger, an identity
// key that does not decode) into a *DamagedFileError. Other errors are
// returned as they are. `ledger verify` and a node opening the same
// ledger.db thus give the same verdict in the same words.
func ExplainDamage(dir string, err error) error {
	var (
		damage  *boltcheck.DamageError
		corrupt *ledger.CorruptError
		key     *identity.KeyFileError
		already *DamagedFileError
	)
	switch {
	case err == nil, errors.As(err, &already):
		return err
	case errors.As(err, &damage):
		return &DamagedFileError{Dir: dir, File: filepath.Base(damage.Path), Reason: damage.Reason, Err: err}
	case errors.As(err, &corrupt):
		return &DamagedFileError{Dir: dir, File: filepath.Base(corrupt.Path), Reason: corrupt.Err.Error(), Err: err}
	case errors.As(err, &key):
		return &DamagedFileError{Dir: dir, File: filepath.Base(key.Path), Reason: key.Reason, Err: err}
	}
	return err
}
