package store

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
	"qkdchat/identity/identitytest"
	"qkdchat/ledger"
)

// TestFingerprintMigrationMergesBothForms: a contact filed under both
// forms (an older version run again after an upgrade, under a new name)
// ends up as one record with the first pairing time and a known address,
// and the old outbox's items are queued after the new one's, none lost.
func TestFingerprintMigrationMergesBothForms(t *testing.T) {
	st, err := Open(filepath.Join(t.TempDir(), "state.db"), nil)
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
	var rk fernet.Key
	rk.Generate()
	oldFP, newFP := identitytest.LegacyFingerprint(peer.Public()), peer.Fingerprint()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	put := func(fp, name, addr string, paired, seen time.Time) {
		v, _ := json.Marshal(Contact{Fingerprint: fp, PublicKey: peer.Public(), Name: name, Role: "hospital", Addr: addr, PairedAt: paired, LastSeen: seen})
		if err := st.update(func(tx *bolt.Tx) error { return tx.Bucket(bucketContacts).Put([]byte(fp), v) }); err != nil {
			t.Fatal(err)
		}
	}
	put(oldFP, "St Mary", "10.0.0.1:7450", t0, t0.Add(time.Hour))
	put(newFP, "St Mary's", "", t0.Add(24*time.Hour), t0.Add(48*time.Hour))
	for _, q := range []struct{ fp, id string }{{newFP, "new-1"}, {oldFP, "old-1"}, {oldFP, "old-2"}} {
		if _, err := st.Outbox(&rk).Put(q.fp, &OutboxItem{ID: q.id, Kind: ledger.KindChat, Text: q.id}); err != nil {
			t.Fatal(err)
		}
	}
	m, err := st.MigrateFingerprints(&rk, self.Public(), nil, nil)
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
	items, err := st.Outbox(&rk).List(newFP)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, e := range items {
		ids = append(ids, e.Item.ID)
	}
	if strings.Join(ids, ",") != "new-1,old-1,old-2" {
		t.Fatalf("outbox after the merge: %v, want new-1,old-1,old-2", ids)
	}
	if again, err := st.MigrateFingerprints(&rk, self.Public(), nil, nil); err != nil || again.Changed() {
		t.Fatalf("second migration: %+v, %v; want nothing to do", again, err)
	}
}
