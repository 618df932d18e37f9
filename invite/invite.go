package invite

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"qkdchat/identity"
	"qkdchat/transport"
)

// Errors Parse and Encode return, wrapped with details; test them with
// errors.Is. Their text is written for the person holding the invite.
var (
	// ErrNotInvite means the text does not start like an invite at all
	// (it may be an address or a bare pairing code).
	ErrNotInvite = errors.New("this is not a QKD Chat invite (it should start with qkdchat-invite- or qkdchat:invite/)")
	// ErrDamaged means the text starts like an invite but its data does
	// not check out: a character is wrong, missing or extra.
	ErrDamaged = errors.New("this invite is damaged (check it was copied whole)")
	// ErrUnsupported means a well-formed invite from a newer version of
	// QKD Chat.
	ErrUnsupported = errors.New("this invite was made by a newer version of QKD Chat: update to use it")
	// ErrExpired means the invite's expiry time has passed.
	ErrExpired = errors.New("this invite has expired: ask for a new one")
	// ErrInvalid means Encode was given an invite it cannot encode.
	ErrInvalid = errors.New("invalid invite")
)

// Role is the role an invite grants.
type Role string

// Roles an invite may grant.
const (
	Patient Role = "patient"
	Doctor  Role = "doctor"
)

// ParseRole reads a role as a person types it ("Doctor", " patient ").
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case Patient, Doctor:
		return r, nil
	default:
		return "", fmt.Errorf("invite: role %q: an invite grants the role patient or doctor", s)
	}
}

// Limits of an invite's contents.
const (
	// MaxAddrs bounds the addresses an invite lists.
	MaxAddrs = 8
	// MaxHostLen bounds a host name (DNS names are at most 253 bytes).
	MaxHostLen = 253
	// MaxNameLen bounds the inviter's display name, in bytes (as
	// transport.MaxNameLen).
	MaxNameLen = transport.MaxNameLen
	// MaxLen bounds the length of an encoded invite, in characters. Parse
	// refuses longer input before decoding it.
	MaxLen = 1024
)

// Invite is what a joiner needs to pair with an inviter.
type Invite struct {
	// Code is the pairing code, NAMEPLATE-WORD-WORD (see
	// transport.NewInviteCode).
	Code string
	// Addrs are the inviter's addresses ("host:port"), to try in order:
	// IPv4 and IPv6 literals (without a zone) or DNS names. 1 to
	// MaxAddrs of them.
	Addrs []string
	// Fingerprint identifies the inviter's identity key: the first 16
	// bytes of SHA-256 of its Ed25519 public key (see FingerprintOf).
	Fingerprint [16]byte
	// Name is the inviter's display name, 1 to MaxNameLen bytes of
	// printable UTF-8.
	Name string
	// Role is the role the inviter grants the joiner.
	Role Role
	// Expires is when the invite stops working; it is kept to the second.
	Expires time.Time
}

// FingerprintOf returns the 128-bit fingerprint of an identity key: the
// first 16 bytes of SHA-256(pub).
func FingerprintOf(pub ed25519.PublicKey) [16]byte { return identity.FingerprintBytes(pub) }

// Matches reports whether pub is the key the invite names.
func (inv Invite) Matches(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && FingerprintOf(pub) == inv.Fingerprint
}

// Nameplate returns the number that names the invite (the first part of
// its code), or 0 if the code is not an invite code.
func (inv Invite) Nameplate() int {
	c, err := transport.NormalizeCode(inv.Code)
	if err != nil {
		return 0
	}
	return transport.CodeNameplate(c)
}

// Check reports ErrExpired once now has reached the invite's expiry.
func (inv Invite) Check(now time.Time) error {
	if !now.Before(inv.Expires) {
		return fmt.Errorf("%w (it expired %s)", ErrExpired, inv.Expires.UTC().Format(time.RFC3339))
	}
	return nil
}

// checkName applies the transport's rules for a display name.
func checkName(name string) error {
	if name == "" || len(name) > MaxNameLen || !utf8.ValidString(name) {
		return fmt.Errorf("the inviter's name must be 1 to %d bytes of printable text", MaxNameLen)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("the inviter's name must be 1 to %d bytes of printable text", MaxNameLen)
		}
	}
	return nil
}

// address is one parsed "host:port": an IP address or a DNS name.
type address struct {
	ip   netip.Addr // valid for an IP literal
	host string     // a lower-case DNS name otherwise
	port uint16
}

func (a address) String() string {
	if a.ip.IsValid() {
		return netip.AddrPortFrom(a.ip, a.port).String()
	}
	return net.JoinHostPort(a.host, strconv.Itoa(int(a.port)))
}

// parseAddress reads "host:port" into its canonical form: IPv4-mapped
// IPv6 addresses become IPv4, DNS names lower case.
func parseAddress(s string) (address, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return address{}, fmt.Errorf("address %q: want host:port", s)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 0 {
		return address{}, fmt.Errorf("address %q: port must be 1 to 65535", s)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.Zone() != "" {
			return address{}, fmt.Errorf("address %q: an IPv6 zone only means something on this machine", s)
		}
		return address{ip: ip.Unmap(), port: uint16(p)}, nil
	}
	host = strings.ToLower(host)
	if !validHostName(host) {
		return address{}, fmt.Errorf("address %q: not an IP address or a host name", s)
	}
	return address{host: host, port: uint16(p)}, nil
}

// validHostName accepts lower-case DNS names: labels of 1 to 63 letters,
// digits and hyphens (not at either end), at most MaxHostLen bytes, not
// all digits and dots (that would be a malformed IP address).
func validHostName(h string) bool {
	if h == "" || len(h) > MaxHostLen {
		return false
	}
	allDigits := true
	for label := range strings.SplitSeq(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range []byte(label) {
			switch {
			case c >= 'a' && c <= 'z', c == '-':
				allDigits = false
			case c >= '0' && c <= '9':
			default:
				return false
			}
		}
	}
	return !allDigits
}

// Encode returns the invite as one string to paste,
// "qkdchat-invite-<DATA>", in lower case. It fails with ErrInvalid for an
// invite it cannot encode, naming the field.
func Encode(inv Invite) (string, error) {
	data, err := encodeData(inv)
	if err != nil {
		return "", err
	}
	return plainPrefix + data, nil
}

// Link returns the invite as a link, "qkdchat:invite/<DATA>". Upper-cased
// (strings.ToUpper) it is still valid, and fits a QR code's alphanumeric
// mode.
func Link(inv Invite) (string, error) {
	data, err := encodeData(inv)
	if err != nil {
		return "", err
	}
	return linkPrefix + data, nil
}

// Prefixes of the two forms; Parse also accepts linkAltPrefix.
const (
	plainPrefix   = "qkdchat-invite-"
	linkPrefix    = "qkdchat:invite/"
	linkAltPrefix = "qkdchat://invite/"
)

// Parse reads an invite in either form, ignoring case, surrounding
// whitespace, and whitespace or hyphens inside the data. It does not
// check the expiry (see Check): Parse reads no clock.
func Parse(s string) (Invite, error) {
	s = strings.TrimSpace(s)
	if len(s) > 2*MaxLen {
		return Invite{}, fmt.Errorf("%w: it is %d characters long, more than any invite", ErrDamaged, len(s))
	}
	lower := strings.ToLower(s)
	var data string
	switch {
	case strings.HasPrefix(lower, plainPrefix):
		data = lower[len(plainPrefix):]
	case strings.HasPrefix(lower, linkPrefix):
		data = lower[len(linkPrefix):]
	case strings.HasPrefix(lower, linkAltPrefix):
		data = lower[len(linkAltPrefix):]
	default:
		return Invite{}, ErrNotInvite
	}
	return decodeData(data)
}
