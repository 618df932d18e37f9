package store

import (
	"errors"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// TestStoreGuardTellsDamageFromBugs: the guard around state.db turns a
// damaged page (bbolt's own panics, a memory fault on the mapped file)
// into an error naming the file, but a programming error in the code that
// reads it must not be disguised as a damaged file: it still panics.
func TestStoreGuardTellsDamageFromBugs(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// A panic raised inside bbolt (here its "tx closed" assertion, reached
	// through a cursor kept past its transaction; on a damaged page, its
	// checks of page types and counts) is reported as damage to the file.
	var c *bolt.Cursor
	if err := st.view(func(tx *bolt.Tx) error { c = tx.Cursor(); return nil }); err != nil {
		t.Fatal(err)
	}
	err = st.view(func(*bolt.Tx) error { c.First(); return nil })
	var de *DamageError
	if !errors.As(err, &de) || filepath.Base(de.Path) != "state.db" {
		t.Fatalf("a panic inside bbolt gave %v, want a DamageError naming state.db", err)
	}
	err = st.view(func(*bolt.Tx) error { return errors.New("plain error") })
	if err == nil || errors.As(err, &de) {
		t.Fatalf("a callback's own error came back as %v", err)
	}

	func() {
		defer func() {
			if recover() == nil {
				t.Error("a panic call in the callback was reported as a damaged file instead of panicking")
			}
		}()
		_ = st.view(func(*bolt.Tx) error { panic("a bug of ours") })
	}()

	func() {
		defer func() {
			if recover() == nil {
				t.Error("a nil dereference in the callback was reported as a damaged file instead of panicking")
			}
		}()
		var m map[string]*int
		_ = st.update(func(*bolt.Tx) error {
			_ = *m["missing"] // a bug: nil pointer dereference
			return nil
		})
	}()

	func() {
		defer func() {
			if recover() == nil {
				t.Error("an index out of range in the callback was reported as a damaged file instead of panicking")
			}
		}()
		var s []int
		i := 3
		_ = st.view(func(*bolt.Tx) error {
			_ = s[i]
			return nil
		})
	}()
}
