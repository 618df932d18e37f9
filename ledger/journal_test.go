package ledger

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	bolt "go.etcd.io/bbolt"

	"qkdchat/identity"
)

// journalScenario makes a closed ledger of `stored` transactions at a
// fresh path and returns it with `more` further signed transactions that
// are not in it.
func journalScenario(t *testing.T, stored, more int) (path string, id *identity.Identity, extra []*Transaction) {
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
	scans, err := readJournalFiles(path)
	if err != nil {
		t.Fatal(err)
	}
	if plan := planRecovery(scans, int64(stored), sessionOf(t, path)); len(plan.recs)+len(plan.losses) != 0 {
		t.Fatalf("after Close the journal still holds %d records and %d losses", len(plan.recs), len(plan.losses))
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
	session := sessionOf(t, path)
	jr, scans, err := openJournal(path, false, session, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer jr.closeFiles()
	jr.session = session
	jf := jr.files[file]
	for _, f := range scans[file].frames {
		if f.session == session {
			jf.off = max(jf.off, f.off+journalHeaderSize+int64(len(f.payload)))
		}
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

// sessionOf reads the journal session of the closed ledger at path.
func sessionOf(t testing.TB, path string) uint64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l := &Ledger{path: path, db: db}
	s, err := l.journalSession()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func reopen(t *testing.T, path string, id *identity.Identity) *Ledger {
	t.Helper()
	l, err := Open(path, id, &Options{BlockMaxTx: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// checkHolds fails unless l holds exactly want at indexes from.. and verifies.
func checkHolds(t *testing.T, l *Ledger, want []*Transaction, from int) {
	t.Helper()
	rep := holds(t, l, want, from)
	if !rep.OK {
		t.Fatalf("verify: %+v", rep)
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
	// Cut into its record: its commit frame is gone too.
	if err := os.Truncate(journalPaths(path)[0], end-journalHeaderSize-7); err != nil {
		t.Fatal(err)
	}
	l := reopen(t, path, id)
	checkHolds(t, l, extra[:3], 5)
	if err := l.CheckJournalLoss(); err != nil {
		t.Fatalf("a torn, unacknowledged write reported as a loss: %v", err)
	}
}

// TestJournalDamagedRecordIsReported damages one record in the middle of
// an acknowledged group: the records after it are still recovered, and
// the one lost is reported, in Verify too, until acknowledged.
func TestJournalDamagedRecordIsReported(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 4)
	writeJournal(t, path, 0, 5, extra)
	jp := journalPaths(path)[0]
	data, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	var third journalFrame
	for _, f := range scanJournal(jp, data).frames {
		if f.kind == frameRecord && f.index == 7 && f.session == sessionOf(t, path) {
			third = f
		}
	}
	// Two bytes: one is repaired (TestJournalOneDamagedByteIsRepaired).
	data[third.off+journalHeaderSize+10] ^= 0x40
	data[third.off+journalHeaderSize+30] ^= 0x40
	if err := os.WriteFile(jp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// Before a writable open, a read-only one reports the loss.
	_, err = Open(path, id, &Options{ReadOnly: true})
	var le *JournalLossError
	if !errors.As(err, &le) || !errors.Is(err, ErrJournalLoss) || !errors.Is(err, ErrJournalPending) || le.Pending != 3 {
		t.Fatalf("read-only open of a journal that lost a record: %v", err)
	}
	l := reopen(t, path, id)
	// 5, 6 and 8 are recovered, 8 now at 7.
	checkHoldsAfterLoss(t, l, []*Transaction{extra[0], extra[1], extra[3]}, 5)
	err = l.CheckJournalLoss()
	if !errors.As(err, &le) || len(le.Losses) != 1 {
		t.Fatalf("CheckJournalLoss: %v", err)
	}
	x := le.Losses[0]
	if x.File != jp || x.First != 7 || x.Last != 7 || x.Count != 1 || x.Moved != 1 || x.Offset != third.off || x.Record != third.ordinal {
		t.Fatalf("loss %+v, want #7 at record %d (byte %d) of %s, 1 moved", x, third.ordinal, third.off, jp)
	}
	rep, err := l.Verify(context.Background(), nil)
	if err != nil || rep.OK || len(rep.JournalLoss) != 1 {
		t.Fatalf("verify after a journal loss: %v %+v", err, rep)
	}
	// The loss survives a restart, and is not found a second time.
	l.Close()
	l = reopen(t, path, id)
	if err := l.CheckJournalLoss(); !errors.As(err, &le) || len(le.Losses) != 1 {
		t.Fatalf("after a restart: %v", err)
	}
	if n, err := l.AcknowledgeJournalLoss(); n != 1 || err != nil {
		t.Fatalf("acknowledge: %d, %v", n, err)
	}
	if err := l.CheckJournalLoss(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, l)
	all, err := l.JournalLosses()
	if err != nil || len(all) != 1 || !all[0].Acknowledged {
		t.Fatalf("acknowledged losses: %+v, %v", all, err)
	}
}

// TestJournalOneDamagedByteIsRepaired: a record with one changed byte,
// in its header or its transaction, is mended and recovered.
func TestJournalOneDamagedByteIsRepaired(t *testing.T) {
	for _, at := range []int64{5, 20, 38, journalHeaderSize + 10} {
		path, id, extra := journalScenario(t, 5, 4)
		writeJournal(t, path, 0, 5, extra)
		jp := journalPaths(path)[0]
		data, err := os.ReadFile(jp)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range scanJournal(jp, data).frames {
			if f.kind == frameRecord && f.index == 7 && f.session == sessionOf(t, path) {
				data[f.off+at] ^= 0x40
			}
		}
		if err := os.WriteFile(jp, data, 0o600); err != nil {
			t.Fatal(err)
		}
		l := reopen(t, path, id)
		checkHolds(t, l, extra, 5)
		if err := l.CheckJournalLoss(); err != nil {
			t.Fatalf("byte %d of a record changed: %v", at, err)
		}
		l.Close()
	}
}

// checkHoldsAfterLoss is checkHolds for a ledger whose Verify fails only
// because of a recorded journal loss.
func checkHoldsAfterLoss(t *testing.T, l *Ledger, want []*Transaction, from int) {
	t.Helper()
	rep := holds(t, l, want, from)
	if rep.FirstBadHeight != -1 || rep.BadIndex != -1 || len(rep.JournalLoss) == 0 {
		t.Fatalf("verify: %+v", rep)
	}
}

// holds fails unless l holds exactly want at indexes from.., and returns
// its verification report.
func holds(t *testing.T, l *Ledger, want []*Transaction, from int) *VerifyReport {
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
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
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
	session := sessionOf(t, path)
	jr, _, err := openJournal(path, false, session, 0)
	if err != nil {
		t.Fatal(err)
	}
	jr.session = session
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

// TestJournalGapIsReported: records of a group starting at 7 prove that 5
// and 6 were acknowledged; they are missing, so they are reported lost and
// the others recovered after the ledger's end.
func TestJournalGapIsReported(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 3)
	writeJournal(t, path, 0, 7, extra) // the ledger holds 5: 5 and 6 are missing
	l := reopen(t, path, id)
	checkHoldsAfterLoss(t, l, extra, 5)
	var le *JournalLossError
	if err := l.CheckJournalLoss(); !errors.As(err, &le) || len(le.Losses) != 1 {
		t.Fatalf("open with a gap before the journal: %v", err)
	}
	if x := le.Losses[0]; x.First != 5 || x.Last != 6 || x.Count != 2 || x.Moved != 3 {
		t.Fatalf("loss %+v, want #5-#6, 3 moved", x)
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
		// Wait for bbolt, so that the file to turn to is free however
		// slowly the applier runs on a loaded machine.
		if _, err := l.TreeHead(); err != nil {
			t.Fatal(err)
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

func FuzzScanJournal(f *testing.F) {
	a, b := testIdentity(1), testIdentity(2)
	r := rand.New(rand.NewPCG(1, 2))
	var good []byte
	for i := range 3 {
		enc, _ := newTx(f, r, a, b, i).MarshalBinary()
		good = appendFrame(good, frameRecord, 1, int64(i), 0, enc)
	}
	good = appendFrame(good, frameCommit, 1, 2, 0, nil)
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add([]byte{})
	f.Add(make([]byte, journalHeaderSize))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := scanJournal("j", data)
		// Frames and gaps tile the file in order, up to a tail shorter
		// than a header.
		var off int64
		fi, gi := 0, 0
		for fi < len(s.frames) || gi < len(s.gaps) {
			if fi < len(s.frames) && s.frames[fi].off == off {
				f := s.frames[fi]
				if f.ordinal != fi {
					t.Fatalf("frame %d has ordinal %d", fi, f.ordinal)
				}
				off += journalHeaderSize + int64(len(f.payload))
				fi++
			} else if gi < len(s.gaps) && s.gaps[gi].off == off && s.gaps[gi].end > off {
				off = s.gaps[gi].end
				gi++
			} else {
				t.Fatalf("nothing accounts for byte %d", off)
			}
		}
		if off > int64(len(data)) || int64(len(data))-off >= journalHeaderSize {
			t.Fatalf("scan ends at %d of %d bytes", off, len(data))
		}
		plan := planRecovery([2]journalScan{s, {path: "k"}}, 0, 1)
		for i := 1; i < len(plan.recs); i++ {
			if plan.recs[i].index <= plan.recs[i-1].index {
				t.Fatalf("records out of order: %d after %d", plan.recs[i].index, plan.recs[i-1].index)
			}
		}
	})
}

// TestJournalLegacyFormatIsRecovered: a ledger last written by qkdchat
// before journal frames, which stopped with transactions in its journal,
// gets them back.
func TestJournalLegacyFormatIsRecovered(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 3)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(btx *bolt.Tx) error { return btx.Bucket(bucketMeta).Delete(metaJournalSession) }); err != nil {
		t.Fatal(err)
	}
	db.Close()
	var b []byte
	for i, tx := range extra {
		enc, _ := tx.MarshalBinary()
		var hdr [16]byte
		binary.LittleEndian.PutUint32(hdr[0:], uint32(len(enc)))
		binary.LittleEndian.PutUint64(hdr[8:], uint64(5+i))
		binary.LittleEndian.PutUint32(hdr[4:], crc32.Update(crc32.Checksum(hdr[8:], journalCRC), journalCRC, enc))
		b = append(append(b, hdr[:]...), enc...)
	}
	if err := os.WriteFile(journalPaths(path)[0], append(b, make([]byte, 100)...), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journalPaths(path)[1], make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	l := reopen(t, path, id)
	checkHolds(t, l, extra, 5)
	if err := l.CheckJournalLoss(); err != nil {
		t.Fatal(err)
	}
	// The old-format files are not taken for wiped ones later.
	l.Close()
	l = reopen(t, path, id)
	if err := l.CheckJournalLoss(); err != nil {
		t.Fatalf("second open after an old-format journal: %v", err)
	}
}

func TestCRCByteFix(t *testing.T) {
	r := seeded(3)
	for _, n := range []int{1, 2, 37, 500} {
		for range 50 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			want := crc32.Checksum(b, journalCRC)
			p, v := r.IntN(n), byte(1+r.IntN(255))
			b[p] ^= v
			gp, gv, ok := crcByteFix(b, want)
			if !ok || gp != p || gv != v {
				t.Fatalf("n=%d: changed byte %d by %#x, found %d %#x %v", n, p, v, gp, gv, ok)
			}
			b[p] ^= v
			if _, _, ok := crcByteFix(b, want); ok {
				t.Fatalf("n=%d: a fix for an undamaged buffer", n)
			}
		}
	}
}
