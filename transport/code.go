package transport

import "qkdchat/transport/paircode"

// Pairing codes are spelled by package paircode; these names forward to
// it so that callers of transport keep working.

// MinCodeLen and MaxCodeLen bound the pairing codes Listen and Connect
// accept (paircode.MinLen, paircode.MaxLen).
const (
	MinCodeLen = paircode.MinLen
	MaxCodeLen = paircode.MaxLen
)

// FirstInviteNameplate and LastInviteNameplate bound invite nameplates
// (paircode.FirstNameplate, paircode.LastNameplate).
const (
	FirstInviteNameplate = paircode.FirstNameplate
	LastInviteNameplate  = paircode.LastNameplate
)

// NewPairingCode returns a fresh listener code (paircode.New).
func NewPairingCode() (string, error) { return paircode.New() }

// NormalizeCode puts a typed pairing code in canonical form
// (paircode.Normalize).
func NormalizeCode(code string) (string, error) { return paircode.Normalize(code) }

// NewInviteCode returns a fresh invite code (paircode.NewInvite).
func NewInviteCode(nameplate int) (string, error) { return paircode.NewInvite(nameplate) }

// InviteCodeFromParts builds an invite code from its nameplate and word
// indexes (paircode.InviteFromParts).
func InviteCodeFromParts(nameplate int, w1, w2 byte) (string, error) {
	return paircode.InviteFromParts(nameplate, w1, w2)
}

// InviteCodeParts splits an invite code into its nameplate and word
// indexes (paircode.InviteParts).
func InviteCodeParts(code string) (nameplate int, w1, w2 byte, err error) {
	return paircode.InviteParts(code)
}

// CodeNameplate returns the invite nameplate of a normalized code, or 0
// (paircode.Nameplate).
func CodeNameplate(code string) int { return paircode.Nameplate(code) }
