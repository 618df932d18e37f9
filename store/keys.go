package store

import (
	"encoding/binary"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"
)

// Keys are the message keys kept so that the ledger browser can show what
// this user sent and received. Each key is stored sealed under the node's
// record key, filed under the peer's fingerprint and the time it was made.
// Nothing in the clear touches the disk.
type Keys struct {
	st  *Store
	key *fernet.Key
}

// Put files key as one of the message keys shared with peer.
func (ks Keys) Put(peer string, key *fernet.Key, made time.Time) error {
	sealedKey, err := fernet.EncryptAndSign(key[:], ks.key)
	if err != nil {
		return err
	}
	k := make([]byte, 0, len(peer)+1+8)
	k = append(k, peer...)
	k = append(k, '/')
	k = binary.BigEndian.AppendUint64(k, uint64(made.UnixNano()))
	return ks.st.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketKeys)
		if err != nil {
			return err
		}
		return b.Put(k, sealedKey)
	})
}

// List returns the stored keys shared with peer, newest first.
func (ks Keys) List(peer string) []*fernet.Key {
	var out []*fernet.Key
	prefix := append([]byte(peer), '/')
	ks.st.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketKeys)
		if b == nil {
			return nil
		}
		c := b.Cursor()
		// Seek past the prefix and walk backwards for newest first.
		end := append(append([]byte(nil), prefix...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
		k, v := c.Seek(end)
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(k) > len(prefix) && string(k[:len(prefix)]) == string(prefix); k, v = c.Prev() {
			raw := fernet.VerifyAndDecrypt(v, 0, []*fernet.Key{ks.key})
			if len(raw) == 32 {
				fk := fernet.Key(raw)
				out = append(out, &fk)
			}
		}
		return nil
	})
	return out
}
