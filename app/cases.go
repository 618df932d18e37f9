package app

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"qkdchat/store"
)

// A case is one patient's matter as it moves through the workflow: the
// PHR submission opens it, the referral and the report update it. Every
// message about a case carries its ID as the ledger transaction's CaseID.
// Each node keeps its own view of the cases it takes part in, sealed under
// its record key in state.db.

// Case statuses, in order.
const (
	CaseSubmitted = "submitted" // the patient sent the PHR to a hospital
	CaseReferred  = "referred"  // the hospital referred it to a doctor
	CaseReported  = "reported"  // the doctor's report is in
)

// Case is one telehealth case as this node sees it.
type Case struct {
	ID                                    string
	Patient, Hospital, Doctor             string // key fingerprints; Doctor is empty until referral
	PatientName, HospitalName, DoctorName string
	PHR                                   *PHR
	Report                                *MedicalReport
	Attachments                           []AttachmentInfo // the PHR's, then the report's (Part says which)
	Status                                string           // submitted, referred, reported
	Opened, Updated                       time.Time

	// DoctorKey is the doctor's identity key, against which the report's
	// signature is checked (a patient learns it from the hospital's
	// referral notice).
	DoctorKey ed25519.PublicKey `json:",omitempty"`
	// ReportDigest is the hex SHA-256 of the report's signed encoding; the
	// ledger of every party that holds the report commits to it.
	ReportDigest string `json:",omitempty"`
	// ReportVerified says the doctor's signature on the report checked out.
	ReportVerified bool `json:",omitempty"`
	// ReportRelayed says the report came through the hospital.
	ReportRelayed bool `json:",omitempty"`
	// ReportSigned is the report as the doctor signed it (JSON).
	ReportSigned []byte `json:",omitempty"`
	// PHRTxID is the ledger transaction that delivered the PHR (hospital).
	PHRTxID string `json:",omitempty"`
}

// newCaseID returns a fresh case ID, "case-" and 12 hex digits.
func newCaseID() string {
	var b [6]byte
	rand.Read(b[:])
	return "case-" + hex.EncodeToString(b[:])
}

// validCaseID accepts the IDs newCaseID makes.
func validCaseID(id string) bool {
	rest, ok := strings.CutPrefix(id, "case-")
	if !ok || len(rest) != 12 {
		return false
	}
	for _, c := range rest {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

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

// errDryRun rolls back the transaction of checkCase.
var errDryRun = errors.New("dry run")

// checkCase runs fn as updateCase would, and stores nothing: it reports
// whether the update would be allowed.
func checkCase(cs store.Records, id string, fn func(c *Case, found bool) error) error {
	_, err := updateCase(cs, id, func(c *Case, found bool) error {
		if err := fn(c, found); err != nil {
			return err
		}
		return errDryRun
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
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
func (n *Node) Cases() ([]Case, error) {
	var out []Case
	me := n.Fingerprint()
	err := n.store.Cases(n.recordKey()).Each(func(k []byte, open func(any) error) error {
		var c Case
		if err := open(&c); err != nil {
			return fmt.Errorf("case %s: %w", k, err)
		}
		if n.caseVisible(c, me) {
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
func (n *Node) Case(id string) (Case, error) {
	c, err := getCase(n.store.Cases(n.recordKey()), id)
	if err != nil {
		return Case{}, err
	}
	if !n.caseVisible(c, n.Fingerprint()) {
		return Case{}, fmt.Errorf("case %s: %w", id, ErrNoCase)
	}
	return c, nil
}

func (n *Node) caseVisible(c Case, me string) bool {
	switch n.profile.Role {
	case RolePatient:
		return c.Patient == me
	case RoleHospital:
		return c.Hospital == me
	case RoleDoctor:
		return c.Doctor == me
	}
	return false
}
