package telehealth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// SignedReport is a report as the doctor signs it: the content, the case
// and its parties, and the attachments by digest. The signature is by the
// doctor's identity key over reportSigContext and the canonical encoding,
// so a hospital that relays it cannot change a byte unnoticed.
type SignedReport struct {
	CaseID      string            `json:"case_id"`
	Patient     string            `json:"patient"`
	Hospital    string            `json:"hospital"`
	Doctor      string            `json:"doctor"`
	DoctorKey   ed25519.PublicKey `json:"doctor_key"`
	Report      MedicalReport     `json:"report"`
	Attachments []Attachment      `json:"attachments,omitempty"`
	Time        time.Time         `json:"time"`
	Signature   []byte            `json:"signature"`
}

const reportSigContext = "qkdchat signed report v1\n"

// ReportDigestRef is the name of the attachment reference under which a
// report transaction commits to the report's digest: every ledger that
// records the report (the doctor's, the hospital's, the patient's) holds
// the same digest, whichever way the report travelled.
const ReportDigestRef = "report-digest"

// Signer signs with a doctor's identity key (an *identity.Identity).
type Signer interface {
	Public() ed25519.PublicKey
	Sign(msg []byte) []byte
}

// NewReport returns the unsigned report of the doctor on case c, made at
// t, listing the report's files.
func NewReport(c Case, r MedicalReport, files []Attachment, t time.Time) *SignedReport {
	sr := &SignedReport{CaseID: c.ID, Patient: c.Patient, Hospital: c.Hospital, Report: r, Time: t}
	for _, f := range files {
		sr.Attachments = append(sr.Attachments, Attachment{Name: f.Name, Size: f.Size, SHA256: f.SHA256, Part: PartReport})
	}
	return sr
}

// Canonical returns the bytes the doctor signs: length-prefixed fields in
// a fixed order, so that equal reports encode equally.
func (r *SignedReport) Canonical() []byte {
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

// Digest is the SHA-256 of the canonical encoding.
func (r *SignedReport) Digest() [32]byte { return sha256.Sum256(r.Canonical()) }

// DigestRef is the ledger reference by which a report transaction commits
// to the report.
func (r *SignedReport) DigestRef() ledger.AttachmentRef {
	return ledger.AttachmentRef{Name: ReportDigestRef, Size: int64(len(r.Canonical())), SHA256: r.Digest()}
}

// Sign signs the report as the doctor whose key id holds.
func (r *SignedReport) Sign(id Signer) {
	r.DoctorKey = id.Public()
	r.Doctor = identity.Fingerprint(r.DoctorKey)
	r.Signature = id.Sign(r.Canonical())
}

// ErrReportSignature means a report's signature does not verify.
var ErrReportSignature = errors.New("the doctor's signature on the report does not verify: the report was altered or not written by that doctor")

// Verify checks the report's signature against the expected doctor key.
// A report signed by an older qkdchat names the doctor by the 16-digit
// fingerprint, which its signature covers: it verifies when that is the
// key's.
func (r *SignedReport) Verify(doctor ed25519.PublicKey) error {
	if len(doctor) != ed25519.PublicKeySize || len(r.DoctorKey) != ed25519.PublicKeySize {
		return errors.New("no valid doctor key for this report")
	}
	if !r.DoctorKey.Equal(doctor) || !identity.Matches(r.Doctor, doctor) {
		return fmt.Errorf("report is signed by %s, not by the doctor assigned to the case", identity.Fingerprint(r.DoctorKey))
	}
	if err := r.Report.Validate(); err != nil {
		return err
	}
	if !ed25519.Verify(doctor, r.Canonical(), r.Signature) {
		return ErrReportSignature
	}
	return nil
}
