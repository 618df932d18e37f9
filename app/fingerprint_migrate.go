package app

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
)

// Fingerprint migration. qkdchat before the identity package filed
// state.db under 64-bit fingerprints ("3f2a 9c01 77be 04d5": the first 8
// bytes of SHA-256 of the key); it now uses identity.Fingerprint (the
// first 16 bytes). The old form is the first 19 characters of the new, so
// each old fingerprint maps to the new one of the same key.
//
// migrateFingerprints runs when a node opens its data directory, in one
// bbolt transaction: a crash leaves state.db all old or all new. It
// derives each contact's new fingerprint from the public key stored with
// it, and then re-keys, under the same mapping (the node's own key
// included):
//
//   - contacts: the key and the record's fingerprint field;
//   - outbox: the per-contact bucket (items, and its sequence, are moved
//     as they are: their sealed, signed attempts are not touched);
//   - seen and epoch-keys: the fingerprint before "/" in each key;
//   - cases: Patient, Hospital and Doctor (Doctor also from the case's
//     DoctorKey; resealed under the record key; a signed report inside is
//     left as the doctor signed it);
//   - violations: Peer (resealed).
//
// A fingerprint of a key this node does not hold (such as the patient of
// a case referred to a doctor) stays in the old form; the workflow
// compares such fingerprints with identity.SameKey. The ledger is never
// rewritten: its transactions are signed and name keys, not
// fingerprints. A record that does not decode is left as it is. Once
// done, the format is noted in the meta bucket so later opens skip the
// sealed records; contacts are always checked, so state written by an
// older version after an upgrade is migrated too.

var (
	bucketMeta             = []byte("meta")
	metaFingerprintFormat  = []byte("fingerprint-format")
	fingerprintFormatValue = []byte("sha256-128") // identity.Fingerprint
)

// fingerprintMigration counts what migrateFingerprints re-keyed.
type fingerprintMigration struct {
	Contacts, Outboxes, Seen, MessageKeys, Cases, Violations int
}

func (m fingerprintMigration) changed() bool { return m != fingerprintMigration{} }

// migrateFingerprints re-keys the store from old fingerprints to new (see
// above). record is the node's record key, self its public key.
func (s *Store) migrateFingerprints(record *fernet.Key, self ed25519.PublicKey) (fingerprintMigration, error) {
	var m fingerprintMigration
	err := s.update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		done := bytes.Equal(meta.Get(metaFingerprintFormat), fingerprintFormatValue)
		rekey := map[string]string{legacyFingerprintOf(self): identity.Fingerprint(self)}
		if err := migrateContacts(tx.Bucket(bucketContacts), rekey, &m); err != nil {
			return fmt.Errorf("contacts: %w", err)
		}
		if done && m.Contacts == 0 {
			return nil
		}
		if err := migrateOutboxes(tx.Bucket(bucketOutbox), rekey, &m); err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		for _, b := range []struct {
			name  []byte
			count *int
		}{{bucketSeen, &m.Seen}, {bucketKeys, &m.MessageKeys}} {
			if err := migratePrefixedKeys(tx.Bucket(b.name), rekey, b.count); err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
		}
		mapFP := func(fp *string) bool {
			nf, ok := rekey[*fp]
			if ok {
				*fp = nf
			}
			return ok
		}
		if err := migrateSealed(tx.Bucket(bucketCases), record, &m.Cases, func(c *Case) bool {
			changed := mapFP(&c.Patient)
			changed = mapFP(&c.Hospital) || changed
			// A patient holds the key of the doctor assigned to its case
			// even when they never paired.
			if len(c.DoctorKey) == ed25519.PublicKeySize && identity.IsShort(c.Doctor) && identity.Matches(c.Doctor, c.DoctorKey) {
				c.Doctor, changed = identity.Fingerprint(c.DoctorKey), true
			}
			return mapFP(&c.Doctor) || changed
		}); err != nil {
			return fmt.Errorf("cases: %w", err)
		}
		if err := migrateSealed(tx.Bucket(bucketViolations), record, &m.Violations, func(v *Violation) bool {
			return mapFP(&v.Peer)
		}); err != nil {
			return fmt.Errorf("violations: %w", err)
		}
		return meta.Put(metaFingerprintFormat, fingerprintFormatValue)
	})
	if err != nil {
		return m, fmt.Errorf("app: update the fingerprints in %s to the 128-bit form: %w", s.path, err)
	}
	return m, nil
}

// legacyFingerprintOf is the fingerprint an older qkdchat printed for
// pub: the first 16 hex digits of identity.Fingerprint.
func legacyFingerprintOf(pub ed25519.PublicKey) string {
	return identity.Fingerprint(pub)[:len("0000 0000 0000 0000")]
}

// migrateContacts files each contact under the fingerprint of its key,
// and adds the old fingerprint of each key to rekey.
func migrateContacts(b *bolt.Bucket, rekey map[string]string, m *fingerprintMigration) error {
	type move struct {
		oldKey []byte
		c      Contact
	}
	var moves []move
	err := b.ForEach(func(k, v []byte) error {
		var c Contact
		if json.Unmarshal(v, &c) != nil || len(c.PublicKey) != ed25519.PublicKeySize {
			return nil // not ours to repair; Contacts reports it
		}
		fp := identity.Fingerprint(c.PublicKey)
		rekey[legacyFingerprintOf(c.PublicKey)] = fp
		if string(k) != fp || c.Fingerprint != fp {
			moves = append(moves, move{append([]byte(nil), k...), c})
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, mv := range moves {
		c := mv.c
		c.Fingerprint = identity.Fingerprint(c.PublicKey)
		if v := b.Get([]byte(c.Fingerprint)); v != nil && !bytes.Equal(mv.oldKey, []byte(c.Fingerprint)) {
			// Already pinned under the new fingerprint (an older version
			// ran after an upgrade): keep the newer record, the first
			// pairing time and a known address.
			var cur Contact
			if json.Unmarshal(v, &cur) == nil {
				newer, older := c, cur
				if cur.LastSeen.After(c.LastSeen) {
					newer, older = cur, c
				}
				newer.PairedAt = minTime(newer.PairedAt, older.PairedAt)
				if newer.Addr == "" {
					newer.Addr = older.Addr
				}
				c = newer
			}
		}
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		if err := b.Delete(mv.oldKey); err != nil {
			return err
		}
		if err := b.Put([]byte(c.Fingerprint), v); err != nil {
			return err
		}
		m.Contacts++
	}
	return nil
}

// minTime is the earlier of two times, ignoring a zero one.
func minTime(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// migrateOutboxes moves each per-contact outbox bucket to its new name.
func migrateOutboxes(b *bolt.Bucket, rekey map[string]string, m *fingerprintMigration) error {
	var names []string
	b.ForEach(func(k, v []byte) error {
		if _, ok := rekey[string(k)]; ok && v == nil {
			names = append(names, string(k))
		}
		return nil
	})
	for _, old := range names {
		src := b.Bucket([]byte(old))
		dst, err := b.CreateBucketIfNotExists([]byte(rekey[old]))
		if err != nil {
			return err
		}
		appendAfter := dst.Stats().KeyN > 0 // both exist: queue the old items after the new
		err = src.ForEach(func(k, v []byte) error {
			if appendAfter {
				seq, err := dst.NextSequence()
				if err != nil {
					return err
				}
				return dst.Put(binary.BigEndian.AppendUint64(nil, seq), v)
			}
			return dst.Put(k, v)
		})
		if err != nil {
			return err
		}
		if !appendAfter {
			if err := dst.SetSequence(max(dst.Sequence(), src.Sequence())); err != nil {
				return err
			}
		}
		if err := b.DeleteBucket([]byte(old)); err != nil {
			return err
		}
		m.Outboxes++
	}
	return nil
}

// migratePrefixedKeys re-keys "FINGERPRINT/rest" keys.
func migratePrefixedKeys(b *bolt.Bucket, rekey map[string]string, count *int) error {
	if b == nil {
		return nil
	}
	type kv struct{ k, v []byte }
	var moves []kv
	b.ForEach(func(k, v []byte) error {
		fp, _, ok := bytes.Cut(k, []byte("/"))
		if _, known := rekey[string(fp)]; ok && known && v != nil {
			moves = append(moves, kv{append([]byte(nil), k...), append([]byte(nil), v...)})
		}
		return nil
	})
	for _, mv := range moves {
		fp, rest, _ := bytes.Cut(mv.k, []byte("/"))
		nk := append(append([]byte(rekey[string(fp)]), '/'), rest...)
		if err := b.Delete(mv.k); err != nil {
			return err
		}
		if err := b.Put(nk, mv.v); err != nil {
			return err
		}
		*count++
	}
	return nil
}

// migrateSealed opens each record of b sealed under record, lets fix
// update its fingerprints, and reseals the records fix changed.
func migrateSealed[T any](b *bolt.Bucket, record *fernet.Key, count *int, fix func(*T) bool) error {
	type kv struct{ k, v []byte }
	var puts []kv
	err := b.ForEach(func(k, v []byte) error {
		var x T
		if openRecord(record, v, &x) != nil {
			return nil // left as it is; its reader reports it
		}
		if !fix(&x) {
			return nil
		}
		sealed, err := sealRecord(record, &x)
		if err != nil {
			return err
		}
		puts = append(puts, kv{append([]byte(nil), k...), sealed})
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range puts {
		if err := b.Put(p.k, p.v); err != nil {
			return err
		}
		*count++
	}
	return nil
}
