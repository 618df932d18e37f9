package telehealth

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestParseBody covers every branch of the body decoder: each shape it
// refuses, and each type it accepts.
func TestParseBody(t *testing.T) {
	enc := func(w *Body) string {
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	with := func(f func(w *Body)) string {
		w := referralBody(hosp)
		f(w)
		return enc(w)
	}
	bad := Attachment{Name: "x", Size: 1, SHA256: "nothex"}
	many := make([]Attachment, 256)
	for i := range many {
		many[i] = labs
	}
	badKey := pat.Party()
	badKey.Fingerprint = doc.Fingerprint
	longName := labs
	longName.Name = strings.Repeat("n", 256)
	negative := labs
	negative.Size = -1
	report := reportBody(signedBy(docKey), false)
	for _, tc := range []struct {
		name, body, err string
	}{
		{"too long", `{"type":"phr","notes":"` + strings.Repeat("x", MaxBodyLen) + `"}`, "the limit is"},
		{"not JSON", `{"type":`, "does not decode"},
		{"unknown field", `{"type":"phr","case_id":"` + caseID + `","price":3}`, "does not decode"},
		{"trailing data", enc(phrBody()) + `{}`, "trailing data"},
		{"bad case ID", strings.Replace(enc(phrBody()), caseID, "case-XYZ", 1), "bad case ID"},
		{"too many attachments", with(func(w *Body) { w.Attachments = many }), "too many attachments"},
		{"attachment without a name", with(func(w *Body) { w.Attachments = []Attachment{{SHA256: labs.SHA256}} }), "bad name or size"},
		{"attachment name too long", with(func(w *Body) { w.Attachments = []Attachment{longName} }), "bad name or size"},
		{"attachment of negative size", with(func(w *Body) { w.Attachments = []Attachment{negative} }), "bad name or size"},
		{"attachment digest not hex", with(func(w *Body) { w.Attachments = []Attachment{bad} }), "not 64 hex digits"},
		{"phr without a PHR", enc(&Body{Type: BodyPHR, CaseID: caseID}), "without a PHR"},
		{"phr with a bad PHR", enc(&Body{Type: BodyPHR, CaseID: caseID, PHR: &PHR{PatientName: "x", DateOfBirth: "1 May"}}), "not YYYY-MM-DD"},
		{"referral without the PHR", with(func(w *Body) { w.PHR = nil }), "referral without the PHR"},
		{"referral with a bad PHR", with(func(w *Body) { w.PHR = &PHR{} }), "name is required"},
		{"referral without the patient", with(func(w *Body) { w.Patient = nil }), "referral: patient missing"},
		{"referral: patient's key is not its fingerprint's", with(func(w *Body) { w.Patient = badKey }), "referral: patient has no valid key"},
		{"referral: patient's key is short", with(func(w *Body) { w.Patient.Key = w.Patient.Key[:31] }), "referral: patient has no valid key"},
		{"referral without the hospital", with(func(w *Body) { w.Hospital = nil }), "referral: hospital missing"},
		{"notice without the doctor", enc(&Body{Type: BodyAssigned, CaseID: caseID}), "referral notice: doctor missing"},
		{"report without a report", enc(&Body{Type: BodyReport, CaseID: caseID}), "without a report"},
		{"report about another case", strings.Replace(enc(report), `"case_id":"`+caseID+`","patient"`, `"case_id":"case-0123456789ac","patient"`, 1), "about another case"},
		{"report with too many attachments", enc(&Body{Type: BodyReport, CaseID: caseID, Report: &SignedReport{CaseID: caseID, Attachments: many}}), "report: too many attachments"},
		{"report with a bad attachment", enc(&Body{Type: BodyReport, CaseID: caseID, Report: &SignedReport{CaseID: caseID, Attachments: []Attachment{bad}}}), "not 64 hex digits"},
		{"unknown type", enc(&Body{Type: "bill", CaseID: caseID}), `unknown workflow message type "bill"`},
		{"phr", enc(phrBody()), ""},
		{"referral", enc(referralBody(hosp)), ""},
		{"notice", enc(noticeBody(doc)), ""},
		{"report", enc(report), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := ParseBody([]byte(tc.body))
			if tc.err == "" {
				if err != nil || w == nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestBodyKindAndFiles(t *testing.T) {
	sr := signedBy(docKey)
	for _, tc := range []struct {
		w     *Body
		kind  string
		files int
		refs  int
	}{
		{phrBody(), "phr", 1, 1},
		{referralBody(hosp), "referral", 1, 1},
		{&Body{Type: BodyAssigned, CaseID: caseID, Doctor: doc.Party(), Attachments: []Attachment{labs}}, "referral", 0, 0},
		{reportBody(sr, false), "report", 1, 2},
		{&Body{Type: "bill"}, "kind(0)", 0, 0},
	} {
		refs, err := tc.w.Refs()
		if tc.w.Kind().String() != tc.kind || len(tc.w.Files()) != tc.files || len(refs) != tc.refs || err != nil {
			t.Errorf("%s: kind %s, %d files, %d refs (%v); want %s, %d, %d", tc.w.Type, tc.w.Kind(), len(tc.w.Files()), len(refs), err, tc.kind, tc.files, tc.refs)
		}
	}
	refs, _ := reportBody(sr, false).Refs()
	if last := refs[len(refs)-1]; last.Name != ReportDigestRef || last.SHA256 != sr.Digest() || last.Size != int64(len(sr.Canonical())) {
		t.Fatalf("report digest ref %+v", last)
	}
	if refs[0].Name != "file-1" || refs[0].Size != xray.Size {
		t.Fatalf("file ref %+v", refs[0])
	}
}
