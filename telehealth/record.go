package telehealth

import (
	"errors"
	"fmt"
	"time"
	"unicode/utf8"
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

// MaxFieldLen bounds each free-text field of a PHR or report.
const MaxFieldLen = 64 << 10

func checkFields(what string, fields map[string]string) error {
	for name, v := range fields {
		if len(v) > MaxFieldLen {
			return fmt.Errorf("%s: %s is %d bytes; the limit is %d", what, name, len(v), MaxFieldLen)
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
			return fmt.Errorf("PHR: date of birth %q is not YYYY-MM-DD", clip(p.DateOfBirth, 40))
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

// clip shortens s to n bytes for an error message.
func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}
