package app

import (
	"encoding/json"
	"testing"

	"qkdchat/ledger"
)

// FuzzWorkflowBody checks that any body the decoder accepts is well formed
// and survives a re-encoding.
func FuzzWorkflowBody(f *testing.F) {
	key := make([]byte, 32)
	key[0] = 1
	me := &partyRef{Fingerprint: ledger.Fingerprint(key), Name: "x", Key: key}
	for _, w := range []*workflowBody{
		{Type: bodyPHR, CaseID: "case-0123456789ab", PHR: &PHR{PatientName: "Pat", DateOfBirth: "1990-01-01"},
			Attachments: []AttachmentInfo{{Name: "a.csv", Size: 3, SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}}},
		{Type: bodyReferral, CaseID: "case-0123456789ab", PHR: &PHR{PatientName: "Pat"}, Patient: me, Hospital: me},
		{Type: bodyAssigned, CaseID: "case-0123456789ab", Doctor: me},
		{Type: bodyReport, CaseID: "case-0123456789ab", Report: &signedReport{CaseID: "case-0123456789ab", Report: MedicalReport{Findings: "ok"}}},
	} {
		b, _ := json.Marshal(w)
		f.Add(b)
	}
	f.Add([]byte(`{"type":"phr","case_id":"case-0123456789ab","phr":null}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		w, err := parseWorkflowBody(b)
		if err != nil {
			return
		}
		if !validCaseID(w.CaseID) {
			t.Fatalf("accepted case ID %q", w.CaseID)
		}
		// The refs of an accepted body are computable and re-encoding
		// gives a body that is accepted again.
		it, err := newWorkflowItem("0123456789abcdef0123456789abcdef", 2, "", w)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := it.Refs(); err != nil {
			t.Fatalf("accepted body has bad attachment refs: %v", err)
		}
		if _, err := parseWorkflowBody(it.Body); err != nil {
			t.Fatalf("re-encoded body refused: %v", err)
		}
	})
}
