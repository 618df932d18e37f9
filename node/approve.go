package node

import (
	"fmt"

	"qkdchat/telehealth"
)

// EventRoleApproved reports that the local user approved a contact's role.
const EventRoleApproved EventType = "role_approved"

// Approve confirms the role of the contact with this fingerprint (or
// name): a doctor who paired with the plain listener code joins the
// hospital's roster only once approved, and an approved role is kept
// whatever the peer later claims.
func (cl *Clinic) Approve(ref string) (Contact, error) {
	c, err := cl.n.contactByRef(ref)
	if err != nil {
		return Contact{}, err
	}
	if c.RoleBasis != telehealth.BasisInvite {
		c.RoleBasis = telehealth.BasisApproved
		if err := cl.n.store.SetRoleBasis(c.Fingerprint, c.Role, c.RoleBasis); err != nil {
			return Contact{}, fmt.Errorf("approve %s: %w", c.Name, err)
		}
	}
	cl.n.publish(Event{Type: EventRoleApproved, Peer: c.Fingerprint, PeerName: c.Name, PeerRole: c.Role,
		Reason: fmt.Sprintf("%s approved as a %s", c.Name, c.Role)})
	return c, nil
}
