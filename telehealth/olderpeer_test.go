package telehealth

import (
	"crypto/ed25519"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"qkdchat/identity"
	"qkdchat/identity/identitytest"
)

// The rules as they meet an older qkdchat, which named keys by 16-digit
// fingerprints (the first 8 bytes of SHA-256(key)): its referrals, and
// the reports its doctors signed before an upgrade and that arrive after
// it.

// signedByOlder is the report on the referred case as a doctor's older
// qkdchat signed it: every party named by its 16-digit fingerprint.
func signedByOlder(k testKey) *SignedReport {
	sr := NewReport(referred(), rep, []Attachment{xray}, at)
	sr.Patient, sr.Hospital = identitytest.LegacyFingerprint(patKey.Public()), identitytest.LegacyFingerprint(hospKey.Public())
	sr.DoctorKey, sr.Doctor = k.Public(), identitytest.LegacyFingerprint(k.Public())
	sr.Signature = k.Sign(sr.Canonical()) // as the older Sign did
	return sr
}

// TestReportSignedBeforeUpgradeStillVerifies: a doctor's report signed by
// an older qkdchat names the parties by 16-digit fingerprints, and its
// signature covers them. Queued before an upgrade and delivered after
// it, it must still verify against the doctor's key; a report naming
// another key, in either form, must not.
func TestReportSignedBeforeUpgradeStillVerifies(t *testing.T) {
	doctor, other := newKey(7), newKey(8)
	old := SignedReport{CaseID: caseID, Patient: "1111 2222 3333 4444", Hospital: "5555 6666 7777 8888",
		Doctor: identitytest.LegacyFingerprint(doctor.Public()), DoctorKey: doctor.Public(), Report: MedicalReport{Findings: "f"},
		Time: time.Unix(1700000000, 0).UTC()}
	old.Signature = doctor.Sign(old.Canonical()) // as the older Sign did
	namesOther := old
	namesOther.Doctor = identitytest.LegacyFingerprint(other.Public())
	namesOther.Signature = doctor.Sign(namesOther.Canonical())
	namesOtherFull := old
	namesOtherFull.Doctor = identity.Fingerprint(other.Public())
	namesOtherFull.Signature = doctor.Sign(namesOtherFull.Canonical())
	tooShort := old
	tooShort.Doctor = identitytest.LegacyFingerprint(doctor.Public())[:14]
	tooShort.Signature = doctor.Sign(tooShort.Canonical())
	for _, tc := range []struct {
		name   string
		r      SignedReport
		key    ed25519.PublicKey
		reason string // "" when it must verify
	}{
		{"signed before the upgrade", old, doctor.Public(), ""},
		{"against another doctor's key", old, other.Public(), "not by the doctor assigned"},
		{"16 digits of another key", namesOther, doctor.Public(), "not by the doctor assigned"},
		{"32 digits of another key", namesOtherFull, doctor.Public(), "not by the doctor assigned"},
		{"fewer than 16 digits", tooShort, doctor.Public(), "not by the doctor assigned"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.r.Verify(tc.key)
			if tc.reason == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("verify = %v, want %q", err, tc.reason)
			}
		})
	}
}

// TestPartyRefFromOlderPeer: a referral from an older hospital names the
// parties by 16-digit fingerprints with their keys. It is accepted when
// the fingerprint is the key's, and carried on in the current form; a
// fingerprint of another key is refused.
func TestPartyRefFromOlderPeer(t *testing.T) {
	pub, pub2 := patKey.Public(), pat2Key.Public()
	tests := []struct {
		name string
		ref  Party
		want string // the fingerprint carried on; "" when refused
	}{
		{"current form", Party{Fingerprint: identity.Fingerprint(pub), Name: "P", Key: pub}, identity.Fingerprint(pub)},
		{"16 digits of the key", Party{Fingerprint: identitytest.LegacyFingerprint(pub), Name: "P", Key: pub}, identity.Fingerprint(pub)},
		{"16 digits of another key", Party{Fingerprint: identitytest.LegacyFingerprint(pub2), Name: "P", Key: pub}, ""},
		{"32 digits of another key", Party{Fingerprint: identity.Fingerprint(pub2), Name: "P", Key: pub}, ""},
		{"12 digits of the key", Party{Fingerprint: identitytest.LegacyFingerprint(pub)[:14], Name: "P", Key: pub}, ""},
		{"short key", Party{Fingerprint: identity.Fingerprint(pub), Name: "P", Key: pub[:31]}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.ref
			err := r.check("referral: patient")
			if (err == nil) != (tt.want != "") || tt.want != "" && r.Fingerprint != tt.want {
				t.Fatalf("check = %v, fingerprint %q; want %q", err, r.Fingerprint, tt.want)
			}
		})
	}

	// Through the decoder: a referral and a referral notice of an older
	// hospital reach the rules with the parties in the current form.
	older := func(a Actor) *Party {
		return &Party{Fingerprint: identitytest.LegacyFingerprint(a.Key), Name: a.Name, Key: a.Key}
	}
	referral := referralBody(hosp)
	referral.Patient, referral.Hospital = older(pat), older(hosp)
	notice := noticeBody(doc)
	notice.Doctor = older(doc)
	for _, w := range []*Body{referral, notice} {
		b, err := json.Marshal(w)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseBody(b)
		if err != nil {
			t.Fatalf("%s from an older hospital: %v", w.Type, err)
		}
		for _, p := range []struct {
			got  *Party
			want Actor
		}{{got.Patient, pat}, {got.Hospital, hosp}, {got.Doctor, doc}} {
			if p.got != nil && p.got.Fingerprint != p.want.Fingerprint {
				t.Errorf("%s: %s's fingerprint %q, want %q", w.Type, p.want.Name, p.got.Fingerprint, p.want.Fingerprint)
			}
		}
	}
}
