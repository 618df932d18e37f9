package telehealth

import (
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// The receive side: whether a workflow message from a peer is allowed,
// and what it changes. Accept is idempotent, because a resend after a
// crash may bring the same message twice, and it is the dry run too: the
// node calls it before it records the message (storing nothing) and again
// inside the transaction that stores the case, so a case never refers to
// a transaction the ledger lacks.

// Envelope is what the ledger transaction that carried a workflow message
// says about it.
type Envelope struct {
	Kind   ledger.Kind
	CaseID string
	Refs   []ledger.AttachmentRef // the transaction's attachment references
	TxID   string                 // the transaction's ID (hex)
}

// Outcome is what an accepted message does.
type Outcome struct {
	Case   Case   // the case as it becomes: the caller stores it
	Reason string // what happened, in words for the case's event
	// Relay, if set, is a report the hospital must pass on, unchanged,
	// to the case's patient (the doctor did not send it directly).
	Relay *Body
}

// Accept applies the role rules to workflow message w that from sent to
// me in the transaction env, given the case me holds under w's case ID
// (nil: none). A refusal is a *RoleError naming from's role, or a content
// error; either way nothing changes.
func Accept(me, from Actor, env Envelope, w *Body, cur *Case) (Outcome, error) {
	if w.CaseID != env.CaseID {
		return Outcome{}, errors.New("the body is about another case than the transaction")
	}
	want, err := w.Refs()
	if err != nil {
		return Outcome{}, err
	}
	if !slices.Equal(want, env.Refs) {
		return Outcome{}, errors.New("the transaction's attachment references do not match the message")
	}
	if k := w.Kind(); env.Kind != k {
		return Outcome{}, fmt.Errorf("a %s message cannot carry a %s", env.Kind, w.Type)
	}
	switch w.Type {
	case BodyPHR:
		return acceptPHR(me, from, env, w, cur)
	case BodyReferral:
		return acceptReferral(me, from, w, cur)
	case BodyAssigned:
		return acceptAssigned(me, from, w, cur)
	case BodyReport:
		return acceptReport(me, from, w, cur)
	}
	return Outcome{}, fmt.Errorf("unknown workflow message type %q", clip(w.Type, 40))
}

// acceptPHR: a patient's PHR opens a case at a hospital.
func acceptPHR(me, from Actor, env Envelope, w *Body, cur *Case) (Outcome, error) {
	if me.Role != RoleHospital {
		return Outcome{}, deny(from.Role, "send a PHR here", "a PHR goes to a hospital, and this is a "+string(me.Role))
	}
	if from.Role != RolePatient {
		return Outcome{}, deny(from.Role, ActionSubmitPHR, "only a patient submits a PHR")
	}
	return openCase(from, ActionSubmitPHR, "PHR received from "+from.Name, cur,
		func(c *Case) string { return c.Patient }, "case "+w.CaseID+" belongs to another patient",
		Case{ID: w.CaseID, Patient: from.Fingerprint, PatientName: from.Name, Hospital: me.Fingerprint, HospitalName: me.Name,
			PHR: w.PHR, Attachments: w.Attachments, Status: CaseSubmitted, PHRTxID: env.TxID})
}

// acceptReferral: a hospital's referral opens the case at the doctor.
func acceptReferral(me, from Actor, w *Body, cur *Case) (Outcome, error) {
	if from.Role != RoleHospital {
		return Outcome{}, deny(from.Role, ActionRefer, "only a hospital refers cases")
	}
	if me.Role != RoleDoctor {
		return Outcome{}, deny(from.Role, "refer a case to a "+string(me.Role), "cases are referred to doctors")
	}
	if w.Hospital.Fingerprint != from.Fingerprint {
		return Outcome{}, deny(from.Role, ActionRefer, "the referral names another hospital")
	}
	return openCase(from, ActionRefer, "case referred by "+from.Name, cur,
		func(c *Case) string { return c.Hospital }, "case "+w.CaseID+" came from another hospital",
		Case{ID: w.CaseID, Patient: w.Patient.Fingerprint, PatientName: w.Patient.Name, Hospital: from.Fingerprint, HospitalName: from.Name,
			Doctor: me.Fingerprint, DoctorName: me.Name, DoctorKey: me.Key,
			PHR: w.PHR, Attachments: w.Attachments, Status: CaseReferred})
}

// openCase is the outcome of a message that opens a case (a PHR at the
// hospital, a referral at the doctor): fresh when there is no case yet;
// the case unchanged when it is a resend by the party that owns the case
// (owner's fingerprint); a refusal (clash) when another party owns it.
func openCase(from Actor, action, reason string, cur *Case, owner func(*Case) string, clash string, fresh Case) (Outcome, error) {
	if cur == nil {
		return Outcome{Case: fresh, Reason: reason}, nil
	}
	if owner(cur) != from.Fingerprint {
		return Outcome{}, deny(from.Role, action, clash)
	}
	return Outcome{Case: *cur, Reason: reason}, nil // a resend
}

// acceptAssigned: the hospital's notice tells the patient its doctor.
func acceptAssigned(me, from Actor, w *Body, cur *Case) (Outcome, error) {
	if from.Role != RoleHospital {
		return Outcome{}, deny(from.Role, "assign a doctor", "only a hospital assigns doctors")
	}
	if me.Role != RolePatient {
		return Outcome{}, deny(from.Role, "send a referral notice to a "+string(me.Role), "referral notices go to the patient")
	}
	if cur == nil || cur.Hospital != from.Fingerprint {
		return Outcome{}, deny(from.Role, "assign a doctor", "case "+w.CaseID+" was not submitted to this hospital")
	}
	out := Outcome{Case: *cur, Reason: w.Doctor.Name + " was assigned by " + from.Name}
	if cur.Status == CaseReported {
		return out, nil // the report overtook the notice
	}
	c := &out.Case
	c.Doctor, c.DoctorName, c.DoctorKey, c.Status = w.Doctor.Fingerprint, w.Doctor.Name, w.Doctor.Key, CaseReferred
	return out, nil
}

// acceptReport: a report from the doctor (at the hospital or, directly,
// at the patient) or relayed by the hospital (at the patient).
func acceptReport(me, from Actor, w *Body, cur *Case) (Outcome, error) {
	const action = "send a report"
	sr := w.Report
	if cur == nil {
		return Outcome{}, deny(from.Role, action, "this "+string(me.Role)+" has no case "+w.CaseID)
	}
	// A report signed by an older qkdchat (or on a case it filed) names
	// the parties by 16-digit fingerprints: compare them as such.
	if !identity.SameKey(sr.Patient, cur.Patient) || !identity.SameKey(sr.Hospital, cur.Hospital) {
		return Outcome{}, deny(from.Role, action, "the report names other parties than the case")
	}
	doctorKey, relayed, err := reportPath(me, from, cur)
	if err != nil {
		return Outcome{}, err
	}
	if err := sr.Verify(doctorKey); err != nil {
		if relayed {
			return Outcome{}, deny(from.Role, "relay an altered report", err.Error())
		}
		return Outcome{}, deny(from.Role, action, err.Error())
	}
	out := Outcome{Case: *cur, Reason: "report received from " + from.Name}
	if relayed {
		out.Reason = "report relayed by " + from.Name + "; the doctor's signature verifies"
	}
	if me.Role == RoleHospital && !w.Direct {
		out.Relay = ReportBody(sr, false)
	}
	if cur.Status == CaseReported {
		if d := sr.Digest(); cur.ReportDigest != hex.EncodeToString(d[:]) {
			return Outcome{}, deny(from.Role, action, "case "+w.CaseID+" already has another report")
		}
		return out, nil // the same report again (direct and relayed, or a resend)
	}
	out.Case = withReport(*cur, sr, relayed)
	return out, nil
}

// reportPath says which way a report may reach me from from on case c:
// the key of the doctor who must have signed it, and whether the hospital
// relayed it.
func reportPath(me, from Actor, c *Case) (doctorKey ed25519.PublicKey, relayed bool, err error) {
	switch {
	case me.Role == RoleHospital && from.Role == RoleDoctor:
		if c.Hospital != me.Fingerprint || c.Doctor != from.Fingerprint {
			return nil, false, deny(from.Role, "report on case "+c.ID, "the case was not referred to this doctor")
		}
		return from.Key, false, nil
	case me.Role == RolePatient && from.Role == RoleDoctor:
		if c.Doctor != "" && c.Doctor != from.Fingerprint {
			return nil, false, deny(from.Role, "report on case "+c.ID, "another doctor was assigned to it")
		}
		return from.Key, false, nil
	case me.Role == RolePatient && from.Role == RoleHospital:
		if c.Hospital != from.Fingerprint {
			return nil, false, deny(from.Role, "relay a report", "case "+c.ID+" was not submitted to this hospital")
		}
		if len(c.DoctorKey) == 0 {
			return nil, false, deny(from.Role, "relay a report", "no doctor was assigned to case "+c.ID)
		}
		return c.DoctorKey, true, nil
	}
	return nil, false, deny(from.Role, "send a report to a "+string(me.Role), "reports go from doctors to hospitals and patients")
}
