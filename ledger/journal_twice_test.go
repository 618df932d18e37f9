package ledger

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestJournalDamagedTwiceAcrossTwoCrashes: a crash with a wiped journal
// file, a recovery that reports the loss, the user's acknowledgement, more
// acknowledged appends, and a second crash with the journal wiped again.
// The second loss must be reported on its own (the first acknowledged
// one does not hide it), and the appends recovered before it kept.
func TestJournalDamagedTwiceAcrossTwoCrashes(t *testing.T) {
	c := makeCrashedLedger(t, 10, 12)
	a, b := testIdentity(1), testIdentity(2)
	wipe := func(dir string) {
		for _, p := range journalPaths(filepath.Join(dir, "ledger.db")) {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, make([]byte, fi.Size()), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	wipe(c.dir)
	l, err := Open(c.path(), c.id, &Options{BlockMaxTx: 4, BlockMaxAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	var le *JournalLossError
	if err := l.CheckJournalLoss(); !errors.As(err, &le) {
		t.Fatalf("first crash: %v", err)
	}
	if n, err := l.AcknowledgeJournalLoss(); err != nil || n == 0 {
		t.Fatalf("acknowledge: %d %v", n, err)
	}
	kept := fill(t, l, seeded(60), a, b, 5)
	if _, err := l.TreeHead(); err != nil { // in bbolt
		t.Fatal(err)
	}
	size := l.Size()
	// The second crash: 7 more acknowledged, only in the journal.
	l.applyMu.Lock()
	fill(t, l, seeded(61), a, b, 7)
	d := t.TempDir()
	jps := journalPaths(l.Path())
	for _, p := range []string{l.Path(), jps[0], jps[1]} {
		copyFile(t, p, filepath.Join(d, filepath.Base(p)))
	}
	l.applyMu.Unlock()
	l.Close()
	wipe(d)
	l2, err := Open(filepath.Join(d, "ledger.db"), c.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	err = l2.CheckJournalLoss()
	if !errors.As(err, &le) || len(le.Losses) == 0 {
		t.Fatalf("second crash with the journal wiped again: %v, want a new loss from #%d", err, size)
	}
	for _, x := range le.Losses {
		if x.First != size || !x.Unknown() {
			t.Fatalf("unacknowledged loss %v: want only the second crash's, from #%d, of unknown size", x, size)
		}
	}
	for _, tx := range kept {
		if _, _, err := l2.Lookup(tx.ID()); err != nil {
			t.Fatalf("a transaction in bbolt before the second crash is gone: %v", err)
		}
	}
	if rep, err := l2.Verify(t.Context(), nil); err != nil || rep.OK {
		t.Fatalf("verify after the second loss: %v %+v", err, rep)
	}
}
