package ledger

import (
	"os"
	"path/filepath"
	"testing"
)

// TestJournalWipeCrashDuringRecovery: journal file 0 is zeroed after a
// crash; the recovery records the possible loss in bbolt and the process
// is killed before it writes clean frames over the wiped file. The next
// Open must report the loss, once: nothing was acknowledged in between.
func TestJournalWipeCrashDuringRecovery(t *testing.T) {
	c := makeCrashedLedger(t, 10, 12)
	jps := journalPaths(c.path())
	fi, err := os.Stat(jps[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jps[0], make([]byte, fi.Size()), 0o600); err != nil {
		t.Fatal(err)
	}
	saved := t.TempDir() // the journal as the killed recovery left it
	for _, p := range jps {
		copyFile(t, p, filepath.Join(saved, filepath.Base(p)))
	}
	l, err := Open(c.path(), c.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	first, err := l.JournalLosses()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	// Killed after bbolt's commit: bbolt as committed, the journal files
	// not yet marked.
	for _, p := range jps {
		copyFile(t, filepath.Join(saved, filepath.Base(p)), p)
	}
	l2, err := Open(c.path(), c.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	second, err := l2.JournalLosses()
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || len(second) != 1 {
		t.Fatalf("one wiped journal file: %d loss record(s) after the recovery, %d after a crash during it; want 1 and 1: %+v", len(first), len(second), second)
	}
	if n, err := l2.AcknowledgeJournalLoss(); err != nil || n != 1 {
		t.Fatalf("acknowledge: %d %v", n, err)
	}
	if err := l2.CheckJournalLoss(); err != nil {
		t.Fatalf("after the acknowledgement: %v", err)
	}
}
