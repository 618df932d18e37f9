package app

import (
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qkdchat/identity"
)

// TestContactByTypedFingerprint: a contact is found by its fingerprint
// typed in any case and grouping, and by the 16 digits an older qkdchat
// showed when they name one contact only; two contacts whose fingerprints
// start alike make those 16 digits ambiguous, and the error says so.
func TestContactByTypedFingerprint(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), StateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key := func(seed byte) ed25519.PublicKey {
		s := make([]byte, ed25519.SeedSize)
		s[0] = seed
		return ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
	}
	alice, bob := identity.Fingerprint(key(1)), identity.Fingerprint(key(2))
	for _, c := range []Contact{
		{Fingerprint: alice, PublicKey: key(1), Name: "Alice", Role: RolePatient},
		{Fingerprint: bob, PublicKey: key(2), Name: "Bob", Role: RoleDoctor},
	} {
		if err := st.PinContact(c); err != nil {
			t.Fatal(err)
		}
	}
	short := func(fp string) string { return fp[:19] }
	tests := []struct {
		typed, want string
		err         error
	}{
		{alice, "Alice", nil},
		{strings.ToUpper(strings.ReplaceAll(alice, " ", ":")), "Alice", nil},
		{short(bob), "Bob", nil},
		{strings.ReplaceAll(short(bob), " ", "-"), "Bob", nil},
		{"0000 0000 0000 0000", "", identity.ErrUnknownFingerprint},
		{"Carol", "", identity.ErrBadFingerprint},
	}
	for _, tt := range tests {
		c, err := st.contactByFingerprint(tt.typed)
		if c.Name != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("contactByFingerprint(%q) = %q, %v; want %q, %v", tt.typed, c.Name, err, tt.want, tt.err)
		}
	}
	// A contact whose fingerprint shares Alice's first 64 bits (as found
	// by a second-preimage search on the old 16-digit form).
	twin := short(alice) + " 0000 0000 0000 0000"
	if err := st.PinContact(Contact{Fingerprint: twin, PublicKey: key(3), Name: "Mallory", Role: RoleDoctor, LastSeen: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if c, err := st.contactByFingerprint(short(alice)); !errors.Is(err, identity.ErrAmbiguousFingerprint) || !strings.Contains(err.Error(), alice) || !strings.Contains(err.Error(), twin) {
		t.Fatalf("16 digits shared by two contacts: %q, %v; want an ambiguity naming both", c.Name, err)
	}
	if c, err := st.contactByFingerprint(alice); err != nil || c.Name != "Alice" {
		t.Fatalf("full fingerprint with a twin present: %q, %v", c.Name, err)
	}
}
