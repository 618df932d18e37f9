package audit

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/ledger/ledgertest"
	"qkdchat/node/datadir"
)

// auditDir builds a data directory holding an identity and a ledger of n
// chat transactions (blocks of 4), alternately from the owner and to it,
// and returns it with the transactions' IDs and the peer.
func auditDir(t *testing.T, n int) (string, []TxID, *identity.Identity) {
	t.Helper()
	return ledgertest.ChatDir(t, datadir.LedgerFile, n, func(i int) string {
		if i%2 == 1 {
			return "case-odd"
		}
		return "case-even"
	})
}

func openAuditor(t *testing.T, dir string, mode Mode) *Auditor {
	t.Helper()
	a, err := Open(dir, mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// TestAuditorReadsADataDirectory: with no node running, the auditor
// verifies, pages blocks and transactions, exports and proves, and every
// result checks out offline.
func TestAuditorReadsADataDirectory(t *testing.T) {
	ctx := context.Background()
	dir, ids, _ := auditDir(t, 10)
	a := openAuditor(t, dir, ReadOnly)
	if a.Size() != 10 || a.Height() != 2 || a.Path() != filepath.Join(dir, datadir.LedgerFile) {
		t.Fatalf("size %d height %d path %s", a.Size(), a.Height(), a.Path())
	}
	rep, err := a.Verify(ctx, nil)
	if err != nil || !rep.Clean() || rep.Size != 10 || rep.Blocks != 2 || rep.Fingerprint != a.Fingerprint() {
		t.Fatalf("verify: %+v %v", rep, err)
	}

	// Blocks, newest first: the pending block of 2, then blocks 1 and 0.
	bp, err := a.BlockPage(ctx, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(bp.Blocks) != 3 || !bp.Blocks[0].Pending || bp.Blocks[0].TxCount != 2 || bp.Blocks[1].Height != 1 || bp.Blocks[2].Height != 0 || bp.PastEnd {
		t.Fatalf("page 0: %+v", bp)
	}
	if r := bp.Blocks[0].Transactions; len(r) != 2 || r[0].Index != 9 || r[0].ID != ids[9] || r[1].Index != 8 {
		t.Fatalf("pending block's rows: %+v", r)
	}
	if bp, err := a.BlockPage(ctx, 1, 1); err != nil || len(bp.Blocks) != 1 || bp.Blocks[0].Height != 0 || bp.PastEnd {
		t.Fatalf("page 1 of 1 block: %+v %v", bp, err)
	}
	if bp, err := a.BlockPage(ctx, 5, 10); err != nil || bp.Blocks != nil || !bp.PastEnd {
		t.Fatalf("page past the end: %+v %v", bp, err)
	}

	// Transactions: newest first, paged, filtered; no key to open them.
	var seen []int64
	for page := 0; ; page++ {
		rows, more, err := a.Transactions(ctx, TxQuery{}, page, 3)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rows {
			if r.SigErr != nil || !errors.Is(r.OpenErr, ErrNoKey) || r.Msg != nil || r.Block < 0 {
				t.Fatalf("row %+v", r)
			}
			seen = append(seen, r.Index)
		}
		if !more {
			break
		}
	}
	if len(seen) != 10 || seen[0] != 9 || seen[9] != 0 {
		t.Fatalf("rows seen: %v", seen)
	}
	rows, _, err := a.Transactions(ctx, TxQuery{Text: "ODD"}, 0, 50)
	if err != nil || len(rows) != 5 || rows[0].CaseID != "case-odd" {
		t.Fatalf("search: %d rows %v", len(rows), err)
	}
	if rows, _, err := a.Transactions(ctx, TxQuery{Kind: TxKindKeyEvent}, 0, 50); err != nil || len(rows) != 0 {
		t.Fatalf("kind filter: %d rows %v", len(rows), err)
	}

	// An export verifies offline.
	out := filepath.Join(t.TempDir(), "export.jsonl")
	if err := a.ExportFile(ctx, out); err != nil {
		t.Fatal(err)
	}
	if rep, err := VerifyExportFile(ctx, out); err != nil || !rep.OK || rep.Size != 10 || rep.Fingerprint != a.Fingerprint() {
		t.Fatalf("export: %+v %v", rep, err)
	}

	// A proof checks out offline, and fails once altered.
	p, err := a.Prove(ids[3])
	if err != nil || p.Index != 3 || p.TxID != ids[3] || p.PathLen == 0 || p.Fingerprint != a.Fingerprint() {
		t.Fatalf("prove: %+v %v", p, err)
	}
	pc, err := CheckProof(p.JSON)
	if err != nil || pc.Err != nil || pc.Index != 3 || pc.TxID != ids[3] || pc.Fingerprint != a.Fingerprint() {
		t.Fatalf("check proof: %+v %v", pc, err)
	}
	moved := bytes.Replace(p.JSON, []byte(`"index": 3`), []byte(`"index": 2`), 1)
	if pc, err := CheckProof(moved); err != nil || pc.Err == nil {
		t.Fatalf("a proof moved to another index checks out: %+v %v", pc, err)
	}
	var pf *ProofFormatError
	if _, err := CheckProof([]byte("not json")); !errors.As(err, &pf) {
		t.Fatalf("garbage: %v", err)
	}
	if _, err := CheckProof([]byte(`{"index":1}`)); !errors.As(err, &pf) || pf.Error() != "names no ledger key" {
		t.Fatalf("a proof without a key: %v", err)
	}
	var missing TxID
	missing[0] = 1
	if _, err := a.Prove(missing); !errors.Is(err, ErrTxNotFound) {
		t.Fatalf("prove a transaction not held: %v", err)
	}
}

// TestOpenChangesNothing: a directory without a ledger is refused
// with ErrNoLedger and stays empty; a damaged ledger gives the same
// DamagedFileError as a node's open; a read-only auditor leaves the
// ledger's bytes as they were.
func TestOpenChangesNothing(t *testing.T) {
	empty := t.TempDir()
	if _, err := Open(empty, ReadOnly); !errors.Is(err, ErrNoLedger) {
		t.Fatalf("empty directory: %v", err)
	}
	if es, _ := os.ReadDir(empty); len(es) != 0 {
		t.Fatalf("Open wrote to an empty directory: %v", es)
	}

	dir, _, _ := auditDir(t, 5)
	path := filepath.Join(dir, datadir.LedgerFile)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := openAuditor(t, dir, ReadOnly)
	if _, err := a.Verify(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Checkpoint(); err != nil { // signed, not stored
		t.Fatal(err)
	}
	a.Close()
	if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
		t.Fatal("a read-only auditor changed ledger.db")
	}

	if err := os.WriteFile(path, bytes.Repeat([]byte{0xa5}, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []Mode{ReadOnly, ReadWrite} {
		_, err := Open(dir, mode)
		var de *datadir.DamagedFileError
		if !errors.As(err, &de) || de.File != datadir.LedgerFile || de.Dir != dir {
			t.Fatalf("damaged ledger, mode %d: %v", mode, err)
		}
	}
}

// TestAuditorJournalLossVerdictAndAcknowledgement: a ledger whose journal
// lost acknowledged transactions is a verdict of VerifyDataDir, not a
// failure to check; a read-only auditor refuses it as JournalLoss says;
// a read-write one acknowledges the losses, after which it verifies.
func TestAuditorJournalLossVerdictAndAcknowledgement(t *testing.T) {
	ctx := context.Background()
	dir, _, _ := auditDir(t, 6)
	ledgertest.WipeJournal(t, filepath.Join(dir, datadir.LedgerFile))
	rep, path, err := VerifyDataDir(ctx, dir)
	if err != nil || rep.OK || len(rep.JournalLoss) == 0 || path != filepath.Join(dir, datadir.LedgerFile) ||
		!strings.Contains(rep.Reason, "lost") || rep.Reason != JournalLossSummary(rep.JournalLoss) {
		t.Fatalf("verify of a wiped journal: %+v %q %v", rep, path, err)
	}
	if _, err := Open(dir, ReadOnly); err == nil {
		t.Fatal("a read-only auditor opened a ledger whose journal lost transactions")
	} else if le := (*ledger.JournalLossError)(nil); !errors.As(err, &le) || len(le.Losses) == 0 {
		t.Fatalf("read-only open: %v", err)
	}
	a := openAuditor(t, dir, ReadWrite)
	ack, err := a.AcknowledgeJournalLoss()
	if err != nil || ack.Acknowledged != 2 || len(ack.Losses) != 2 { // one per wiped file
		t.Fatalf("acknowledge: %+v %v", ack, err)
	}
	if ack, err := a.AcknowledgeJournalLoss(); err != nil || ack.Acknowledged != 0 || ack.Losses != nil {
		t.Fatalf("second acknowledge: %+v %v", ack, err)
	}
	a.Close()
	if rep, _, err := VerifyDataDir(ctx, dir); err != nil || !rep.OK {
		t.Fatalf("verify after the acknowledgement: %+v %v", rep, err)
	}
}

// TestAuditorConflictsAndCheckpoint: standing conflicts carry the peer's
// fingerprint, dismissing one by fingerprint ends only that one, and a
// writable auditor's checkpoint is stored and then checked by Verify.
func TestAuditorConflictsAndCheckpoint(t *testing.T) {
	dir, _, peer := auditDir(t, 3)
	a := openAuditor(t, dir, ReadWrite)
	if err := a.l.RecordReportedConflict(peer.Public(), "your checkpoint conflicts"); err != nil {
		t.Fatal(err)
	}
	pcs, err := a.Conflicts()
	if err != nil || len(pcs) != 1 || pcs[0].PeerFingerprint != peer.Fingerprint() || !pcs[0].Reported {
		t.Fatalf("conflicts: %+v %v", pcs, err)
	}
	b, err := json.Marshal(pcs[0])
	want, _ := json.Marshal(pcs[0].PeerConflict)
	if err != nil || !bytes.Equal(b, want) {
		t.Fatalf("conflict JSON %s, want the ledger's %s", b, want)
	}
	if got, err := a.DismissConflict(a.Fingerprint()); got != "" || err != nil {
		t.Fatalf("dismissed a conflict with nobody: %q %v", got, err)
	}
	// The 16 digits an older qkdchat printed name the one peer in
	// conflict whose fingerprint they start.
	if got, err := a.DismissConflict(peer.Fingerprint()[:19]); got != peer.Fingerprint() || err != nil {
		t.Fatalf("dismiss by the old 16 digits: %q %v, want %s", got, err, peer.Fingerprint())
	}
	if pcs, err := a.Conflicts(); len(pcs) != 0 || err != nil {
		t.Fatalf("conflicts after dismissal: %+v %v", pcs, err)
	}

	c, err := a.Checkpoint()
	if err != nil || c.Size != 3 || c.Fingerprint != a.Fingerprint() || !strings.HasPrefix(c.Note, c.Origin+"\n3\n") {
		t.Fatalf("checkpoint: %+v %v", c, err)
	}
	if rep, err := a.Verify(context.Background(), nil); err != nil || !rep.OK || rep.Checkpoints != 1 {
		t.Fatalf("verify after a checkpoint: %+v %v", rep, err)
	}
}

// TestVerifyReportJSONIsTheLedgers: the facade's report marshals to the
// same JSON as the ledger's, which `ledger verify --json` printed before
// the facade existed, conflicts and journal losses included.
func TestVerifyReportJSONIsTheLedgers(t *testing.T) {
	pub := ed25519.PublicKey(bytes.Repeat([]byte{7}, ed25519.PublicKeySize))
	when := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, proof := range []tlog.TreeProof{nil, {}, {tlog.Hash{1}, tlog.Hash{2, 3}}} {
		r := &ledger.VerifyReport{OK: true, Origin: "o", Key: pub, Fingerprint: "fp", Size: 5, Blocks: 2, Root: ledger.Hash{9},
			FirstBadHeight: -1, BadIndex: -1, Reason: "r", Checkpoints: 3, Cosignatures: 4,
			Conflicts: []ledger.Conflict{{Peer: pub, Kind: ledger.ConflictFork, OldNote: "old", NewNote: "new", Proof: proof, Time: when,
				Old: ledger.Checkpoint{Origin: "o", Size: 4, Root: tlog.Hash{4}}, New: ledger.Checkpoint{Origin: "o", Size: 4, Root: tlog.Hash{5}}}},
			JournalLoss: []ledger.JournalLoss{{File: "j", Record: 2, First: 3, Last: 4, Count: 2, Found: when}}}
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		f := verifyReport(r)
		got, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("proof %v:\n got %s\nwant %s", proof, got, want)
		}
		c := f.Conflicts[0]
		if c.PeerFingerprint != identity.Fingerprint(pub) || c.Old.Root != (tlog.Hash{4}).String() || c.New.Size != 4 {
			t.Errorf("conflict's parsed heads: %+v", c)
		}
	}
}

// TestTxQueryMatch: the ledger browser's search, as a pure function.
func TestTxQueryMatch(t *testing.T) {
	id := TxID{0xab, 0xcd}
	row := TxRow{ID: id, Kind: "chat", Sender: "aaaa 1111", Recipient: "bbbb 2222", CaseID: "Case-42"}
	names := map[string]string{"bbbb 2222": "Dr. Bob"}
	for _, tc := range []struct {
		q    TxQuery
		want bool
	}{
		{TxQuery{}, true},
		{TxQuery{Kind: "chat"}, true},
		{TxQuery{Kind: "phr"}, false},
		{TxQuery{Text: "case-42"}, true},
		{TxQuery{Text: "CASE"}, true},
		{TxQuery{Text: "1111"}, true},
		{TxQuery{Text: "2222"}, true},
		{TxQuery{Text: "bob", Names: names}, true},
		{TxQuery{Text: "bob"}, false},
		{TxQuery{Text: "abcd00"}, true},
		{TxQuery{Text: "zzz"}, false},
		{TxQuery{Text: "case-42", Kind: "referral"}, false},
	} {
		if got := tc.q.Match(&row); got != tc.want {
			t.Errorf("%+v: match %v, want %v", tc.q, got, tc.want)
		}
	}
}

// TestTxKindNames: the kind names the facade lists and the key event's
// constant are the ledger's.
func TestTxKindNames(t *testing.T) {
	kinds := TxKinds()
	if len(kinds) != int(ledger.KindCheckpoint) || kinds[0] != ledger.KindChat.String() {
		t.Fatalf("kinds %v", kinds)
	}
	if TxKindKeyEvent != ledger.KindKeyEvent.String() {
		t.Fatalf("TxKindKeyEvent %q, the ledger says %q", TxKindKeyEvent, ledger.KindKeyEvent)
	}
}
