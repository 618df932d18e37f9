package telehealth

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"
)

// FHIRBundle exports the PHR as an HL7 FHIR R4 Bundle of type collection
// (JSON), using the models of github.com/samply/golang-fhir-models: one
// Patient (name, birth date), an Observation for the symptoms and one for
// the free-text notes, a MedicationStatement per medication and an
// AllergyIntolerance per allergy (lists split at commas, semicolons and
// new lines). Entries refer to the patient by a urn:uuid derived from
// caseID. Codes are free text: the PHR has no coded terminology.
func (p PHR) FHIRBundle(caseID string) ([]byte, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	h := sha256.Sum256([]byte("qkdchat fhir patient\x00" + caseID))
	patientURL := fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
	subject := fhir.Reference{Reference: &patientURL, Display: &p.PatientName}
	name := p.PatientName
	patient := fhir.Patient{Name: []fhir.HumanName{{Text: &name}}}
	if p.DateOfBirth != "" {
		dob := p.DateOfBirth
		patient.BirthDate = &dob
	}
	var entries []fhir.BundleEntry
	add := func(url string, r json.Marshaler) error {
		raw, err := r.MarshalJSON()
		if err != nil {
			return fmt.Errorf("FHIR export: %w", err)
		}
		u := url
		entries = append(entries, fhir.BundleEntry{FullUrl: &u, Resource: raw})
		return nil
	}
	if err := add(patientURL, patient); err != nil {
		return nil, err
	}
	text := func(s string) fhir.CodeableConcept { return fhir.CodeableConcept{Text: &s} }
	n := 0
	next := func() string {
		n++
		return fmt.Sprintf("%s-%d", patientURL, n)
	}
	for _, o := range []struct{ code, value string }{{"Symptoms", p.Symptoms}, {"Patient notes", p.Notes}} {
		if strings.TrimSpace(o.value) == "" {
			continue
		}
		v, sub := o.value, subject
		if err := add(next(), fhir.Observation{Status: fhir.ObservationStatusPreliminary, Code: text(o.code), Subject: &sub, ValueString: &v}); err != nil {
			return nil, err
		}
	}
	for _, m := range splitList(p.Medications) {
		if err := add(next(), fhir.MedicationStatement{Status: "active", MedicationCodeableConcept: text(m), Subject: subject}); err != nil {
			return nil, err
		}
	}
	for _, a := range splitList(p.Allergies) {
		c := text(a)
		if err := add(next(), fhir.AllergyIntolerance{Code: &c, Patient: subject}); err != nil {
			return nil, err
		}
	}
	id := caseID
	b := fhir.Bundle{Id: &id, Type: fhir.BundleTypeCollection, Entry: entries}
	out, err := b.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("FHIR export: %w", err)
	}
	return out, nil
}

// splitList splits a free-text list at commas, semicolons and new lines,
// dropping empty items and "none".
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == '\n' }) {
		f = strings.TrimSpace(f)
		if f != "" && !strings.EqualFold(f, "none") {
			out = append(out, f)
		}
	}
	return out
}
