package delivery

import (
	"errors"
	"fmt"

	"qkdchat/identity"
	"qkdchat/ledger"
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
// node's own signed attempt at the item (signed by self for peer, of the
// item's kind and case). self and peer are fingerprints.
func ackedTransaction(it *store.OutboxItem, a reliableAck, self, peer string) (*ledger.Transaction, error) {
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
	return tx, nil
}
