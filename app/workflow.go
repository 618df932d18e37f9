package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// The telehealth workflow (the paper's Section III and IV.A-C):
//
//  1. A patient submits a PHR to a hospital (SubmitPHR): a phr message
//     that opens a case.
//  2. The hospital refers the case to a doctor of its roster (Refer): a
//     referral message to the doctor with the PHR and its attachments,
//     sealed under the hospital-doctor session key, and a referral notice
//     to the patient naming the doctor and the doctor's key.
//  3. The doctor writes a report (SubmitReport), signed by its identity
//     key, and sends it to the hospital, and straight to the patient when
//     it has or can open a session with the patient.
//  4. Otherwise the hospital relays it to the patient; the patient checks
//     the doctor's signature either way.
//
// Every step is a reliable message (outbox.go) whose ledger transaction
// has the case ID as CaseID; its structured content is a workflowBody in
// the sealed message body.

// Types of workflowBody.
const (
	bodyPHR      = "phr"      // patient -> hospital, kind phr
	bodyReferral = "referral" // hospital -> doctor, kind referral
	bodyAssigned = "assigned" // hospital -> patient, kind referral: the doctor named
	bodyReport   = "report"   // doctor -> hospital/patient or hospital -> patient, kind report
)

// partyRef names a party of a case with its identity key.
type partyRef struct {
	Fingerprint string            `json:"fingerprint"`
	Name        string            `json:"name"`
	Key         ed25519.PublicKey `json:"key"`
}

func (p *partyRef) check(what string) error {
	if p == nil {
		return fmt.Errorf("%s missing", what)
	}
	// An older qkdchat sends the 16-digit fingerprint: accepted when it is
	// the key's, and carried on in the current form.
	if len(p.Key) != ed25519.PublicKeySize || !identity.Matches(p.Fingerprint, p.Key) {
		return fmt.Errorf("%s has no valid key", what)
	}
	p.Fingerprint = identity.Fingerprint(p.Key)
	return nil
}

// workflowBody is the sealed body of a workflow message.
type workflowBody struct {
	Type        string           `json:"type"`
	CaseID      string           `json:"case_id"`
	PHR         *PHR             `json:"phr,omitempty"`
	Attachments []AttachmentInfo `json:"attachments,omitempty"` // the PHR's (phr, referral)
	Patient     *partyRef        `json:"patient,omitempty"`     // referral
	Hospital    *partyRef        `json:"hospital,omitempty"`    // referral
	Doctor      *partyRef        `json:"doctor,omitempty"`      // assigned
	Report      *signedReport    `json:"report,omitempty"`      // report
	Direct      bool             `json:"direct,omitempty"`      // report to the hospital: the doctor also sent it to the patient
}

// maxBodyLen bounds a workflow body.
const maxBodyLen = 1 << 20

// parseWorkflowBody decodes and checks the shape of a workflow body.
func parseWorkflowBody(b []byte) (*workflowBody, error) {
	if len(b) > maxBodyLen {
		return nil, fmt.Errorf("workflow body is %d bytes; the limit is %d", len(b), maxBodyLen)
	}
	var w workflowBody
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("workflow body does not decode: %w", err)
	}
	if dec.More() {
		return nil, errors.New("workflow body has trailing data")
	}
	if !validCaseID(w.CaseID) {
		return nil, fmt.Errorf("workflow body: bad case ID %q", truncateString(w.CaseID, 40))
	}
	if len(w.Attachments) > ledger.MaxAttachments-1 {
		return nil, errors.New("workflow body: too many attachments")
	}
	for _, a := range w.Attachments {
		if err := checkAttachmentInfo(a); err != nil {
			return nil, err
		}
	}
	switch w.Type {
	case bodyPHR:
		if w.PHR == nil {
			return nil, errors.New("PHR message without a PHR")
		}
		return &w, w.PHR.Validate()
	case bodyReferral:
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
	case bodyAssigned:
		return &w, w.Doctor.check("referral notice: doctor")
	case bodyReport:
		if w.Report == nil {
			return nil, errors.New("report message without a report")
		}
		if w.Report.CaseID != w.CaseID {
			return nil, errors.New("report is about another case")
		}
		if len(w.Report.Attachments) > ledger.MaxAttachments-1 {
			return nil, errors.New("report: too many attachments")
		}
		for _, a := range w.Report.Attachments {
			if err := checkAttachmentInfo(a); err != nil {
				return nil, err
			}
		}
		return &w, nil
	}
	return nil, fmt.Errorf("unknown workflow message type %q", truncateString(w.Type, 40))
}

func checkAttachmentInfo(a AttachmentInfo) error {
	if a.Name == "" || len(a.Name) > ledger.MaxAttachNameLen || a.Size < 0 {
		return errors.New("attachment: bad name or size")
	}
	_, err := parseDigest(a.SHA256)
	return err
}

// files returns the attachments the body's message carries.
func (w *workflowBody) files() []AttachmentInfo {
	if w.Type == bodyReport {
		return w.Report.Attachments
	}
	if w.Type == bodyAssigned {
		return nil
	}
	return w.Attachments
}

// item builds the outbox item for w.
func newWorkflowItem(id string, kind ledger.Kind, text string, w *workflowBody) (*outboxItem, error) {
	body, err := json.Marshal(w)
	if err != nil {
		return nil, err
	}
	it := &outboxItem{ID: id, Kind: kind, CaseID: w.CaseID, Text: text, Body: body, Files: w.files(), Created: time.Now()}
	if w.Type == bodyReport {
		d := w.Report.digest()
		it.Extra = []ledger.AttachmentRef{{Name: reportDigestRef, Size: int64(len(w.Report.canonical())), SHA256: d}}
	}
	return it, nil
}

// Doctors returns a hospital's roster: its pinned contacts with role
// doctor.
func (n *Node) Doctors() []Contact {
	cs, err := n.store.Contacts()
	if err != nil {
		return nil
	}
	var out []Contact
	for _, c := range cs {
		if c.Role == RoleDoctor {
			out = append(out, c)
		}
	}
	return out
}

func (n *Node) importAll(paths []string, part string) ([]AttachmentInfo, error) {
	var out []AttachmentInfo
	for _, p := range paths {
		a, err := n.store.importAttachment(n.recordKey(), p, n.opts.MaxAttachment)
		if err != nil {
			return nil, err
		}
		a.Part = part
		out = append(out, a)
	}
	return out, nil
}

func (n *Node) caseEvent(c Case, reason string) {
	n.publish(Event{Type: EventCase, CaseID: c.ID, Reason: reason, State: DeliveryState("")})
}

// SubmitPHR opens a case: it sends phr and the files at attachmentPaths
// to the hospital whose fingerprint (or name) is given. Only a patient may
// submit. Each file is checked against the attachment limit before
// anything is sent. The PHR is queued and delivered when a session with
// the hospital has a key.
func (n *Node) SubmitPHR(ctx context.Context, hospitalFP string, phr PHR, attachmentPaths []string) (*Case, error) {
	const action = "submit a PHR"
	if n.profile.Role != RolePatient {
		return nil, n.refuse("", action, "only a patient submits a personal health record")
	}
	h, err := n.contactByRef(hospitalFP)
	if err != nil {
		return nil, err
	}
	if h.Role != RoleHospital {
		return nil, n.refuse("", action, fmt.Sprintf("%s is a %s; a PHR goes to a hospital", h.Name, h.Role))
	}
	if err := phr.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files, err := n.importAll(attachmentPaths, "phr")
	if err != nil {
		return nil, err
	}
	id := newCaseID()
	w := &workflowBody{Type: bodyPHR, CaseID: id, PHR: &phr, Attachments: files}
	it, err := newWorkflowItem(newMessageID(), ledger.KindPHR, fmt.Sprintf("PHR for %s (%d attachment(s))", phr.PatientName, len(files)), w)
	if err != nil {
		return nil, err
	}
	c, err := n.store.updateCase(n.recordKey(), id, func(c *Case, _ bool) error {
		*c = Case{Patient: n.Fingerprint(), PatientName: n.profile.Name, Hospital: h.Fingerprint, HospitalName: h.Name,
			PHR: &phr, Attachments: files, Status: CaseSubmitted}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := n.enqueue(h, it); err != nil {
		return nil, err
	}
	n.caseEvent(c, "PHR submitted to "+h.Name)
	return &c, nil
}

// Refer refers a case submitted to this hospital to one of its doctors
// (fingerprint or name): the PHR and its attachments go to the doctor over
// the hospital-doctor session, and the patient is told which doctor was
// assigned. Only a hospital may refer.
func (n *Node) Refer(ctx context.Context, caseID, doctorFP string) error {
	const action = "refer a case"
	if n.profile.Role != RoleHospital {
		return n.refuse(caseID, action, "only a hospital refers cases to doctors")
	}
	c, err := n.Case(caseID)
	if err != nil {
		return err
	}
	d, err := n.contactByRef(doctorFP)
	if err != nil {
		return err
	}
	if d.Role != RoleDoctor {
		return n.refuse(caseID, action, fmt.Sprintf("%s is a %s, not a doctor of this hospital's roster", d.Name, d.Role))
	}
	if c.Status != CaseSubmitted {
		return n.refuse(caseID, action, fmt.Sprintf("case %s is already %s", caseID, c.Status))
	}
	p, ok := n.store.Contact(c.Patient)
	if !ok {
		return fmt.Errorf("case %s: the patient is not a contact of this hospital", caseID)
	}
	if err := n.checkPHRRecorded(c, p); err != nil {
		return fmt.Errorf("case %s: the PHR does not check out against this hospital's ledger: %w", caseID, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	me := &partyRef{Fingerprint: n.Fingerprint(), Name: n.profile.Name, Key: n.id.Public()}
	ref := &workflowBody{Type: bodyReferral, CaseID: caseID, PHR: c.PHR, Attachments: phrFiles(c.Attachments),
		Patient: &partyRef{Fingerprint: p.Fingerprint, Name: p.Name, Key: p.PublicKey}, Hospital: me}
	refItem, err := newWorkflowItem(newMessageID(), ledger.KindReferral, fmt.Sprintf("Referral of %s (%s)", caseID, c.PHR.PatientName), ref)
	if err != nil {
		return err
	}
	note := &workflowBody{Type: bodyAssigned, CaseID: caseID, Doctor: &partyRef{Fingerprint: d.Fingerprint, Name: d.Name, Key: d.PublicKey}}
	noteItem, err := newWorkflowItem(newMessageID(), ledger.KindReferral, fmt.Sprintf("%s was assigned to your case %s", d.Name, caseID), note)
	if err != nil {
		return err
	}
	c, err = n.store.updateCase(n.recordKey(), caseID, func(c *Case, _ bool) error {
		if c.Status != CaseSubmitted {
			return &RoleError{Role: n.profile.Role, Action: action, Reason: "case is already " + c.Status}
		}
		c.Doctor, c.DoctorName, c.DoctorKey, c.Status = d.Fingerprint, d.Name, d.PublicKey, CaseReferred
		return nil
	})
	if err != nil {
		return err
	}
	if err := n.enqueue(d, refItem); err != nil {
		return err
	}
	if err := n.enqueue(p, noteItem); err != nil {
		return err
	}
	n.caseEvent(c, "referred to "+d.Name)
	return nil
}

// checkPHRRecorded checks the case's PHR against the ledger (the paper's
// step 2): the transaction that delivered it is there, verified, a PHR of
// this case from this patient to this hospital, committing to the
// attachments the case lists.
func (n *Node) checkPHRRecorded(c Case, patient Contact) error {
	id, err := ledger.ParseTxID(c.PHRTxID)
	if err != nil {
		return errors.New("the case has no PHR transaction")
	}
	_, tx, err := n.ledger.Lookup(id)
	if err != nil {
		return err
	}
	if err := tx.Verify(); err != nil {
		return err
	}
	switch {
	case tx.Kind != ledger.KindPHR, tx.CaseID != c.ID:
		return fmt.Errorf("transaction %s is a %s of %q", c.PHRTxID[:12], tx.Kind, tx.CaseID)
	case !tx.Sender.Equal(patient.PublicKey), !tx.Recipient.Equal(n.id.Public()):
		return errors.New("the PHR transaction is not from the patient to this hospital")
	}
	it := &outboxItem{Files: phrFiles(c.Attachments)}
	refs, err := it.refs()
	if err != nil {
		return err
	}
	if !sameRefs(refs, tx.Attachments) {
		return errors.New("the ledger's attachment digests differ from the case's")
	}
	return nil
}

func phrFiles(all []AttachmentInfo) []AttachmentInfo {
	var out []AttachmentInfo
	for _, a := range all {
		if a.Part != "report" {
			out = append(out, a)
		}
	}
	return out
}

// directTimeout bounds the doctor's attempt to reach the patient itself.
const directTimeout = 5 * time.Second

// SubmitReport sends the doctor's report on a case referred to it, with
// the files at attachmentPaths, signed by the doctor's identity key. It
// goes to the hospital, and straight to the patient when a session to the
// patient exists or can be opened; otherwise the hospital relays it. Only
// the doctor the case was referred to may report, once.
func (n *Node) SubmitReport(ctx context.Context, caseID string, r MedicalReport, attachmentPaths []string) error {
	const action = "write a report"
	if n.profile.Role != RoleDoctor {
		return n.refuse(caseID, action, "only a doctor writes reports")
	}
	c, err := n.Case(caseID)
	if errors.Is(err, ErrNoCase) {
		return n.refuse(caseID, action, fmt.Sprintf("case %s was not referred to this doctor", caseID))
	}
	if err != nil {
		return err
	}
	if c.Status != CaseReferred {
		return n.refuse(caseID, action, fmt.Sprintf("case %s is already %s", caseID, c.Status))
	}
	if err := r.Validate(); err != nil {
		return err
	}
	h, ok := n.store.Contact(c.Hospital)
	if !ok {
		return fmt.Errorf("case %s: the hospital is not a contact", caseID)
	}
	files, err := n.importAll(attachmentPaths, "report")
	if err != nil {
		return err
	}
	sr := &signedReport{CaseID: caseID, Patient: c.Patient, Hospital: c.Hospital, Report: r, Time: time.Now().UTC()}
	for _, f := range files {
		sr.Attachments = append(sr.Attachments, AttachmentInfo{Name: f.Name, Size: f.Size, SHA256: f.SHA256, Part: "report"})
	}
	sr.sign(n.id)
	digest := sr.digest()
	p, direct := n.reachPatient(ctx, c.Patient)
	toHospital := &workflowBody{Type: bodyReport, CaseID: caseID, Report: sr, Direct: direct}
	hItem, err := newWorkflowItem(newMessageID(), ledger.KindReport, "Report on "+caseID, toHospital)
	if err != nil {
		return err
	}
	c, err = n.store.updateCase(n.recordKey(), caseID, func(c *Case, _ bool) error {
		if c.Status != CaseReferred {
			return &RoleError{Role: n.profile.Role, Action: action, Reason: "case is already " + c.Status}
		}
		c.Report, c.Status = &r, CaseReported
		c.Attachments = append(c.Attachments, sr.Attachments...)
		c.ReportDigest, c.ReportVerified = hex.EncodeToString(digest[:]), true
		c.ReportSigned, _ = json.Marshal(sr)
		return nil
	})
	if err != nil {
		return err
	}
	if err := n.enqueue(h, hItem); err != nil {
		return err
	}
	if direct {
		pItem, err := newWorkflowItem(newMessageID(), ledger.KindReport, "Report on "+caseID, &workflowBody{Type: bodyReport, CaseID: caseID, Report: sr})
		if err != nil {
			return err
		}
		if err := n.enqueue(p, pItem); err != nil {
			return err
		}
	}
	how := "relayed by " + h.Name
	if direct {
		how = "sent to the patient directly"
	}
	n.caseEvent(c, "report sent to "+h.Name+", "+how)
	return nil
}

// reachPatient reports whether the doctor has, or can open, a session
// with the patient.
func (n *Node) reachPatient(ctx context.Context, fp string) (Contact, bool) {
	p, ok := n.store.Contact(fp)
	if !ok {
		return Contact{}, false
	}
	if _, ok := n.Session(fp); ok {
		return p, true
	}
	if p.Addr == "" {
		return p, false
	}
	dctx, cancel := context.WithTimeout(ctx, directTimeout)
	defer cancel()
	s, err := n.Reconnect(dctx, fp)
	return p, err == nil && s != nil
}

// acceptWorkflow applies the role rules to a workflow message received
// from peer and, if it is allowed and apply is set, updates this node's
// cases (and queues a relay). With apply unset it only checks, changing
// nothing: the receiver checks before it records the message and applies
// after, so a case never refers to a transaction the ledger lacks. It is
// idempotent, because a resend after a crash may apply it twice. A
// refusal is a *RoleError (or a content error) and changes nothing.
func (n *Node) acceptWorkflow(ctx context.Context, peer Contact, tx *ledger.Transaction, m *Message, apply bool) error {
	if tx.Kind == ledger.KindChat {
		return nil
	}
	me := n.profile.Role
	deny := func(action, reason string) error { return &RoleError{Role: peer.Role, Action: action, Reason: reason} }
	w, err := parseWorkflowBody(m.Body)
	if err != nil {
		return err
	}
	if w.CaseID != tx.CaseID {
		return errors.New("the body is about another case than the transaction")
	}
	// The ledger's references must be exactly the body's files (and the
	// report digest), so that the ledger commits to what was delivered.
	want, err := newWorkflowItem(m.ID, tx.Kind, "", w)
	if err != nil {
		return err
	}
	refs, err := want.refs()
	if err != nil {
		return err
	}
	if !sameRefs(refs, tx.Attachments) {
		return errors.New("the transaction's attachment references do not match the message")
	}
	wantKind := map[string]ledger.Kind{bodyPHR: ledger.KindPHR, bodyReferral: ledger.KindReferral,
		bodyAssigned: ledger.KindReferral, bodyReport: ledger.KindReport}[w.Type]
	if tx.Kind != wantKind {
		return fmt.Errorf("a %s message cannot carry a %s", tx.Kind, w.Type)
	}
	rk := n.recordKey()
	upd := caseUpdater(n.store, rk, apply)
	var reason string
	switch w.Type {
	case bodyPHR:
		if me != RoleHospital {
			return deny("send a PHR here", "a PHR goes to a hospital, and this is a "+string(me))
		}
		if peer.Role != RolePatient {
			return deny("submit a PHR", "only a patient submits a PHR")
		}
		reason = "PHR received from " + peer.Name
		err = upd(w.CaseID, func(c *Case, found bool) error {
			if found && c.Patient != peer.Fingerprint {
				return deny("submit a PHR", "case "+w.CaseID+" belongs to another patient")
			}
			if found {
				return nil // a resend
			}
			*c = Case{Patient: peer.Fingerprint, PatientName: peer.Name, Hospital: n.Fingerprint(), HospitalName: n.profile.Name,
				PHR: w.PHR, Attachments: w.Attachments, Status: CaseSubmitted, PHRTxID: m.TxID}
			return nil
		})
	case bodyReferral:
		if peer.Role != RoleHospital {
			return deny("refer a case", "only a hospital refers cases")
		}
		if me != RoleDoctor {
			return deny("refer a case to a "+string(me), "cases are referred to doctors")
		}
		if w.Hospital.Fingerprint != peer.Fingerprint {
			return deny("refer a case", "the referral names another hospital")
		}
		reason = "case referred by " + peer.Name
		err = upd(w.CaseID, func(c *Case, found bool) error {
			if found && c.Hospital != peer.Fingerprint {
				return deny("refer a case", "case "+w.CaseID+" came from another hospital")
			}
			if found {
				return nil
			}
			*c = Case{Patient: w.Patient.Fingerprint, PatientName: w.Patient.Name, Hospital: peer.Fingerprint, HospitalName: peer.Name,
				Doctor: n.Fingerprint(), DoctorName: n.profile.Name, DoctorKey: n.id.Public(),
				PHR: w.PHR, Attachments: w.Attachments, Status: CaseReferred}
			return nil
		})
		if err == nil {
			// Pin nothing, but remember how to reach the patient's key.
			n.log.Info("case referred", "case", w.CaseID)
		}
	case bodyAssigned:
		if peer.Role != RoleHospital {
			return deny("assign a doctor", "only a hospital assigns doctors")
		}
		if me != RolePatient {
			return deny("send a referral notice to a "+string(me), "referral notices go to the patient")
		}
		reason = w.Doctor.Name + " was assigned by " + peer.Name
		err = upd(w.CaseID, func(c *Case, found bool) error {
			if !found || c.Hospital != peer.Fingerprint {
				return deny("assign a doctor", "case "+w.CaseID+" was not submitted to this hospital")
			}
			if c.Status == CaseReported {
				return nil
			}
			c.Doctor, c.DoctorName, c.DoctorKey, c.Status = w.Doctor.Fingerprint, w.Doctor.Name, w.Doctor.Key, CaseReferred
			return nil
		})
	case bodyReport:
		reason, err = n.acceptReport(ctx, peer, w, m, apply)
	}
	if err != nil || !apply {
		return err
	}
	if c, err := n.store.getCase(rk, w.CaseID); err == nil {
		n.caseEvent(c, reason)
	}
	return nil
}

// acceptReport applies a report received from a doctor (by the hospital
// or, directly, by the patient) or relayed by the hospital (by the
// patient).
func (n *Node) acceptReport(ctx context.Context, peer Contact, w *workflowBody, m *Message, apply bool) (string, error) {
	deny := func(action, reason string) error { return &RoleError{Role: peer.Role, Action: action, Reason: reason} }
	me := n.profile.Role
	rk := n.recordKey()
	upd := caseUpdater(n.store, rk, apply)
	sr := w.Report
	c, err := n.store.getCase(rk, w.CaseID)
	if err != nil {
		return "", deny("send a report", "this "+string(me)+" has no case "+w.CaseID)
	}
	// A report signed by an older qkdchat (or on a case it filed) names the
	// parties by 16-digit fingerprints: compare them as such.
	if !identity.SameKey(sr.Patient, c.Patient) || !identity.SameKey(sr.Hospital, c.Hospital) {
		return "", deny("send a report", "the report names other parties than the case")
	}
	relayed := false
	var doctorKey ed25519.PublicKey
	switch {
	case me == RoleHospital && peer.Role == RoleDoctor:
		if c.Hospital != n.Fingerprint() || c.Doctor != peer.Fingerprint {
			return "", deny("report on case "+w.CaseID, "the case was not referred to this doctor")
		}
		doctorKey = peer.PublicKey
	case me == RolePatient && peer.Role == RoleDoctor:
		if c.Doctor != "" && c.Doctor != peer.Fingerprint {
			return "", deny("report on case "+w.CaseID, "another doctor was assigned to it")
		}
		doctorKey = peer.PublicKey
	case me == RolePatient && peer.Role == RoleHospital:
		if c.Hospital != peer.Fingerprint {
			return "", deny("relay a report", "case "+w.CaseID+" was not submitted to this hospital")
		}
		if len(c.DoctorKey) == 0 {
			return "", deny("relay a report", "no doctor was assigned to case "+w.CaseID)
		}
		doctorKey, relayed = c.DoctorKey, true
	default:
		return "", deny("send a report to a "+string(me), "reports go from doctors to hospitals and patients")
	}
	if err := sr.verify(doctorKey); err != nil {
		if relayed {
			return "", deny("relay an altered report", err.Error())
		}
		return "", deny("send a report", err.Error())
	}
	d := sr.digest()
	signed, _ := json.Marshal(sr)
	err = upd(w.CaseID, func(c *Case, _ bool) error {
		if c.Status == CaseReported {
			if c.ReportDigest != hex.EncodeToString(d[:]) {
				return deny("send a report", "case "+w.CaseID+" already has another report")
			}
			return nil // the same report again (direct and relayed, or a resend)
		}
		rep := sr.Report
		c.Report, c.Status = &rep, CaseReported
		c.Doctor, c.DoctorKey = sr.Doctor, sr.DoctorKey
		c.Attachments = append(phrFiles(c.Attachments), sr.Attachments...)
		c.ReportDigest, c.ReportVerified, c.ReportRelayed, c.ReportSigned = hex.EncodeToString(d[:]), true, relayed, signed
		return nil
	})
	if err != nil {
		return "", err
	}
	reason := "report received from " + peer.Name
	if relayed {
		reason = "report relayed by " + peer.Name + "; the doctor's signature verifies"
	}
	if me == RoleHospital && !w.Direct && apply {
		if err := n.relayReport(c, sr, m.ID); err != nil {
			n.log.Warn("could not queue the report for the patient", "case", c.ID, "err", err)
		} else {
			reason += "; relaying it to " + c.PatientName
		}
	}
	return reason, nil
}

// relayReport queues the doctor's signed report, unchanged, for the
// patient. Its message ID derives from the doctor's message, so a
// redelivery of that message yields no second report at the patient.
func (n *Node) relayReport(c Case, sr *signedReport, causeID string) error {
	p, ok := n.store.Contact(c.Patient)
	if !ok {
		return fmt.Errorf("the patient of %s is not a contact", c.ID)
	}
	it, err := newWorkflowItem(derivedMessageID("relay", causeID), ledger.KindReport, "Report on "+c.ID+" (relayed)",
		&workflowBody{Type: bodyReport, CaseID: c.ID, Report: sr})
	if err != nil {
		return err
	}
	return n.enqueue(p, it)
}

// caseUpdater returns updateCase, or checkCase when apply is unset.
func caseUpdater(st *Store, rk *fernet.Key, apply bool) func(id string, fn func(c *Case, found bool) error) error {
	return func(id string, fn func(c *Case, found bool) error) error {
		if !apply {
			return st.checkCase(rk, id, fn)
		}
		_, err := st.updateCase(rk, id, fn)
		return err
	}
}

func sameRefs(a, b []ledger.AttachmentRef) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
