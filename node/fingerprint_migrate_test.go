package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/identity/identitytest"
	"qkdchat/ledger"
	"qkdchat/telehealth"
)

// legacyState is what an older qkdchat left in a patient's and a
// hospital's state.db: everything filed under 16-digit fingerprints.
type legacyState struct {
	pdir, hdir   string
	pKey, hKey   ed25519.PublicKey
	dKey         ed25519.PublicKey // a doctor the patient never paired with
	caseID, msg  string
	seenTx       ledger.TxID
	messageKey   fernet.Key
	queuedBefore time.Time
}

// writeLegacyState makes a patient and a hospital data directory as the
// old code wrote them: the store's own functions, given the fingerprints
// the old code passed them.
func writeLegacyState(t *testing.T) *legacyState {
	t.Helper()
	ls := &legacyState{pdir: t.TempDir(), hdir: t.TempDir(), caseID: "case-0123456789ab"}
	p := openDir(t, ls.pdir, "Pat", RolePatient)
	h := openDir(t, ls.hdir, "St Mary", RoleHospital)
	ls.pKey, ls.hKey = p.id.Public(), h.id.Public()
	oldP, oldH := identitytest.LegacyFingerprint(ls.pKey), identitytest.LegacyFingerprint(ls.hKey)
	now := time.Now()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	// The patient: a pinned hospital, a queued chat message, a message
	// key, a seen message, an open case and a refused action.
	must(p.store.PinContact(Contact{Fingerprint: oldH, PublicKey: ls.hKey, Name: "St Mary", Role: RoleHospital,
		Addr: "127.0.0.1:1", PairedAt: now.Add(-time.Hour), LastSeen: now}))
	ls.msg = newMessageID()
	ls.queuedBefore = now
	if _, err := p.store.Outbox(p.recordKey()).Put(oldH, &outboxItem{ID: ls.msg, Kind: ledger.KindChat,
		Text: "queued before the upgrade", Created: now}); err != nil {
		t.Fatal(err)
	}
	must(ls.messageKey.Generate())
	must(p.store.Keys(p.recordKey()).Put(oldH, &ls.messageKey, now))
	ls.seenTx[0] = 0x42
	must(p.store.Seen().Mark(oldH, "their-msg-1", ls.seenTx))
	doc, err := identity.LoadOrCreate(t.TempDir())
	must(err)
	ls.dKey = doc.Public()
	_, err = updateCase(p.store.Cases(p.recordKey()), ls.caseID, func(c *Case, _ bool) error {
		*c = Case{Patient: oldP, PatientName: "Pat", Hospital: oldH, HospitalName: "St Mary",
			Doctor: identitytest.LegacyFingerprint(ls.dKey), DoctorName: "Dr Who", DoctorKey: ls.dKey,
			PHR: &PHR{PatientName: "Pat Doe"}, Status: telehealth.CaseReferred}
		return nil
	})
	must(err)
	p.clinic.recordViolation(Violation{Peer: oldH, PeerName: "St Mary", Incoming: true, Action: "refer a case", Reason: "test"})

	// The hospital: the patient pinned, the same case.
	must(h.store.PinContact(Contact{Fingerprint: oldP, PublicKey: ls.pKey, Name: "Pat", Role: RolePatient,
		PairedAt: now.Add(-time.Hour), LastSeen: now}))
	_, err = updateCase(h.store.Cases(h.recordKey()), ls.caseID, func(c *Case, _ bool) error {
		*c = Case{Patient: oldP, PatientName: "Pat", Hospital: oldH, HospitalName: "St Mary",
			PHR: &PHR{PatientName: "Pat Doe"}, Status: telehealth.CaseSubmitted}
		return nil
	})
	must(err)
	must(p.Close())
	must(h.Close())
	return ls
}

// stateKeys lists the keys of a top-level bucket of st, and the names of
// its nested buckets as "name/".
func stateKeys(t *testing.T, st *Store, bucket string) []string {
	t.Helper()
	out, err := st.BucketKeys(bucket)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkMigrated checks that the patient's and hospital's records are all
// found under the new fingerprints, and no key of state.db is old.
func checkMigrated(t *testing.T, ls *legacyState, p, h *Node) {
	t.Helper()
	newP, newH := identity.Fingerprint(ls.pKey), identity.Fingerprint(ls.hKey)
	oldP, oldH := identitytest.LegacyFingerprint(ls.pKey), identitytest.LegacyFingerprint(ls.hKey)

	cs, err := p.Contacts()
	if err != nil || len(cs) != 1 || cs[0].Fingerprint != newH || !cs[0].PublicKey.Equal(ls.hKey) || cs[0].Addr != "127.0.0.1:1" {
		t.Fatalf("patient's contacts after the upgrade: %+v, %v; want St Mary under %s", cs, err, newH)
	}
	if c, ok := p.store.Contact(newH); !ok || c.Name != "St Mary" || c.PairedAt.After(ls.queuedBefore.Add(-time.Minute)) {
		t.Fatalf("Contact(%s) = %+v, %v: want St Mary with her pairing time kept", newH, c, ok)
	}
	if hc, err := h.Contacts(); err != nil || len(hc) != 1 || hc[0].Fingerprint != newP {
		t.Fatalf("hospital's contacts after the upgrade: %+v, %v", hc, err)
	}
	q, err := p.Outbox()
	if err != nil || len(q) != 1 || q[0].ID != ls.msg || q[0].Peer != newH || q[0].PeerName != "St Mary" || q[0].Text != "queued before the upgrade" {
		t.Fatalf("patient's outbox after the upgrade: %+v, %v; want the queued message for %s", q, err, newH)
	}
	for _, n := range []*Node{p, h} {
		cases, err := n.Clinic().Cases()
		if err != nil || len(cases) != 1 || cases[0].ID != ls.caseID || cases[0].Patient != newP || cases[0].Hospital != newH {
			t.Fatalf("%s's cases after the upgrade: %+v, %v", n.profile.Name, cases, err)
		}
		if _, err := n.Clinic().Case(ls.caseID); err != nil {
			t.Fatalf("%s: Case(%s): %v", n.profile.Name, ls.caseID, err)
		}
	}
	if c, _ := p.Clinic().Case(ls.caseID); c.Doctor != identity.Fingerprint(ls.dKey) {
		t.Fatalf("patient's case names doctor %q, want %q (from the case's doctor key)", c.Doctor, identity.Fingerprint(ls.dKey))
	}
	if keys := p.store.Keys(p.recordKey()).List(newH); len(keys) != 1 || *keys[0] != ls.messageKey {
		t.Fatalf("message keys shared with %s after the upgrade: %d", newH, len(keys))
	}
	if tx, ok := p.store.Seen().Get(newH, "their-msg-1"); !ok || tx != ls.seenTx {
		t.Fatalf("seen(%s, their-msg-1) = %v, %v after the upgrade", newH, tx, ok)
	}
	if vs, err := p.Clinic().Violations(); err != nil || len(vs) != 1 || vs[0].Peer != newH {
		t.Fatalf("violations after the upgrade: %+v, %v", vs, err)
	}
	for _, n := range []*Node{p, h} {
		for _, b := range []string{"contacts", "outbox", "seen", "epoch-keys"} {
			for _, k := range stateKeys(t, n.store, b) {
				if strings.HasPrefix(k, oldP) && !strings.HasPrefix(k, newP) || strings.HasPrefix(k, oldH) && !strings.HasPrefix(k, newH) {
					t.Errorf("%s's bucket %s still has the old key %q", n.profile.Name, b, k)
				}
			}
		}
	}
}

// TestFingerprintMigrationKeepsContactsQueueAndCases opens data
// directories written by an older qkdchat (state.db keyed by 64-bit
// fingerprints): contacts, the queued message, message keys, seen
// messages, cases and violations are all found under the 128-bit
// fingerprints; opening again changes nothing; and the queued message is
// delivered after a reconnect named by the old 16-digit fingerprint.
func TestFingerprintMigrationKeepsContactsQueueAndCases(t *testing.T) {
	ls := writeLegacyState(t)
	p := openDir(t, ls.pdir, "Pat", RolePatient)
	h := openDir(t, ls.hdir, "St Mary", RoleHospital)
	checkMigrated(t, ls, p, h)

	// Idempotent: a second open finds nothing to do and loses nothing.
	before := stateKeys(t, p.store, "contacts")
	p.Close()
	h.Close()
	p = openDir(t, ls.pdir, "Pat", RolePatient)
	h = openDir(t, ls.hdir, "St Mary", RoleHospital)
	defer func() { p.Close(); h.Close() }()
	checkMigrated(t, ls, p, h)
	if after := stateKeys(t, p.store, "contacts"); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("second open re-keyed contacts: %q -> %q", before, after)
	}

	// The queued message still goes out, exactly once, to the contact
	// named by the fingerprint the user knew.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pev, pstop := p.Events()
	defer pstop()
	addr, _, err := h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := p.store.Contact(identity.Fingerprint(ls.hKey))
	c.Addr = addr.String()
	if err := p.store.PinContact(c); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Reconnect(ctx, strings.ToUpper(strings.ReplaceAll(identitytest.LegacyFingerprint(ls.hKey), " ", ""))); err != nil {
		t.Fatalf("Reconnect by the old 16-digit fingerprint: %v", err)
	}
	waitEvent(t, pev, "delivery of the message queued before the upgrade", func(e Event) bool {
		return e.Type == EventDelivery && e.MessageID == ls.msg && e.State == Delivered
	})
	if q, err := p.Outbox(); err != nil || len(q) != 0 {
		t.Fatalf("outbox after delivery: %+v, %v", q, err)
	}
	txs, err := h.ledger.Txs(0, h.ledger.Size())
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, tx := range txs {
		if tx.Kind == ledger.KindChat && bytes.Equal(tx.Sender, ls.pKey) {
			found++
		}
	}
	if found != 1 {
		t.Fatalf("the hospital's ledger holds %d chat messages from the patient, want 1", found)
	}
}
