package telehealth

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// The send side: what this node may start. Each action has a Check
// function, for the preconditions a node tests before it does any work
// (importing files, signing), and a function that checks again and
// returns the case as it becomes and the bodies to send; the node calls
// the latter inside the transaction that stores the case, so that two
// actions on one case cannot both pass.

// Actions a node starts, as a RoleError names them.
const (
	ActionSubmitPHR = "submit a PHR"
	ActionRefer     = "refer a case"
	ActionReport    = "write a report"
)

// Permit is the role rule of starting action at all: a patient submits
// PHRs, a hospital refers cases, a doctor writes reports.
func Permit(me Role, action string) error {
	var want Role
	var reason string
	switch action {
	case ActionSubmitPHR:
		want, reason = RolePatient, "only a patient submits a personal health record"
	case ActionRefer:
		want, reason = RoleHospital, "only a hospital refers cases to doctors"
	case ActionReport:
		want, reason = RoleDoctor, "only a doctor writes reports"
	default:
		return fmt.Errorf("telehealth: unknown action %q", action)
	}
	if me != want {
		return deny(me, action, reason)
	}
	return nil
}

// CheckSubmitPHR reports whether me may submit phr to hospital.
func CheckSubmitPHR(me, hospital Actor, phr PHR) error {
	if err := Permit(me.Role, ActionSubmitPHR); err != nil {
		return err
	}
	if hospital.Role != RoleHospital {
		return deny(me.Role, ActionSubmitPHR, fmt.Sprintf("%s is a %s; a PHR goes to a hospital", hospital.Name, hospital.Role))
	}
	return phr.Validate()
}

// SubmitPHR opens case id: it returns the patient's new case and the body
// of the PHR message to the hospital, with the files attached.
func SubmitPHR(me, hospital Actor, id string, phr PHR, files []Attachment) (Case, *Body, error) {
	if err := CheckSubmitPHR(me, hospital, phr); err != nil {
		return Case{}, nil, err
	}
	if !ValidCaseID(id) {
		return Case{}, nil, fmt.Errorf("telehealth: bad case ID %q", clip(id, 40))
	}
	c := Case{ID: id, Patient: me.Fingerprint, PatientName: me.Name, Hospital: hospital.Fingerprint, HospitalName: hospital.Name,
		PHR: &phr, Attachments: files, Status: CaseSubmitted}
	return c, &Body{Type: BodyPHR, CaseID: id, PHR: &phr, Attachments: files}, nil
}

// CheckRefer reports whether the hospital me may refer case c to doctor.
func CheckRefer(me Actor, c Case, doctor Actor) error {
	if err := Permit(me.Role, ActionRefer); err != nil {
		return err
	}
	if c.Hospital != me.Fingerprint {
		return deny(me.Role, ActionRefer, fmt.Sprintf("case %s was not submitted to this hospital", c.ID))
	}
	if err := CheckRosterDoctor(doctor); err != nil {
		return err
	}
	if c.Status != CaseSubmitted {
		return deny(me.Role, ActionRefer, fmt.Sprintf("case %s is already %s", c.ID, c.Status))
	}
	return nil
}

// Refer refers case c to doctor: it returns the case as it becomes, the
// referral to the doctor (the PHR and its files, the patient's and the
// hospital's keys) and the notice to patient naming the doctor.
func Refer(me Actor, c Case, doctor, patient Actor) (next Case, referral, notice *Body, err error) {
	if err := CheckRefer(me, c, doctor); err != nil {
		return Case{}, nil, nil, err
	}
	if patient.Fingerprint != c.Patient {
		return Case{}, nil, nil, fmt.Errorf("case %s: %s is not its patient", c.ID, patient.Name)
	}
	if c.PHR == nil {
		return Case{}, nil, nil, fmt.Errorf("case %s has no PHR", c.ID)
	}
	referral = &Body{Type: BodyReferral, CaseID: c.ID, PHR: c.PHR, Attachments: PHRFiles(c.Attachments),
		Patient: patient.Party(), Hospital: me.Party()}
	notice = &Body{Type: BodyAssigned, CaseID: c.ID, Doctor: doctor.Party()}
	c.Doctor, c.DoctorName, c.DoctorKey, c.Status = doctor.Fingerprint, doctor.Name, doctor.Key, CaseReferred
	return c, referral, notice, nil
}

// CheckReport reports whether the doctor me may write report r on case
// id, which it holds as c (nil: it holds no such case).
func CheckReport(me Actor, id string, c *Case, r MedicalReport) error {
	if err := Permit(me.Role, ActionReport); err != nil {
		return err
	}
	if c == nil || c.Doctor != me.Fingerprint {
		return deny(me.Role, ActionReport, fmt.Sprintf("case %s was not referred to this doctor", id))
	}
	if c.Status != CaseReferred {
		return deny(me.Role, ActionReport, fmt.Sprintf("case %s is already %s", id, c.Status))
	}
	return r.Validate()
}

// FileReport returns case c with the doctor's signed report sr filed: the
// doctor's own view of the case once it sends the report.
func FileReport(me Actor, c Case, sr *SignedReport) (Case, error) {
	if err := CheckReport(me, c.ID, &c, sr.Report); err != nil {
		return Case{}, err
	}
	if sr.CaseID != c.ID || sr.Patient != c.Patient || sr.Hospital != c.Hospital {
		return Case{}, fmt.Errorf("case %s: the report names other parties than the case", c.ID)
	}
	if err := sr.Verify(me.Key); err != nil {
		return Case{}, fmt.Errorf("case %s: %w", c.ID, err)
	}
	return withReport(c, sr, false), nil
}

// ReportBody is the body of the message that carries sr; direct (to the
// hospital) says the doctor also sent it to the patient itself.
func ReportBody(sr *SignedReport, direct bool) *Body {
	return &Body{Type: BodyReport, CaseID: sr.CaseID, Report: sr, Direct: direct}
}

// withReport returns c with the verified report sr in: reported, the
// report's files after the PHR's.
func withReport(c Case, sr *SignedReport, relayed bool) Case {
	d := sr.Digest()
	signed, _ := json.Marshal(sr) // a struct of strings, bytes and a time: cannot fail
	rep := sr.Report
	c.Report, c.Status = &rep, CaseReported
	c.Doctor, c.DoctorKey = sr.Doctor, sr.DoctorKey
	c.Attachments = append(PHRFiles(c.Attachments), sr.Attachments...)
	c.ReportDigest, c.ReportVerified, c.ReportRelayed, c.ReportSigned = hex.EncodeToString(d[:]), true, relayed, signed
	return c
}
