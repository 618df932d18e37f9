package app

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/samply/golang-fhir-models/fhir-models/fhir"

	"qkdchat/identity"
)

// PHR is a patient's personal health record, as submitted to a hospital.
type PHR struct {
	PatientName string `json:"patient_name"`
	DateOfBirth string `json:"date_of_birth,omitempty"` // YYYY-MM-DD
	Symptoms    string `json:"symptoms,omitempty"`
	Medications string `json:"medications,omitempty"`
	Allergies   string `json:"allergies,omitempty"`
	Notes       string `json:"notes,omitempty"`
}

// MedicalReport is a doctor's report on a case.
type MedicalReport struct {
	Findings        string `json:"findings"`
	Recommendations string `json:"recommendations,omitempty"`
	Prescriptions   string `json:"prescriptions,omitempty"`
}

// maxFieldLen bounds each free-text field of a PHR or report.
const maxFieldLen = 64 << 10

func checkFields(what string, fields map[string]string) error {
	for name, v := range fields {
		if len(v) > maxFieldLen {
			return fmt.Errorf("%s: %s is %d bytes; the limit is %d", what, name, len(v), maxFieldLen)
		}
		if !utf8.ValidString(v) {
			return fmt.Errorf("%s: %s is not valid UTF-8", what, name)
		}
	}
	return nil
}

// Validate reports a PHR that cannot be submitted.
func (p PHR) Validate() error {
	if p.PatientName == "" {
		return errors.New("PHR: the patient's name is required")
	}
	if p.DateOfBirth != "" {
		if _, err := time.Parse(time.DateOnly, p.DateOfBirth); err != nil {
			return fmt.Errorf("PHR: date of birth %q is not YYYY-MM-DD", truncateString(p.DateOfBirth, 40))
		}
	}
	return checkFields("PHR", map[string]string{"patient name": p.PatientName, "symptoms": p.Symptoms,
		"medications": p.Medications, "allergies": p.Allergies, "notes": p.Notes})
}

// Validate reports a report that cannot be sent.
func (r MedicalReport) Validate() error {
	if r.Findings == "" {
		return errors.New("report: findings are required")
	}
	return checkFields("report", map[string]string{"findings": r.Findings, "recommendations": r.Recommendations,
		"prescriptions": r.Prescriptions})
}

// signedReport is a report as the doctor signs it: the content, the case
// and its parties, and the attachments by digest. The signature is by the
// doctor's identity key over reportSigContext and the canonical encoding,
// so a hospital that relays it cannot change a byte unnoticed.
type signedReport struct {
	CaseID      string            `json:"case_id"`
	Patient     string            `json:"patient"`
	Hospital    string            `json:"hospital"`
	Doctor      string            `json:"doctor"`
	DoctorKey   ed25519.PublicKey `json:"doctor_key"`
	Report      MedicalReport     `json:"report"`
	Attachments []AttachmentInfo  `json:"attachments,omitempty"`
	Time        time.Time         `json:"time"`
	Signature   []byte            `json:"signature"`
}

const reportSigContext = "qkdchat signed report v1\n"

// reportDigestRef is the name of the attachment reference under which a
// report transaction commits to the report's digest: every ledger that
// records the report (the doctor's, the hospital's, the patient's) holds
// the same digest, whichever way the report travelled.
const reportDigestRef = "report-digest"

// canonical returns the bytes the doctor signs: length-prefixed fields in
// a fixed order, so that equal reports encode equally.
func (r *signedReport) canonical() []byte {
	b := []byte(reportSigContext)
	str := func(s string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	str(r.CaseID)
	str(r.Patient)
	str(r.Hospital)
	str(r.Doctor)
	str(string(r.DoctorKey))
	str(r.Report.Findings)
	str(r.Report.Recommendations)
	str(r.Report.Prescriptions)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Time.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, uint32(len(r.Attachments)))
	for _, a := range r.Attachments {
		str(a.Name)
		b = binary.BigEndian.AppendUint64(b, uint64(a.Size))
		str(a.SHA256)
	}
	return b
}

// digest is the SHA-256 of the canonical encoding.
func (r *signedReport) digest() [32]byte { return sha256.Sum256(r.canonical()) }

func (r *signedReport) sign(id *identity.Identity) {
	r.Doctor = id.Fingerprint()
	r.DoctorKey = id.Public()
	r.Signature = id.Sign(r.canonical())
}

// ErrReportSignature means a report's signature does not verify.
var ErrReportSignature = errors.New("the doctor's signature on the report does not verify: the report was altered or not written by that doctor")

// verify checks the report's signature against the expected doctor key.
func (r *signedReport) verify(doctor ed25519.PublicKey) error {
	if len(doctor) != ed25519.PublicKeySize || len(r.DoctorKey) != ed25519.PublicKeySize {
		return errors.New("no valid doctor key for this report")
	}
	if !r.DoctorKey.Equal(doctor) || !identity.Matches(r.Doctor, doctor) { // the 16 digits of an older qkdchat, too
		return fmt.Errorf("report is signed by %s, not by the doctor assigned to the case", identity.Fingerprint(r.DoctorKey))
	}
	if err := r.Report.Validate(); err != nil {
		return err
	}
	if !ed25519.Verify(doctor, r.canonical(), r.Signature) {
		return ErrReportSignature
	}
	return nil
}

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

// ExportFHIR returns the PHR of a case this node may see as a FHIR R4
// Bundle (see PHR.FHIRBundle).
func (n *Node) ExportFHIR(caseID string) ([]byte, error) {
	c, err := n.Case(caseID)
	if err != nil {
		return nil, err
	}
	if c.PHR == nil {
		return nil, fmt.Errorf("case %s has no PHR", caseID)
	}
	return c.PHR.FHIRBundle(c.ID)
}
