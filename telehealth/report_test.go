package telehealth

import (
	"crypto/ed25519"
	"errors"
	"testing"
	"time"
)

// testKey is an identity key held in memory: a Signer for the tests.
type testKey struct{ priv ed25519.PrivateKey }

func newKey(seed byte) testKey {
	s := make([]byte, ed25519.SeedSize)
	s[0] = seed
	return testKey{ed25519.NewKeyFromSeed(s)}
}

func (k testKey) Public() ed25519.PublicKey { return k.priv.Public().(ed25519.PublicKey) }
func (k testKey) Sign(msg []byte) []byte    { return ed25519.Sign(k.priv, msg) }

// TestSignedReportCoversEveryField changes each signed field in turn: the
// signature must no longer verify.
func TestSignedReportCoversEveryField(t *testing.T) {
	id := newKey(1)
	base := SignedReport{CaseID: "case-0123456789ab", Patient: "p", Hospital: "h", Report: MedicalReport{Findings: "f", Recommendations: "r", Prescriptions: "x"},
		Attachments: []Attachment{{Name: "a.png", Size: 3, SHA256: "ab"}}, Time: time.Unix(1700000000, 5).UTC()}
	base.Sign(id)
	if err := base.Verify(id.Public()); err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(r *SignedReport){
		"case":            func(r *SignedReport) { r.CaseID = "case-0123456789ac" },
		"patient":         func(r *SignedReport) { r.Patient = "q" },
		"hospital":        func(r *SignedReport) { r.Hospital = "i" },
		"findings":        func(r *SignedReport) { r.Report.Findings = "g" },
		"recommendations": func(r *SignedReport) { r.Report.Recommendations = "s" },
		"prescriptions":   func(r *SignedReport) { r.Report.Prescriptions = "y" },
		"time":            func(r *SignedReport) { r.Time = r.Time.Add(1) },
		"attachment hash": func(r *SignedReport) { r.Attachments[0].SHA256 = "ac" },
		"attachment size": func(r *SignedReport) { r.Attachments[0].Size = 4 },
		"attachment name": func(r *SignedReport) { r.Attachments[0].Name = "b.png" },
		"attachment gone": func(r *SignedReport) { r.Attachments = nil },
		"field boundary": func(r *SignedReport) {
			r.Report.Findings, r.Report.Recommendations = "fr", ""
		},
	} {
		r := base
		r.Attachments = append([]Attachment(nil), base.Attachments...)
		change(&r)
		if err := r.Verify(id.Public()); !errors.Is(err, ErrReportSignature) {
			t.Errorf("%s changed: verify = %v, want ErrReportSignature", name, err)
		}
	}
	other := newKey(2)
	if err := base.Verify(other.Public()); err == nil {
		t.Error("report verified against another doctor's key")
	}
}
