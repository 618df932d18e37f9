package transport

import (
	"crypto/ed25519"
	"fmt"
	"log/slog"
	"time"
)

// Defaults for zero Config fields.
const (
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxPairFailures  = 5
)

// Config configures both Listen and Connect.
type Config struct {
	// Identity is this peer's long-term identity key (required).
	Identity ed25519.PrivateKey
	// Name and Role are shown to the peer (Name required, see MaxNameLen).
	Name, Role string

	// Code is the pairing code. For Connect, a non-empty Code pairs with
	// it and an empty one reconnects as a pinned contact. For Listen, an
	// empty Code means one is generated (see Listener.Code).
	Code string
	// Pins lists the pinned contacts. Without it, only pairing works.
	Pins Pins
	// PeerKey, when set on Connect, is the only identity key the peer
	// may present (a reconnect to a known contact).
	PeerKey ed25519.PublicKey
	// PeerFingerprint, when not all zero, is the first 16 bytes of
	// SHA-256 of the only identity key the peer may present: what an
	// invite carries, so a joiner pins the inviter from the first contact.
	PeerFingerprint [16]byte

	// MaxFrame limits the payload of one frame on either channel
	// (default DefaultMaxFrame). A larger incoming frame ends the session.
	MaxFrame int
	// HandshakeTimeout bounds everything from the TCP connect to a usable
	// session (default DefaultHandshakeTimeout).
	HandshakeTimeout time.Duration
	// MaxPairFailures is how many failed pairing attempts a listener's
	// code survives (default DefaultMaxPairFailures). Attempts in progress
	// count too, so concurrent guesses cannot exceed it. An attempt fails
	// only when the dialer's key confirmation arrives and does not hold;
	// one that ends earlier (a dropped relay, a timeout) is no guess.
	MaxPairFailures int
	// Logger receives connection events (default: discard). Codes, keys
	// and payloads are never logged.
	Logger *slog.Logger

	// Listener limits (Listen only). MaxHandshakes bounds the connections
	// being handled before they become sessions (default
	// DefaultMaxHandshakes); ReservedHandshakes of them can only be held
	// by peers that proved who they are (default
	// DefaultReservedHandshakes); MaxHandshakesPerSource bounds those in
	// progress from one IPv4 address or IPv6 /64 (default
	// DefaultMaxHandshakesPerSource). When the listener is full, a new
	// connection replaces the most idle handshake of the source holding
	// the most.
	MaxHandshakes, ReservedHandshakes, MaxHandshakesPerSource int
	// OnInvite, when set, is told when an invite registered with the
	// listener is used or burned (Listen only). It is called from the
	// handshake's goroutine and must not block.
	OnInvite func(InviteEvent)

	// LogInterval is how often the listener writes one summary line for
	// the connections it refused, instead of a line each (default
	// DefaultLogInterval).
	LogInterval time.Duration
}

func (c Config) withDefaults() (Config, error) {
	if len(c.Identity) != ed25519.PrivateKeySize {
		return c, fmt.Errorf("transport: config: identity key of %d bytes, want %d", len(c.Identity), ed25519.PrivateKeySize)
	}
	h := Hello{Version: ProtocolVersion, Mode: ModePair, Identity: c.Identity.Public().(ed25519.PublicKey), Name: c.Name, Role: c.Role}
	if err := h.check(); err != nil {
		return c, fmt.Errorf("transport: config: %w", err)
	}
	if c.PeerKey != nil {
		if err := checkIdentityKey(c.PeerKey); err != nil {
			return c, fmt.Errorf("transport: config: peer key: %w", err)
		}
	}
	if c.Code != "" {
		code, err := NormalizeCode(c.Code)
		if err != nil {
			return c, err
		}
		c.Code = code
	}
	if c.MaxFrame <= 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	if c.HandshakeTimeout <= 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.MaxPairFailures <= 0 {
		c.MaxPairFailures = DefaultMaxPairFailures
	}
	if c.MaxHandshakes <= 0 {
		c.MaxHandshakes = DefaultMaxHandshakes
	}
	if c.ReservedHandshakes <= 0 {
		c.ReservedHandshakes = min(DefaultReservedHandshakes, c.MaxHandshakes/8)
	}
	if c.ReservedHandshakes >= c.MaxHandshakes {
		return c, fmt.Errorf("transport: config: %d reserved handshakes leave none of %d for new peers", c.ReservedHandshakes, c.MaxHandshakes)
	}
	if c.MaxHandshakesPerSource <= 0 {
		c.MaxHandshakesPerSource = max(1, min(DefaultMaxHandshakesPerSource, c.MaxHandshakes/4))
	}
	if c.LogInterval <= 0 {
		c.LogInterval = DefaultLogInterval
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}

func (c *Config) hello(mode Mode) Hello {
	return Hello{Version: ProtocolVersion, Mode: mode, Identity: c.Identity.Public().(ed25519.PublicKey), Name: c.Name, Role: c.Role}
}
