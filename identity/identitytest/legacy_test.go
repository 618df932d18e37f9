package identitytest

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"qkdchat/identity"
)

// TestLegacyFingerprintIsTheOldPrefix: the old form is 16 hex digits in
// four groups, and they are the first 16 digits of today's fingerprint
// (both start from SHA-256 of the key), so an old name still picks out
// its key.
func TestLegacyFingerprintIsTheOldPrefix(t *testing.T) {
	for seed := range byte(10) {
		s := make([]byte, ed25519.SeedSize)
		s[0] = seed
		pub := ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
		old := LegacyFingerprint(pub)
		groups := strings.Split(old, " ")
		if len(groups) != 4 || len(strings.Join(groups, "")) != 16 {
			t.Fatalf("LegacyFingerprint = %q, want four groups of four hex digits", old)
		}
		if !strings.HasPrefix(identity.Fingerprint(pub), old) {
			t.Fatalf("LegacyFingerprint = %q is not the start of %q", old, identity.Fingerprint(pub))
		}
	}
}
