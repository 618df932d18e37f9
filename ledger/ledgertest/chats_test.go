package ledgertest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// TestChatDirVerifiesAndWipeJournalIsALoss: the directory ChatDir makes
// holds a ledger that verifies, with the n transactions alternately from
// the owner and the peer; after WipeJournal the ledger reports a journal loss.
func TestChatDirVerifiesAndWipeJournalIsALoss(t *testing.T) {
	dir, ids, peer := ChatDir(t, "ledger.db", 6, func(i int) string { return "case-7" })
	if len(ids) != 6 {
		t.Fatalf("%d IDs, want 6", len(ids))
	}
	owner, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "ledger.db")
	l, err := ledger.Open(path, owner, nil)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := l.Verify(context.Background(), nil)
	if err != nil || !rep.OK || rep.Size != 6 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
	for i, id := range ids {
		_, tx, err := l.Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		want := owner.Public()
		if i%2 == 1 {
			want = peer.Public()
		}
		if !tx.Sender.Equal(want) || tx.CaseID != "case-7" {
			t.Errorf("transaction %d from %x in %q", i, tx.Sender, tx.CaseID)
		}
	}
	l.Close()
	WipeJournal(t, path)
	l, err = ledger.Open(path, owner, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CheckJournalLoss(); !errors.Is(err, ledger.ErrJournalLoss) {
		t.Fatalf("after WipeJournal: %v, want a journal loss", err)
	}
}
