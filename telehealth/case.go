package telehealth

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

// A case is one patient's matter as it moves through the workflow: the
// PHR submission opens it, the referral and the report update it. Every
// message about a case carries its ID as the ledger transaction's CaseID.
// Each node keeps its own view of the cases it takes part in.

// Case statuses, in order.
const (
	CaseSubmitted = "submitted" // the patient sent the PHR to a hospital
	CaseReferred  = "referred"  // the hospital referred it to a doctor
	CaseReported  = "reported"  // the doctor's report is in
)

// Case is one telehealth case as a node sees it. Its JSON encoding is the
// node's stored record: field names and order must not change.
type Case struct {
	ID                                    string
	Patient, Hospital, Doctor             string // key fingerprints; Doctor is empty until referral
	PatientName, HospitalName, DoctorName string
	PHR                                   *PHR
	Report                                *MedicalReport
	Attachments                           []Attachment // the PHR's, then the report's (Part says which)
	Status                                string       // submitted, referred, reported
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

// VisibleTo reports whether the party with role r and fingerprint fp may
// see the case: a patient its own, a hospital those submitted to it, a
// doctor only the cases referred to it.
func (c *Case) VisibleTo(r Role, fp string) bool {
	if fp == "" {
		return false // no party; and an unreferred case has no doctor
	}
	switch r {
	case RolePatient:
		return c.Patient == fp
	case RoleHospital:
		return c.Hospital == fp
	case RoleDoctor:
		return c.Doctor == fp
	}
	return false
}

// NewCaseID returns a fresh case ID, "case-" and 12 hex digits.
func NewCaseID() string {
	var b [6]byte
	rand.Read(b[:])
	return "case-" + hex.EncodeToString(b[:])
}

// ValidCaseID accepts the IDs NewCaseID makes.
func ValidCaseID(id string) bool {
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
