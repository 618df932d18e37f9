package node

import (
	"errors"
	"path/filepath"

	"qkdchat/ledger"
)

// JournalLoss reports whether err (from Open) is a refusal to start
// because the ledger's journal lost acknowledged messages, and if so
// describes each loss in words (file, record, which messages).
func JournalLoss(err error) (losses []string, ok bool) {
	var le *ledger.JournalLossError
	if !errors.As(err, &le) {
		return nil, false
	}
	for _, x := range le.Losses {
		losses = append(losses, x.String())
	}
	return losses, true
}

// AcknowledgeJournalLoss accepts the journal losses of the ledger in dir,
// as `qkdchat ledger ack-loss` does, so that the node starts again; the
// losses stay listed by the ledger's verification, marked acknowledged.
// It opens only the identity and the ledger, never state.db. It returns
// how many losses it acknowledged.
func AcknowledgeJournalLoss(dir string) (int, error) {
	id, err := loadIdentity(dir)
	if err != nil {
		return 0, err
	}
	l, err := ledger.Open(filepath.Join(dir, LedgerFile), id, nil)
	if err != nil {
		return 0, ExplainDamage(dir, err)
	}
	n, err := l.AcknowledgeJournalLoss()
	if cerr := l.Close(); err == nil {
		err = cerr
	}
	return n, err
}
