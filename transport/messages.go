package transport

import (
	"crypto/ed25519"
	"fmt"
	"unicode"
	"unicode/utf8"

	"filippo.io/edwards25519"

	"qkdchat/transport/paircode"
)

// ProtocolVersion is the version of the handshake carried in Hello.
const ProtocolVersion = 1

// Limits on the strings of a Hello, in bytes.
const (
	MaxNameLen = 64
	MaxRoleLen = 32
)

// Mode is how a dialer asks to be authenticated.
type Mode uint8

// Handshake modes.
const (
	// ModePair authenticates both peers with a PAKE over a pairing code.
	ModePair Mode = 1
	// ModePinned authenticates both peers by their pinned identity keys.
	ModePinned Mode = 2
)

func (m Mode) String() string {
	switch m {
	case ModePair:
		return "pair"
	case ModePinned:
		return "pinned"
	default:
		return fmt.Sprintf("mode(%d)", uint8(m))
	}
}

// Hello is the first handshake message of each side.
//
// Encoding: [protocol version u8][mode u8][identity key 32 bytes]
// [name length u8][name][role length u8][role], then in pair mode
// optionally [helloNameplate u8][nameplate u16 big-endian], nothing
// after. The optional field leaves every Hello without it as before, so
// peers of this protocol version that know no invites still pair with
// listener codes.
type Hello struct {
	Version  uint8
	Mode     Mode
	Identity ed25519.PublicKey
	Name     string // display name, 1..MaxNameLen bytes of printable UTF-8
	Role     string // patient, hospital, doctor...: 0..MaxRoleLen bytes
	// Nameplate is the dialer's invite nameplate (FirstInviteNameplate to
	// LastInviteNameplate), or 0 for none. Pair mode only.
	Nameplate int
}

// helloNameplate tags the optional nameplate field of a Hello.
const helloNameplate = 1

// MarshalBinary encodes h after checking it as ParseHello would.
func (h Hello) MarshalBinary() ([]byte, error) {
	if err := h.check(); err != nil {
		return nil, err
	}
	b := make([]byte, 0, 2+ed25519.PublicKeySize+2+len(h.Name)+len(h.Role))
	b = append(b, h.Version, byte(h.Mode))
	b = append(b, h.Identity...)
	b = append(b, byte(len(h.Name)))
	b = append(b, h.Name...)
	b = append(b, byte(len(h.Role)))
	b = append(b, h.Role...)
	if h.Nameplate != 0 {
		b = append(b, helloNameplate, byte(h.Nameplate>>8), byte(h.Nameplate))
	}
	return b, nil
}

// ParseHello decodes a Hello strictly: unknown versions and modes, invalid
// keys, bad strings and trailing bytes are errors.
func ParseHello(b []byte) (Hello, error) {
	var h Hello
	if len(b) < 2+ed25519.PublicKeySize+2 {
		return h, fmt.Errorf("transport: hello of %d bytes: %w", len(b), ErrMalformed)
	}
	h.Version = b[0]
	h.Mode = Mode(b[1])
	h.Identity = ed25519.PublicKey(append([]byte(nil), b[2:2+ed25519.PublicKeySize]...))
	rest := b[2+ed25519.PublicKeySize:]
	name, rest, ok := cutString(rest)
	if !ok {
		return Hello{}, fmt.Errorf("transport: hello: name: %w", ErrMalformed)
	}
	role, rest, ok := cutString(rest)
	if !ok {
		return Hello{}, fmt.Errorf("transport: hello: role: %w", ErrMalformed)
	}
	if len(rest) == 3 && rest[0] == helloNameplate {
		h.Nameplate = int(rest[1])<<8 | int(rest[2])
		if h.Nameplate == 0 {
			return Hello{}, fmt.Errorf("transport: hello: nameplate 0: %w", ErrMalformed)
		}
		rest = rest[3:]
	}
	if len(rest) != 0 {
		return Hello{}, fmt.Errorf("transport: hello: %d trailing bytes: %w", len(rest), ErrMalformed)
	}
	h.Name, h.Role = name, role
	if err := h.check(); err != nil {
		return Hello{}, err
	}
	return h, nil
}

func cutString(b []byte) (s string, rest []byte, ok bool) {
	if len(b) < 1 || len(b)-1 < int(b[0]) {
		return "", nil, false
	}
	n := int(b[0])
	return string(b[1 : 1+n]), b[1+n:], true
}

func (h Hello) check() error {
	if h.Version != ProtocolVersion {
		return fmt.Errorf("transport: hello: protocol version %d: %w", h.Version, ErrBadVersion)
	}
	if h.Mode != ModePair && h.Mode != ModePinned {
		return fmt.Errorf("transport: hello: %v: %w", h.Mode, ErrMalformed)
	}
	if err := checkIdentityKey(h.Identity); err != nil {
		return fmt.Errorf("transport: hello: %w", err)
	}
	if h.Name == "" || len(h.Name) > MaxNameLen || !printable(h.Name) {
		return fmt.Errorf("transport: hello: name must be 1 to %d bytes of printable UTF-8: %w", MaxNameLen, ErrMalformed)
	}
	if len(h.Role) > MaxRoleLen || !printable(h.Role) {
		return fmt.Errorf("transport: hello: role must be at most %d bytes of printable UTF-8: %w", MaxRoleLen, ErrMalformed)
	}
	if h.Nameplate != 0 && (h.Mode != ModePair || !paircode.ValidNameplate(h.Nameplate)) {
		return fmt.Errorf("transport: hello: nameplate %d in %v mode: %w", h.Nameplate, h.Mode, ErrMalformed)
	}
	return nil
}

// checkIdentityKey rejects keys that are not canonical encodings of a
// point of large order: with a small-order key, signatures prove nothing.
func checkIdentityKey(pub ed25519.PublicKey) error {
	if len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("identity key of %d bytes: %w", len(pub), ErrMalformed)
	}
	p, err := new(edwards25519.Point).SetBytes(pub)
	if err != nil {
		return fmt.Errorf("identity key is not a curve point: %w", ErrMalformed)
	}
	if new(edwards25519.Point).MultByCofactor(p).Equal(edwards25519.NewIdentityPoint()) == 1 {
		return fmt.Errorf("identity key has small order: %w", ErrMalformed)
	}
	return nil
}

func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return false
		}
	}
	return true
}

// pakeMsgLen is an uncompressed P-256 point.
const pakeMsgLen = 65

const (
	macLen = 32
	sigLen = ed25519.SignatureSize
)

// confirm is the key confirmation and identity proof of one side. MAC is
// present in pair mode only.
type confirm struct {
	MAC []byte
	Sig []byte
}

func (c confirm) marshal() []byte {
	return append(append([]byte(nil), c.MAC...), c.Sig...)
}

func parseConfirm(b []byte, mode Mode) (confirm, error) {
	want := sigLen
	if mode == ModePair {
		want += macLen
	}
	if len(b) != want {
		return confirm{}, fmt.Errorf("transport: confirmation of %d bytes, want %d: %w", len(b), want, ErrMalformed)
	}
	var c confirm
	if mode == ModePair {
		c.MAC = b[:macLen]
		b = b[macLen:]
	}
	c.Sig = b
	return c, nil
}

// parseFinished checks a Finished payload: empty from the dialer, a
// LinkToken from the listener.
func parseFinished(b []byte, fromListener bool) (LinkToken, error) {
	var t LinkToken
	if !fromListener {
		if len(b) != 0 {
			return t, fmt.Errorf("transport: finished: %d bytes: %w", len(b), ErrMalformed)
		}
		return t, nil
	}
	if len(b) != len(t) {
		return t, fmt.Errorf("transport: finished: %d bytes: %w", len(b), ErrMalformed)
	}
	copy(t[:], b)
	return t, nil
}

func parseAbort(b []byte) (AbortReason, error) {
	if len(b) != 1 || !AbortReason(b[0]).valid() {
		return 0, fmt.Errorf("transport: abort: %w", ErrMalformed)
	}
	return AbortReason(b[0]), nil
}
