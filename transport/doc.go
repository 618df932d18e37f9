// Package transport is the network layer of QKD Chat: an authenticated
// classical channel and a raw, deliberately unauthenticated quantum link
// between two peers.
//
// Every TCP connection to a Listener starts with a fixed preamble
// ([WritePreamble], [ReadPreamble]) that names its kind:
//
//   - classical: TLS 1.3 follows (X25519MLKEM768 hybrid key exchange, an
//     ephemeral self-signed certificate that authenticates nothing). Inside
//     TLS both peers run a short handshake of [Frame]s that authenticates
//     them, either with a PAKE over a pairing code (see [NewPairingCode]) or
//     with signatures by identity keys pinned earlier. Both proofs are bound
//     to the TLS exporter of the connection, so a relay that terminates TLS
//     toward each side separately fails.
//   - quantum: a one-time [LinkToken] issued over the authenticated channel
//     follows, then raw [FrameQuantum] frames carrying simulated photons.
//     Anyone on the path can read and rewrite them, as on a physical quantum
//     channel; BB84's error rate is what reveals such an eavesdropper.
//
// [Listen] serves many peers at once; [Connect] dials one. Both return a
// [Session] with the classical channel (Send, Recv), the quantum link
// (SendQuantum, RecvQuantum) and an exporter for key material bound to the
// TLS connection.
//
// A Listener stays reachable under load: each source address (an IPv4
// address or an IPv6 /64) may hold a bounded number of handshakes, a full
// listener sheds the most idle handshake of the source holding the most,
// and peers that proved who they are (a pinned key's signature, or the
// pairing code) move to reserved slots that are never shed. Refused
// connections are summarised in one log line per interval. The slot
// accounting lives in sub-package admission, the log summaries in
// loglimit, and the spelling of pairing and invite codes in paircode;
// none of them imports transport.
//
// Besides its own pairing code a Listener serves invites
// ([Listener.AddInvite], [Listener.NewInvite]): codes NAMEPLATE-WORD-WORD
// whose nameplate, from 100 to 9999, the dialer sends in the clear in its
// Hello so that the listener runs the PAKE with that invite's code only.
// An invite pairs one peer and is consumed; the first failed proof burns
// it ([Config.OnInvite] reports both); used, expired and revoked invites
// are refused with their own errors; a nameplate the listener does not
// know fails exactly like a wrong code. In pair mode the listener checks
// the dialer's key confirmation before sending its own, so an attempt
// that ends before the dialer's proof (a dropped relay, a timeout) has
// seen nothing it could test a guess against, and counts against neither
// an invite nor the listener code.
//
// Nothing here logs pairing codes, keys or payloads.
package transport
