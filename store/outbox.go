package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"

	"qkdchat/ledger"
)

// OutboxItem is one queued message. Body and attempts are sealed on disk
// under the node's record key, with the rest of the item.
type OutboxItem struct {
	ID       string                 `json:"id"`
	Kind     ledger.Kind            `json:"kind"`
	CaseID   string                 `json:"case,omitempty"`
	Text     string                 `json:"text"`
	Body     json.RawMessage        `json:"body,omitempty"`
	Files    []AttachmentInfo       `json:"files,omitempty"` // sent before the message
	Extra    []ledger.AttachmentRef `json:"extra,omitempty"` // digests committed to without a file
	Created  time.Time              `json:"created"`
	Attempts [][]byte               `json:"attempts,omitempty"` // signed transactions sent so far
}

// Refs returns the attachment references the item's transaction carries.
// Files are named file-1, file-2, ... in the ledger: real names travel
// only in the sealed body.
func (it *OutboxItem) Refs() ([]ledger.AttachmentRef, error) {
	out := make([]ledger.AttachmentRef, 0, len(it.Files)+len(it.Extra))
	for i, f := range it.Files {
		d, err := ParseDigest(f.SHA256)
		if err != nil {
			return nil, err
		}
		out = append(out, ledger.AttachmentRef{Name: fmt.Sprintf("file-%d", i+1), Size: f.Size, SHA256: d})
	}
	return append(out, it.Extra...), nil
}

// OutboxEntry is a queued item and where it is filed.
type OutboxEntry struct {
	Key  []byte
	Item *OutboxItem
}

// Outbox is the per-contact queues of reliable delivery.
type Outbox struct {
	st  *Store
	key *fernet.Key
}

// Put queues it for peer. An item whose ID is already queued is left
// alone (added reports false).
func (o Outbox) Put(peer string, it *OutboxItem) (added bool, err error) {
	v, err := SealRecord(o.key, it)
	if err != nil {
		return false, err
	}
	err = o.st.update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketOutbox).CreateBucketIfNotExists([]byte(peer))
		if err != nil {
			return err
		}
		if k, _ := o.find(b, it.ID); k != nil {
			return nil
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		added = true
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), v)
	})
	if err != nil {
		return false, fmt.Errorf("app: queue message in %s: %w", o.st.path, err)
	}
	return added, nil
}

func (o Outbox) find(b *bolt.Bucket, id string) ([]byte, *OutboxItem) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var it OutboxItem
		if OpenRecord(o.key, v, &it) == nil && it.ID == id {
			return append([]byte(nil), k...), &it
		}
	}
	return nil, nil
}

// List returns peer's queued items in order.
func (o Outbox) List(peer string) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := o.st.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox).Bucket([]byte(peer))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			it := new(OutboxItem)
			if err := OpenRecord(o.key, v, it); err != nil {
				return fmt.Errorf("outbox item %x: %w", k, err)
			}
			out = append(out, OutboxEntry{Key: append([]byte(nil), k...), Item: it})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("app: read outbox in %s: %w", o.st.path, err)
	}
	return out, nil
}

// AddAttempt appends raw, a signed transaction just sealed for the item
// at key, to the item's attempts, keeping the last max. The read and the
// write are one transaction: two sessions with the same contact (one
// replacing the other) may send the same item at once, and neither may
// drop the attempt the other recorded, or the peer's acknowledgement of
// it would find nothing to record. An item no longer queued is left
// alone.
func (o Outbox) AddAttempt(peer string, key, raw []byte, max int) error {
	err := o.st.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox).Bucket([]byte(peer))
		if b == nil {
			return nil
		}
		v := b.Get(key)
		if v == nil {
			return nil
		}
		var it OutboxItem
		if err := OpenRecord(o.key, v, &it); err != nil {
			return fmt.Errorf("outbox item %x: %w", key, err)
		}
		if max > 0 && len(it.Attempts) >= max {
			it.Attempts = it.Attempts[len(it.Attempts)-max+1:]
		}
		it.Attempts = append(it.Attempts, raw)
		nv, err := SealRecord(o.key, &it)
		if err != nil {
			return err
		}
		return b.Put(key, nv)
	})
	if err != nil {
		return fmt.Errorf("app: record a send attempt in %s: %w", o.st.path, err)
	}
	return nil
}

// Take removes and returns the item with message ID id.
func (o Outbox) Take(peer, id string) (*OutboxItem, error) {
	var it *OutboxItem
	err := o.st.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox).Bucket([]byte(peer))
		if b == nil {
			return nil
		}
		var k []byte
		k, it = o.find(b, id)
		if k == nil {
			return nil
		}
		return b.Delete(k)
	})
	return it, err
}

// Peek returns the item with message ID id, leaving it queued.
func (o Outbox) Peek(peer, id string) (*OutboxItem, error) {
	var it *OutboxItem
	err := o.st.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketOutbox).Bucket([]byte(peer)); b != nil {
			_, it = o.find(b, id)
		}
		return nil
	})
	return it, err
}

// Seen records the messages received and appended, by sender and ID, so
// that a resend is acknowledged with the transaction already held.
type Seen struct{ st *Store }

func seenKey(peer, id string) []byte { return []byte(peer + "/" + id) }

// Get returns the TxID recorded for a message ID received from peer.
func (s Seen) Get(peer, id string) (ledger.TxID, bool) {
	var txid ledger.TxID
	ok := false
	s.st.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSeen).Get(seenKey(peer, id)); len(v) == len(txid) {
			copy(txid[:], v)
			ok = true
		}
		return nil
	})
	return txid, ok
}

// Mark records that message id from peer is appended as txid.
func (s Seen) Mark(peer, id string, txid ledger.TxID) error {
	return s.st.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeen).Put(seenKey(peer, id), txid[:])
	})
}
