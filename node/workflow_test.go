package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"qkdchat/ledger"
	"qkdchat/telehealth"
)

// waitFor polls cond until it holds, or fails the test after 60 s. It
// bounds a wait; it asserts nothing about speed.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// writeFile writes n seeded pseudo-random bytes to a file in a temp dir.
func writeFile(t *testing.T, name string, n int, seed uint64) (string, []byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, b
}

// party is a node with its event stream and what it has received.
type party struct {
	*Node
	ev <-chan Event
}

// trio pairs a patient and a doctor with a hospital (both dial the
// hospital's listener) and waits for both sessions' keys.
func trio(t *testing.T, ctx context.Context) (p, h, d party, hospAddr string) {
	t.Helper()
	p.Node = newTestNode(t, "Pat", RolePatient, BB84Settings{})
	h.Node = newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	d.Node = newTestNode(t, "Dr Who", RoleDoctor, BB84Settings{})
	for _, x := range []*party{&p, &h, &d} {
		ch, cancel := x.Events()
		t.Cleanup(cancel)
		x.ev = ch
	}
	addr, code, err := h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	// The patient pairs with the listener code, the doctor with a doctor
	// invite: only an invited (or approved) doctor is on the roster.
	if _, err := p.Connect(ctx, addr.String(), code); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, p.ev, "Pat's key", isType(EventKeyEstablished))
	inv, err := h.Invites().Create(RoleDoctor, "Dr Who", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Invites().Join(ctx, inv.Invite); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, d.ev, "Dr Who's key", isType(EventKeyEstablished))
	return p, h, d, addr.String()
}

// ledgerTxs returns the transactions of kind k and case id in n's ledger.
func ledgerTxs(t *testing.T, n *Node, k ledger.Kind, caseID string) []*ledger.Transaction {
	t.Helper()
	var out []*ledger.Transaction
	for i := int64(0); i < n.Ledger().Size(); i++ {
		tx, err := n.Ledger().Tx(i)
		if err != nil {
			t.Fatal(err)
		}
		if tx.Kind == k && tx.CaseID == caseID {
			out = append(out, tx)
		}
	}
	return out
}

func outboxEmpty(n *Node) bool {
	q, err := n.Outbox()
	return err == nil && len(q) == 0
}

func caseStatus(n *Node, id string) string {
	c, err := n.Clinic().Case(id)
	if err != nil {
		return ""
	}
	return c.Status
}

func TestWorkflowEndToEnd(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, h, d, _ := trio(t, ctx)

	labPath, lab := writeFile(t, "labs.csv", 3*AttachmentChunkSize+1234, 1)
	phr := PHR{PatientName: "Pat Doe", DateOfBirth: "1980-02-29", Symptoms: "fever, cough", Medications: "none",
		Allergies: "penicillin", Notes: "since Monday"}
	c, err := p.Clinic().SubmitPHR(ctx, "St Mary", phr, []string{labPath})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != telehealth.CaseSubmitted || !telehealth.ValidCaseID(c.ID) || len(c.Attachments) != 1 {
		t.Fatalf("submitted case %+v", c)
	}
	labHash := hex.EncodeToString(func() []byte { s := sha256.Sum256(lab); return s[:] }())
	if c.Attachments[0].SHA256 != labHash || c.Attachments[0].Name != "labs.csv" {
		t.Fatalf("attachment info %+v", c.Attachments[0])
	}

	// 1. The hospital gets the PHR and the attachment, checked by hash.
	waitFor(t, "the case at the hospital", func() bool { return caseStatus(h.Node, c.ID) == telehealth.CaseSubmitted })
	hc, _ := h.Clinic().Case(c.ID)
	if *hc.PHR != phr || hc.Patient != p.Fingerprint() || hc.PatientName != "Pat" {
		t.Fatalf("hospital's case %+v", hc)
	}
	fhirPath := filepath.Join(t.TempDir(), "phr.json")
	if err := h.Clinic().ExportFHIRFile(c.ID, fhirPath); err != nil {
		t.Fatal(err)
	}
	bundle, _ := h.Clinic().ExportFHIR(c.ID)
	if b, err := os.ReadFile(fhirPath); err != nil || !bytes.Equal(b, bundle) || !strings.Contains(string(b), `"birthDate":"1980-02-29"`) {
		t.Fatalf("FHIR file: %v\n%s", err, b)
	}
	if fi, err := os.Stat(fhirPath); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("FHIR file mode: %v, %v", fi.Mode(), err)
	}
	if err := h.Clinic().ExportFHIRFile(c.ID, filepath.Join(t.TempDir(), "no", "phr.json")); err == nil {
		t.Fatal("FHIR export into a missing directory: no error")
	}
	got, err := h.Clinic().ReadAttachment(labHash)
	if err != nil || !bytes.Equal(got, lab) {
		t.Fatalf("hospital's copy of the attachment: %v", err)
	}

	// 2. Referral to the doctor of the roster.
	if docs := h.Clinic().Doctors(); len(docs) != 1 || docs[0].Fingerprint != d.Fingerprint() {
		t.Fatalf("roster %+v", docs)
	}
	if err := h.Clinic().Refer(ctx, c.ID, "Dr Who"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the case at the doctor", func() bool { return caseStatus(d.Node, c.ID) == telehealth.CaseReferred })
	waitFor(t, "the doctor's name at the patient", func() bool { return caseStatus(p.Node, c.ID) == telehealth.CaseReferred })
	pc, _ := p.Clinic().Case(c.ID)
	if pc.Doctor != d.Fingerprint() || pc.DoctorName != "Dr Who" || !pc.DoctorKey.Equal(d.id.Public()) {
		t.Fatalf("patient's case after referral %+v", pc)
	}
	dc, _ := d.Clinic().Case(c.ID)
	if *dc.PHR != phr || dc.Patient != p.Fingerprint() || dc.Hospital != h.Fingerprint() {
		t.Fatalf("doctor's case %+v", dc)
	}
	if got, err := d.Clinic().ReadAttachment(labHash); err != nil || !bytes.Equal(got, lab) {
		t.Fatalf("doctor's copy of the attachment: %v", err)
	}

	// 3. The report, with an attachment; the doctor has no session with
	// the patient, so the hospital relays it.
	xrayPath, xray := writeFile(t, "xray.png", 70000, 2)
	rep := MedicalReport{Findings: "viral bronchitis", Recommendations: "rest", Prescriptions: "paracetamol 500 mg"}
	if err := d.Clinic().SubmitReport(ctx, c.ID, rep, []string{xrayPath}); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*Node{h.Node, p.Node} {
		waitFor(t, "the report at "+n.Profile().Name, func() bool { return caseStatus(n, c.ID) == telehealth.CaseReported })
	}
	for _, n := range []*Node{p.Node, h.Node, d.Node} {
		waitFor(t, n.Profile().Name+"'s outbox to empty", func() bool { return outboxEmpty(n) })
	}
	pc, _ = p.Clinic().Case(c.ID)
	if *pc.Report != rep || !pc.ReportVerified || !pc.ReportRelayed {
		t.Fatalf("patient's reported case %+v", pc)
	}
	xrayHash := hex.EncodeToString(func() []byte { s := sha256.Sum256(xray); return s[:] }())
	if got, err := p.Clinic().ReadAttachment(xrayHash); err != nil || !bytes.Equal(got, xray) {
		t.Fatalf("patient's copy of the report attachment: %v", err)
	}

	// Each party saw exactly what it should.
	counts := func(n *Node) map[ledger.Kind][2]int { // kind -> [sent, received]
		out := map[ledger.Kind][2]int{}
		for i := int64(0); i < n.Ledger().Size(); i++ {
			tx, _ := n.Ledger().Tx(i)
			if tx.CaseID != c.ID {
				continue
			}
			v := out[tx.Kind]
			if tx.Sender.Equal(n.id.Public()) {
				v[0]++
			} else {
				v[1]++
			}
			out[tx.Kind] = v
		}
		return out
	}
	for n, want := range map[*Node]map[ledger.Kind][2]int{
		p.Node: {ledger.KindPHR: {1, 0}, ledger.KindReferral: {0, 1}, ledger.KindReport: {0, 1}},
		h.Node: {ledger.KindPHR: {0, 1}, ledger.KindReferral: {2, 0}, ledger.KindReport: {1, 1}},
		d.Node: {ledger.KindReferral: {0, 1}, ledger.KindReport: {1, 0}},
	} {
		got := counts(n)
		if len(got) != len(want) {
			t.Errorf("%s's ledger for the case: %v, want %v", n.Profile().Name, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s's ledger: %s sent/received %v, want %v", n.Profile().Name, k, got[k], v)
			}
		}
	}
	// The doctor never exchanged anything with the patient.
	for i := int64(0); i < d.Ledger().Size(); i++ {
		tx, _ := d.Ledger().Tx(i)
		if tx.Sender.Equal(p.id.Public()) || tx.Recipient.Equal(p.id.Public()) {
			t.Fatalf("doctor's ledger holds a %s with the patient", tx.Kind)
		}
	}
	if cs, _ := d.Clinic().Cases(); len(cs) != 1 {
		t.Fatalf("doctor sees %d cases", len(cs))
	}

	// All three ledgers verify and agree on the report's hash.
	var digest [32]byte
	for i, n := range []*Node{p.Node, h.Node, d.Node} {
		if _, err := n.Ledger().Verify(ctx, nil); err != nil {
			t.Fatalf("%s's ledger: %v", n.Profile().Name, err)
		}
		for _, tx := range ledgerTxs(t, n, ledger.KindReport, c.ID) {
			var found bool
			for _, r := range tx.Attachments {
				if r.Name == telehealth.ReportDigestRef {
					found = true
					if i == 0 && digest == ([32]byte{}) {
						digest = r.SHA256
					} else if r.SHA256 != digest {
						t.Fatalf("%s's ledger records report digest %x, want %x", n.Profile().Name, r.SHA256[:8], digest[:8])
					}
				}
			}
			if !found {
				t.Fatalf("%s's report transaction has no report digest", n.Profile().Name)
			}
		}
		cs, _ := n.Clinic().Case(c.ID)
		if cs.ReportDigest != hex.EncodeToString(digest[:]) {
			t.Fatalf("%s's case digest %s", n.Profile().Name, cs.ReportDigest)
		}
	}
	// The transaction the patient sent is the one the hospital holds.
	if a, b := ledgerTxs(t, p.Node, ledger.KindPHR, c.ID), ledgerTxs(t, h.Node, ledger.KindPHR, c.ID); a[0].ID() != b[0].ID() {
		t.Fatal("patient and hospital hold different PHR transactions")
	}
	// The ledger holds the attachment's hash, not its name.
	phrTx := ledgerTxs(t, h.Node, ledger.KindPHR, c.ID)[0]
	if len(phrTx.Attachments) != 1 || hex.EncodeToString(phrTx.Attachments[0].SHA256[:]) != labHash || strings.Contains(phrTx.Attachments[0].Name, "labs") {
		t.Fatalf("PHR transaction attachments %+v", phrTx.Attachments)
	}

	// A hospital cannot alter a report: a relayed report whose content
	// was changed fails the doctor's signature at the patient.
	var sr telehealth.SignedReport
	if err := jsonUnmarshal(pc.ReportSigned, &sr); err != nil {
		t.Fatal(err)
	}
	sr.Report.Prescriptions = "morphine 100 mg"
	it, err := newWorkflowItem(newMessageID(), ledger.KindReport, "Report (altered)", &telehealth.Body{Type: telehealth.BodyReport, CaseID: c.ID, Report: &sr})
	if err != nil {
		t.Fatal(err)
	}
	pContact, _ := h.store.Contact(p.Fingerprint())
	before := p.Ledger().Size()
	if err := h.enqueue(pContact, it); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, h.ev, "the patient's refusal", func(e Event) bool { return e.Type == EventRejected && e.MessageID == it.ID })
	if !strings.Contains(e.Reason, "signature") {
		t.Fatalf("refusal reason %q", e.Reason)
	}
	if p.Ledger().Size() != before {
		t.Fatal("the patient recorded the altered report")
	}
	pc2, _ := p.Clinic().Case(c.ID)
	if pc2.Report.Prescriptions != rep.Prescriptions {
		t.Fatal("the altered report replaced the doctor's")
	}
	vs, _ := p.Clinic().Violations()
	if len(vs) != 1 || !vs[0].Incoming || vs[0].Peer != h.Fingerprint() || !strings.Contains(vs[0].Reason, "altered") {
		t.Fatalf("patient's violations %+v", vs)
	}
}

func TestRoleRulesAtTheSender(t *testing.T) {
	ctx := context.Background()
	p := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	d := newTestNode(t, "Dr Who", RoleDoctor, BB84Settings{})
	for name, err := range map[string]error{
		"patient refers":         p.Clinic().Refer(ctx, "case-000000000000", "Dr Who"),
		"hospital reports":       h.Clinic().SubmitReport(ctx, "case-000000000000", MedicalReport{Findings: "x"}, nil),
		"doctor reports unknown": d.Clinic().SubmitReport(ctx, "case-000000000000", MedicalReport{Findings: "x"}, nil),
		"doctor submits a PHR": func() error {
			_, err := d.Clinic().SubmitPHR(ctx, "St Mary", PHR{PatientName: "x"}, nil)
			return err
		}(),
		"hospital submits a PHR": func() error {
			_, err := h.Clinic().SubmitPHR(ctx, "St Mary", PHR{PatientName: "x"}, nil)
			return err
		}(),
	} {
		var re *telehealth.RoleError
		if !errors.Is(err, telehealth.ErrRoleViolation) || !errors.As(err, &re) {
			t.Errorf("%s: %v, want a role violation", name, err)
		}
	}
	for _, n := range []*Node{p, h, d} {
		vs, err := n.Clinic().Violations()
		if err != nil || len(vs) == 0 || vs[0].Incoming {
			t.Errorf("%s's recorded violations: %+v %v", n.Profile().Name, vs, err)
		}
	}
}

func TestRoleRulesAtTheReceiver(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	d := newTestNode(t, "Dr Who", RoleDoctor, BB84Settings{})
	_, pev, dev := pairNodes(t, ctx, p, d)
	waitEvent(t, pev, "key", isType(EventKeyEstablished))
	waitEvent(t, dev, "key", isType(EventKeyEstablished))
	dc, _ := p.store.Contact(d.Fingerprint())
	id := telehealth.NewCaseID()
	me := &telehealth.Party{Fingerprint: p.Fingerprint(), Name: "Pat", Key: p.id.Public()}

	// A patient's node that bypasses Refer and sends a referral anyway, and
	// a PHR sent to a doctor instead of a hospital.
	for _, w := range []*telehealth.Body{
		{Type: telehealth.BodyReferral, CaseID: id, PHR: &PHR{PatientName: "Pat"}, Patient: me, Hospital: me},
		{Type: telehealth.BodyPHR, CaseID: id, PHR: &PHR{PatientName: "Pat"}},
	} {
		kind := w.Kind()
		it, err := newWorkflowItem(newMessageID(), kind, "forged", w)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.enqueue(dc, it); err != nil {
			t.Fatal(err)
		}
		e := waitEvent(t, pev, "the doctor's refusal", func(e Event) bool { return e.Type == EventRejected && e.MessageID == it.ID })
		if !strings.Contains(e.Reason, "a patient cannot") {
			t.Fatalf("refusal %q", e.Reason)
		}
	}
	waitFor(t, "the outbox to empty", func() bool { return outboxEmpty(p) })
	if cs, _ := d.Clinic().Cases(); len(cs) != 0 {
		t.Fatalf("the doctor opened %d case(s) from a patient", len(cs))
	}
	if n := len(ledgerTxs(t, d, ledger.KindReferral, id)) + len(ledgerTxs(t, d, ledger.KindPHR, id)); n != 0 {
		t.Fatal("the doctor recorded a refused message")
	}
	vs, _ := d.Clinic().Violations()
	if len(vs) != 2 || !vs[0].Incoming || vs[0].Peer != p.Fingerprint() || vs[0].CaseID != id {
		t.Fatalf("doctor's violations %+v", vs)
	}
	// The doctor's own roster rule: a doctor sees only referred cases.
	if _, err := d.Clinic().Case(id); !errors.Is(err, ErrNoCase) {
		t.Fatalf("doctor's view of an unreferred case: %v", err)
	}
}

func TestAttachmentTooLargeIsRefusedBeforeSending(t *testing.T) {
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: "Pat", Role: RolePatient}); err != nil {
		t.Fatal(err)
	}
	p, err := Open(Options{Dir: dir, MaxAttachment: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	h := Contact{Fingerprint: "hosp", Name: "St Mary", Role: RoleHospital, PublicKey: make([]byte, 32)}
	if err := p.store.PinContact(h); err != nil {
		t.Fatal(err)
	}
	big, _ := writeFile(t, "scan.pdf", 1001, 3)
	_, err = p.Clinic().SubmitPHR(context.Background(), "St Mary", PHR{PatientName: "Pat"}, []string{big})
	var tl *AttachmentTooLargeError
	if !errors.As(err, &tl) || tl.Size != 1001 || tl.Limit != 1000 || !strings.Contains(err.Error(), "scan.pdf") {
		t.Fatalf("oversized attachment: %v", err)
	}
	if q, _ := p.Outbox(); len(q) != 0 {
		t.Fatal("something was queued")
	}
	if cs, _ := p.Clinic().Cases(); len(cs) != 0 {
		t.Fatal("a case was opened")
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// TestReportGoesDirectWhenDoctorReachesPatient: with a session between
// the doctor and the patient, the doctor delivers the report itself and
// the hospital does not relay it; the patient records it once.
func TestReportGoesDirectWhenDoctorReachesPatient(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, h, d, _ := trio(t, ctx)
	paddr, pcode, err := p.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Connect(ctx, paddr.String(), pcode); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, d.ev, "the doctor-patient key", isType(EventKeyEstablished))

	c, err := p.Clinic().SubmitPHR(ctx, "St Mary", PHR{PatientName: "Pat Doe", Symptoms: "rash"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the case at the hospital", func() bool { return caseStatus(h.Node, c.ID) == telehealth.CaseSubmitted })
	if err := h.Clinic().Refer(ctx, c.ID, d.Fingerprint()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the referral", func() bool {
		return caseStatus(d.Node, c.ID) == telehealth.CaseReferred && caseStatus(p.Node, c.ID) == telehealth.CaseReferred
	})
	if err := d.Clinic().SubmitReport(ctx, c.ID, MedicalReport{Findings: "contact dermatitis"}, nil); err != nil {
		t.Fatal(err)
	}
	for _, n := range []*Node{p.Node, h.Node} {
		waitFor(t, "the report at "+n.Profile().Name, func() bool { return caseStatus(n, c.ID) == telehealth.CaseReported })
	}
	for _, n := range []*Node{p.Node, h.Node, d.Node} {
		waitFor(t, n.Profile().Name+"'s outbox to empty", func() bool { return outboxEmpty(n) })
	}
	pc, _ := p.Clinic().Case(c.ID)
	if pc.ReportRelayed || !pc.ReportVerified || pc.Report.Findings != "contact dermatitis" {
		t.Fatalf("patient's case %+v", pc)
	}
	ptx := ledgerTxs(t, p.Node, ledger.KindReport, c.ID)
	if len(ptx) != 1 || !ptx[0].Sender.Equal(d.id.Public()) {
		t.Fatalf("patient holds %d report transaction(s), want one from the doctor", len(ptx))
	}
	for _, tx := range ledgerTxs(t, h.Node, ledger.KindReport, c.ID) {
		if tx.Sender.Equal(h.id.Public()) {
			t.Fatal("the hospital relayed a report the doctor delivered itself")
		}
	}
	if n := len(ledgerTxs(t, d.Node, ledger.KindReport, c.ID)); n != 2 {
		t.Fatalf("doctor sent %d report transactions, want 2 (hospital, patient)", n)
	}
}

// TestReferChecksThePHRAgainstTheLedger: a case whose PHR is not in the
// hospital's ledger (here: a case record with no delivered transaction)
// cannot be referred.
func TestReferChecksThePHRAgainstTheLedger(t *testing.T) {
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	p := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	d := newTestNode(t, "Dr Who", RoleDoctor, BB84Settings{})
	for _, n := range []*Node{p, d} {
		c := Contact{Fingerprint: n.Fingerprint(), PublicKey: n.id.Public(), Name: n.Profile().Name, Role: n.Profile().Role,
			RoleBasis: telehealth.BasisInvite}
		if err := h.store.PinContact(c); err != nil {
			t.Fatal(err)
		}
	}
	id := telehealth.NewCaseID()
	for _, txid := range []string{"", strings.Repeat("ab", 32)} {
		_, err := updateCase(h.store.Cases(h.recordKey()), id, func(c *Case, _ bool) error {
			*c = Case{Patient: p.Fingerprint(), Hospital: h.Fingerprint(), PHR: &PHR{PatientName: "Pat"}, Status: telehealth.CaseSubmitted, PHRTxID: txid}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = h.Clinic().Refer(context.Background(), id, "Dr Who")
		if err == nil || !strings.Contains(err.Error(), "does not check out against this hospital's ledger") {
			t.Fatalf("refer with PHR transaction %q: %v", txid, err)
		}
	}
	if q, _ := h.Outbox(); len(q) != 0 {
		t.Fatal("the referral was queued")
	}
}
