package app

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// Message keys are kept so that the ledger browser can show what this user
// sent and received. Each key is stored sealed under the node's record key
// (see Node.recordKey), filed under the peer's fingerprint and the time it
// was made. Nothing in the clear touches the disk.

var bucketKeys = []byte("epoch-keys")

// storeMessageKey files key as one of the message keys shared with peer.
func (s *Store) storeMessageKey(record *fernet.Key, peer string, key *fernet.Key, made time.Time) error {
	sealedKey, err := fernet.EncryptAndSign(key[:], record)
	if err != nil {
		return err
	}
	k := make([]byte, 0, len(peer)+1+8)
	k = append(k, peer...)
	k = append(k, '/')
	k = binary.BigEndian.AppendUint64(k, uint64(made.UnixNano()))
	return s.update(func(tx *bolt.Tx) error {
		b, err := tx.CreateBucketIfNotExists(bucketKeys)
		if err != nil {
			return err
		}
		return b.Put(k, sealedKey)
	})
}

// messageKeys returns the stored keys shared with peer, newest first.
func (s *Store) messageKeys(record *fernet.Key, peer string) []*fernet.Key {
	var out []*fernet.Key
	prefix := append([]byte(peer), '/')
	s.view(func(tx *bolt.Tx) error {
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
			raw := fernet.VerifyAndDecrypt(v, 0, []*fernet.Key{record})
			if len(raw) == 32 {
				fk := fernet.Key(raw)
				out = append(out, &fk)
			}
		}
		return nil
	})
	return out
}

// ErrNoKey means this node does not hold the key a transaction was sealed
// under (it was neither party, or the key store was lost).
var ErrNoKey = errors.New("this user does not hold the key for that transaction")

// OpenTransaction decrypts a ledger transaction this node sent or
// received. Key events are sealed under the node's record key and decode
// to a message whose Body is the KeyExchange JSON.
func (n *Node) OpenTransaction(tx *ledger.Transaction) (*Message, error) {
	me := n.id.Public()
	var peer string
	switch {
	case tx.Sender.Equal(me):
		peer = identity.Fingerprint(tx.Recipient)
	case tx.Recipient.Equal(me):
		peer = identity.Fingerprint(tx.Sender)
	default:
		return nil, ErrNoKey
	}
	m := &Message{Kind: tx.Kind.String(), CaseID: tx.CaseID, Time: tx.Time, TxID: tx.ID().String(),
		From: identity.Fingerprint(tx.Sender), To: identity.Fingerprint(tx.Recipient), Outgoing: tx.Sender.Equal(me)}
	if c, ok := n.store.Contact(m.From); ok {
		m.FromName = c.Name
	} else if m.Outgoing {
		m.FromName = n.profile.Name
	}
	if tx.Kind == ledger.KindKeyEvent {
		raw := fernet.VerifyAndDecrypt(tx.Token, 0, []*fernet.Key{n.recordKey()})
		if raw == nil {
			return nil, ErrNoKey
		}
		var kx KeyExchange
		if err := json.Unmarshal(raw, &kx); err != nil {
			return nil, fmt.Errorf("key event does not decode: %w", err)
		}
		m.Epoch, m.Body = kx.Epoch, raw
		if kx.OK {
			m.Text = fmt.Sprintf("BB84 epoch %d: key established (%d bits)", kx.Epoch, kx.KeyBits)
		} else {
			m.Text = fmt.Sprintf("BB84 epoch %d: aborted: %s", kx.Epoch, kx.Reason)
		}
		return m, nil
	}
	for _, k := range n.store.messageKeys(n.recordKey(), peer) {
		sl, _, err := openMessage(k, tx.Token, 0, time.Now().Add(-maxClockSkew))
		if err == nil {
			m.ID, m.Seq, m.Epoch, m.Text, m.Body = sl.ID, sl.Seq, sl.Epoch, sl.Text, sl.Body
			return m, nil
		}
	}
	return nil, ErrNoKey
}
