package node

import (
	"qkdchat/invite"
	"qkdchat/telehealth"
	"qkdchat/transport"
)

// Why Invites().Join refused an invite, for a front end to branch on with
// errors.Is (their text is already written for the joiner).
var (
	// ErrInviteDamaged: the text starts like an invite but does not check
	// out (a character wrong, missing or extra).
	ErrInviteDamaged = invite.ErrDamaged
	// ErrInviteNewer: an invite made by a newer version.
	ErrInviteNewer = invite.ErrUnsupported
	// ErrInviteExpired: its expiry time has passed (checked before any
	// dialling).
	ErrInviteExpired = invite.ErrExpired
	// ErrInviteLapsed: the inviter says it expired.
	ErrInviteLapsed = transport.ErrInviteExpired
	// ErrInviteUsed: it already paired someone; it works once.
	ErrInviteUsed = transport.ErrInviteUsed
	// ErrInviteRevoked: the inviter withdrew it, or a wrong guess burned
	// it.
	ErrInviteRevoked = transport.ErrInviteRevoked
	// ErrPairingFailed: the code did not match (or someone is in the
	// middle).
	ErrPairingFailed = transport.ErrPairingFailed
)

// RoleError is a refused action or join: for a join, the invite grants
// another role than this node's profile.
type RoleError = telehealth.RoleError

// Role bases (Contact.RoleBasis): how a contact's role was established.
const (
	BasisInvite   = telehealth.BasisInvite   // granted by an invite this node issued
	BasisApproved = telehealth.BasisApproved // approved by this node's user
	BasisClaimed  = telehealth.BasisClaimed  // the peer's own claim (plain code)
)
