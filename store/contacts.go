package store

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
	"qkdchat/party"
)

// Contact is a peer pinned by its identity key after a verified pairing.
type Contact struct {
	Fingerprint string            `json:"fingerprint"`
	PublicKey   ed25519.PublicKey `json:"public_key"`
	Name        string            `json:"name"`
	Role        party.Role        `json:"role"`
	// RoleBasis is how Role was established: by an invite this node
	// issued, approved by this node's user, or claimed by the peer (see
	// telehealth.PairedRole). Empty for contacts pinned before.
	RoleBasis party.RoleBasis `json:"role_basis,omitempty"`
	Addr      string          `json:"addr,omitempty"` // where we last reached it, if we dialled
	PairedAt  time.Time       `json:"paired_at"`
	LastSeen  time.Time       `json:"last_seen"`
}

// PinContact records c after a verified session. A new contact is added; a
// known one is updated (name, role, address, last seen). It refuses a
// contact whose name is already pinned to a different key, because that is
// how an impostor would look.
func (s *Store) PinContact(c Contact) error {
	if len(c.PublicKey) != ed25519.PublicKeySize {
		return fmt.Errorf("app: contact %q has no valid public key", c.Name)
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		var clash error
		b.ForEach(func(k, v []byte) error {
			var old Contact
			if json.Unmarshal(v, &old) == nil && old.Name == c.Name && old.Role == c.Role && string(k) != c.Fingerprint {
				clash = fmt.Errorf("%w: %s (%s) was pinned as %s, now presents %s", identity.ErrChanged, c.Name, c.Role, old.Fingerprint, c.Fingerprint)
			}
			return nil
		})
		if clash != nil {
			return clash
		}
		if v := b.Get([]byte(c.Fingerprint)); v != nil {
			var old Contact
			if err := json.Unmarshal(v, &old); err == nil {
				c.PairedAt = old.PairedAt
				if c.Addr == "" {
					c.Addr = old.Addr
				}
			}
		}
		if c.PairedAt.IsZero() {
			c.PairedAt = time.Now()
		}
		v, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return b.Put([]byte(c.Fingerprint), v)
	})
}

// Contact returns the contact with the given fingerprint.
func (s *Store) Contact(fingerprint string) (Contact, bool) {
	var c Contact
	found := false
	s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketContacts).Get([]byte(fingerprint)); v != nil {
			found = json.Unmarshal(v, &c) == nil
		}
		return nil
	})
	return c, found
}

// Contacts lists the pinned contacts, most recently seen first.
func (s *Store) Contacts() ([]Contact, error) {
	var out []Contact
	err := s.view(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketContacts).ForEach(func(k, v []byte) error {
			var c Contact
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("contact %s: %w", k, err)
			}
			out = append(out, c)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("app: list contacts in %s: %w", s.path, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastSeen.After(out[j].LastSeen) })
	return out, nil
}
