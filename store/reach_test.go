package store

import (
	"crypto/ed25519"
	"path/filepath"
	"testing"
	"time"

	"qkdchat/identity"
	"qkdchat/party"
)

// TestListenAddrIsRememberedAcrossOpens: the address a node listens on
// survives closing and reopening state.db; a fresh file has none.
func TestListenAddrIsRememberedAcrossOpens(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	st, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if a, err := st.ListenAddr(); err != nil || a != "" {
		t.Fatalf("fresh store: listen address %q, %v; want none", a, err)
	}
	if err := st.SetListenAddr("0.0.0.0:7450"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	st, err = Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if a, err := st.ListenAddr(); err != nil || a != "0.0.0.0:7450" {
		t.Fatalf("after reopening: %q, %v", a, err)
	}
}

// TestOutboxLenCountsQueuedItems: Len follows Put and Take per peer.
func TestOutboxLenCountsQueuedItems(t *testing.T) {
	st, k := openTest(t)
	ob := st.Outbox(k)
	if n, err := ob.Len("peer-a"); err != nil || n != 0 {
		t.Fatalf("empty outbox: %d, %v", n, err)
	}
	for _, id := range []string{"m1", "m2", "m1"} {
		if _, err := ob.Put("peer-a", &OutboxItem{ID: id, Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if n, _ := ob.Len("peer-a"); n != 2 {
		t.Fatalf("two distinct items queued: Len %d", n)
	}
	if n, _ := ob.Len("peer-b"); n != 0 {
		t.Fatalf("another peer: Len %d", n)
	}
	if _, err := ob.Take("peer-a", "m1"); err != nil {
		t.Fatal(err)
	}
	if n, _ := ob.Len("peer-a"); n != 1 {
		t.Fatalf("after Take: Len %d", n)
	}
}

// TestSeenAtMovesLastSeenForwardOnly: the end of a session moves a
// contact's last seen forward; an older time does not move it back, and an
// unknown contact is not created.
func TestSeenAtMovesLastSeenForwardOnly(t *testing.T) {
	st, _ := openTest(t)
	pub, _, _ := ed25519.GenerateKey(nil)
	fp := identity.Fingerprint(pub)
	t0 := time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
	if err := st.PinContact(Contact{Fingerprint: fp, PublicKey: pub, Name: "St. Mary's", Role: party.Role("hospital"), LastSeen: t0}); err != nil {
		t.Fatal(err)
	}
	later := t0.Add(time.Hour)
	if err := st.SeenAt(fp, later); err != nil {
		t.Fatal(err)
	}
	if err := st.SeenAt(fp, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	c, _ := st.Contact(fp)
	if !c.LastSeen.Equal(later) {
		t.Fatalf("last seen %v, want %v", c.LastSeen, later)
	}
	if err := st.SeenAt("nobody", later); err != nil {
		t.Fatal(err)
	}
	if _, ok := st.Contact("nobody"); ok {
		t.Fatal("SeenAt created a contact")
	}
}
