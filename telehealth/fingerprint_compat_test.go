package telehealth

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
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
	old := SignedReport{CaseID: "case-0123456789ab", Patient: "1111 2222 3333 4444", Hospital: "5555 6666 7777 8888",
		Doctor: legacyFingerprint(doctor.Public()), DoctorKey: doctor.Public(), Report: MedicalReport{Findings: "f"},
		Time: time.Unix(1700000000, 0).UTC()}
	old.Signature = doctor.Sign(old.Canonical()) // as the old sign() did
	if err := old.Verify(doctor.Public()); err != nil {
		t.Fatalf("a report signed before the upgrade: %v", err)
	}
	if err := old.Verify(other.Public()); err == nil {
		t.Fatal("a report verified against another doctor's key")
	}
	forged := old
	forged.Doctor = legacyFingerprint(other.Public())
	forged.Signature = doctor.Sign(forged.Canonical())
	if err := forged.Verify(doctor.Public()); err == nil {
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
		ref  Party
		ok   bool
		want string
	}{
		{Party{Fingerprint: identity.Fingerprint(pub), Name: "P", Key: pub}, true, identity.Fingerprint(pub)},
		{Party{Fingerprint: legacyFingerprint(pub), Name: "P", Key: pub}, true, identity.Fingerprint(pub)},
		{Party{Fingerprint: legacyFingerprint(pub2), Name: "P", Key: pub}, false, ""},
		{Party{Fingerprint: identity.Fingerprint(pub2), Name: "P", Key: pub}, false, ""},
		{Party{Fingerprint: identity.Fingerprint(pub), Name: "P", Key: pub[:31]}, false, ""},
	}
	for i, tt := range tests {
		r := tt.ref
		err := r.check("referral: patient")
		if (err == nil) != tt.ok || tt.ok && r.Fingerprint != tt.want {
			t.Errorf("%d: check = %v, fingerprint %q; want ok=%v, %q", i, err, r.Fingerprint, tt.ok, tt.want)
		}
	}
}

// legacyFingerprint is the 64-bit fingerprint an older qkdchat showed: the
// first 8 bytes of SHA-256(key), hex in four groups of four, computed
// independently of package identity.
func legacyFingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	h := hex.EncodeToString(sum[:8])
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
}
