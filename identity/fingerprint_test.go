package identity

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func testKey(seed byte) ed25519.PublicKey {
	s := make([]byte, ed25519.SeedSize)
	for i := range s {
		s[i] = seed
	}
	return ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
}

// TestFingerprintShows128Bits: the fingerprint is the first 16 bytes of
// SHA-256(key), computed independently here, in eight groups of four.
func TestFingerprintShows128Bits(t *testing.T) {
	for seed := range byte(20) {
		pub := testKey(seed)
		sum := sha256.Sum256(pub)
		fp := Fingerprint(pub)
		groups := strings.Split(fp, " ")
		if len(groups) != 8 || strings.Join(groups, "") != hex.EncodeToString(sum[:16]) {
			t.Fatalf("Fingerprint = %q, want the 32 hex digits of %x in groups of four", fp, sum[:16])
		}
		for _, g := range groups {
			if len(g) != 4 {
				t.Fatalf("group %q of %q is not four digits", g, fp)
			}
		}
	}
}

func TestParseFingerprint(t *testing.T) {
	full := Fingerprint(testKey(1))
	short := full[:19]
	digits := strings.ReplaceAll(full, " ", "")
	tests := []struct {
		in, want string
		err      error
	}{
		{full, full, nil},
		{strings.ToUpper(full), full, nil},
		{digits, full, nil},
		{strings.ReplaceAll(full, " ", "-"), full, nil},
		{strings.ReplaceAll(full, " ", ":"), full, nil},
		{"  " + full + "\t", full, nil},
		{strings.ToUpper(strings.ReplaceAll(short, " ", "-")), short, nil}, // an older qkdchat's
		{digits[:16], short, nil},
		{"", "", ErrBadFingerprint},
		{digits[:30], "", ErrBadFingerprint},
		{digits + "00", "", ErrBadFingerprint},
		{digits[:31] + "g", "", ErrBadFingerprint},
		{"Alice", "", ErrBadFingerprint},
	}
	for _, tt := range tests {
		got, err := ParseFingerprint(tt.in)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("ParseFingerprint(%q) = %q, %v; want %q, %v", tt.in, got, err, tt.want, tt.err)
		}
		if err != nil {
			var fe *FingerprintError
			if !errors.As(err, &fe) || !strings.Contains(err.Error(), "fingerprint") {
				t.Errorf("ParseFingerprint(%q): error %q is not a *FingerprintError naming the input", tt.in, err)
			}
		}
	}
	long := strings.Repeat("z", 500)
	if _, err := ParseFingerprint(long); err == nil || len(err.Error()) > 300 {
		t.Errorf("a 500-byte input gives an error of %d bytes", len(err.Error()))
	}
}

func TestSameKeyAndMatches(t *testing.T) {
	a, b := Fingerprint(testKey(1)), Fingerprint(testKey(2))
	tests := []struct {
		x, y string
		want bool
	}{
		{a, a, true},
		{a[:19], a, true},
		{a, a[:19], true},
		{a[:19], a[:19], true},
		{a, b, false},
		{a[:19], b, false},
		{b[:19], a, false},
		{"", a, false},
		{a, "", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := SameKey(tt.x, tt.y); got != tt.want {
			t.Errorf("SameKey(%q, %q) = %v, want %v", tt.x, tt.y, got, tt.want)
		}
	}
	if !Matches(a, testKey(1)) || !Matches(a[:19], testKey(1)) || Matches(b, testKey(1)) || Matches(a, nil) {
		t.Error("Matches disagrees with SameKey")
	}
}

// TestResolveShortFingerprint: an older 16-digit fingerprint picks the
// known key it is the start of, and is refused, naming the candidates,
// when two known keys start alike.
func TestResolveShortFingerprint(t *testing.T) {
	a, b := Fingerprint(testKey(1)), Fingerprint(testKey(2))
	// twin shares a's first 64 bits: what a short fingerprint cannot
	// tell apart.
	twin := a[:19] + " ffff ffff ffff ffff"
	tests := []struct {
		typed string
		known []string
		want  string
		err   error
	}{
		{a, []string{a, b}, a, nil},
		{strings.ToUpper(a[:19]), []string{a, b}, a, nil},
		{strings.ReplaceAll(b[:19], " ", ""), []string{a, b}, b, nil},
		{a[:19], []string{a, twin, b}, "", ErrAmbiguousFingerprint},
		{a, []string{a, twin, b}, a, nil}, // the full form is never ambiguous
		{a, []string{b}, "", ErrUnknownFingerprint},
		{a[:19], []string{b}, "", ErrUnknownFingerprint},
		{a[:19], nil, "", ErrUnknownFingerprint},
		{"bob", []string{a, b}, "", ErrBadFingerprint},
	}
	for _, tt := range tests {
		got, err := Resolve(tt.typed, tt.known)
		if got != tt.want || !errors.Is(err, tt.err) {
			t.Errorf("Resolve(%q, %d known) = %q, %v; want %q, %v", tt.typed, len(tt.known), got, err, tt.want, tt.err)
		}
		if errors.Is(err, ErrAmbiguousFingerprint) && !strings.Contains(err.Error(), twin) {
			t.Errorf("ambiguity error %q does not list the candidates", err)
		}
	}
}
