package node

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"qkdchat/internal/atomicfile"
	"qkdchat/store"
)

// Each node keeps its own view of the cases it takes part in (a
// telehealth.Case), sealed under its record key in state.db.

// ErrNoCase means this node has no case with that ID.
var ErrNoCase = errors.New("no such case")

// updateCase reads case id (found reports whether it exists), lets fn
// change it and stores the result, atomically. fn returning an error
// leaves the case as it was.
func updateCase(cs store.Records, id string, fn func(c *Case, found bool) error) (Case, error) {
	var c Case
	err := cs.Update(id, &c, func(found bool) error {
		if err := fn(&c, found); err != nil {
			return err
		}
		c.ID = id
		c.Updated = time.Now()
		if c.Opened.IsZero() {
			c.Opened = c.Updated
		}
		return nil
	})
	if err != nil {
		return Case{}, err
	}
	return c, nil
}

func getCase(cs store.Records, id string) (Case, error) {
	var c Case
	err := cs.Get(id, &c)
	if errors.Is(err, store.ErrNotFound) {
		return c, fmt.Errorf("case %q: %w", truncateString(id, 40), ErrNoCase)
	}
	return c, err
}

// Cases lists the cases this node may see, most recently updated first:
// a patient its own, a hospital those submitted to it, a doctor only the
// cases referred to it.
func (cl *Clinic) Cases() ([]Case, error) {
	n := cl.n
	var out []Case
	me := n.Fingerprint()
	err := n.store.Cases(n.recordKey()).Each(func(k []byte, open func(any) error) error {
		var c Case
		if err := open(&c); err != nil {
			return fmt.Errorf("case %s: %w", k, err)
		}
		if c.VisibleTo(n.profile.Role, me) {
			out = append(out, c)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("app: read cases: %w", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Updated.After(out[j].Updated) })
	return out, nil
}

// Case returns one case this node may see.
func (cl *Clinic) Case(id string) (Case, error) {
	n := cl.n
	c, err := getCase(n.store.Cases(n.recordKey()), id)
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
func (cl *Clinic) ExportFHIR(caseID string) ([]byte, error) {
	c, err := cl.Case(caseID)
	if err != nil {
		return nil, err
	}
	if c.PHR == nil {
		return nil, fmt.Errorf("case %s has no PHR", caseID)
	}
	return c.PHR.FHIRBundle(c.ID)
}

// ExportFHIRFile writes ExportFHIR's bundle of a case to path, readable
// by the owner only; it replaces path atomically, so a failed write leaves
// what was there.
func (cl *Clinic) ExportFHIRFile(caseID, path string) error {
	b, err := cl.ExportFHIR(caseID)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(path, b, 0o600, atomicfile.Replace); err != nil {
		return fmt.Errorf("write FHIR bundle of case %s: %w", caseID, err)
	}
	return nil
}
