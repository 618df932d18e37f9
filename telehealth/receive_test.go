package telehealth

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"qkdchat/identity/identitytest"
	"qkdchat/ledger"
)

// Bodies as their senders build them.
func phrBody() *Body {
	p := phr
	return &Body{Type: BodyPHR, CaseID: caseID, PHR: &p, Attachments: []Attachment{labs}}
}

func referralBody(from Actor) *Body {
	p := phr
	return &Body{Type: BodyReferral, CaseID: caseID, PHR: &p, Attachments: []Attachment{labs}, Patient: pat.Party(), Hospital: from.Party()}
}

func noticeBody(d Actor) *Body { return &Body{Type: BodyAssigned, CaseID: caseID, Doctor: d.Party()} }

func reportBody(sr *SignedReport, direct bool) *Body { return ReportBody(sr, direct) }

// outcome kinds of a rule test.
const (
	ok      = ""
	refused = "role"    // a *RoleError naming the sender's role
	invalid = "content" // an error that is not a role violation
)

type acceptCase struct {
	name     string
	me, from Actor
	body     *Body
	cur      *Case
	env      func(e *Envelope) // tampers with the transaction
	want     string            // ok, refused, invalid
	reason   string            // in the error, or in the outcome's reason
	check    func(t *testing.T, o Outcome)
}

// TestAccept covers every branch of the receive rules: each role
// receiving each kind from each role, a case in the wrong state or of the
// wrong party, a transaction that does not match its body, a tampered or
// foreign report signature, and the resends that must change nothing.
func TestAccept(t *testing.T) {
	good := signedBy(docKey)
	tampered := signedBy(docKey)
	tampered.Report.Prescriptions = "morphine 100 mg"
	foreign := signedBy(doc2Key) // a valid signature, by another doctor
	other := signedBy(docKey)
	other.Report.Findings = "something else" // another report on the same case, re-signed
	other.Sign(docKey)
	wrongParties := NewReport(Case{ID: caseID, Patient: pat2.Fingerprint, Hospital: hosp.Fingerprint}, rep, nil, at)
	wrongParties.Sign(docKey)
	wrongHospital := NewReport(Case{ID: caseID, Patient: pat.Fingerprint, Hospital: hosp2.Fingerprint}, rep, nil, at)
	wrongHospital.Sign(docKey)
	unknown := &Body{Type: "bill", CaseID: caseID}
	older := signedByOlder(docKey) // 16-digit fingerprints, signed before an upgrade
	olderOtherPatient := signedByOlder(docKey)
	olderOtherPatient.Patient = identitytest.LegacyFingerprint(pat2Key.Public())
	olderOtherPatient.Signature = docKey.Sign(olderOtherPatient.Canonical())
	olderOtherHospital := signedByOlder(docKey)
	olderOtherHospital.Hospital = identitytest.LegacyFingerprint(hosp2Key.Public())
	olderOtherHospital.Signature = docKey.Sign(olderOtherHospital.Canonical())

	patientView := referred() // the patient after the referral notice
	noDoctor := submitted()   // the patient before it
	patientAtOtherHospital := referred()
	patientAtOtherHospital.Hospital = hosp2.Fingerprint
	referredToDoc2 := referred()
	referredToDoc2.Doctor, referredToDoc2.DoctorKey = doc2.Fingerprint, doc2.Key
	ofOtherPatient := submitted()
	ofOtherPatient.Patient = pat2.Fingerprint
	noKey := submitted()
	noKey.Status = CaseReferred // told of a referral, but no doctor key
	fromOtherHospital := referred()
	fromOtherHospital.Hospital = hosp2.Fingerprint

	status := func(s string) func(t *testing.T, o Outcome) {
		return func(t *testing.T, o Outcome) {
			t.Helper()
			if o.Case.Status != s {
				t.Fatalf("status %q, want %q", o.Case.Status, s)
			}
		}
	}
	same := func(c Case) func(t *testing.T, o Outcome) {
		return func(t *testing.T, o Outcome) {
			t.Helper()
			if !reflect.DeepEqual(o.Case, c) || o.Relay != nil {
				t.Fatalf("outcome %+v, want the case unchanged (%+v) and no relay", o, c)
			}
		}
	}

	cases := []acceptCase{
		// The transaction must match its body.
		{name: "envelope: body about another case", me: hosp, from: pat, body: phrBody(),
			env: func(e *Envelope) { e.CaseID = "case-0123456789ac" }, want: invalid, reason: "another case"},
		{name: "envelope: attachment digest differs", me: hosp, from: pat, body: phrBody(),
			env: func(e *Envelope) { e.Refs[0].SHA256[0] ^= 1 }, want: invalid, reason: "attachment references"},
		{name: "envelope: attachment size differs", me: hosp, from: pat, body: phrBody(),
			env: func(e *Envelope) { e.Refs[0].Size++ }, want: invalid, reason: "attachment references"},
		{name: "envelope: attachment missing", me: hosp, from: pat, body: phrBody(),
			env: func(e *Envelope) { e.Refs = nil }, want: invalid, reason: "attachment references"},
		{name: "envelope: extra attachment", me: hosp, from: pat, body: phrBody(),
			env: func(e *Envelope) { e.Refs = append(e.Refs, e.Refs[0]) }, want: invalid, reason: "attachment references"},
		{name: "envelope: report digest differs", me: pat, from: doc, body: reportBody(good, false), cur: ptr(patientView),
			env: func(e *Envelope) { e.Refs[len(e.Refs)-1].SHA256[0] ^= 1 }, want: invalid, reason: "attachment references"},
		{name: "envelope: report without digest ref", me: pat, from: doc, body: reportBody(good, false), cur: ptr(patientView),
			env: func(e *Envelope) { e.Refs = e.Refs[:len(e.Refs)-1] }, want: invalid, reason: "attachment references"},
		{name: "envelope: PHR in a referral transaction", me: hosp, from: pat, body: phrBody(),
			env: func(e *Envelope) { e.Kind = ledger.KindReferral }, want: invalid, reason: "cannot carry a phr"},
		{name: "envelope: report in a chat transaction", me: pat, from: doc, body: reportBody(good, false), cur: ptr(patientView),
			env: func(e *Envelope) { e.Kind = ledger.KindChat }, want: invalid, reason: "cannot carry a report"},
		{name: "envelope: body with a bad attachment digest", me: hosp, from: pat,
			body: &Body{Type: BodyPHR, CaseID: caseID, PHR: &phr, Attachments: []Attachment{{Name: "x", SHA256: "zz"}}}, want: invalid, reason: "not 64 hex digits"},
		{name: "envelope: unknown body type", me: hosp, from: pat, body: unknown, want: invalid, reason: "unknown workflow message type"},

		// PHR: patient -> hospital.
		{name: "phr: to a doctor", me: doc, from: pat, body: phrBody(), want: refused, reason: "a PHR goes to a hospital, and this is a doctor"},
		{name: "phr: to a patient", me: pat2, from: pat, body: phrBody(), want: refused, reason: "this is a patient"},
		{name: "phr: from a hospital", me: hosp, from: hosp2, body: phrBody(), want: refused, reason: "only a patient submits a PHR"},
		{name: "phr: from a doctor", me: hosp, from: doc, body: phrBody(), want: refused, reason: "only a patient submits a PHR"},
		{name: "phr: case of another patient", me: hosp, from: pat, body: phrBody(), cur: ptr(ofOtherPatient), want: refused, reason: "belongs to another patient"},
		{name: "phr: resend", me: hosp, from: pat, body: phrBody(), cur: ptr(submitted()), reason: "PHR received from Pat", check: same(submitted())},
		{name: "phr: opens the case", me: hosp, from: pat, body: phrBody(), reason: "PHR received from Pat",
			check: func(t *testing.T, o Outcome) {
				want := submitted()
				want.PHRTxID = "tx-1"
				if !reflect.DeepEqual(o.Case, want) || o.Relay != nil {
					t.Fatalf("case %+v, want %+v", o.Case, want)
				}
			}},

		// Referral: hospital -> doctor.
		{name: "referral: from a patient", me: doc, from: pat, body: referralBody(pat), want: refused, reason: "a patient cannot refer a case: only a hospital refers cases"},
		{name: "referral: from a doctor", me: doc, from: doc2, body: referralBody(doc2), want: refused, reason: "only a hospital refers cases"},
		{name: "referral: to a hospital", me: hosp2, from: hosp, body: referralBody(hosp), want: refused, reason: "refer a case to a hospital"},
		{name: "referral: to a patient", me: pat, from: hosp, body: referralBody(hosp), want: refused, reason: "refer a case to a patient"},
		{name: "referral: names another hospital", me: doc, from: hosp, body: referralBody(hosp2), want: refused, reason: "names another hospital"},
		{name: "referral: case from another hospital", me: doc, from: hosp, body: referralBody(hosp), cur: ptr(fromOtherHospital), want: refused, reason: "came from another hospital"},
		{name: "referral: resend", me: doc, from: hosp, body: referralBody(hosp), cur: ptr(referred()), reason: "case referred by St Mary", check: same(referred())},
		{name: "referral: opens the case at the doctor", me: doc, from: hosp, body: referralBody(hosp), reason: "case referred by St Mary",
			check: func(t *testing.T, o Outcome) {
				want := referred()
				want.PHRTxID = "" // the doctor has no PHR transaction
				if !reflect.DeepEqual(o.Case, want) {
					t.Fatalf("case %+v, want %+v", o.Case, want)
				}
			}},

		// Referral notice: hospital -> patient.
		{name: "notice: from a patient", me: pat, from: pat2, body: noticeBody(doc), cur: ptr(noDoctor), want: refused, reason: "only a hospital assigns doctors"},
		{name: "notice: from a doctor", me: pat, from: doc, body: noticeBody(doc), cur: ptr(noDoctor), want: refused, reason: "only a hospital assigns doctors"},
		{name: "notice: to a doctor", me: doc, from: hosp, body: noticeBody(doc), cur: ptr(referred()), want: refused, reason: "send a referral notice to a doctor"},
		{name: "notice: to a hospital", me: hosp2, from: hosp, body: noticeBody(doc), want: refused, reason: "send a referral notice to a hospital"},
		{name: "notice: no such case", me: pat, from: hosp, body: noticeBody(doc), want: refused, reason: "was not submitted to this hospital"},
		{name: "notice: case at another hospital", me: pat, from: hosp, body: noticeBody(doc), cur: ptr(patientAtOtherHospital), want: refused, reason: "was not submitted to this hospital"},
		{name: "notice: after the report", me: pat, from: hosp, body: noticeBody(doc2), cur: ptr(reported(false)), reason: "Dr No was assigned by St Mary", check: same(reported(false))},
		{name: "notice: names the doctor", me: pat, from: hosp, body: noticeBody(doc), cur: ptr(noDoctor), reason: "Dr Who was assigned by St Mary",
			check: func(t *testing.T, o Outcome) {
				if !reflect.DeepEqual(o.Case, referred()) {
					t.Fatalf("case %+v, want %+v", o.Case, referred())
				}
			}},

		// Report: doctor -> hospital, doctor -> patient, hospital -> patient.
		{name: "report: no such case", me: hosp, from: doc, body: reportBody(good, false), want: refused, reason: "this hospital has no case"},
		{name: "report: names another patient", me: hosp, from: doc, body: reportBody(wrongParties, false), cur: ptr(referred()), want: refused, reason: "other parties than the case"},
		{name: "report: names another hospital", me: pat, from: doc, body: reportBody(wrongHospital, false), cur: ptr(patientView), want: refused, reason: "other parties than the case"},
		{name: "report of an older qkdchat: names another patient", me: hosp, from: doc, body: reportBody(olderOtherPatient, false), cur: ptr(referred()), want: refused, reason: "other parties than the case"},
		{name: "report of an older qkdchat: names another hospital", me: pat, from: hosp, body: reportBody(olderOtherHospital, false), cur: ptr(patientView), want: refused, reason: "other parties than the case"},
		{name: "report of an older qkdchat at hospital: relays it", me: hosp, from: doc, body: reportBody(older, false), cur: ptr(referred()), reason: "report received from Dr Who",
			check: func(t *testing.T, o Outcome) {
				if o.Case.Status != CaseReported || !o.Case.ReportVerified || o.Relay == nil || o.Relay.Report != older {
					t.Fatalf("outcome %+v, want the case reported and the report relayed unchanged", o)
				}
			}},
		{name: "report of an older qkdchat at patient: direct", me: pat, from: doc, body: reportBody(older, false), cur: ptr(patientView), check: status(CaseReported)},
		{name: "report of an older qkdchat at patient: relayed", me: pat, from: hosp, body: reportBody(older, false), cur: ptr(patientView), reason: "the doctor's signature verifies", check: status(CaseReported)},
		{name: "report at hospital: case of another hospital", me: hosp2, from: doc, body: reportBody(good, false), cur: ptr(referred()), want: refused, reason: "not referred to this doctor"},
		{name: "report at hospital: another doctor's case", me: hosp, from: doc2, body: reportBody(foreign, false), cur: ptr(referred()), want: refused, reason: "not referred to this doctor"},
		{name: "report at hospital: signed by another doctor", me: hosp, from: doc, body: reportBody(foreign, false), cur: ptr(referred()), want: refused, reason: "not by the doctor assigned"},
		{name: "report at hospital: tampered", me: hosp, from: doc, body: reportBody(tampered, false), cur: ptr(referred()), want: refused, reason: "a doctor cannot send a report: the doctor's signature"},
		{name: "report at hospital: relays it", me: hosp, from: doc, body: reportBody(good, false), cur: ptr(referred()), reason: "report received from Dr Who",
			check: func(t *testing.T, o Outcome) {
				if !reflect.DeepEqual(o.Case, reported(false)) {
					t.Fatalf("case %+v, want %+v", o.Case, reported(false))
				}
				if o.Relay == nil || o.Relay.Report != good || o.Relay.Direct || o.Relay.Type != BodyReport || o.Relay.CaseID != caseID {
					t.Fatalf("relay %+v, want the doctor's report unchanged", o.Relay)
				}
			}},
		{name: "report at hospital: sent direct, no relay", me: hosp, from: doc, body: reportBody(good, true), cur: ptr(referred()), reason: "report received from Dr Who",
			check: func(t *testing.T, o Outcome) {
				if o.Relay != nil || o.Case.Status != CaseReported {
					t.Fatalf("outcome %+v", o)
				}
			}},
		{name: "report at hospital: resend relays again", me: hosp, from: doc, body: reportBody(good, false), cur: ptr(reported(false)),
			check: func(t *testing.T, o Outcome) {
				if !reflect.DeepEqual(o.Case, reported(false)) || o.Relay == nil {
					t.Fatalf("outcome %+v", o)
				}
			}},
		{name: "report at hospital: a second, other report", me: hosp, from: doc, body: reportBody(other, false), cur: ptr(reported(false)), want: refused, reason: "already has another report"},
		{name: "report at patient: from another doctor", me: pat, from: doc2, body: reportBody(foreign, false), cur: ptr(patientView), want: refused, reason: "another doctor was assigned"},
		{name: "report at patient: direct", me: pat, from: doc, body: reportBody(good, false), cur: ptr(patientView), reason: "report received from Dr Who",
			check: func(t *testing.T, o Outcome) {
				if !reflect.DeepEqual(o.Case, reported(false)) || o.Relay != nil {
					t.Fatalf("outcome %+v", o)
				}
			}},
		{name: "report at patient: direct, before the notice", me: pat, from: doc, body: reportBody(good, false), cur: ptr(noDoctor), check: status(CaseReported)},
		{name: "report at patient: direct, tampered", me: pat, from: doc, body: reportBody(tampered, false), cur: ptr(patientView), want: refused, reason: "send a report: the doctor's signature"},
		{name: "report at patient: relayed from another hospital", me: pat, from: hosp2, body: reportBody(good, false), cur: ptr(patientView), want: refused, reason: "relay a report: case " + caseID + " was not submitted"},
		{name: "report at patient: relayed, no doctor known", me: pat, from: hosp, body: reportBody(good, false), cur: ptr(noKey), want: refused, reason: "no doctor was assigned"},
		{name: "report at patient: relayed, tampered", me: pat, from: hosp, body: reportBody(tampered, false), cur: ptr(patientView), want: refused, reason: "relay an altered report"},
		{name: "report at patient: relayed, signed by another doctor", me: pat, from: hosp, body: reportBody(foreign, false), cur: ptr(patientView), want: refused, reason: "relay an altered report: report is signed by"},
		{name: "report at patient: relayed", me: pat, from: hosp, body: reportBody(good, false), cur: ptr(patientView), reason: "report relayed by St Mary; the doctor's signature verifies",
			check: func(t *testing.T, o Outcome) {
				if !reflect.DeepEqual(o.Case, reported(true)) || o.Relay != nil {
					t.Fatalf("outcome %+v", o)
				}
			}},
		{name: "report at patient: relayed after direct", me: pat, from: hosp, body: reportBody(good, false), cur: ptr(reported(false)), check: same(reported(false))},
		{name: "report at patient: another report relayed after", me: pat, from: hosp, body: reportBody(other, false), cur: ptr(reported(false)), want: refused, reason: "already has another report"},
		{name: "report: to a doctor", me: doc, from: hosp, body: reportBody(good, false), cur: ptr(referred()), want: refused, reason: "send a report to a doctor"},
		{name: "report: hospital to hospital", me: hosp2, from: hosp, body: reportBody(good, false), cur: ptr(referred()), want: refused, reason: "reports go from doctors"},
		{name: "report: patient to hospital", me: hosp, from: pat, body: reportBody(good, false), cur: ptr(referred()), want: refused, reason: "a patient cannot send a report to a hospital"},
		{name: "report: patient to patient", me: pat, from: pat2, body: reportBody(good, false), cur: ptr(patientView), want: refused, reason: "send a report to a patient"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := envelope(t, tc.body)
			if tc.env != nil {
				tc.env(&env)
			}
			var before Case
			if tc.cur != nil {
				before = deepCopy(*tc.cur)
			}
			o, err := Accept(tc.me, tc.from, env, tc.body, tc.cur)
			if tc.cur != nil && !reflect.DeepEqual(*tc.cur, before) {
				t.Fatal("Accept changed the case it was given")
			}
			checkErr(t, err, tc.want, tc.from.Role, tc.reason)
			if err != nil {
				return
			}
			if !strings.Contains(o.Reason, tc.reason) {
				t.Errorf("reason %q, want it to contain %q", o.Reason, tc.reason)
			}
			if o.Case.ID != caseID {
				t.Errorf("case ID %q", o.Case.ID)
			}
			if tc.check != nil {
				tc.check(t, o)
			}
		})
	}
}

// checkErr asserts the kind of err: nil, a *RoleError naming role, or a
// content error; and that it says reason.
func checkErr(t *testing.T, err error, want string, role Role, reason string) {
	t.Helper()
	var re *RoleError
	switch want {
	case ok:
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	case refused:
		if !errors.Is(err, ErrRoleViolation) || !errors.As(err, &re) {
			t.Fatalf("err = %v, want a role violation", err)
		}
		if re.Role != role {
			t.Fatalf("role violation by %q, want %q: %v", re.Role, role, err)
		}
	case invalid:
		if err == nil || errors.Is(err, ErrRoleViolation) {
			t.Fatalf("err = %v, want a content error", err)
		}
	}
	if !strings.Contains(err.Error(), reason) {
		t.Fatalf("err = %q, want it to contain %q", err, reason)
	}
}

// deepCopy copies the slices and pointers of c, so that a change through
// the original shows.
func deepCopy(c Case) Case {
	c.Attachments = append([]Attachment(nil), c.Attachments...)
	c.DoctorKey = append([]byte(nil), c.DoctorKey...)
	c.ReportSigned = append([]byte(nil), c.ReportSigned...)
	if c.PHR != nil {
		p := *c.PHR
		c.PHR = &p
	}
	if c.Report != nil {
		r := *c.Report
		c.Report = &r
	}
	return c
}
