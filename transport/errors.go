package transport

import (
	"errors"
	"fmt"
	"net"

	"qkdchat/identity"
)

// Errors a caller may need to tell apart. They are wrapped with context;
// test them with errors.Is.
var (
	// ErrPairingFailed means the pairing code did not match on both sides,
	// or the proofs were not bound to this TLS connection (a relay in the
	// middle). Neither side gets a session.
	ErrPairingFailed = errors.New("pairing failed")

	// ErrAuthFailed means a pinned contact's identity proof did not verify
	// for this connection.
	ErrAuthFailed = errors.New("identity proof failed")

	// ErrUnknownContact means a peer asked to reconnect without a code but
	// its identity key is not pinned.
	ErrUnknownContact = errors.New("unknown contact: pair with a code first")

	// ErrCodeExhausted means the listener stopped accepting its pairing
	// code after too many failed attempts, or has no code.
	ErrCodeExhausted = errors.New("pairing code disabled after too many failed attempts: a new code is needed")

	// ErrFrameTooLarge means a frame's declared length exceeds the limit.
	ErrFrameTooLarge = errors.New("frame too large")

	// ErrBadVersion means a frame, preamble or Hello carries a version this
	// build does not speak.
	ErrBadVersion = errors.New("unsupported version")

	// ErrTruncated means the stream ended inside a frame or preamble.
	ErrTruncated = errors.New("truncated frame")

	// ErrUnexpectedFrame means a well-formed frame of a type that is not
	// allowed at this point of the protocol.
	ErrUnexpectedFrame = errors.New("unexpected frame type")

	// ErrMalformed means a handshake message could not be parsed.
	ErrMalformed = errors.New("malformed message")

	// ErrBadPreamble means a connection did not start with a valid
	// qkdchat preamble.
	ErrBadPreamble = errors.New("bad connection preamble")

	// ErrClosed is returned by operations on a closed Listener or Session.
	ErrClosed = net.ErrClosed
)

// AbortReason is why a peer gave up a handshake. It travels in an abort
// frame so both sides report the same cause.
type AbortReason uint8

// Abort reasons.
const (
	AbortProtocol        AbortReason = 1 // malformed or unexpected message
	AbortPairingFailed   AbortReason = 2
	AbortAuthFailed      AbortReason = 3
	AbortIdentityChanged AbortReason = 4
	AbortUnknownContact  AbortReason = 5
	AbortCodeExhausted   AbortReason = 6
)

func (r AbortReason) err() error {
	switch r {
	case AbortPairingFailed:
		return ErrPairingFailed
	case AbortAuthFailed:
		return ErrAuthFailed
	case AbortIdentityChanged:
		return identity.ErrChanged
	case AbortUnknownContact:
		return ErrUnknownContact
	case AbortCodeExhausted:
		return ErrCodeExhausted
	default:
		if err := inviteReasonErr(r); err != nil {
			return err
		}
		return ErrMalformed
	}
}

func (r AbortReason) valid() bool { return r >= AbortProtocol && r <= lastAbortReason }

// abortReasonFor maps a local handshake failure to what the peer is told.
func abortReasonFor(err error) AbortReason {
	switch {
	case errors.Is(err, ErrPairingFailed):
		return AbortPairingFailed
	case errors.Is(err, ErrAuthFailed):
		return AbortAuthFailed
	case errors.Is(err, identity.ErrChanged):
		return AbortIdentityChanged
	case errors.Is(err, ErrUnknownContact):
		return AbortUnknownContact
	case errors.Is(err, ErrCodeExhausted):
		return AbortCodeExhausted
	default:
		if r, ok := inviteAbortReason(err); ok {
			return r
		}
		return AbortProtocol
	}
}

// PeerAbortError reports that the peer refused the handshake. It unwraps
// to the sentinel error for its reason (ErrPairingFailed, ...), so both
// sides of a failed pairing satisfy errors.Is(err, ErrPairingFailed).
type PeerAbortError struct {
	Reason AbortReason
}

func (e *PeerAbortError) Error() string {
	if e.Reason == AbortProtocol {
		return "peer refused the handshake: protocol error"
	}
	return fmt.Sprintf("peer refused the handshake: %v", e.Reason.err())
}

// Unwrap returns the sentinel error for the reason.
func (e *PeerAbortError) Unwrap() error { return e.Reason.err() }

// HandshakeError is returned by Listener.Accept when a peer that reached
// the authenticated handshake failed it. The listener keeps serving.
type HandshakeError struct {
	Remote net.Addr // the peer's address
	Err    error

	codeAttempt bool // the peer used one of the code guard's attempts
}

func (e *HandshakeError) Error() string {
	return fmt.Sprintf("transport: handshake with %v: %v", e.Remote, e.Err)
}

// Unwrap returns the cause.
func (e *HandshakeError) Unwrap() error { return e.Err }
