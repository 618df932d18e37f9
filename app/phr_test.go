package app

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"qkdchat/identity"
)

func TestPHRFHIRBundle(t *testing.T) {
	p := PHR{PatientName: "Pat Doe", DateOfBirth: "1980-02-29", Symptoms: "fever, cough", Medications: "ibuprofen 200 mg; salbutamol",
		Allergies: "penicillin", Notes: "since Monday"}
	b, err := p.FHIRBundle("case-0123456789ab")
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		ResourceType string `json:"resourceType"`
		ID           string `json:"id"`
		Type         string `json:"type"`
		Entry        []struct {
			FullURL  string         `json:"fullUrl"`
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.ResourceType != "Bundle" || bundle.Type != "collection" || bundle.ID != "case-0123456789ab" {
		t.Fatalf("bundle header %+v", bundle)
	}
	var types []string
	for _, e := range bundle.Entry {
		types = append(types, e.Resource["resourceType"].(string))
	}
	want := []string{"Patient", "Observation", "Observation", "MedicationStatement", "MedicationStatement", "AllergyIntolerance"}
	if len(types) != len(want) {
		t.Fatalf("entries %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("entries %v, want %v", types, want)
		}
	}
	pat := bundle.Entry[0].Resource
	if pat["birthDate"] != "1980-02-29" || pat["name"].([]any)[0].(map[string]any)["text"] != "Pat Doe" {
		t.Fatalf("patient %v", pat)
	}
	med := bundle.Entry[4].Resource["medicationCodeableConcept"].(map[string]any)["text"]
	subj := bundle.Entry[4].Resource["subject"].(map[string]any)["reference"]
	if med != "salbutamol" || subj != bundle.Entry[0].FullURL {
		t.Fatalf("medication %v subject %v", med, subj)
	}
	if _, err := (PHR{}).FHIRBundle("x"); err == nil {
		t.Fatal("a PHR without a name was exported")
	}
}

// TestSignedReportCoversEveryField changes each signed field in turn: the
// signature must no longer verify.
func TestSignedReportCoversEveryField(t *testing.T) {
	id, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	base := signedReport{CaseID: "case-0123456789ab", Patient: "p", Hospital: "h", Report: MedicalReport{Findings: "f", Recommendations: "r", Prescriptions: "x"},
		Attachments: []AttachmentInfo{{Name: "a.png", Size: 3, SHA256: "ab"}}, Time: time.Unix(1700000000, 5).UTC()}
	base.sign(id)
	if err := base.verify(id.Public()); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(r *signedReport){
		"case":            func(r *signedReport) { r.CaseID = "case-0123456789ac" },
		"patient":         func(r *signedReport) { r.Patient = "q" },
		"hospital":        func(r *signedReport) { r.Hospital = "i" },
		"findings":        func(r *signedReport) { r.Report.Findings = "g" },
		"recommendations": func(r *signedReport) { r.Report.Recommendations = "s" },
		"prescriptions":   func(r *signedReport) { r.Report.Prescriptions = "y" },
		"time":            func(r *signedReport) { r.Time = r.Time.Add(1) },
		"attachment hash": func(r *signedReport) { r.Attachments[0].SHA256 = "ac" },
		"attachment size": func(r *signedReport) { r.Attachments[0].Size = 4 },
		"attachment name": func(r *signedReport) { r.Attachments[0].Name = "b.png" },
		"attachment gone": func(r *signedReport) { r.Attachments = nil },
		"field boundary": func(r *signedReport) {
			r.Report.Findings, r.Report.Recommendations = "fr", ""
		},
	} {
		r := base
		r.Attachments = append([]AttachmentInfo(nil), base.Attachments...)
		change(&r)
		if err := r.verify(id.Public()); !errors.Is(err, ErrReportSignature) {
			t.Errorf("%s changed: verify = %v, want ErrReportSignature", name, err)
		}
	}
	other, _ := identity.LoadOrCreate(t.TempDir())
	if err := base.verify(other.Public()); err == nil {
		t.Error("report verified against another doctor's key")
	}
}
