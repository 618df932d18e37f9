package app

import (
	"crypto/ed25519"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
	if !errors.Is(err, ErrIdentityChanged) || !strings.Contains(err.Error(), "identity key changed") {
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
