package transport

import "time"

// Defaults for the listener's admission limits.
const (
	// DefaultMaxHandshakes bounds the connections a listener handles
	// before they become sessions, the reserve included.
	DefaultMaxHandshakes = 512
	// DefaultReservedHandshakes of those slots are kept for handshakes
	// whose peer has proved who it is (a pinned contact's signature, or
	// the pairing code): attackers cannot take them.
	DefaultReservedHandshakes = 64
	// DefaultMaxHandshakesPerSource bounds the handshakes in progress
	// from one source address (one IPv4 address, or one IPv6 /64).
	DefaultMaxHandshakesPerSource = 128
)

// DefaultLogInterval is how often a listener summarises the connections
// it refused (Config.LogInterval).
const DefaultLogInterval = 10 * time.Second
