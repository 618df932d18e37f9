package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"
)

// SealRecord encodes v as JSON and seals it under the record key.
func SealRecord(record *fernet.Key, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return fernet.EncryptAndSign(b, record)
}

// OpenRecord authenticates a sealed record and decodes it into v.
func OpenRecord(record *fernet.Key, tok []byte, v any) error {
	b := fernet.VerifyAndDecrypt(tok, 0, []*fernet.Key{record})
	if b == nil {
		return errors.New("record fails authentication under this node's record key")
	}
	return json.Unmarshal(b, v)
}

// Records is a bucket of sealed JSON records: the cases by ID, or the
// refused actions in the order they were recorded.
type Records struct {
	st     *Store
	key    *fernet.Key
	bucket []byte
	what   string // a record's name in errors ("case")
}

// ErrNotFound means no record has the ID asked for.
var ErrNotFound = errors.New("no such record")

// Get opens record id into v; a missing one gives ErrNotFound.
func (r Records) Get(id string, v any) error {
	return r.st.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(r.bucket).Get([]byte(id))
		if b == nil {
			return ErrNotFound
		}
		return OpenRecord(r.key, b, v)
	})
}

// Update opens record id into v (found reports whether it exists), calls
// fn, and stores v sealed, atomically. fn returning an error leaves the
// record as it was and is returned.
func (r Records) Update(id string, v any, fn func(found bool) error) error {
	return r.st.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(r.bucket)
		found := false
		if old := b.Get([]byte(id)); old != nil {
			if err := OpenRecord(r.key, old, v); err != nil {
				return fmt.Errorf("%s %s: %w", r.what, id, err)
			}
			found = true
		}
		if err := fn(found); err != nil {
			return err
		}
		sealed, err := SealRecord(r.key, v)
		if err != nil {
			return err
		}
		return b.Put([]byte(id), sealed)
	})
}

// Append stores v under the bucket's next sequence number.
func (r Records) Append(v any) error {
	sealed, err := SealRecord(r.key, v)
	if err != nil {
		return err
	}
	return r.st.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(r.bucket)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), sealed)
	})
}

// Each calls fn with every record's key and a function that opens it, in
// key order; an error of fn stops the walk and is returned.
func (r Records) Each(fn func(key []byte, open func(v any) error) error) error {
	return r.st.view(func(tx *bolt.Tx) error {
		return tx.Bucket(r.bucket).ForEach(func(k, v []byte) error {
			return fn(k, func(into any) error { return OpenRecord(r.key, v, into) })
		})
	})
}
