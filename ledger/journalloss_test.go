package ledger

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"qkdchat/identity"
)

// crashedLedger is a ledger copied while applied transactions were in its
// journal followed by acknowledged ones bbolt did not have yet: what a
// crash leaves.
type crashedLedger struct {
	dir     string // holds ledger.db and its journal files
	id      *identity.Identity
	applied int64  // transactions in bbolt
	pending []TxID // acknowledged, only in the journal, from index applied on
}

// makeCrashedLedger appends applied transactions, waits for bbolt to hold
// them, then appends pending more with the applier held back and copies
// the files, as a crash at that moment would leave them.
func makeCrashedLedger(t *testing.T, applied, pending int) *crashedLedger {
	t.Helper()
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, &Options{BlockMaxTx: 4, BlockMaxAge: -1})
	fill(t, l, seeded(41), a, b, applied)
	if _, err := l.TreeHead(); err != nil { // waits for bbolt
		t.Fatal(err)
	}
	c := &crashedLedger{dir: t.TempDir(), id: a, applied: int64(applied)}
	l.applyMu.Lock()
	for _, tx := range fill(t, l, seeded(42), a, b, pending) {
		c.pending = append(c.pending, tx.ID())
	}
	jps := journalPaths(l.Path())
	for _, p := range []string{l.Path(), jps[0], jps[1]} {
		copyFile(t, p, filepath.Join(c.dir, filepath.Base(p)))
	}
	l.applyMu.Unlock()
	return c
}

func (c *crashedLedger) path() string { return filepath.Join(c.dir, "ledger.db") }

// clone copies the crashed ledger to a new directory.
func (c *crashedLedger) clone(t *testing.T) *crashedLedger {
	t.Helper()
	d := *c
	d.dir = t.TempDir()
	jps := journalPaths(c.path())
	for _, p := range []string{c.path(), jps[0], jps[1]} {
		copyFile(t, p, filepath.Join(d.dir, filepath.Base(p)))
	}
	return &d
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// reported reports whether a loss covers index i.
func reported(losses []JournalLoss, i int64) bool {
	for _, x := range losses {
		if i >= x.First && (x.Unknown() || i <= x.Last) {
			return true
		}
	}
	return false
}

// flipOutcome counts, over damaged journals, what became of the pending
// (acknowledged) transactions.
type flipOutcome struct {
	flips      int
	recovered  int // pending transactions recovered
	reported   int // pending transactions lost and reported
	unreported int // pending transactions lost without a report
	falseAlarm int // transactions recovered but reported lost too
	withLoss   int // flips that led to a reported loss
}

// TestJournalFlipEveryByte flips, one at a time, every byte a crashed
// ledger's journal holds (both files, up to the end of what was written
// plus a margin) and plans the recovery: every acknowledged transaction
// must be recovered or reported lost, none lost without a report, none
// reported lost that was recovered. It does so twice: without the
// single-byte repair, to test finding the next record past damage and
// reporting what is missing, and with it, when nothing may be lost at
// all. Under -short or -race it takes every 11th byte; the full run is
//
//	go test -run 'TestJournalFlipEveryByte$' -count=1 ./ledger/
func TestJournalFlipEveryByte(t *testing.T) {
	c := makeCrashedLedger(t, 40, 33)
	session := sessionOf(t, c.path())
	step, repairStep := 1, 1
	if testing.Short() || raceEnabled {
		step, repairStep = 11, 11
	}
	var (
		data  [2][]byte
		scans [2]journalScan
	)
	for i, jp := range journalPaths(c.path()) {
		b, err := os.ReadFile(jp)
		if err != nil {
			t.Fatal(err)
		}
		data[i] = b
		scans[i] = scanJournal(jp, b)
	}
	want := map[TxID]int64{}
	for k, id := range c.pending {
		want[id] = c.applied + int64(k)
	}
	check := func(plan recoveryPlan, o *flipOutcome) {
		got := map[TxID]bool{}
		for _, r := range plan.recs {
			id := txIDOf(r.enc)
			if idx, ok := want[id]; !ok || idx != r.index {
				t.Fatalf("recovered a record that was not acknowledged at %d: %s", r.index, id)
			}
			got[id] = true
		}
		if len(plan.losses) > 0 {
			o.withLoss++
		}
		for k, id := range c.pending {
			i := c.applied + int64(k)
			switch rep := reported(plan.losses, i); {
			case got[id] && rep:
				o.falseAlarm++
			case got[id]:
				o.recovered++
			case rep:
				o.reported++
			default:
				o.unreported++
			}
		}
		o.flips++
	}
	// Undamaged, everything is recovered.
	var clean flipOutcome
	check(planRecovery(scans, c.applied, session), &clean)
	if clean.recovered != len(c.pending) || clean.withLoss != 0 {
		t.Fatalf("undamaged journal: %+v", clean)
	}
	flipAll := func(step int, repair bool) flipOutcome {
		var o flipOutcome
		for fi := range data {
			end := int64(0)
			for _, f := range scans[fi].frames {
				end = max(end, f.off+journalHeaderSize+int64(len(f.payload)))
			}
			end = min(end+256, int64(len(data[fi])))
			for p := int64(0); p < end; p += int64(step) {
				data[fi][p] ^= 0x5a
				s := scans
				s[fi] = scanJournal(s[fi].path, data[fi])
				if repair {
					repairJournal(&s[fi], data[fi])
				}
				check(planRecovery(s, c.applied, session), &o)
				data[fi][p] ^= 0x5a
			}
		}
		t.Logf("repair %v: %d single-byte flips over %d pending transactions: %d recovered, %d lost and reported (%d flips reported a loss), %d lost unreported, %d false alarms",
			repair, o.flips, len(c.pending), o.recovered, o.reported, o.withLoss, o.unreported, o.falseAlarm)
		if o.unreported != 0 || o.falseAlarm != 0 {
			t.Fatalf("acknowledged transactions lost without a report: %d; recovered but reported lost: %d", o.unreported, o.falseAlarm)
		}
		return o
	}
	if o := flipAll(step, false); o.reported == 0 || o.recovered == 0 {
		t.Fatalf("the flips neither lost nor kept anything: %+v", o)
	}
	if o := flipAll(repairStep, true); o.reported != 0 || o.recovered != o.flips*len(c.pending) {
		t.Fatalf("with repair, a single changed byte still lost transactions: %+v", o)
	}
}

// TestJournalFlipOpen is TestJournalFlipEveryByte through Open, Lookup,
// Verify and a restart, with two bytes changed (too many to repair) in
// the header and the payload of each frame (every 15th frame under -short or -race); the full run is
//
//	go test -run 'TestJournalFlipOpen$' -count=1 ./ledger/
func TestJournalFlipOpen(t *testing.T) {
	c := makeCrashedLedger(t, 40, 33)
	jp := journalPaths(c.path())[0]
	data, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	var pos []int64
	every := 1
	if testing.Short() || raceEnabled {
		every = 15
	}
	for k, f := range scanJournal(jp, data).frames {
		if k%every == 0 {
			pos = append(pos, f.off)
		}
	}
	lossRuns := 0
	for _, p := range pos {
		d := c.clone(t)
		b := append([]byte(nil), data...)
		f, _ := parseFrame(b, p)
		b[p+20] ^= 0x01
		b[p+30+int64(len(f.payload))/2] ^= 0x01
		if err := os.WriteFile(journalPaths(d.path())[0], b, 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Open(d.path(), d.id, &Options{NoSync: true})
		if err != nil {
			t.Fatalf("flip at %d: open: %v", p, err)
		}
		var losses []JournalLoss
		var le *JournalLossError
		if err := l.CheckJournalLoss(); errors.As(err, &le) {
			losses = le.Losses
		} else if err != nil {
			t.Fatal(err)
		}
		for k, id := range d.pending {
			i := d.applied + int64(k)
			_, _, lerr := l.Lookup(id)
			if lerr != nil && !reported(losses, i) {
				t.Fatalf("flip at byte %d: acknowledged transaction %d lost without a report: %v", p, i, lerr)
			}
			if lerr == nil && reported(losses, i) {
				t.Fatalf("flip at byte %d: transaction %d recovered but reported lost", p, i)
			}
		}
		rep, err := l.Verify(context.Background(), nil)
		if err != nil || rep.OK != (len(losses) == 0) || rep.FirstBadHeight != -1 {
			t.Fatalf("flip at byte %d: verify %v %+v with %d losses", p, err, rep, len(losses))
		}
		l.Close()
		if len(losses) > 0 && lossRuns < 3 {
			lossRuns++
			// The report survives restarts until acknowledged.
			l, err := Open(d.path(), d.id, &Options{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.CheckJournalLoss(); !errors.As(err, &le) || len(le.Losses) != len(losses) {
				t.Fatalf("flip at byte %d: after a restart: %v", p, err)
			}
			l.Close()
			ro, err := Open(d.path(), d.id, &Options{ReadOnly: true})
			if err != nil {
				t.Fatal(err)
			}
			if rep, err := ro.Verify(context.Background(), nil); err != nil || rep.OK {
				t.Fatalf("flip at byte %d: read-only verify after a restart: %v %+v", p, err, rep)
			}
			ro.Close()
		}
	}
	if lossRuns == 0 {
		t.Fatal("no flip lost a transaction: the test damaged nothing that mattered")
	}
}

// TestJournalZeroedFile zeroes the journal file holding the acknowledged
// transactions: how many were lost cannot be told, but it is reported,
// before and after a writable open.
func TestJournalZeroedFile(t *testing.T) {
	c := makeCrashedLedger(t, 10, 12)
	jp := journalPaths(c.path())[0]
	fi, err := os.Stat(jp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jp, make([]byte, fi.Size()), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Open(c.path(), c.id, &Options{ReadOnly: true})
	var le *JournalLossError
	if !errors.As(err, &le) || len(le.Losses) != 1 || !le.Losses[0].Unknown() || le.Losses[0].File != jp || le.Losses[0].First != 10 {
		t.Fatalf("read-only open with a zeroed journal: %v", err)
	}
	l, err := Open(c.path(), c.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.CheckJournalLoss(); !errors.As(err, &le) || !le.Losses[0].Unknown() {
		t.Fatalf("open with a zeroed journal: %v", err)
	}
	if rep, err := l.Verify(context.Background(), nil); err != nil || rep.OK {
		t.Fatalf("verify with a zeroed journal: %v %+v", err, rep)
	}
	// A crash right after the recovery does not report it twice.
	d := t.TempDir()
	jps := journalPaths(c.path())
	for _, p := range []string{c.path(), jps[0], jps[1]} {
		copyFile(t, p, filepath.Join(d, filepath.Base(p)))
	}
	l2, err := Open(filepath.Join(d, "ledger.db"), c.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if err := l2.CheckJournalLoss(); !errors.As(err, &le) || len(le.Losses) != 1 {
		t.Fatalf("after a crash following the recovery: %v", err)
	}
}

// TestJournalZeroedOlderFile zeroes the first of two journal files: the
// later file's records prove how many were acknowledged before them.
func TestJournalZeroedOlderFile(t *testing.T) {
	path, id, extra := journalScenario(t, 5, 6)
	writeJournal(t, path, 1, 5, extra[:4])
	writeJournal(t, path, 0, 9, extra[4:])
	jp := journalPaths(path)[1]
	fi, err := os.Stat(jp)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jp, make([]byte, fi.Size()), 0o600); err != nil {
		t.Fatal(err)
	}
	l := reopen(t, path, id)
	checkHoldsAfterLoss(t, l, extra[4:], 5)
	var le *JournalLossError
	if err := l.CheckJournalLoss(); !errors.As(err, &le) {
		t.Fatalf("open with the older journal file zeroed: %v", err)
	}
	// (The clean frames that this test's writes follow in file 0 show
	// that nothing beyond them can be missing, so there is no loss of
	// unknown size.)
	if len(le.Losses) != 1 {
		t.Fatalf("losses %+v, want one", le.Losses)
	}
	if x := le.Losses[0]; x.First != 5 || x.Last != 8 || x.Moved != 2 || x.File != jp || x.Record != -1 {
		t.Fatalf("loss %+v, want #5-#8 (2 moved) in the wiped file %s", x, jp)
	}
}

// TestJournalCleanCloseThenZeroed: a zeroed journal file after a clean
// close lost nothing, and is not reported.
func TestJournalCleanCloseThenZeroed(t *testing.T) {
	path, id, _ := journalScenario(t, 5, 0)
	jp := journalPaths(path)[0]
	if err := os.WriteFile(jp, make([]byte, journalChunk), 0o600); err != nil {
		t.Fatal(err)
	}
	l := reopen(t, path, id)
	if err := l.CheckJournalLoss(); err != nil {
		t.Fatalf("zeroed journal after a clean close: %v", err)
	}
}
