package node

import "qkdchat/ledger"

// Kind says what a transaction records. The front ends name kinds
// through these aliases (node.KindChat) rather than through package ledger.
type Kind = ledger.Kind

// The kinds of transaction.
const (
	KindChat       = ledger.KindChat
	KindPHR        = ledger.KindPHR
	KindReferral   = ledger.KindReferral
	KindReport     = ledger.KindReport
	KindKeyEvent   = ledger.KindKeyEvent
	KindCheckpoint = ledger.KindCheckpoint
)

// TxID identifies a transaction: the Merkle leaf hash of its signed
// encoding. It prints and marshals as 64 lower-case hex digits.
type TxID = ledger.TxID

// ParseTxID parses a transaction ID as TxID.String prints it.
func ParseTxID(s string) (TxID, error) { return ledger.ParseTxID(s) }
