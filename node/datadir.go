package node

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fernet/fernet-go"
	"qkdchat/identity"

	"qkdchat/internal/boltcheck"
	"qkdchat/ledger"
	"qkdchat/node/datadir"
)

// Files inside a data directory. The Ed25519 identity files are owned by
// package ledger (ledger.LoadOrCreateIdentity), which shares them with app.
const (
	LedgerFile      = datadir.LedgerFile  // the bbolt ledger
	ProfileFile     = datadir.ProfileFile // display name and role
	StateFile       = datadir.StateFile   // contacts, outboxes, cases (bbolt)
	AttachmentsDir  = "attachments"       // attachments, stored encrypted
	dataDirPerm     = 0o700
	defaultDirLabel = "qkdchat"
)

// DefaultDataDir returns the per-user data directory of QKD Chat: the
// platform's user config location (for example ~/.config/qkdchat on Linux,
// %AppData%\qkdchat on Windows). It never points next to the binary.
func DefaultDataDir() (string, error) {
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("app: find the user config directory: %w", err)
	}
	return filepath.Join(base, defaultDirLabel), nil
}

// EnsureDataDir creates dir (mode 0700) if it does not exist yet.
func EnsureDataDir(dir string) error {
	if err := os.MkdirAll(dir, dataDirPerm); err != nil {
		return fmt.Errorf("app: create data directory %s: %w", dir, err)
	}
	return nil
}

// DamagedFileError reports a file of a data directory that qkdchat will
// not use as it is (see datadir.DamagedFileError).
type DamagedFileError = datadir.DamagedFileError

// ExplainDamage turns an error about a damaged file of the data directory
// dir into a *DamagedFileError (see datadir.ExplainDamage).
func ExplainDamage(dir string, err error) error { return datadir.ExplainDamage(dir, err) }

// checkDatabase checks the header pages of the bbolt file at path before
// bbolt maps it (see boltcheck.Check). A missing file passes: it is
// created when opened.
func checkDatabase(path string) error {
	err := boltcheck.Check(path, storeLockTimeout)
	switch {
	case err == nil, errors.Is(err, fs.ErrNotExist):
		return nil
	case errors.Is(err, boltcheck.ErrLocked):
		return fmt.Errorf("app: open %s: %w", path, ErrInUse)
	}
	return ExplainDamage(filepath.Dir(path), err)
}

// CheckDataDir checks the files of dir that a node opens, without
// changing any: the header pages of state.db and ledger.db, and
// identity.key. A damaged one gives a *DamagedFileError; missing ones
// pass. Run it before writing anything else to dir (such as the profile)
// so that a refused start leaves the directory as it was.
func CheckDataDir(dir string) error {
	for _, name := range []string{StateFile, LedgerFile} {
		if err := checkDatabase(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	if err := identity.Check(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return ExplainDamage(dir, err)
	}
	return nil
}

// loadIdentity loads the identity of dir, creating one on first use, but
// never while dir holds a ledger: that was made with the identity that is
// missing, and a new one would change the user's fingerprint.
func loadIdentity(dir string) (*identity.Identity, error) {
	id, err := identity.Load(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if _, serr := os.Stat(filepath.Join(dir, LedgerFile)); serr == nil {
			return nil, fmt.Errorf("%s is missing from %s, which holds a ledger made with it: restore it from a backup; qkdchat will not make a new identity, which would change your fingerprint for every contact: %w",
				identity.KeyFile, dir, err)
		}
		id, err = identity.LoadOrCreate(dir)
	}
	if err != nil {
		return nil, ExplainDamage(dir, err)
	}
	return id, nil
}

// openDataDir opens the identity, ledger and state database of dir,
// checking every file before it writes to any: a damaged file fails with a
// *DamagedFileError and leaves the others as they were. The ledger opens
// before the state database because only its open finds some damage (a
// bbolt file that is not a ledger, one made by another identity).
func openDataDir(dir string) (*identity.Identity, *ledger.Ledger, *Store, error) {
	statePath := filepath.Join(dir, StateFile)
	if err := checkDatabase(statePath); err != nil {
		return nil, nil, nil, err
	}
	id, err := loadIdentity(dir)
	if err != nil {
		return nil, nil, nil, err
	}
	lg, err := ledger.Open(filepath.Join(dir, LedgerFile), id, nil)
	if err != nil {
		return nil, nil, nil, ExplainDamage(dir, err)
	}
	if err := lg.CheckJournalLoss(); err != nil {
		// Refuse to start as if nothing happened: messages that were
		// confirmed are gone. The ledger has recorded the loss, so this
		// repeats at every start until the user acknowledges it.
		lg.Close()
		return nil, nil, nil, journalLossError(dir, err)
	}
	st, err := OpenStore(statePath)
	if err != nil {
		lg.Close()
		return nil, nil, nil, err
	}
	// state.db of an older qkdchat is filed under 64-bit fingerprints.
	if _, err := migrateFingerprints(st, recordKeyFor(id), id.Public()); err != nil {
		st.Close()
		lg.Close()
		return nil, nil, nil, ExplainDamage(dir, err)
	}
	return id, lg, st, nil
}

// recordKeyFor is the key that seals the local records of the node with
// identity id (outbox items, cases, violations, message keys): derived
// from the identity's private key, so it needs no file of its own.
func recordKeyFor(id *identity.Identity) *fernet.Key {
	k, err := hkdf.Key(sha256.New, id.PrivateKey().Seed(), nil, "qkdchat local records", 32)
	if err != nil {
		panic("hkdf: " + err.Error()) // cannot happen for a 32-byte output
	}
	fk := fernet.Key(k)
	return &fk
}
