package telehealth

import (
	"testing"
	"time"

	"qkdchat/identity"
)

// The parties of the rule tests, with keys held in memory: no network, no
// disk.
var (
	patKey, hospKey, docKey    = newKey(1), newKey(2), newKey(3)
	hosp2Key, doc2Key, pat2Key = newKey(4), newKey(5), newKey(6)
)

func actor(r Role, name string, k testKey) Actor {
	return Actor{Role: r, Fingerprint: identity.Fingerprint(k.Public()), Name: name, Key: k.Public()}
}

// invited is a as a contact that joined with an invite.
func invited(a Actor) Actor {
	a.Basis = BasisInvite
	return a
}

var (
	pat   = actor(RolePatient, "Pat", patKey)
	hosp  = actor(RoleHospital, "St Mary", hospKey)
	doc   = invited(actor(RoleDoctor, "Dr Who", docKey))
	hosp2 = actor(RoleHospital, "St Elsewhere", hosp2Key)
	doc2  = invited(actor(RoleDoctor, "Dr No", doc2Key))
	pat2  = actor(RolePatient, "Other", pat2Key)
)

const caseID = "case-0123456789ab"

var (
	labs = Attachment{Name: "labs.csv", Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Part: PartPHR}
	xray = Attachment{Name: "xray.png", Size: 5, SHA256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", Part: PartReport}
	phr  = PHR{PatientName: "Pat Doe", DateOfBirth: "1980-02-29", Symptoms: "fever"}
	rep  = MedicalReport{Findings: "viral bronchitis", Prescriptions: "rest"}
	at   = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
)

// The case in each state, as each party holds it.
func submitted() Case {
	p := phr
	return Case{ID: caseID, Patient: pat.Fingerprint, PatientName: pat.Name, Hospital: hosp.Fingerprint, HospitalName: hosp.Name,
		PHR: &p, Attachments: []Attachment{labs}, Status: CaseSubmitted, PHRTxID: "phr-tx"}
}

func referred() Case {
	c := submitted()
	c.Doctor, c.DoctorName, c.DoctorKey, c.Status = doc.Fingerprint, doc.Name, doc.Key, CaseReferred
	return c
}

// signedBy returns the report on the referred case, signed with k.
func signedBy(k testKey) *SignedReport {
	sr := NewReport(referred(), rep, []Attachment{xray}, at)
	sr.Sign(k)
	return sr
}

// reported is the case with the doctor's report filed (relayed or not).
func reported(relayed bool) Case { return withReport(referred(), signedBy(docKey), relayed) }

// envelope is the transaction that carries w, as its sender built it.
func envelope(t *testing.T, w *Body) Envelope {
	t.Helper()
	refs, _ := w.Refs() // none for a body with a bad digest: Accept must refuse it
	return Envelope{Kind: w.Kind(), CaseID: w.CaseID, Refs: refs, TxID: "tx-1"}
}

func ptr(c Case) *Case { return &c }
