package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// FingerprintSize is how many bytes of SHA-256(key) a fingerprint shows:
// 128 bits, so finding another key with the same fingerprint (a second
// preimage) costs about 2^128 hashes.
const FingerprintSize = 16

// legacyHexDigits is the length of the fingerprints printed by qkdchat
// before this format: the first 8 bytes of the same hash, so an old
// fingerprint is a prefix of the new one.
const legacyHexDigits = 16

// Errors of fingerprint parsing and resolution, wrapped by a
// *FingerprintError; test them with errors.Is.
var (
	// ErrChanged means a peer presents a name that is pinned to a
	// different identity key, or is not the key the caller expected.
	ErrChanged = errors.New("this contact's identity key changed")

	// ErrBadFingerprint means the text is not a fingerprint at all.
	ErrBadFingerprint = errors.New("not a key fingerprint")
	// ErrUnknownFingerprint means no known key has the fingerprint.
	ErrUnknownFingerprint = errors.New("no known key has this fingerprint")
	// ErrAmbiguousFingerprint means a short (older, 16-digit)
	// fingerprint fits more than one known key.
	ErrAmbiguousFingerprint = errors.New("more than one known key has this short fingerprint")
)

// FingerprintError says which typed fingerprint could not be used, and
// why. It unwraps to ErrBadFingerprint, ErrUnknownFingerprint or
// ErrAmbiguousFingerprint.
type FingerprintError struct {
	Input  string // what was typed (cut to 60 bytes)
	Reason string // in words, e.g. "has 12 hex digits, want 32"
	Err    error
}

func (e *FingerprintError) Error() string {
	return fmt.Sprintf("fingerprint %q: %s", e.Input, e.Reason)
}

func (e *FingerprintError) Unwrap() error { return e.Err }

// Fingerprint returns the human-comparable form of an Ed25519 public key:
// the first 16 bytes of its SHA-256 as 32 hex digits in eight groups of
// four, such as "3f2a 9c01 77be 04d5 1a2b 3c4d 5e6f 7a8b". Two people
// compare fingerprints aloud to rule out a relay that knew their pairing
// code, and contacts are stored under it.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := FingerprintBytes(pub)
	return group(hex.EncodeToString(sum[:]))
}

// FingerprintBytes is the fingerprint of pub as bytes (the first 16 of
// SHA-256(pub)), for formats that carry it in binary, such as an invite.
func FingerprintBytes(pub ed25519.PublicKey) [FingerprintSize]byte {
	sum := sha256.Sum256(pub)
	return [FingerprintSize]byte(sum[:FingerprintSize])
}

// group puts a space between groups of four hex digits.
func group(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(h[i:min(i+4, len(h))])
	}
	return b.String()
}

// ParseFingerprint normalises a fingerprint typed by a person: any case,
// with or without spaces, dashes or colons between the digits. It returns
// the printed form of Fingerprint. The 16-digit fingerprint of an older
// qkdchat is accepted too and returned in its own printed form
// ("3f2a 9c01 77be 04d5"): it names a key only through Matches or
// Resolve, which match it as a prefix.
func ParseFingerprint(s string) (string, error) {
	in := s
	if len(in) > 60 {
		in = in[:60] + "..."
	}
	h := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', ':', '\t':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
	if _, err := hex.DecodeString(h); err != nil || len(h)%2 != 0 {
		return "", &FingerprintError{Input: in, Reason: "holds characters other than hex digits (0-9, a-f), spaces, dashes and colons", Err: ErrBadFingerprint}
	}
	if len(h) != 2*FingerprintSize && len(h) != legacyHexDigits {
		return "", &FingerprintError{Input: in, Reason: fmt.Sprintf("has %d hex digits, want %d (or the %d of an older qkdchat)", len(h), 2*FingerprintSize, legacyHexDigits), Err: ErrBadFingerprint}
	}
	return group(h), nil
}

// IsShort reports whether fp, as returned by ParseFingerprint, is the
// 16-digit fingerprint of an older qkdchat.
func IsShort(fp string) bool { return len(fp) == legacyHexDigits+legacyHexDigits/4-1 }

// SameKey reports whether two printed fingerprints may name the same key:
// they are equal, or one is the short fingerprint of an older qkdchat and
// the other starts with it. Use it to compare a fingerprint that came
// from an older peer or record with a current one.
func SameKey(a, b string) bool {
	if a == b {
		return true
	}
	if a == "" || b == "" || IsShort(a) == IsShort(b) {
		return false
	}
	if IsShort(b) {
		a, b = b, a
	}
	return strings.HasPrefix(b, a)
}

// Matches reports whether the printed fingerprint fp names pub: fp is
// Fingerprint(pub), or the short fingerprint an older qkdchat printed
// for pub.
func Matches(fp string, pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && SameKey(fp, Fingerprint(pub))
}

// Resolve finds the one fingerprint among known (current, full
// fingerprints) that the typed text names. A full fingerprint must be one
// of known; a short one of an older qkdchat must be the start of exactly
// one of them.
func Resolve(typed string, known []string) (string, error) {
	fp, err := ParseFingerprint(typed)
	if err != nil {
		return "", err
	}
	var found []string
	for _, k := range known {
		if k == fp || IsShort(fp) && strings.HasPrefix(k, fp) {
			found = append(found, k)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(found) == 0:
		return "", &FingerprintError{Input: fp, Reason: "is not the fingerprint of any known key", Err: ErrUnknownFingerprint}
	}
	return "", &FingerprintError{Input: fp, Reason: fmt.Sprintf("is the start of %d known fingerprints (%s); give the full 32 digits", len(found), strings.Join(found, ", ")), Err: ErrAmbiguousFingerprint}
}
