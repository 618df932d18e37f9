// Package invite encodes and parses QKD Chat invites: everything a
// patient or doctor needs to join a hospital, in one string to paste.
//
// An invite carries the pairing code (NAMEPLATE-WORD-WORD, see
// transport/paircode.NewInvite), the addresses to try, the fingerprint of the
// inviter's identity key (so the joiner pins the inviter from the first
// contact), the inviter's display name, the role the inviter grants and
// an expiry time. It has two spellings of the same data:
//
//	qkdchat-invite-<DATA>   to paste anywhere
//	qkdchat:invite/<DATA>   a link (an opaque URI, like mailto:)
//
// DATA is the binary invite in Crockford's base32 followed by a CRC-32C
// checksum, so a mistyped or truncated invite is reported as damaged
// instead of failing later in a confusing way. Parsing ignores case,
// surrounding whitespace and whitespace or hyphens inside DATA (line
// wraps), and reads the letters I, L and O as the digits 1, 1 and 0.
// Upper-cased, the link uses only characters of a QR code's alphanumeric
// mode, so its QR code stays small.
//
// The checksum is not a signature: whoever can change an invite in
// transit can change its code too. The invite's authenticity comes from
// the channel it travels over; the PAKE and the fingerprint then bind
// the connection to whoever made it.
//
// The package is pure: it reads no clock and does no I/O.
package invite
