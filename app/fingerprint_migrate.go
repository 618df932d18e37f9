package app

import (
	"crypto/ed25519"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/store"
)

// migrateFingerprints re-keys state.db from the 64-bit fingerprints of an
// older qkdchat to identity.Fingerprint (see store.MigrateFingerprints).
// The fingerprints inside cases and refused actions are the workflow's
// fields, updated here: a case's Patient, Hospital and Doctor (Doctor
// also from the case's DoctorKey: a patient holds the key of the doctor
// assigned to its case even when they never paired; a signed report
// inside is left as the doctor signed it), a violation's Peer.
func migrateFingerprints(st *Store, record *fernet.Key, self ed25519.PublicKey) (store.FingerprintMigration, error) {
	fixCase := func(open func(any) error, mapFP func(*string) bool) (any, bool) {
		var c Case
		if open(&c) != nil {
			return nil, false
		}
		changed := mapFP(&c.Patient)
		changed = mapFP(&c.Hospital) || changed
		if len(c.DoctorKey) == ed25519.PublicKeySize && identity.IsShort(c.Doctor) && identity.Matches(c.Doctor, c.DoctorKey) {
			c.Doctor, changed = identity.Fingerprint(c.DoctorKey), true
		}
		return &c, mapFP(&c.Doctor) || changed
	}
	fixViolation := func(open func(any) error, mapFP func(*string) bool) (any, bool) {
		var v Violation
		if open(&v) != nil {
			return nil, false
		}
		return &v, mapFP(&v.Peer)
	}
	return st.MigrateFingerprints(record, self, fixCase, fixViolation)
}
