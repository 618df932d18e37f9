package app

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"qkdchat/telehealth"
)

// The role rules of the telehealth workflow are pure functions of package
// telehealth; the node checks them where an action starts and again when
// it receives one. A refusal is a *telehealth.RoleError, recorded locally
// as a Violation and announced as an EventRejected.

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

var bucketViolations = []byte("violations") // 8-byte sequence -> sealed Violation

// recordViolation keeps v (sealed under the record key). Failing to keep
// it is logged, never fatal: the refusal itself already happened.
func (n *Node) recordViolation(v Violation) {
	if v.Time.IsZero() {
		v.Time = time.Now()
	}
	tok, err := sealRecord(n.recordKey(), v)
	if err == nil {
		err = n.store.update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketViolations)
			seq, err := b.NextSequence()
			if err != nil {
				return err
			}
			return b.Put(binary.BigEndian.AppendUint64(nil, seq), tok)
		})
	}
	if err != nil {
		n.log.Warn("could not record a refused action", "err", err)
	}
}

// refused records err, if it is a refusal by the role rules of a local
// action (a *telehealth.RoleError), and returns it unchanged.
func (n *Node) refused(caseID string, err error) error {
	var re *telehealth.RoleError
	if errors.As(err, &re) {
		n.recordViolation(Violation{CaseID: caseID, Action: re.Action, Reason: re.Error()})
		n.publish(Event{Type: EventRejected, CaseID: caseID, Reason: re.Error()})
	}
	return err
}

// Violations lists the refused actions recorded by this node, oldest
// first.
func (n *Node) Violations() ([]Violation, error) {
	var out []Violation
	err := n.store.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketViolations).ForEach(func(k, v []byte) error {
			var x Violation
			if err := openRecord(n.recordKey(), v, &x); err != nil {
				return fmt.Errorf("violation %x: %w", k, err)
			}
			out = append(out, x)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("app: read violations: %w", err)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Time.Before(out[j].Time) })
	return out, nil
}
