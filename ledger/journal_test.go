package ledger

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// journalScenario makes a closed ledger of `stored` transactions at a
// fresh path and returns it with `more` further signed transactions that
// are not in it.
func journalScenario(t *testing.T, stored, more int) (path string, id *Identity, extra []*Transaction) {
	t.Helper()
	a, b := testIdentity(1), testIdentity(2)
	r := rand.New(rand.NewPCG(7, uint64(stored)))
	path = filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, a, &Options{BlockMaxTx: 4})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, r, a, b, stored)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	jr, recs, err := openJournal(path, false)
	if err != nil {
		t.Fatal(err)
	}
	jr.closeFiles()
	if len(recs) != 0 {
		t.Fatalf("after Close the journal still holds %d records", len(recs))
	}
	for i := range more {
		extra = append(extra, newTx(t, r, a, b, stored+i))
	}
	return path, a, extra
}

// writeJournal adds txs after the records in journal file file of the
// ledger at path, as a process that stopped before moving them into bbolt
// would have left it, and returns where they end.
func writeJournal(t *testing.T, path string, file int, first int64, txs []*Transaction) int64 {
	t.Helper()
	jr, _, err := openJournal(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer jr.closeFiles()
	jf := jr.files[file]
	recs, err := readJournal(jf.f)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		jf.off += journalHeaderSize + int64(len(r.enc))
	}
	jr.cur = file
	var encs [][]byte
	for _, tx := range txs {
		enc, err := tx.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		encs = append(encs, enc)
	}
	if err := jr.write(first, encs); err != nil {
		t.Fatal(err)
	}
	return jf.off
}

func reopen(t *testing.T, path string, id *Identity) *Ledger {
	t.Helper()
	l, err := Open(path, id, &Options{BlockMaxTx: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// checkHolds fails unless l holds exactly want at indexes 0.. and verifies.
func checkHolds(t *testing.T, l *Ledger, want []*Transaction, from int) {
	t.Helper()
	if got := l.Size(); got != int64(from+len(want)) {
		t.Fatalf("size %d, want %d", got, from+len(want))
	}
	for i, tx := range want {
		got, err := l.Tx(int64(from + i))
		if err != nil {
			t.Fatal(err)
		}
		if got.ID() != tx.ID() {
			t.Fatalf("transaction %d is not the journalled one", from+i)
		}
	}
	rep, err := l.Verify(context.Background(), nil)
	if err != nil || !rep.OK {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func TestJournalRecoversAcknowledgedAppends(t *testing.T) {
	path, id, extra := journalScenario(t, 10, 6)
	writeJournal(t, path, 0, 10, extra)
	l := reopen(t, path, id)
	checkHolds(t, l, extra, 10)
	// Blocks are cut by count over the recovered transactions too.
	if h := l.Height(); h != 4 {
		t.Errorf("height %d after 16 transactions in blocks of 4, want 4", h)
	}
	// Appending again continues after them.
	r := rand.New(rand.NewPCG(1, 1))
	tx := newTx(t, r, id, testIdentity(2), 99)
	rc, err := l.Append(context.Background(), tx)
	if err != nil || rc.Index != 16 || rc.Duplicate {
		t.Fatalf("append after recovery: %+v, %v", rc, err)
	}
	// A recovered transaction appended again is a duplicate.
	rc, err = l.Append(context.Background(), extra[2])
	if err != nil || !rc.Duplicate || rc.Index != 12 || rc.Height != 3 {
		t.Fatalf("re-append of a recovered transaction: %+v, %v", rc, err)
	}
}

// TestJournalBothFiles recovers transactions split over the two files, as
// left by a turn from one file to the other.
func TestJournalBothFiles(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 6)
	writeJournal(t, path, 1, 5, extra[:4])
	writeJournal(t, path, 0, 9, extra[4:])
	l := reopen(t, path, id)
	checkHolds(t, l, extra, 5)
}

func TestJournalTornTailIsDropped(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 4)
	writeJournal(t, path, 0, 5, extra[:3])
	end := writeJournal(t, path, 0, 8, extra[3:]) // a second write, appended
	// The second write was cut short by the crash: it was never
	// acknowledged, so it is dropped, and the first is kept.
	if err := os.Truncate(journalPaths(path)[0], end-7); err != nil {
		t.Fatal(err)
	}
	l := reopen(t, path, id)
	checkHolds(t, l, extra[:3], 5)
}

func TestJournalDamagedRecordEndsIt(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 4)
	writeJournal(t, path, 0, 5, extra)
	data, err := os.ReadFile(journalPaths(path)[0])
	if err != nil {
		t.Fatal(err)
	}
	// Flip a byte in the third record: it and everything after it are the
	// damaged tail of the last write.
	recs, _ := readJournal(bytes.NewReader(data))
	off := 0
	for _, r := range recs[:2] {
		off += journalHeaderSize + len(r.enc)
	}
	data[off+journalHeaderSize+10] ^= 0x40
	if err := os.WriteFile(journalPaths(path)[0], data, 0o600); err != nil {
		t.Fatal(err)
	}
	l := reopen(t, path, id)
	checkHolds(t, l, extra[:2], 5)
}

func TestJournalOldRecordsAfterRewindAreIgnored(t *testing.T) {
	path, id, extra := journalScenario(t, 6, 3)
	// The journal as left by a rewind: records 6..8 at the start, then
	// records 1..5 of an earlier lap, which bbolt already holds.
	l := reopen(t, path, id)
	var old []*Transaction
	for i := range 5 {
		tx, err := l.Tx(int64(1 + i))
		if err != nil {
			t.Fatal(err)
		}
		old = append(old, tx)
	}
	l.Close()
	writeJournal(t, path, 0, 1, old)
	jr, _, err := openJournal(path, false)
	if err != nil {
		t.Fatal(err)
	}
	var encs [][]byte
	for _, tx := range extra {
		enc, _ := tx.MarshalBinary()
		encs = append(encs, enc)
	}
	if err := jr.write(6, encs); err != nil { // file 0 again, from its start
		t.Fatal(err)
	}
	jr.closeFiles()
	l = reopen(t, path, id)
	checkHolds(t, l, extra, 6)
}

func TestJournalGapIsCorrupt(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 3)
	writeJournal(t, path, 0, 7, extra) // the ledger holds 5: 5 and 6 are missing
	_, err := Open(path, id, nil)
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("open with a gap before the journal: %v, want a CorruptError", err)
	}
}

func TestJournalForgedRecordIsCorrupt(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 2)
	extra[1].Token[20] ^= 1 // no longer what the sender signed
	writeJournal(t, path, 0, 5, extra)
	_, err := Open(path, id, nil)
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrBadSignature) {
		t.Fatalf("open with a forged journal record: %v", err)
	}
}

func TestJournalReadOnlyOpenRefusesPending(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 2)
	writeJournal(t, path, 0, 5, extra)
	_, err := Open(path, id, &Options{ReadOnly: true})
	if !errors.Is(err, ErrJournalPending) {
		t.Fatalf("read-only open with journalled transactions: %v", err)
	}
	// Opening it for writing recovers them; then read-only works.
	l, err := Open(path, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	ro, err := Open(path, id, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	checkHolds(t, ro, extra, 5)
}

// TestJournalRewinds appends enough to pass journalRewindAt several times
// and checks the journal file stays bounded and the ledger intact.
func TestJournalRewinds(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	r := rand.New(rand.NewPCG(9, 9))
	l := openTest(t, a, &Options{NoSync: true})
	var txs []*Transaction
	for i := range 6000 { // ~2.5 MB of transactions
		txs = append(txs, newTx(t, r, a, b, i))
	}
	for i := 0; i < len(txs); i += 100 {
		done := make(chan error, 100)
		for _, tx := range txs[i : i+100] {
			go func() {
				_, err := l.Append(context.Background(), tx)
				done <- err
			}()
		}
		for range 100 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, jp := range journalPaths(l.Path()) {
		fi, err := os.Stat(jp)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > journalRewindAt+journalChunk {
			t.Errorf("%s is %d bytes after 6000 appends; the files should take turns past %d", jp, fi.Size(), journalRewindAt)
		}
	}
	rep, err := l.Verify(context.Background(), nil)
	if err != nil || !rep.OK || rep.Size != 6000 {
		t.Fatalf("verify: %v %+v", err, rep)
	}
}

func FuzzReadJournal(f *testing.F) {
	a, b := testIdentity(1), testIdentity(2)
	r := rand.New(rand.NewPCG(1, 2))
	var good []byte
	for i := range 3 {
		enc, _ := newTx(f, r, a, b, i).MarshalBinary()
		good = appendJournalRecord(good, int64(i), enc)
	}
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add([]byte{})
	f.Add(make([]byte, journalHeaderSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		recs, err := readJournal(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err) // a bytes.Reader only fails with EOF
		}
		total := 0
		for i, r := range recs {
			if i > 0 && r.index != recs[i-1].index+1 {
				t.Fatalf("records out of sequence: %d after %d", r.index, recs[i-1].index)
			}
			total += journalHeaderSize + len(r.enc)
		}
		if total > len(data) {
			t.Fatalf("read %d bytes of records from %d", total, len(data))
		}
	})
}
