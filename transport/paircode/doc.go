// Package paircode makes and reads the pairing codes that two QKD Chat
// peers type or read out to authenticate their first connection.
//
// A listener code ([New]) is NUMBER-WORD-WORD with a number from 0 to 99
// and two words of a fixed list of 256 ([Words]). An invite code
// ([NewInvite]) has the same form with a number from [FirstNameplate] to
// [LastNameplate], its nameplate, which a dialer sends in the clear
// ([Nameplate]) so that the listener knows which invite's code to run the
// PAKE with. [InviteParts] and [InviteFromParts] turn an invite code into
// a nameplate and two word indexes and back, so that an invite can carry
// its code in four bytes. [Normalize] accepts codes as people type or say
// them ("4 Amber  falcon") and returns the canonical spelling.
//
// The package only spells codes; package transport runs the PAKE and
// limits the guesses an attacker gets. Nothing here logs a code.
package paircode
