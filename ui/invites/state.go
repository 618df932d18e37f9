package invites

import (
	"fmt"
	"time"

	"qkdchat/node"
)

// StateLine says in a few words what became of invite r at now, for its
// row in the list.
func StateLine(r node.InviteRecord, now time.Time) string {
	switch r.State {
	case node.InviteOpen:
		if !now.Before(r.Expires) {
			return "Expired unused: issue a new one if it is still needed"
		}
		return "Open until " + r.Expires.Local().Format("Mon 2 Jan 15:04")
	case node.InviteUsed:
		who := firstOf(r.PeerName, r.Remote)
		if who == "" {
			return "Used"
		}
		return "Used by " + who
	case node.InviteBurned:
		s := "Burned: a wrong guess burned it: issue a new one"
		if r.Remote != "" {
			s += " (the guess came from " + r.Remote + ")"
		}
		return s
	case node.InviteExpired:
		return "Expired unused: issue a new one if it is still needed"
	case node.InviteRevoked:
		return "Revoked"
	}
	return r.State
}

// Title names invite r in the list: whom and what it is for.
func Title(r node.InviteRecord) string {
	s := fmt.Sprintf("%s invite %d", roleWord(r.Role), r.Nameplate)
	if r.Name != "" {
		s += " for " + r.Name
	}
	return s
}

// Revocable reports whether invite r can still be revoked at now.
func Revocable(r node.InviteRecord, now time.Time) bool {
	return r.State == node.InviteOpen && now.Before(r.Expires)
}

// Unapproved returns the doctors among cs who paired with the plain
// listener code: the hospital does not offer them cases until approved.
func Unapproved(cs []node.Contact) []node.Contact {
	var out []node.Contact
	for _, c := range cs {
		if c.Role == node.RoleDoctor && c.RoleBasis != node.BasisInvite && c.RoleBasis != node.BasisApproved {
			out = append(out, c)
		}
	}
	return out
}

func roleWord(r node.Role) string {
	switch r {
	case node.RolePatient:
		return "Patient"
	case node.RoleDoctor:
		return "Doctor"
	}
	return string(r)
}

func firstOf(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}
