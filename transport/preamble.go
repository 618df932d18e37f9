package transport

import (
	"errors"
	"fmt"
	"io"
)

// Kind is the kind of a TCP connection, named by its preamble.
type Kind uint8

// Connection kinds.
const (
	// KindClassical: a TLS 1.3 client hello follows the preamble.
	KindClassical Kind = 1
	// KindQuantum: a LinkToken follows, then FrameQuantum frames.
	KindQuantum Kind = 2
)

func (k Kind) String() string {
	switch k {
	case KindClassical:
		return "classical"
	case KindQuantum:
		return "quantum"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// PreambleLen is the size of a connection preamble: the magic "QKDC", a
// version byte and a Kind byte.
const PreambleLen = 6

// PreambleVersion is the preamble version this build speaks.
const PreambleVersion = 1

var preambleMagic = [4]byte{'Q', 'K', 'D', 'C'}

// WritePreamble starts a connection of kind k.
func WritePreamble(w io.Writer, k Kind) error {
	if k != KindClassical && k != KindQuantum {
		return fmt.Errorf("transport: write preamble: %v: %w", k, ErrBadPreamble)
	}
	b := [PreambleLen]byte{preambleMagic[0], preambleMagic[1], preambleMagic[2], preambleMagic[3], PreambleVersion, byte(k)}
	if _, err := w.Write(b[:]); err != nil {
		return fmt.Errorf("transport: write preamble: %w", err)
	}
	return nil
}

// ReadPreamble reads exactly PreambleLen bytes and returns the connection's
// kind. It reads nothing beyond the preamble, so a relay can forward the
// rest of the stream untouched.
func ReadPreamble(r io.Reader) (Kind, error) {
	var b [PreambleLen]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("transport: preamble: %w: %w", ErrTruncated, err)
		}
		return 0, fmt.Errorf("transport: preamble: %w", err)
	}
	if [4]byte(b[:4]) != preambleMagic {
		return 0, fmt.Errorf("transport: preamble: wrong magic: %w", ErrBadPreamble)
	}
	if b[4] != PreambleVersion {
		return 0, fmt.Errorf("transport: preamble version %d: %w", b[4], ErrBadVersion)
	}
	k := Kind(b[5])
	if k != KindClassical && k != KindQuantum {
		return 0, fmt.Errorf("transport: preamble: %v: %w", k, ErrBadPreamble)
	}
	return k, nil
}

// LinkToken is the one-time secret the listener issues over the
// authenticated channel; the dialer sends it after a quantum preamble so
// the listener can attach the quantum connection to its session. It only
// pairs connections: it does not authenticate the photons.
type LinkToken [32]byte

// WriteLinkToken writes t.
func WriteLinkToken(w io.Writer, t LinkToken) error {
	if _, err := w.Write(t[:]); err != nil {
		return fmt.Errorf("transport: write link token: %w", err)
	}
	return nil
}

// ReadLinkToken reads exactly len(LinkToken) bytes.
func ReadLinkToken(r io.Reader) (LinkToken, error) {
	var t LinkToken
	if _, err := io.ReadFull(r, t[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return t, fmt.Errorf("transport: link token: %w: %w", ErrTruncated, err)
		}
		return t, fmt.Errorf("transport: link token: %w", err)
	}
	return t, nil
}
