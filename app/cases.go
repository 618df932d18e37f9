package app

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"
)

// Each node keeps its own view of the cases it takes part in (a
// telehealth.Case), sealed under its record key in state.db.

var bucketCases = []byte("cases") // case ID -> sealed Case

// ErrNoCase means this node has no case with that ID.
var ErrNoCase = errors.New("no such case")

// updateCase reads case id (found reports whether it exists), lets fn
// change it and stores the result, atomically. fn returning an error
// leaves the case as it was.
func (s *Store) updateCase(record *fernet.Key, id string, fn func(c *Case, found bool) error) (Case, error) {
	var out Case
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketCases)
		var c Case
		found := false
		if v := b.Get([]byte(id)); v != nil {
			if err := openRecord(record, v, &c); err != nil {
				return fmt.Errorf("case %s: %w", id, err)
			}
			found = true
		}
		if err := fn(&c, found); err != nil {
			return err
		}
		c.ID = id
		c.Updated = time.Now()
		if c.Opened.IsZero() {
			c.Opened = c.Updated
		}
		v, err := sealRecord(record, &c)
		if err != nil {
			return err
		}
		out = c
		return b.Put([]byte(id), v)
	})
	return out, err
}

func (s *Store) getCase(record *fernet.Key, id string) (Case, error) {
	var c Case
	err := s.view(func(tx *bolt.Tx) error {
		v := tx.Bucket(bucketCases).Get([]byte(id))
		if v == nil {
			return fmt.Errorf("case %q: %w", truncateString(id, 40), ErrNoCase)
		}
		return openRecord(record, v, &c)
	})
	return c, err
}

// Cases lists the cases this node may see, most recently updated first:
// a patient its own, a hospital those submitted to it, a doctor only the
// cases referred to it.
func (n *Node) Cases() ([]Case, error) {
	var out []Case
	me := n.Fingerprint()
	err := n.store.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketCases).ForEach(func(k, v []byte) error {
			var c Case
			if err := openRecord(n.recordKey(), v, &c); err != nil {
				return fmt.Errorf("case %s: %w", k, err)
			}
			if c.VisibleTo(n.profile.Role, me) {
				out = append(out, c)
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("app: read cases: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}

// Case returns one case this node may see.
func (n *Node) Case(id string) (Case, error) {
	c, err := n.store.getCase(n.recordKey(), id)
	if err != nil {
		return Case{}, err
	}
	if !c.VisibleTo(n.profile.Role, n.Fingerprint()) {
		return Case{}, fmt.Errorf("case %s: %w", id, ErrNoCase)
	}
	return c, nil
}

// ExportFHIR returns the PHR of a case this node may see as a FHIR R4
// Bundle (see telehealth.PHR.FHIRBundle).
func (n *Node) ExportFHIR(caseID string) ([]byte, error) {
	c, err := n.Case(caseID)
	if err != nil {
		return nil, err
	}
	if c.PHR == nil {
		return nil, fmt.Errorf("case %s has no PHR", caseID)
	}
	return c.PHR.FHIRBundle(c.ID)
}
