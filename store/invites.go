package store

import (
	"encoding/json"
	"fmt"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"

	"qkdchat/party"
)

// Invites is the bucket of the invites this node issued: nameplate (as
// decimal text) -> sealed invite record. The node keeps open ones and
// registers them with its listener whenever it starts.
func (s *Store) Invites(record *fernet.Key) Records {
	return Records{st: s, key: record, bucket: bucketInvites, what: "invite"}
}

// SetRoleBasis records how the role of the contact with this fingerprint
// was established, and sets its role (approving a doctor, or an invite's
// grant). It fails if there is no such contact.
func (s *Store) SetRoleBasis(fingerprint string, role party.Role, basis party.RoleBasis) error {
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		v := b.Get([]byte(fingerprint))
		if v == nil {
			return fmt.Errorf("no contact with fingerprint %s: %w", fingerprint, ErrNotFound)
		}
		var c Contact
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("contact %s: %w", fingerprint, err)
		}
		c.Role, c.RoleBasis = role, basis
		nv, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return b.Put([]byte(fingerprint), nv)
	})
}
