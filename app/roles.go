package app

import (
	"errors"
	"fmt"
	"sort"
	"time"
)

// Role rules of the telehealth workflow (the paper's Section III): a
// patient submits PHRs to hospitals; a hospital refers cases to doctors
// and relays reports; a doctor reports on the cases referred to it, and
// its report is signed by its identity key, so nobody in between can
// alter it. Each rule is checked where the action starts and again by the
// node that receives it. A refusal is a *RoleError, recorded locally as a
// Violation and announced as an EventRejected.

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

// Violation is one refused action, kept in the state database.
type Violation struct {
	Time     time.Time `json:"time"`
	Peer     string    `json:"peer,omitempty"` // the other party, if any
	PeerName string    `json:"peer_name,omitempty"`
	Incoming bool      `json:"incoming"` // the peer tried it (else this node did, or the peer refused ours)
	CaseID   string    `json:"case_id,omitempty"`
	Action   string    `json:"action"`
	Reason   string    `json:"reason"`
}

// recordViolation keeps v (sealed under the record key). Failing to keep
// it is logged, never fatal: the refusal itself already happened.
func (n *Node) recordViolation(v Violation) {
	if v.Time.IsZero() {
		v.Time = time.Now()
	}
	if err := n.store.Violations(n.recordKey()).Append(v); err != nil {
		n.log.Warn("could not record a refused action", "err", err)
	}
}

// refuse records a refused local action and returns it as an error.
func (n *Node) refuse(caseID, action, reason string) error {
	e := &RoleError{Role: n.profile.Role, Action: action, Reason: reason}
	n.recordViolation(Violation{CaseID: caseID, Action: action, Reason: e.Error()})
	n.publish(Event{Type: EventRejected, CaseID: caseID, Reason: e.Error()})
	return e
}

// Violations lists the refused actions recorded by this node, oldest
// first.
func (n *Node) Violations() ([]Violation, error) {
	var out []Violation
	err := n.store.Violations(n.recordKey()).Each(func(k []byte, open func(any) error) error {
		var x Violation
		if err := open(&x); err != nil {
			return fmt.Errorf("violation %x: %w", k, err)
		}
		out = append(out, x)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("app: read violations: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}
