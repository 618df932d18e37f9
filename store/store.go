package store

import (
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"
)

// Store is a node's local state database. The typed views (Outbox, Keys,
// Cases, Violations, Attachments) share its guard.
type Store struct {
	db      *bolt.DB
	path    string
	damaged func(path, reason string) error

	attachMu sync.Mutex // serialises writes to the attachment files (attachments.go)
}

// LockTimeout bounds the wait for a database held by another process.
const LockTimeout = 3 * time.Second

// ErrInUse means another qkdchat process holds the data directory.
var ErrInUse = errors.New("data directory is in use by another qkdchat process")

// DamageError is the default error for a damaged state.db (see Open).
type DamageError struct {
	Path   string
	Reason string
}

func (e *DamageError) Error() string { return fmt.Sprintf("%s is damaged: %s", e.Path, e.Reason) }

// Open opens (creating if needed) the state database at path. damaged
// makes the error returned when the file turns out to be damaged, when it
// opens or at any later transaction (nil: a *DamageError). The caller
// checks the file's header pages before (boltcheck): bbolt can panic on a
// corrupt file, which Open turns into such an error too.
func Open(path string, damaged func(path, reason string) error) (st *Store, err error) {
	if damaged == nil {
		damaged = func(path, reason string) error { return &DamageError{Path: path, Reason: reason} }
	}
	defer func() {
		// bbolt can panic on a corrupt file, or fault on a page that is
		// not there; turn that into an error that names the file instead
		// of taking the process down.
		if r := recover(); r != nil {
			st, err = nil, damaged(path, fmt.Sprintf("bbolt: %v", r))
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: LockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("app: open %s: %w", path, ErrInUse)
	}
	if err != nil {
		return nil, fmt.Errorf("app: open state database %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range openBuckets {
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
	return &Store{db: db, path: path, damaged: damaged}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Path is where the database lives.
func (s *Store) Path() string { return s.path }

// view runs fn in a read transaction, turning a panic or memory fault
// caused by a damaged page of the file into the damage error naming it.
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
	*err = s.damaged(s.path, fmt.Sprintf("a page does not read (bbolt: %v)", r))
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

// Views of the store that need the node's record key.

// Outbox returns the outboxes, sealed under record.
func (s *Store) Outbox(record *fernet.Key) Outbox { return Outbox{st: s, key: record} }

// Keys returns the message keys, sealed under record.
func (s *Store) Keys(record *fernet.Key) Keys { return Keys{st: s, key: record} }

// Cases returns the case records, sealed under record.
func (s *Store) Cases(record *fernet.Key) Records {
	return Records{st: s, key: record, bucket: bucketCases, what: "case"}
}

// Violations returns the refused actions, sealed under record.
func (s *Store) Violations(record *fernet.Key) Records {
	return Records{st: s, key: record, bucket: bucketViolations, what: "violation"}
}

// Attachments returns the attachment files, sealed under record.
func (s *Store) Attachments(record *fernet.Key) Attachments { return Attachments{st: s, key: record} }

// Seen returns the IDs of the messages received and recorded.
func (s *Store) Seen() Seen { return Seen{st: s} }

// BucketKeys lists the keys of the top-level bucket name, with the names
// of its nested buckets as "name/": what a migration left, for checks.
func (s *Store) BucketKeys(name string) ([]string, error) {
	var out []string
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(name))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				out = append(out, string(k)+"/")
			} else {
				out = append(out, string(k))
			}
			return nil
		})
	})
	return out, err
}
