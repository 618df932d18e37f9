package app

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
)

// Store is a node's local state in DATA/state.db: pinned contacts, and
// (for the workflow) outboxes and cases. The ledger lives in its own file.
type Store struct {
	db   *bolt.DB
	path string

	attachMu sync.Mutex // serialises writes to the attachment files (attachments.go)
}

var bucketContacts = []byte("contacts")

// storeLockTimeout bounds the wait for a database held by another process.
const storeLockTimeout = 3 * time.Second

// ErrInUse means another qkdchat process holds the data directory.
var ErrInUse = errors.New("data directory is in use by another qkdchat process")

// OpenStore opens (creating if needed) the state database at path. A file
// that is empty, cut short, blank or has damaged header pages is refused
// before bbolt maps it, with a *DamagedFileError, and left as it is.
func OpenStore(path string) (st *Store, err error) {
	if err := checkDatabase(path); err != nil {
		return nil, err
	}
	defer func() {
		// bbolt can panic on a corrupt file, or fault on a page that is
		// not there; turn that into an error that names the file instead
		// of taking the process down.
		if r := recover(); r != nil {
			st, err = nil, &DamagedFileError{Dir: filepath.Dir(path), File: filepath.Base(path), Reason: fmt.Sprintf("bbolt: %v", r)}
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: storeLockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("app: open %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("app: open state database %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketContacts, bucketOutbox, bucketSeen, bucketCases, bucketViolations} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("app: initialise state database %s: %w", path, err)
	}
	return &Store{db: db, path: path}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// view runs fn in a read transaction, turning a panic or memory fault
// caused by a damaged page of the file into a *DamagedFileError naming it.
func (s *Store) view(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.View(fn)
}

// update runs fn in a write transaction, like view.
func (s *Store) update(fn func(*bolt.Tx) error) (err error) {
	defer s.recoverDamage(&err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return s.db.Update(fn)
}

func (s *Store) recoverDamage(err *error) {
	r := recover()
	if r == nil {
		return
	}
	if !isDamagePanic(r) {
		panic(r) // a bug, not a damaged file: do not disguise it
	}
	*err = &DamagedFileError{Dir: filepath.Dir(s.path), File: filepath.Base(s.path), Reason: fmt.Sprintf("a page does not read (bbolt: %v)", r)}
}

// isDamagePanic reports whether a recovered panic value comes from a
// damaged database file: a memory fault on the mapped file (with
// debug.SetPanicOnFault, a runtime error that has the faulting address),
// or any panic raised inside bbolt itself, which on a page that makes no
// sense panics with a message or runs off a slice. A panic raised in our
// own code (a nil dereference, an index out of range, a panic call) is a
// bug and is not disguised as a damaged file. Call it from the deferred
// function that recovered r.
func isDamagePanic(r any) bool {
	if re, ok := r.(runtime.Error); ok {
		if _, fault := re.(interface{ Addr() uintptr }); fault {
			return true
		}
	}
	// The stack still holds the panicking frames: find the first one
	// outside the runtime.
	pc := make([]uintptr, 64)
	frames := runtime.CallersFrames(pc[:runtime.Callers(3, pc)])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "runtime.") {
			return strings.HasPrefix(f.Function, "go.etcd.io/bbolt")
		}
		if !more {
			return false
		}
	}
}

// Contact is a peer pinned by its identity key after a verified pairing.
type Contact struct {
	Fingerprint string            `json:"fingerprint"`
	PublicKey   ed25519.PublicKey `json:"public_key"`
	Name        string            `json:"name"`
	Role        Role              `json:"role"`
	Addr        string            `json:"addr,omitempty"` // where we last reached it, if we dialled
	PairedAt    time.Time         `json:"paired_at"`
	LastSeen    time.Time         `json:"last_seen"`
}

// PinContact records c after a verified session. A new contact is added; a
// known one is updated (name, role, address, last seen). It refuses a
// contact whose name is already pinned to a different key, because that is
// how an impostor would look.
func (s *Store) PinContact(c Contact) error {
	if len(c.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("app: contact %q has no valid public key", c.Name)
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		var clash error
		b.ForEach(func(k, v []byte) error {
			var old Contact
			if json.Unmarshal(v, &old) == nil && old.Name == c.Name && old.Role == c.Role && string(k) != c.Fingerprint {
				clash = fmt.Errorf("%w: %s (%s) was pinned as %s, now presents %s", identity.ErrChanged, c.Name, c.Role, old.Fingerprint, c.Fingerprint)
			}
			return nil
		})
		if clash != nil {
			return clash
		}
		if v := b.Get([]byte(c.Fingerprint)); v != nil {
			var old Contact
			if err := json.Unmarshal(v, &old); err == nil {
				c.PairedAt = old.PairedAt
				if c.Addr == "" {
					c.Addr = old.Addr
				}
			}
		}
		if c.PairedAt.IsZero() {
			c.PairedAt = time.Now()
		}
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return b.Put([]byte(c.Fingerprint), v)
	})
}

// Contact returns the contact with the given fingerprint.
func (s *Store) Contact(fingerprint string) (Contact, bool) {
	var c Contact
	found := false
	s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketContacts).Get([]byte(fingerprint)); v != nil {
			found = json.Unmarshal(v, &c) == nil
		}
		return nil
	})
	return c, found
}

// Contacts lists the pinned contacts, most recently seen first.
func (s *Store) Contacts() ([]Contact, error) {
	var out []Contact
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContacts).ForEach(func(k, v []byte) error {
			var c Contact
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("contact %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("app: list contacts in %s: %w", s.path, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, nil
}
