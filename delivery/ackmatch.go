package delivery

import (
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/session"
	"qkdchat/store"
)

// maxAckTx bounds the recorded transaction a receiver returns with the
// acknowledgement of a resend (reliableAck.Tx); base64 in JSON, it keeps
// the acknowledgement well inside one transport frame.
const maxAckTx = 512 << 10

// errAckUnproven is the cause of an acknowledgement that names a
// transaction this node can neither find among the item's attempts nor
// prove its own.
var errAckUnproven = errors.New("the acknowledgement names a transaction this node does not hold")

// ackedTransaction returns the transaction an acknowledgement says the
// peer recorded for item it: one of the item's attempts or, when that
// attempt is no longer kept (only the last maxAttempts are), the copy the
// peer returned with the acknowledgement, accepted only if it is this
// node's own signed attempt at the item: signed by self for peer, of the
// item's kind and case, and sealed (under one of keys, the message keys
// shared with peer) with the item's message ID, so that the copy of
// another message in the same case does not pass for it. self and peer
// are fingerprints; keys is called only for a copy that passed the
// other checks.
func ackedTransaction(it *store.OutboxItem, a reliableAck, self, peer string, keys func() []*fernet.Key) (*ledger.Transaction, error) {
	for _, raw := range it.Attempts {
		tx := new(ledger.Transaction)
		if tx.UnmarshalBinary(raw) == nil && tx.ID().String() == a.TxID {
			return tx, nil
		}
	}
	if len(a.Tx) == 0 {
		return nil, errAckUnproven
	}
	tx := new(ledger.Transaction)
	switch {
	case len(a.Tx) > maxAckTx:
		return nil, fmt.Errorf("%w: the copy returned is %d bytes", errAckUnproven, len(a.Tx))
	case tx.UnmarshalBinary(a.Tx) != nil:
		return nil, fmt.Errorf("%w: the copy returned is malformed", errAckUnproven)
	case tx.ID().String() != a.TxID:
		return nil, fmt.Errorf("%w: the copy returned is another transaction", errAckUnproven)
	case !identity.Matches(self, tx.Sender) || !identity.Matches(peer, tx.Recipient):
		return nil, fmt.Errorf("%w: the copy returned was not sent by this node to this peer", errAckUnproven)
	case tx.Kind != it.Kind || tx.CaseID != it.CaseID:
		return nil, fmt.Errorf("%w: the copy returned is a %s in %q, the message a %s in %q", errAckUnproven, tx.Kind, tx.CaseID, it.Kind, it.CaseID)
	}
	if err := tx.Verify(); err != nil {
		return nil, fmt.Errorf("%w: the copy returned: %w", errAckUnproven, err)
	}
	for _, k := range keys() {
		sl, _, err := session.OpenMessage(k, tx.Token, 0, time.Now())
		if err != nil {
			continue
		}
		if sl.ID != it.ID {
			return nil, fmt.Errorf("%w: the copy returned is another message", errAckUnproven)
		}
		return tx, nil
	}
	return nil, fmt.Errorf("%w: the copy returned is sealed under no message key this node keeps", errAckUnproven)
}
