package node

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/ledger/ledgertest"
)

// TestOpenRefusesJournalLoss: a node whose ledger journal lost
// acknowledged transactions does not start as if nothing happened, at
// every start, until the loss is acknowledged.
func TestOpenRefusesJournalLoss(t *testing.T) {
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: "Dr. Ada", Role: RoleDoctor}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	n.Close()
	ledgertest.WipeJournal(t, filepath.Join(dir, LedgerFile))
	for range 2 {
		_, err := Open(Options{Dir: dir})
		var le *ledger.JournalLossError
		if !errors.As(err, &le) || !errors.Is(err, ledger.ErrJournalLoss) ||
			!strings.Contains(err.Error(), filepath.Join(dir, LedgerFile+"-journal.0")) || !strings.Contains(err.Error(), "ack-loss") {
			t.Fatalf("open after the journal was wiped: %v", err)
		}
	}
	id, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(filepath.Join(dir, LedgerFile), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := l.AcknowledgeJournalLoss(); k != 2 || err != nil { // one per wiped file
		t.Fatalf("acknowledge: %d %v", k, err)
	}
	l.Close()
	n, err = Open(Options{Dir: dir})
	if err != nil {
		t.Fatalf("open after the loss was acknowledged: %v", err)
	}
	n.Close()
}
