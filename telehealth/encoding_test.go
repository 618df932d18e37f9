package telehealth

import (
	"bytes"
	"crypto/ed25519"
	_ "embed"
	"encoding/json"
	"testing"
	"time"

	"qkdchat/identity"
)

// goldenEncoding was written by the old app types (commit e7b1a31). It is
// embedded, so the test reads no file at run time.
//
//go:embed testdata/encoding.golden.json
var goldenEncoding []byte

// TestEncodingGolden: a stored case, every kind of workflow body, the
// signed report's canonical form and the FHIR export encode byte for byte
// as they did before the types moved here from package app.
// testdata/encoding.golden.json was written by the old app types (commit
// e7b1a31); a node must read the cases it stored and the messages its
// peers send exactly as before, and a report signed before must verify.
func TestEncodingGolden(t *testing.T) {
	key := ed25519.NewKeyFromSeed(make([]byte, 32)).Public().(ed25519.PublicKey)
	// The old types named keys by the 16 digits an older qkdchat printed.
	fp := identity.Fingerprint(key)[:len("0000 0000 0000 0000")]
	at := time.Date(2026, 11, 30, 7, 0, 0, 123456789, time.UTC)
	att := []Attachment{{Name: "labs.csv", Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Part: "phr"},
		{Name: "xray.png", Size: 70000, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", Part: "report"}}
	phr := PHR{PatientName: "Pat Doe", DateOfBirth: "1980-02-29", Symptoms: "fever, cough", Medications: "ibuprofen; salbutamol", Allergies: "penicillin", Notes: "since Monday"}
	rep := MedicalReport{Findings: "viral bronchitis", Recommendations: "rest", Prescriptions: "paracetamol 500 mg"}
	sr := &SignedReport{CaseID: "case-0123456789ab", Patient: "pfp", Hospital: "hfp", Doctor: fp, DoctorKey: key, Report: rep, Attachments: att[1:], Time: at, Signature: []byte{1, 2, 3}}
	signed, _ := json.Marshal(sr)
	c := Case{ID: "case-0123456789ab", Patient: "pfp", Hospital: "hfp", Doctor: fp, PatientName: "Pat", HospitalName: "St Mary", DoctorName: "Dr Who",
		PHR: &phr, Report: &rep, Attachments: att, Status: CaseReported, Opened: at, Updated: at.Add(time.Hour), DoctorKey: key,
		ReportDigest: "ab", ReportVerified: true, ReportRelayed: true, ReportSigned: signed, PHRTxID: "cd"}
	cb, err := json.Marshal(&c)
	if err != nil {
		t.Fatal(err)
	}
	minimal, _ := json.Marshal(&Case{ID: "case-0123456789ab", PHR: &PHR{PatientName: "x"}, Status: CaseSubmitted})
	me := &Party{Fingerprint: fp, Name: "St Mary", Key: key}
	var bodies []json.RawMessage
	for _, w := range []*Body{
		{Type: BodyPHR, CaseID: c.ID, PHR: &phr, Attachments: att[:1]},
		{Type: BodyReferral, CaseID: c.ID, PHR: &phr, Attachments: att[:1], Patient: me, Hospital: me},
		{Type: BodyAssigned, CaseID: c.ID, Doctor: me},
		{Type: BodyReport, CaseID: c.ID, Report: sr, Direct: true},
		{Type: BodyReport, CaseID: c.ID, Report: sr},
	} {
		b, err := w.Encode()
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
	}
	fhir, err := phr.FHIRBundle(c.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(map[string]any{"case": json.RawMessage(cb), "case_minimal": json.RawMessage(minimal), "bodies": bodies,
		"canonical": sr.Canonical(), "fhir": json.RawMessage(fhir)})
	if err != nil {
		t.Fatal(err)
	}
	if want := goldenEncoding; !bytes.Equal(got, want) {
		t.Fatalf("encoding changed:\n got %s\nwant %s", got, want)
	}

	// And back: the old encodings decode to the same values, but for the
	// fingerprint of a party, which ParseBody checks against its key and
	// carries on in the current form.
	var back Case
	if err := json.Unmarshal(cb, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := json.Marshal(&back)
	if !bytes.Equal(again, cb) {
		t.Fatalf("case does not survive a round trip:\n%s\n%s", again, cb)
	}
	for i, b := range bodies {
		w, err := ParseBody(b)
		if err != nil {
			t.Fatalf("body %d: %v", i, err)
		}
		want := bytes.ReplaceAll(b, []byte(`"fingerprint":"`+fp+`"`), []byte(`"fingerprint":"`+identity.Fingerprint(key)+`"`))
		if again, _ := w.Encode(); !bytes.Equal(again, want) {
			t.Fatalf("body %d does not survive a round trip:\n got %s\nwant %s", i, again, want)
		}
	}
}
