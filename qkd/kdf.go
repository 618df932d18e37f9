package qkd

import (
	"crypto/hkdf"
	"crypto/sha256"
	"errors"
	"fmt"
)

// DeriveKey derives 32 bytes of Fernet key material (16 signing + 16
// encryption bytes) from a final QKD key with HKDF-SHA256.
func DeriveKey(finalKey, salt []byte, info string) ([32]byte, error) {
	var out [32]byte
	if len(finalKey) == 0 {
		return out, errors.New("qkd: derive key: empty final key")
	}
	k, err := hkdf.Key(sha256.New, finalKey, salt, info, len(out))
	if err != nil {
		return out, fmt.Errorf("qkd: derive key: %w", err)
	}
	copy(out[:], k)
	return out, nil
}
