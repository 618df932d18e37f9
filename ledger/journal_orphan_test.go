package ledger

import (
	"os"
	"path/filepath"
	"testing"
)

// TestNewLedgerIgnoresAnotherLedgersJournal: ledger.db is deleted (an owner
// starting over, or a user removing a damaged file) while the journal files
// of the old ledger stay. The new ledger must not take the old ledger's
// transactions as its own, neither cleanly closed ones nor ones still
// pending after a crash, and a read-only open of it must not refuse it for
// records that were never its own. The old files are kept, set aside.
func TestNewLedgerIgnoresAnotherLedgersJournal(t *testing.T) {
	for _, pending := range []int{0, 5} {
		path, id, extra := journalScenario(t, 9, pending)
		if pending > 0 {
			writeJournal(t, path, 0, 9, extra)
		}
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		l, err := Open(path, id, &Options{BlockMaxTx: 4})
		if err != nil {
			t.Fatalf("pending %d: open a new ledger beside an old journal: %v", pending, err)
		}
		if n := l.Size(); n != 0 {
			t.Fatalf("pending %d: the new ledger starts with %d transactions of the old one", pending, n)
		}
		r := seeded(3)
		fill(t, l, r, id, testIdentity(2), 3)
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		ro, err := Open(path, id, &Options{ReadOnly: true})
		if err != nil {
			t.Fatalf("pending %d: read-only open of the new ledger: %v", pending, err)
		}
		if n := ro.Size(); n != 3 {
			t.Errorf("pending %d: read-only size %d, want 3", pending, n)
		}
		if rep := mustVerify(t, ro); !rep.OK {
			t.Errorf("pending %d: verify of the new ledger: %+v", pending, rep)
		}
		ro.Close()
		set, _ := filepath.Glob(path + "-journal.*.orphaned-*")
		if len(set) != 2 {
			t.Errorf("pending %d: the old journal files were not kept aside: %v", pending, set)
		}
	}
}
