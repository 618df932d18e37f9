package node

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/node/audit"
	"qkdchat/session"
)

// ErrNoKey means this node does not hold the key a transaction was sealed
// under (it was neither party, or the key store was lost).
var ErrNoKey = audit.ErrNoKey

// openTransaction decrypts a ledger transaction this node sent or
// received. Key events are sealed under the node's record key and decode
// to a message whose Body is the KeyExchange JSON.
func (n *Node) openTransaction(tx *ledger.Transaction) (*Message, error) {
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
	for _, k := range n.store.Keys(n.recordKey()).List(peer) {
		sl, _, err := session.OpenMessage(k, tx.Token, 0, time.Now().Add(-session.MaxClockSkew))
		if err == nil {
			m.ID, m.Seq, m.Epoch, m.Text, m.Body = sl.ID, sl.Seq, sl.Epoch, sl.Text, sl.Body
			return m, nil
		}
	}
	return nil, ErrNoKey
}
