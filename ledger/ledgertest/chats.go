package ledgertest

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// Chats signs n chat transactions between a and b, alternately from a
// (even i) and from b (odd i), each holding text sealed under one fresh
// Fernet key; the i-th is dated 1700000000+i seconds and filed under the
// case caseOf(i).
func Chats(t testing.TB, a, b *identity.Identity, n int, text string, caseOf func(i int) string) []*ledger.Transaction {
	t.Helper()
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	txs := make([]*ledger.Transaction, 0, n)
	for i := range n {
		tok, err := fernet.EncryptAndSign([]byte(text), &k)
		if err != nil {
			t.Fatal(err)
		}
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		tx := &ledger.Transaction{Kind: ledger.KindChat, Recipient: to.Public(), CaseID: caseOf(i), Time: time.Unix(1700000000+int64(i), 0), Token: tok}
		if err := tx.Sign(from); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	return txs
}

// Append opens the ledger at path for owner with opts, appends txs in
// order, closes it and returns the transactions' IDs.
func Append(t testing.TB, path string, owner *identity.Identity, opts *ledger.Options, txs []*ledger.Transaction) []ledger.TxID {
	t.Helper()
	l, err := ledger.Open(path, owner, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ids := make([]ledger.TxID, 0, len(txs))
	for _, tx := range txs {
		rc, err := l.Append(context.Background(), tx)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rc.ID)
	}
	return ids
}

// ChatDir makes a data directory holding a new identity and, in the file
// named file, its ledger of n chat transactions ("blood pressure
// 120/80") with a second identity, the peer, in blocks of 4 and never
// sealed by age. It returns the directory, the transactions' IDs and the
// peer.
func ChatDir(t testing.TB, file string, n int, caseOf func(i int) string) (string, []ledger.TxID, *identity.Identity) {
	t.Helper()
	dir := t.TempDir()
	owner, err := identity.LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	peer, err := identity.LoadOrCreate(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	txs := Chats(t, owner, peer, n, "blood pressure 120/80", caseOf)
	ids := Append(t, filepath.Join(dir, file), owner, &ledger.Options{BlockMaxTx: 4, BlockMaxAge: -1}, txs)
	return dir, ids, peer
}

// WipeJournal zeroes both journal files of the closed ledger at path, as
// a crash on a disk that lost its last writes can leave them: whatever
// they held can no longer be told.
func WipeJournal(t testing.TB, path string) {
	t.Helper()
	for _, name := range []string{path + "-journal.0", path + "-journal.1"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, make([]byte, fi.Size()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
