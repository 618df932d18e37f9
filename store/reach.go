package store

import (
	"encoding/json"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

// What a node keeps so that it can be reached and can reach its contacts:
// the address it listens on (in the meta bucket, see schema.go), how many
// messages wait for each contact, and when a contact was last seen.

// metaListenAddr is the meta key of the address the node listens on.
var metaListenAddr = []byte("listen-addr")

// ListenAddr returns the address the node last listened on ("" if it
// never did).
func (s *Store) ListenAddr() (string, error) {
	var addr string
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketMeta); b != nil {
			addr = string(b.Get(metaListenAddr))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("app: read the listen address in %s: %w", s.path, err)
	}
	return addr, nil
}

// SetListenAddr remembers addr ("host:port") as the address to listen on.
func (s *Store) SetListenAddr(addr string) error {
	err := s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(metaListenAddr, []byte(addr))
	})
	if err != nil {
		return fmt.Errorf("app: remember the listen address in %s: %w", s.path, err)
	}
	return nil
}

// Len counts peer's queued items without opening them.
func (o Outbox) Len(peer string) (int, error) {
	n := 0
	err := o.st.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketOutbox).Bucket([]byte(peer)); b != nil {
			n = b.Stats().KeyN
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("app: read outbox in %s: %w", o.st.path, err)
	}
	return n, nil
}

// SeenAt records that a session with the contact fingerprint was live at
// t (it ended then): its LastSeen moves forward, never back. An unknown
// contact is left alone.
func (s *Store) SeenAt(fingerprint string, t time.Time) error {
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		v := b.Get([]byte(fingerprint))
		if v == nil {
			return nil
		}
		var c Contact
		if err := json.Unmarshal(v, &c); err != nil {
			return fmt.Errorf("contact %s: %w", fingerprint, err)
		}
		if !t.After(c.LastSeen) {
			return nil
		}
		c.LastSeen = t
		nv, err := json.Marshal(c)
		if err != nil {
			return err
		}
		return b.Put([]byte(fingerprint), nv)
	})
	if err != nil {
		return fmt.Errorf("app: record when %s was last seen in %s: %w", fingerprint, s.path, err)
	}
	return nil
}
