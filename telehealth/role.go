package telehealth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"strings"

	"qkdchat/party"
)

// Role is what a party does in the telehealth workflow (the type the
// lower layers carry, package party).
type Role = party.Role

// The three roles of the paper's system model (Section III).
const (
	RolePatient  Role = "patient"
	RoleHospital Role = "hospital"
	RoleDoctor   Role = "doctor"
)

// ParseRole accepts a role name in any case.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RolePatient, RoleHospital, RoleDoctor:
		return r, nil
	}
	return "", fmt.Errorf("unknown role %q: want patient, hospital or doctor", s)
}

// ErrRoleViolation is matched (errors.Is) by every *RoleError.
var ErrRoleViolation = errors.New("refused by the workflow's role rules")

// RoleError is an action the workflow's role rules forbid.
type RoleError struct {
	Role   Role   // the role of the party that tried it
	Action string // what it tried ("refer a case")
	Reason string // why that is refused
}

func (e *RoleError) Error() string {
	if e.Role == "" {
		return fmt.Sprintf("cannot %s: %s", e.Action, e.Reason)
	}
	return fmt.Sprintf("a %s cannot %s: %s", e.Role, e.Action, e.Reason)
}

// Is makes errors.Is(err, ErrRoleViolation) true.
func (e *RoleError) Is(target error) bool { return target == ErrRoleViolation }

// Actor is a party with its role: this node, or the peer a message came
// from, or a contact an action names.
type Actor struct {
	Role        Role
	Fingerprint string // of Key
	Name        string
	Key         ed25519.PublicKey
	// Basis is how a contact's role was established (grant.go); the
	// local node's own role needs none.
	Basis RoleBasis
}

// Party is the reference to the actor that a message carries.
func (a Actor) Party() *Party {
	return &Party{Fingerprint: a.Fingerprint, Name: a.Name, Key: a.Key}
}

// deny returns the refusal of an action tried by a party with role r.
func deny(r Role, action, reason string) error {
	return &RoleError{Role: r, Action: action, Reason: reason}
}
