package app

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qkdchat/identity"
)

func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := OpenStore(filepath.Join(t.TempDir(), StateFile))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testContact(seed byte, name string, role Role) Contact {
	var sd [32]byte
	sd[0] = seed
	pub := ed25519.NewKeyFromSeed(sd[:]).Public().(ed25519.PublicKey)
	return Contact{Fingerprint: strings.Repeat(string('a'+seed), 8), PublicKey: pub, Name: name, Role: role}
}

func TestPinContactAddsAndUpdates(t *testing.T) {
	s := newTestStore(t)
	c := testContact(1, "St. Mary's", RoleHospital)
	c.Addr = "127.0.0.1:7000"
	c.LastSeen = time.Unix(100, 0)
	if err := s.PinContact(c); err != nil {
		t.Fatal(err)
	}
	first, ok := s.Contact(c.Fingerprint)
	if !ok || first.PairedAt.IsZero() || first.Addr != c.Addr {
		t.Fatalf("after pin: %+v %v", first, ok)
	}
	c.Addr = "" // a listener-side update has no address: keep the old one
	c.LastSeen = time.Unix(200, 0)
	if err := s.PinContact(c); err != nil {
		t.Fatal(err)
	}
	second, _ := s.Contact(c.Fingerprint)
	if second.Addr != "127.0.0.1:7000" || !second.PairedAt.Equal(first.PairedAt) || !second.LastSeen.Equal(time.Unix(200, 0)) {
		t.Fatalf("after update: %+v", second)
	}
	all, err := s.Contacts()
	if err != nil || len(all) != 1 {
		t.Fatalf("Contacts = %v, %v", all, err)
	}
}

func TestPinContactRefusesSameNameNewKey(t *testing.T) {
	s := newTestStore(t)
	if err := s.PinContact(testContact(1, "Dr. Ada", RoleDoctor)); err != nil {
		t.Fatal(err)
	}
	err := s.PinContact(testContact(2, "Dr. Ada", RoleDoctor))
	if !errors.Is(err, identity.ErrChanged) || !strings.Contains(err.Error(), "identity key changed") {
		t.Fatalf("impostor: %v", err)
	}
	if err := s.PinContact(testContact(3, "Dr. Ada", RolePatient)); err != nil {
		t.Fatalf("same name, other role is a different person: %v", err)
	}
}

func TestOpenStoreReportsLockAndCorruption(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile)
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// bbolt's flock is per open file description, so a second open in the
	// same process contends like another process would.
	if _, err := OpenStore(path); !errors.Is(err, ErrInUse) {
		t.Fatalf("second open: %v", err)
	}
	bad := filepath.Join(dir, "corrupt.db")
	os.WriteFile(bad, []byte(strings.Repeat("not a bolt file ", 1024)), 0o600)
	_, err = OpenStore(bad)
	if err == nil || !strings.Contains(err.Error(), bad) {
		t.Fatalf("corrupt file: %v", err)
	}
}

// TestDamagedPageIsAnErrorNotACrash zeroes, one at a time, each page of a
// state database that the open-time check does not read (it checks only
// the header, root and free-list pages): opening it and listing the
// contacts either works or fails with a DamagedFileError naming the file;
// a panic or fault inside bbolt never reaches the caller.
func TestDamagedPageIsAnErrorNotACrash(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, StateFile)
	s, err := OpenStore(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 80 {
		var sd [32]byte
		sd[0], sd[1] = byte(i), 1
		c := Contact{Fingerprint: fmt.Sprintf("%016x", i), PublicKey: ed25519.NewKeyFromSeed(sd[:]).Public().(ed25519.PublicKey),
			Name: fmt.Sprintf("Contact %d with a long enough name to fill pages", i), Role: RolePatient}
		if err := s.PinContact(c); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const pageSize = 4096
	refused := 0
	for page := 2; page*pageSize < len(orig); page++ {
		b := bytes.Clone(orig)
		clear(b[page*pageSize : (page+1)*pageSize])
		p := filepath.Join(dir, fmt.Sprintf("page%d.db", page))
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := OpenStore(p)
		if err == nil {
			_, err = st.Contacts()
			st.Close()
		}
		var de *DamagedFileError
		switch {
		case err == nil:
		case errors.As(err, &de) && de.File == filepath.Base(p) && strings.Contains(err.Error(), p):
			refused++
		default:
			t.Errorf("page %d zeroed: %v, want nil or a DamagedFileError naming %s", page, err, p)
		}
	}
	if refused == 0 {
		t.Fatal("no zeroed page was noticed: the contacts do not span pages of their own")
	}
}
