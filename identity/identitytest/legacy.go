package identitytest

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
)

// LegacyFingerprint is the 64-bit fingerprint qkdchat printed and keyed
// state.db by before identity.Fingerprint: the first 8 bytes of
// SHA-256(key), hex in four groups of four. It is computed here,
// independently of package identity, as the old ledger.Fingerprint did,
// so a test of the migration does not check identity against itself.
func LegacyFingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	h := hex.EncodeToString(sum[:8])
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
}
