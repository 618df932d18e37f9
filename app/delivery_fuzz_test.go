package app

import (
	"encoding/json"
	"qkdchat/identity"
	"slices"
	"testing"

	"qkdchat/telehealth"
)

// FuzzWorkflowBody checks that any body the decoder accepts is well formed
// and survives a re-encoding.
func FuzzWorkflowBody(f *testing.F) {
	key := make([]byte, 32)
	key[0] = 1
	me := &telehealth.Party{Fingerprint: identity.Fingerprint(key), Name: "x", Key: key}
	for _, w := range []*telehealth.Body{
		{Type: telehealth.BodyPHR, CaseID: "case-0123456789ab", PHR: &telehealth.PHR{PatientName: "Pat", DateOfBirth: "1990-01-01"},
			Attachments: []telehealth.Attachment{{Name: "a.csv", Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}},
		{Type: telehealth.BodyReferral, CaseID: "case-0123456789ab", PHR: &telehealth.PHR{PatientName: "Pat"}, Patient: me, Hospital: me},
		{Type: telehealth.BodyAssigned, CaseID: "case-0123456789ab", Doctor: me},
		{Type: telehealth.BodyReport, CaseID: "case-0123456789ab", Report: &telehealth.SignedReport{CaseID: "case-0123456789ab", Report: telehealth.MedicalReport{Findings: "ok"}}},
	} {
		b, _ := json.Marshal(w)
		f.Add(b)
	}
	f.Add([]byte(`{"type":"phr","case_id":"case-0123456789ab","phr":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := telehealth.ParseBody(b)
		if err != nil {
			return
		}
		if !telehealth.ValidCaseID(w.CaseID) {
			t.Fatalf("accepted case ID %q", w.CaseID)
		}
		// The refs of an accepted body are computable and re-encoding
		// gives a body that is accepted again.
		it, err := newWorkflowItem("0123456789abcdef0123456789abcdef", 2, "", w)
		if err != nil {
			t.Fatal(err)
		}
		refs, err := it.Refs()
		if err != nil {
			t.Fatalf("accepted body has bad attachment refs: %v", err)
		}
		// The refs the outbox commits to are those the receiver's rule
		// (telehealth.Accept) expects.
		if want, err := w.Refs(); err != nil || !slices.Equal(refs, want) {
			t.Fatalf("outbox refs %v, the body's %v (%v)", refs, want, err)
		}
		if _, err := telehealth.ParseBody(it.Body); err != nil {
			t.Fatalf("re-encoded body refused: %v", err)
		}
	})
}
