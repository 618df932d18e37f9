package store

import (
	"crypto/ed25519"
	"errors"
	"testing"

	"qkdchat/identity"
)

// TestSetRoleBasis: the basis (and role) of a pinned contact is stored;
// an unknown contact is ErrNotFound; a later PinContact that carries the
// basis keeps it.
func TestSetRoleBasis(t *testing.T) {
	st, _ := openTest(t)
	pub, _, _ := ed25519.GenerateKey(nil)
	fp := identity.Fingerprint(pub)
	if err := st.PinContact(Contact{Fingerprint: fp, PublicKey: pub, Name: "Dr Who", Role: "doctor", RoleBasis: "claimed"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SetRoleBasis(fp, "doctor", "approved"); err != nil {
		t.Fatal(err)
	}
	if c, _ := st.Contact(fp); c.Role != "doctor" || c.RoleBasis != "approved" {
		t.Errorf("contact %+v, want doctor/approved", c)
	}
	if err := st.SetRoleBasis("nobody", "doctor", "approved"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown contact: %v", err)
	}
}

// TestInvitesAreSealed: an invite record is readable under the record
// key only.
func TestInvitesAreSealed(t *testing.T) {
	st, k := openTest(t)
	type inv struct{ Code string }
	if err := st.Invites(k).Update("4821", &inv{}, func(bool) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var v inv
	if err := st.Invites(k).Update("4821", &v, func(bool) error { v.Code = "4821-amber-falcon"; return nil }); err != nil {
		t.Fatal(err)
	}
	_, other := openTest(t)
	if err := st.Invites(other).Get("4821", &v); err == nil {
		t.Error("an invite opened under another record key")
	}
	var got inv
	if err := st.Invites(k).Get("4821", &got); err != nil || got.Code != "4821-amber-falcon" {
		t.Errorf("Get = %+v, %v", got, err)
	}
}
