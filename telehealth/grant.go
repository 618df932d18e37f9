package telehealth

import (
	"fmt"

	"qkdchat/party"
)

// RoleBasis says how a contact's role was established (package party's
// type, carried by the store's contacts).
type RoleBasis = party.RoleBasis

// How a role was established. Roles are granted, not claimed: only
// BasisInvite and BasisApproved make a doctor of a hospital's roster.
const (
	BasisInvite   RoleBasis = "invite"   // granted by an invite this node issued
	BasisApproved RoleBasis = "approved" // approved by this node's user
	BasisClaimed  RoleBasis = "claimed"  // the peer's own claim (plain listener code)
)

// Grant is a role with how it was established.
type Grant struct {
	Role  Role
	Basis RoleBasis
}

// granted reports whether b was given by this node rather than claimed.
func granted(b RoleBasis) bool { return b == BasisInvite || b == BasisApproved }

// PairedRole is the role a peer holds after a pairing. claimed is what
// its hello says; grant is the role of the invite it paired with ("" for
// the listener code or a pinned reconnect); prior is what the contact
// held before (nil for a new one). An invite's grant always wins; a role
// granted before (by invite or approval) is kept whatever the peer now
// claims; otherwise the claim is taken, and marked as claimed.
func PairedRole(claimed, grant Role, prior *Grant) Grant {
	switch {
	case grant != "":
		return Grant{Role: grant, Basis: BasisInvite}
	case prior != nil && granted(prior.Basis):
		return *prior
	default:
		return Grant{Role: claimed, Basis: BasisClaimed}
	}
}

// CheckRosterDoctor refuses a doctor a hospital may not refer cases to:
// one whose role is not doctor, or who only claimed it (joined with the
// plain listener code and was not approved).
func CheckRosterDoctor(doctor Actor) error {
	if doctor.Role != RoleDoctor {
		return deny(RoleHospital, ActionRefer, fmt.Sprintf("%s is a %s, not a doctor of this hospital's roster", doctor.Name, doctor.Role))
	}
	if !granted(doctor.Basis) {
		return deny(RoleHospital, ActionRefer, fmt.Sprintf("%s joined without a doctor invite and was not approved: only invited or approved doctors are on this hospital's roster", doctor.Name))
	}
	return nil
}

// ActionJoin is joining a party with an invite.
const ActionJoin = "join with this invite"

// CheckJoinRole refuses, before dialling, a joiner whose profile role is
// not the role the invite grants: the inviter would grant its role
// anyway, and the joiner's own rules would then disagree with it.
func CheckJoinRole(profile, invite Role) error {
	if invite != RolePatient && invite != RoleDoctor {
		return &RoleError{Action: ActionJoin, Reason: fmt.Sprintf("an invite grants the role patient or doctor, not %s", invite)}
	}
	if profile != invite {
		return &RoleError{Action: ActionJoin, Reason: fmt.Sprintf("this invite is for a %s; this profile is a %s (use a data directory whose profile is a %s)", invite, profile, invite)}
	}
	return nil
}
