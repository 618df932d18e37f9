package telehealth

import (
	"encoding/json"
	"testing"
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

// TestPHRFHIRBundleMinimal: a PHR with only a name (blank notes, "none"
// for medications) exports the patient alone.
func TestPHRFHIRBundleMinimal(t *testing.T) {
	b, err := PHR{PatientName: "Pat", Notes: "  ", Medications: "none; ,", Allergies: "None"}.FHIRBundle(caseID)
	if err != nil {
		t.Fatal(err)
	}
	var bundle struct {
		Entry []struct {
			Resource map[string]any `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(b, &bundle); err != nil {
		t.Fatal(err)
	}
	if len(bundle.Entry) != 1 || bundle.Entry[0].Resource["resourceType"] != "Patient" || bundle.Entry[0].Resource["birthDate"] != nil {
		t.Fatalf("entries %+v", bundle.Entry)
	}
}
