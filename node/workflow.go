package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
	"qkdchat/telehealth"
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
// has the case ID as CaseID; its structured content is a telehealth.Body
// in the sealed message body. Which step is allowed, and what it does to
// the case, is decided by the pure functions of package telehealth; this
// file does the I/O around them: it looks up contacts and cases, imports
// files, stores the case the rule returns, queues the bodies it returns
// and publishes events.

// newWorkflowItem builds the outbox item that carries w.
func newWorkflowItem(id string, kind ledger.Kind, text string, w *telehealth.Body) (*outboxItem, error) {
	body, err := w.Encode()
	if err != nil {
		return nil, err
	}
	return &outboxItem{ID: id, Kind: kind, CaseID: w.CaseID, Text: text, Body: body, Files: storeFiles(w.Files()),
		Extra: w.Extra(), Created: time.Now()}, nil
}

// Doctors returns a hospital's roster: its pinned contacts with role
// doctor that joined with a doctor invite or that it approved
// (telehealth.CheckRosterDoctor).
func (cl *Clinic) Doctors() []Contact {
	n := cl.n
	cs, err := n.store.Contacts()
	if err != nil {
		return nil
	}
	var out []Contact
	for _, c := range cs {
		if telehealth.CheckRosterDoctor(contactActor(c)) == nil {
			out = append(out, c)
		}
	}
	return out
}

// importFiles stores the files at paths as attachments of part (phr,
// report), each checked against limit.
func importFiles(st *Store, rk *fernet.Key, limit int64, paths []string, part string) ([]telehealth.Attachment, error) {
	var out []telehealth.Attachment
	for _, p := range paths {
		a, err := st.Attachments(rk).Import(p, limit)
		if err != nil {
			return nil, err
		}
		a.Part = part
		out = append(out, telehealth.Attachment(a))
	}
	return out, nil
}

// caseEvent announces a change of case c.
func caseEvent(c Case, reason string) Event {
	return Event{Type: EventCase, CaseID: c.ID, Reason: reason, State: DeliveryState("")}
}

// SubmitPHR opens a case: it sends phr and the files at attachmentPaths
// to the hospital whose fingerprint (or name) is given. Only a patient may
// submit. Each file is checked against the attachment limit before
// anything is sent. The PHR is queued and delivered when a session with
// the hospital has a key.
func (cl *Clinic) SubmitPHR(ctx context.Context, hospitalFP string, phr PHR, attachmentPaths []string) (*Case, error) {
	n := cl.n
	if err := telehealth.Permit(n.profile.Role, telehealth.ActionSubmitPHR); err != nil {
		return nil, cl.refused("", err)
	}
	h, err := n.contactByRef(hospitalFP)
	if err != nil {
		return nil, err
	}
	me, hospital := actorOf(n.profile, n.id), contactActor(h)
	if err := telehealth.CheckSubmitPHR(me, hospital, phr); err != nil {
		return nil, cl.refused("", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	files, err := importFiles(n.store, n.recordKey(), n.opts.MaxAttachment, attachmentPaths, telehealth.PartPHR)
	if err != nil {
		return nil, err
	}
	nc, w, err := telehealth.SubmitPHR(me, hospital, telehealth.NewCaseID(), phr, files)
	if err != nil {
		return nil, cl.refused("", err)
	}
	it, err := newWorkflowItem(newMessageID(), ledger.KindPHR, fmt.Sprintf("PHR for %s (%d attachment(s))", phr.PatientName, len(files)), w)
	if err != nil {
		return nil, err
	}
	c, err := updateCase(n.store.Cases(n.recordKey()), nc.ID, func(c *Case, _ bool) error {
		*c = nc
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := n.enqueue(h, it); err != nil {
		return nil, err
	}
	n.publish(caseEvent(c, "PHR submitted to "+h.Name))
	return &c, nil
}

// Refer refers a case submitted to this hospital to one of its doctors
// (fingerprint or name): the PHR and its attachments go to the doctor over
// the hospital-doctor session, and the patient is told which doctor was
// assigned. Only a hospital may refer.
func (cl *Clinic) Refer(ctx context.Context, caseID, doctorFP string) error {
	n := cl.n
	if err := telehealth.Permit(n.profile.Role, telehealth.ActionRefer); err != nil {
		return cl.refused(caseID, err)
	}
	c, err := cl.Case(caseID)
	if err != nil {
		return err
	}
	d, err := n.contactByRef(doctorFP)
	if err != nil {
		return err
	}
	me, doctor := actorOf(n.profile, n.id), contactActor(d)
	if err := telehealth.CheckRefer(me, c, doctor); err != nil {
		return cl.refused(caseID, err)
	}
	p, ok := n.store.Contact(c.Patient)
	if !ok {
		return fmt.Errorf("case %s: the patient is not a contact of this hospital", caseID)
	}
	if err := phrRecorded(n.ledger, n.id.Public(), c, p); err != nil {
		return fmt.Errorf("case %s: the PHR does not check out against this hospital's ledger: %w", caseID, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	_, ref, note, err := telehealth.Refer(me, c, doctor, contactActor(p))
	if err != nil {
		return cl.refused(caseID, err)
	}
	refItem, err := newWorkflowItem(newMessageID(), ledger.KindReferral, fmt.Sprintf("Referral of %s (%s)", caseID, c.PHR.PatientName), ref)
	if err != nil {
		return err
	}
	noteItem, err := newWorkflowItem(newMessageID(), ledger.KindReferral, fmt.Sprintf("%s was assigned to your case %s", d.Name, caseID), note)
	if err != nil {
		return err
	}
	// Again under the store's lock: another referral may have come first.
	c, err = updateCase(n.store.Cases(n.recordKey()), caseID, func(c *Case, _ bool) error {
		nc, _, _, err := telehealth.Refer(me, *c, doctor, contactActor(p))
		*c = nc
		return err
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
	n.publish(caseEvent(c, "referred to "+d.Name))
	return nil
}

// phrRecorded checks the case's PHR against the hospital's ledger (the
// paper's step 2): the transaction that delivered it is there, verified, a
// PHR of this case from this patient to this hospital (key me),
// committing to the attachments the case lists.
func phrRecorded(l *ledger.Ledger, me ed25519.PublicKey, c Case, patient Contact) error {
	id, err := ledger.ParseTxID(c.PHRTxID)
	if err != nil {
		return errors.New("the case has no PHR transaction")
	}
	_, tx, err := l.Lookup(id)
	if err != nil {
		return err
	}
	if err := tx.Verify(); err != nil {
		return err
	}
	switch {
	case tx.Kind != ledger.KindPHR, tx.CaseID != c.ID:
		return fmt.Errorf("transaction %s is a %s of %q", c.PHRTxID[:12], tx.Kind, tx.CaseID)
	case !tx.Sender.Equal(patient.PublicKey), !tx.Recipient.Equal(me):
		return errors.New("the PHR transaction is not from the patient to this hospital")
	}
	w := &telehealth.Body{Type: telehealth.BodyPHR, CaseID: c.ID, Attachments: telehealth.PHRFiles(c.Attachments)}
	want, err := w.Refs()
	if err != nil {
		return err
	}
	if !slices.Equal(want, tx.Attachments) {
		return errors.New("the ledger's attachment digests differ from the case's")
	}
	return nil
}

// directTimeout bounds the doctor's attempt to reach the patient itself.
const directTimeout = 5 * time.Second

// SubmitReport sends the doctor's report on a case referred to it, with
// the files at attachmentPaths, signed by the doctor's identity key. It
// goes to the hospital, and straight to the patient when a session to the
// patient exists or can be opened; otherwise the hospital relays it. Only
// the doctor the case was referred to may report, once.
func (cl *Clinic) SubmitReport(ctx context.Context, caseID string, r MedicalReport, attachmentPaths []string) error {
	n := cl.n
	if err := telehealth.Permit(n.profile.Role, telehealth.ActionReport); err != nil {
		return cl.refused(caseID, err)
	}
	var held *Case
	c, err := cl.Case(caseID)
	switch {
	case err == nil:
		held = &c
	case !errors.Is(err, ErrNoCase):
		return err
	}
	me := actorOf(n.profile, n.id)
	if err := telehealth.CheckReport(me, caseID, held, r); err != nil {
		return cl.refused(caseID, err)
	}
	h, ok := n.store.Contact(c.Hospital)
	if !ok {
		return fmt.Errorf("case %s: the hospital is not a contact", caseID)
	}
	files, err := importFiles(n.store, n.recordKey(), n.opts.MaxAttachment, attachmentPaths, telehealth.PartReport)
	if err != nil {
		return err
	}
	sr := telehealth.NewReport(c, r, files, time.Now().UTC())
	sr.Sign(n.id)
	p, direct := cl.reachPatient(ctx, c.Patient)
	hItem, err := newWorkflowItem(newMessageID(), ledger.KindReport, "Report on "+caseID, telehealth.ReportBody(sr, direct))
	if err != nil {
		return err
	}
	c, err = updateCase(n.store.Cases(n.recordKey()), caseID, func(c *Case, _ bool) error {
		nc, err := telehealth.FileReport(me, *c, sr)
		*c = nc
		return err
	})
	if err != nil {
		return err
	}
	if err := n.enqueue(h, hItem); err != nil {
		return err
	}
	if direct {
		pItem, err := newWorkflowItem(newMessageID(), ledger.KindReport, "Report on "+caseID, telehealth.ReportBody(sr, false))
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
	n.publish(caseEvent(c, "report sent to "+h.Name+", "+how))
	return nil
}

// reachPatient reports whether the doctor has, or can open, a session
// with the patient.
func (cl *Clinic) reachPatient(ctx context.Context, fp string) (Contact, bool) {
	n := cl.n
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
