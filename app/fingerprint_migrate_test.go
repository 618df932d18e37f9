package app

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/telehealth"
)

// legacyFingerprint is the 64-bit fingerprint qkdchat printed and keyed
// state.db by before identity.Fingerprint: the first 8 bytes of
// SHA-256(key), hex in four groups of four. Computed here, independently
// of package identity, as the old ledger.Fingerprint did.
func legacyFingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	h := hex.EncodeToString(sum[:8])
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
}

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
	oldP, oldH := legacyFingerprint(ls.pKey), legacyFingerprint(ls.hKey)
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
	if _, err := p.store.putOutbox(p.recordKey(), oldH, &outboxItem{ID: ls.msg, Kind: ledger.KindChat,
		Text: "queued before the upgrade", Created: now}); err != nil {
		t.Fatal(err)
	}
	must(ls.messageKey.Generate())
	must(p.store.storeMessageKey(p.recordKey(), oldH, &ls.messageKey, now))
	ls.seenTx[0] = 0x42
	must(p.store.markSeen(oldH, "their-msg-1", ls.seenTx))
	doc, err := identity.LoadOrCreate(t.TempDir())
	must(err)
	ls.dKey = doc.Public()
	_, err = p.store.updateCase(p.recordKey(), ls.caseID, func(c *Case, _ bool) error {
		*c = Case{Patient: oldP, PatientName: "Pat", Hospital: oldH, HospitalName: "St Mary",
			Doctor: legacyFingerprint(ls.dKey), DoctorName: "Dr Who", DoctorKey: ls.dKey,
			PHR: &PHR{PatientName: "Pat Doe"}, Status: telehealth.CaseReferred}
		return nil
	})
	must(err)
	p.recordViolation(Violation{Peer: oldH, PeerName: "St Mary", Incoming: true, Action: "refer a case", Reason: "test"})

	// The hospital: the patient pinned, the same case.
	must(h.store.PinContact(Contact{Fingerprint: oldP, PublicKey: ls.pKey, Name: "Pat", Role: RolePatient,
		PairedAt: now.Add(-time.Hour), LastSeen: now}))
	_, err = h.store.updateCase(h.recordKey(), ls.caseID, func(c *Case, _ bool) error {
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
	var out []string
	err := st.view(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bucket))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				out = append(out, string(k)+"/")
			} else {
				out = append(out, string(k))
			}
			return nil
		})
	})
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
	oldP, oldH := legacyFingerprint(ls.pKey), legacyFingerprint(ls.hKey)

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
		cases, err := n.Cases()
		if err != nil || len(cases) != 1 || cases[0].ID != ls.caseID || cases[0].Patient != newP || cases[0].Hospital != newH {
			t.Fatalf("%s's cases after the upgrade: %+v, %v", n.profile.Name, cases, err)
		}
		if _, err := n.Case(ls.caseID); err != nil {
			t.Fatalf("%s: Case(%s): %v", n.profile.Name, ls.caseID, err)
		}
	}
	if c, _ := p.Case(ls.caseID); c.Doctor != identity.Fingerprint(ls.dKey) {
		t.Fatalf("patient's case names doctor %q, want %q (from the case's doctor key)", c.Doctor, identity.Fingerprint(ls.dKey))
	}
	if keys := p.store.messageKeys(p.recordKey(), newH); len(keys) != 1 || *keys[0] != ls.messageKey {
		t.Fatalf("message keys shared with %s after the upgrade: %d", newH, len(keys))
	}
	if tx, ok := p.store.seen(newH, "their-msg-1"); !ok || tx != ls.seenTx {
		t.Fatalf("seen(%s, their-msg-1) = %v, %v after the upgrade", newH, tx, ok)
	}
	if vs, err := p.Violations(); err != nil || len(vs) != 1 || vs[0].Peer != newH {
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
	if _, err := p.Reconnect(ctx, strings.ToUpper(strings.ReplaceAll(legacyFingerprint(ls.hKey), " ", ""))); err != nil {
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

// TestFingerprintMigrationMergesBothForms: a contact filed under both
// forms (an older version run again after an upgrade, under a new name)
// ends up as one record with the first pairing time and a known address,
// and the old outbox's items are queued after the new one's, none lost.
func TestFingerprintMigrationMergesBothForms(t *testing.T) {
	st, err := OpenStore(filepath.Join(t.TempDir(), StateFile))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	self, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	peer, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	rk := recordKeyFor(self)
	oldFP, newFP := legacyFingerprint(peer.Public()), peer.Fingerprint()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	put := func(fp, name, addr string, paired, seen time.Time) {
		v, _ := json.Marshal(Contact{Fingerprint: fp, PublicKey: peer.Public(), Name: name, Role: RoleHospital, Addr: addr, PairedAt: paired, LastSeen: seen})
		if err := st.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketContacts).Put([]byte(fp), v) }); err != nil {
			t.Fatal(err)
		}
	}
	put(oldFP, "St Mary", "10.0.0.1:7450", t0, t0.Add(time.Hour))
	put(newFP, "St Mary's", "", t0.Add(24*time.Hour), t0.Add(48*time.Hour))
	for _, q := range []struct{ fp, id string }{{newFP, "new-1"}, {oldFP, "old-1"}, {oldFP, "old-2"}} {
		if _, err := st.putOutbox(rk, q.fp, &outboxItem{ID: q.id, Kind: ledger.KindChat, Text: q.id}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := st.migrateFingerprints(rk, self.Public())
	if err != nil || m.Contacts != 1 || m.Outboxes != 1 {
		t.Fatalf("migration: %+v, %v; want one contact and one outbox re-keyed", m, err)
	}
	cs, err := st.Contacts()
	if err != nil || len(cs) != 1 {
		t.Fatalf("contacts: %+v, %v; want one", cs, err)
	}
	if c := cs[0]; c.Fingerprint != newFP || c.Name != "St Mary's" || !c.PairedAt.Equal(t0) || c.Addr != "10.0.0.1:7450" {
		t.Fatalf("merged contact %+v: want the newer record, paired at %v, with the known address", c, t0)
	}
	items, err := st.outbox(rk, newFP)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range items {
		ids = append(ids, e.item.ID)
	}
	if strings.Join(ids, ",") != "new-1,old-1,old-2" {
		t.Fatalf("outbox after the merge: %v, want new-1,old-1,old-2", ids)
	}
	if again, err := st.migrateFingerprints(rk, self.Public()); err != nil || again.changed() {
		t.Fatalf("second migration: %+v, %v; want nothing to do", again, err)
	}
}
