package telehealth

import (
	"reflect"
	"testing"
)

// TestPermit: each role may start its own action and no other.
func TestPermit(t *testing.T) {
	own := map[string]Role{ActionSubmitPHR: RolePatient, ActionRefer: RoleHospital, ActionReport: RoleDoctor}
	for action, allowed := range own {
		for _, r := range []Role{RolePatient, RoleHospital, RoleDoctor, ""} {
			err := Permit(r, action)
			if r == allowed {
				checkErr(t, err, ok, r, "")
			} else {
				checkErr(t, err, refused, r, "cannot "+action)
			}
		}
	}
	if err := Permit(RolePatient, "pay a bill"); err == nil {
		t.Fatal("an unknown action was permitted")
	}
}

// TestSendRules covers every branch of the send-side rules: the wrong
// role, the wrong party, the case in the wrong state, bad content.
func TestSendRules(t *testing.T) {
	noName := PHR{Symptoms: "fever"}
	badReport := MedicalReport{Recommendations: "rest"}
	atHosp2 := submitted()
	atHosp2.Hospital = hosp2.Fingerprint
	toDoc2 := referred()
	toDoc2.Doctor = doc2.Fingerprint
	for _, tc := range []struct {
		name   string
		err    error
		want   string
		role   Role
		reason string
	}{
		{"submit: by a hospital", CheckSubmitPHR(hosp, hosp2, phr), refused, RoleHospital, "only a patient submits"},
		{"submit: by a doctor", CheckSubmitPHR(doc, hosp, phr), refused, RoleDoctor, "only a patient submits"},
		{"submit: to a doctor", CheckSubmitPHR(pat, doc, phr), refused, RolePatient, "Dr Who is a doctor; a PHR goes to a hospital"},
		{"submit: to a patient", CheckSubmitPHR(pat, pat2, phr), refused, RolePatient, "Other is a patient"},
		{"submit: PHR without a name", CheckSubmitPHR(pat, hosp, noName), invalid, "", "name is required"},
		{"submit: allowed", CheckSubmitPHR(pat, hosp, phr), ok, "", ""},

		{"refer: by a patient", CheckRefer(pat, submitted(), doc), refused, RolePatient, "only a hospital refers"},
		{"refer: by a doctor", CheckRefer(doc, submitted(), doc2), refused, RoleDoctor, "only a hospital refers"},
		{"refer: another hospital's case", CheckRefer(hosp, atHosp2, doc), refused, RoleHospital, "was not submitted to this hospital"},
		{"refer: to a patient", CheckRefer(hosp, submitted(), pat), refused, RoleHospital, "Pat is a patient, not a doctor"},
		{"refer: to a hospital", CheckRefer(hosp, submitted(), hosp2), refused, RoleHospital, "not a doctor of this hospital's roster"},
		{"refer: already referred", CheckRefer(hosp, referred(), doc), refused, RoleHospital, "case " + caseID + " is already referred"},
		{"refer: already reported", CheckRefer(hosp, reported(false), doc), refused, RoleHospital, "is already reported"},
		{"refer: allowed", CheckRefer(hosp, submitted(), doc), ok, "", ""},

		{"report: by a patient", CheckReport(pat, caseID, ptr(referred()), rep), refused, RolePatient, "only a doctor writes reports"},
		{"report: by a hospital", CheckReport(hosp, caseID, ptr(referred()), rep), refused, RoleHospital, "only a doctor writes reports"},
		{"report: no such case", CheckReport(doc, caseID, nil, rep), refused, RoleDoctor, "was not referred to this doctor"},
		{"report: another doctor's case", CheckReport(doc, caseID, ptr(toDoc2), rep), refused, RoleDoctor, "was not referred to this doctor"},
		{"report: already reported", CheckReport(doc, caseID, ptr(reported(false)), rep), refused, RoleDoctor, "is already reported"},
		{"report: without findings", CheckReport(doc, caseID, ptr(referred()), badReport), invalid, "", "findings are required"},
		{"report: allowed", CheckReport(doc, caseID, ptr(referred()), rep), ok, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) { checkErr(t, tc.err, tc.want, tc.role, tc.reason) })
	}
}

func TestSubmitPHR(t *testing.T) {
	c, w, err := SubmitPHR(pat, hosp, caseID, phr, []Attachment{labs})
	if err != nil {
		t.Fatal(err)
	}
	want := submitted()
	want.PHRTxID = ""
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("case %+v, want %+v", c, want)
	}
	// The hospital accepts what the patient sends, and holds the same case.
	o, err := Accept(hosp, pat, envelope(t, w), parsed(t, w), nil)
	if err != nil {
		t.Fatal(err)
	}
	want.PHRTxID = "tx-1"
	if !reflect.DeepEqual(o.Case, want) {
		t.Fatalf("hospital's case %+v, want %+v", o.Case, want)
	}
	if _, _, err := SubmitPHR(doc, hosp, caseID, phr, nil); err == nil {
		t.Fatal("a doctor submitted a PHR")
	}
	if _, _, err := SubmitPHR(pat, hosp, "case-1", phr, nil); err == nil {
		t.Fatal("a PHR was submitted under a bad case ID")
	}
}

func TestRefer(t *testing.T) {
	c := submitted()
	c.Attachments = append(c.Attachments, xray) // a report's file does not go with the referral
	next, ref, note, err := Refer(hosp, c, doc, pat)
	if err != nil {
		t.Fatal(err)
	}
	if next.Status != CaseReferred || next.Doctor != doc.Fingerprint || next.DoctorName != doc.Name || !next.DoctorKey.Equal(doc.Key) {
		t.Fatalf("case %+v", next)
	}
	if !reflect.DeepEqual(ref.Attachments, []Attachment{labs}) || !reflect.DeepEqual(ref.Patient, pat.Party()) || ref.Hospital.Fingerprint != hosp.Fingerprint {
		t.Fatalf("referral %+v", ref)
	}
	if note.Doctor.Fingerprint != doc.Fingerprint || note.CaseID != caseID {
		t.Fatalf("notice %+v", note)
	}
	// The doctor and the patient accept them.
	if o, err := Accept(doc, hosp, envelope(t, ref), parsed(t, ref), nil); err != nil || o.Case.Status != CaseReferred {
		t.Fatalf("doctor: %+v %v", o, err)
	}
	if o, err := Accept(pat, hosp, envelope(t, note), parsed(t, note), ptr(submitted())); err != nil || o.Case.Doctor != doc.Fingerprint {
		t.Fatalf("patient: %+v %v", o, err)
	}
	// The checks of CheckRefer hold, and the patient must be the case's.
	if _, _, _, err := Refer(hosp, referred(), doc, pat); err == nil {
		t.Fatal("a referred case was referred again")
	}
	if _, _, _, err := Refer(hosp, submitted(), doc, pat2); err == nil {
		t.Fatal("the notice went to another patient")
	}
	noPHR := submitted()
	noPHR.PHR = nil
	if _, _, _, err := Refer(hosp, noPHR, doc, pat); err == nil {
		t.Fatal("a case without a PHR was referred")
	}
}

func TestFileReport(t *testing.T) {
	sr := signedBy(docKey)
	c, err := FileReport(doc, referred(), sr)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, reported(false)) {
		t.Fatalf("case %+v, want %+v", c, reported(false))
	}
	if _, err := FileReport(doc, reported(false), sr); err == nil {
		t.Fatal("a second report was filed")
	}
	unsigned := NewReport(referred(), rep, nil, at)
	if _, err := FileReport(doc, referred(), unsigned); err == nil {
		t.Fatal("an unsigned report was filed")
	}
	if _, err := FileReport(doc, referred(), signedBy(doc2Key)); err == nil {
		t.Fatal("another doctor's report was filed")
	}
	wrong := NewReport(Case{ID: caseID, Patient: pat2.Fingerprint, Hospital: hosp.Fingerprint}, rep, nil, at)
	wrong.Sign(docKey)
	checkErr(t, func() error { _, err := FileReport(doc, referred(), wrong); return err }(), invalid, "", "other parties")
}

// TestWorkflowWalk runs the whole workflow through the rules alone: the
// PHR, the referral and its notice, the report relayed by the hospital,
// and the same report also sent directly.
func TestWorkflowWalk(t *testing.T) {
	pc, w, err := SubmitPHR(pat, hosp, caseID, phr, []Attachment{labs})
	if err != nil {
		t.Fatal(err)
	}
	o, err := Accept(hosp, pat, envelope(t, w), parsed(t, w), nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := o.Case
	hc, ref, note, err := Refer(hosp, hc, doc, pat)
	if err != nil {
		t.Fatal(err)
	}
	o, err = Accept(doc, hosp, envelope(t, ref), parsed(t, ref), nil)
	if err != nil {
		t.Fatal(err)
	}
	dc := o.Case
	if o, err = Accept(pat, hosp, envelope(t, note), parsed(t, note), &pc); err != nil {
		t.Fatal(err)
	}
	pc = o.Case
	if err := CheckReport(doc, caseID, &dc, rep); err != nil {
		t.Fatal(err)
	}
	sr := NewReport(dc, rep, []Attachment{xray}, at)
	sr.Sign(docKey)
	if dc, err = FileReport(doc, dc, sr); err != nil {
		t.Fatal(err)
	}
	toHosp := ReportBody(sr, false)
	o, err = Accept(hosp, doc, envelope(t, toHosp), parsed(t, toHosp), &hc)
	if err != nil || o.Relay == nil {
		t.Fatalf("hospital: %+v %v", o, err)
	}
	hc = o.Case
	o, err = Accept(pat, hosp, envelope(t, o.Relay), parsed(t, o.Relay), &pc)
	if err != nil {
		t.Fatal(err)
	}
	pc = o.Case
	for name, c := range map[string]Case{"patient": pc, "hospital": hc, "doctor": dc} {
		if c.Status != CaseReported || c.ReportDigest != dc.ReportDigest || !c.ReportVerified || c.Report.Findings != rep.Findings {
			t.Errorf("%s's case %+v", name, c)
		}
	}
	if !pc.ReportRelayed || hc.ReportRelayed || dc.ReportRelayed {
		t.Error("only the patient's report came relayed")
	}
	// The doctor's direct copy, arriving after the relayed one, changes
	// nothing.
	direct := ReportBody(sr, false)
	if o, err := Accept(pat, doc, envelope(t, direct), parsed(t, direct), &pc); err != nil || !reflect.DeepEqual(o.Case, pc) {
		t.Fatalf("direct copy after the relay: %+v %v", o, err)
	}
}

// parsed sends w over the wire: encoded, then decoded as a receiver does.
func parsed(t *testing.T, w *Body) *Body {
	t.Helper()
	b, err := w.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseBody(b)
	if err != nil {
		t.Fatalf("%s body refused: %v", w.Type, err)
	}
	return out
}
