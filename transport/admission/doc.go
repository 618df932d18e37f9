// Package admission decides which incoming connections a listener spends
// a handshake on, so that it stays reachable under a flood.
//
// A [Gate] has a bounded number of handshake slots. Each source address
// ([Source]: an IPv4 address or an IPv6 /64) may hold a bounded number of
// unproven handshakes; when the general slots are full, a new connection
// takes the place of the most idle handshake of the source holding the
// most; a handshake whose peer has proved who it is ([Gate.Prove]) moves
// to reserved slots that are never shed. Every refusal comes with a
// [Refusal] that names why, for the listener's log.
//
// The package knows nothing of TLS or of the handshake's messages: the
// listener in package transport reports each step ([Gate.Progress]) and
// each proof.
package admission
