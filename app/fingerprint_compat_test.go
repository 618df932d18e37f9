package app

import (
	"crypto/ed25519"
	"testing"
	"time"

	"qkdchat/identity"
)

// TestReportSignedBeforeUpgradeStillVerifies: a doctor's report signed by
// an older qkdchat names the parties by 16-digit fingerprints, and its
// signature covers them. Queued before an upgrade and delivered after
// it, it must still verify against the doctor's key; a report naming
// another key, in either form, must not.
func TestReportSignedBeforeUpgradeStillVerifies(t *testing.T) {
	doctor, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	other, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	old := signedReport{CaseID: "case-0123456789ab", Patient: "1111 2222 3333 4444", Hospital: "5555 6666 7777 8888",
		Doctor: legacyFingerprint(doctor.Public()), DoctorKey: doctor.Public(), Report: MedicalReport{Findings: "f"},
		Time: time.Unix(1700000000, 0).UTC()}
	old.Signature = doctor.Sign(old.canonical()) // as the old sign() did
	if err := old.verify(doctor.Public()); err != nil {
		t.Fatalf("a report signed before the upgrade: %v", err)
	}
	if err := old.verify(other.Public()); err == nil {
		t.Fatal("a report verified against another doctor's key")
	}
	forged := old
	forged.Doctor = legacyFingerprint(other.Public())
	forged.Signature = doctor.Sign(forged.canonical())
	if err := forged.verify(doctor.Public()); err == nil {
		t.Fatal("a report whose doctor fingerprint names another key verified")
	}
}

// TestPartyRefFromOlderPeer: a referral from an older hospital names the
// parties by 16-digit fingerprints with their keys. It is accepted when
// the fingerprint is the key's, and carried on in the current form; a
// fingerprint of another key is refused.
func TestPartyRefFromOlderPeer(t *testing.T) {
	s := make([]byte, ed25519.SeedSize)
	pub := ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
	s[0] = 1
	pub2 := ed25519.NewKeyFromSeed(s).Public().(ed25519.PublicKey)
	tests := []struct {
		ref  partyRef
		ok   bool
		want string
	}{
		{partyRef{Fingerprint: identity.Fingerprint(pub), Name: "P", Key: pub}, true, identity.Fingerprint(pub)},
		{partyRef{Fingerprint: legacyFingerprint(pub), Name: "P", Key: pub}, true, identity.Fingerprint(pub)},
		{partyRef{Fingerprint: legacyFingerprint(pub2), Name: "P", Key: pub}, false, ""},
		{partyRef{Fingerprint: identity.Fingerprint(pub2), Name: "P", Key: pub}, false, ""},
		{partyRef{Fingerprint: identity.Fingerprint(pub), Name: "P", Key: pub[:31]}, false, ""},
	}
	for i, tt := range tests {
		r := tt.ref
		err := r.check("referral: patient")
		if (err == nil) != tt.ok || tt.ok && r.Fingerprint != tt.want {
			t.Errorf("%d: check = %v, fingerprint %q; want ok=%v, %q", i, err, r.Fingerprint, tt.ok, tt.want)
		}
	}
}
