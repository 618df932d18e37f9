package node

import (
	"errors"
	"fmt"

	"qkdchat/store"
	"qkdchat/telehealth"
)

// Approve confirms the role of the contact with this fingerprint (or
// name): a doctor who paired with the plain listener code joins the
// hospital's roster only once approved. The role is then kept whatever
// the peer later claims.
func (cl *Clinic) Approve(ref string) (Contact, error) {
	n := cl.n
	c, err := n.contactByRef(ref)
	if err != nil {
		return Contact{}, err
	}
	if c.RoleBasis == telehealth.BasisInvite {
		return c, nil // already granted by an invite
	}
	if err := n.store.SetRoleBasis(c.Fingerprint, c.Role, telehealth.BasisApproved); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Contact{}, fmt.Errorf("no contact %s to approve", ref)
		}
		return Contact{}, fmt.Errorf("approve %s: %w", c.Name, err)
	}
	c.RoleBasis = telehealth.BasisApproved
	n.publish(Event{Type: EventRoleApproved, Peer: c.Fingerprint, PeerName: c.Name, PeerRole: c.Role,
		Reason: fmt.Sprintf("%s approved as a %s", c.Name, c.Role)})
	return c, nil
}

// EventRoleApproved reports that the local user approved a contact's role.
const EventRoleApproved EventType = "role_approved"
