package telehealth

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// Types of Body.
const (
	BodyPHR      = "phr"      // patient -> hospital, kind phr
	BodyReferral = "referral" // hospital -> doctor, kind referral
	BodyAssigned = "assigned" // hospital -> patient, kind referral: the doctor named
	BodyReport   = "report"   // doctor -> hospital/patient or hospital -> patient, kind report
)

// Party names a party of a case with its identity key.
type Party struct {
	Fingerprint string            `json:"fingerprint"`
	Name        string            `json:"name"`
	Key         ed25519.PublicKey `json:"key"`
}

// check requires the party's fingerprint to name its key. An older
// qkdchat sends the 16-digit fingerprint: accepted when it is the key's,
// and carried on in the current form, so that the rules compare
// fingerprints of one form.
func (p *Party) check(what string) error {
	if p == nil {
		return fmt.Errorf("%s missing", what)
	}
	if len(p.Key) != ed25519.PublicKeySize || !identity.Matches(p.Fingerprint, p.Key) {
		return fmt.Errorf("%s has no valid key", what)
	}
	p.Fingerprint = identity.Fingerprint(p.Key)
	return nil
}

// Body is the structured content of a workflow message, sealed in the
// message body. Its JSON encoding is the wire format: field names and
// order must not change.
type Body struct {
	Type        string        `json:"type"`
	CaseID      string        `json:"case_id"`
	PHR         *PHR          `json:"phr,omitempty"`
	Attachments []Attachment  `json:"attachments,omitempty"` // the PHR's (phr, referral)
	Patient     *Party        `json:"patient,omitempty"`     // referral
	Hospital    *Party        `json:"hospital,omitempty"`    // referral
	Doctor      *Party        `json:"doctor,omitempty"`      // assigned
	Report      *SignedReport `json:"report,omitempty"`      // report
	Direct      bool          `json:"direct,omitempty"`      // report to the hospital: the doctor also sent it to the patient
}

// MaxBodyLen bounds a workflow body.
const MaxBodyLen = 1 << 20

// ParseBody decodes and checks the shape of a workflow body.
func ParseBody(b []byte) (*Body, error) {
	if len(b) > MaxBodyLen {
		return nil, fmt.Errorf("workflow body is %d bytes; the limit is %d", len(b), MaxBodyLen)
	}
	var w Body
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("workflow body does not decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("workflow body has trailing data")
	}
	if !ValidCaseID(w.CaseID) {
		return nil, fmt.Errorf("workflow body: bad case ID %q", clip(w.CaseID, 40))
	}
	if err := checkAttachments("workflow body", w.Attachments); err != nil {
		return nil, err
	}
	switch w.Type {
	case BodyPHR:
		if w.PHR == nil {
			return nil, errors.New("PHR message without a PHR")
		}
		return &w, w.PHR.Validate()
	case BodyReferral:
		if w.PHR == nil {
			return nil, errors.New("referral without the PHR")
		}
		if err := w.Patient.check("referral: patient"); err != nil {
			return nil, err
		}
		if err := w.Hospital.check("referral: hospital"); err != nil {
			return nil, err
		}
		return &w, w.PHR.Validate()
	case BodyAssigned:
		return &w, w.Doctor.check("referral notice: doctor")
	case BodyReport:
		if w.Report == nil {
			return nil, errors.New("report message without a report")
		}
		if w.Report.CaseID != w.CaseID {
			return nil, errors.New("report is about another case")
		}
		return &w, checkAttachments("report", w.Report.Attachments)
	}
	return nil, fmt.Errorf("unknown workflow message type %q", clip(w.Type, 40))
}

// Kind is the ledger kind of the transaction that carries the body (zero
// for an unknown type).
func (w *Body) Kind() ledger.Kind {
	switch w.Type {
	case BodyPHR:
		return ledger.KindPHR
	case BodyReferral, BodyAssigned:
		return ledger.KindReferral
	case BodyReport:
		return ledger.KindReport
	}
	return 0
}

// Files returns the attachments the body's message carries.
func (w *Body) Files() []Attachment {
	switch w.Type {
	case BodyReport:
		return w.Report.Attachments
	case BodyAssigned:
		return nil
	}
	return w.Attachments
}

// Extra returns the ledger references the body's transaction commits to
// beyond its files: a report's digest.
func (w *Body) Extra() []ledger.AttachmentRef {
	if w.Type == BodyReport {
		return []ledger.AttachmentRef{w.Report.DigestRef()}
	}
	return nil
}

// Refs returns the attachment references the transaction that carries
// the body must hold, so that the ledger commits to what was delivered:
// the files, by position (file-1, file-2, ...; names travel only in the
// sealed body), size and digest, then Extra.
func (w *Body) Refs() ([]ledger.AttachmentRef, error) {
	files := w.Files()
	out := make([]ledger.AttachmentRef, 0, len(files)+1)
	for i, f := range files {
		d, err := f.digest()
		if err != nil {
			return nil, err
		}
		out = append(out, ledger.AttachmentRef{Name: fmt.Sprintf("file-%d", i+1), Size: f.Size, SHA256: d})
	}
	return append(out, w.Extra()...), nil
}

// Encode returns the body's wire encoding.
func (w *Body) Encode() ([]byte, error) { return json.Marshal(w) }
