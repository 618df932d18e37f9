package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/ledger/ledgertest"
)

// ledgerDir builds a data directory holding a ledger of n transactions
// (blocks of 4) and returns it with the transactions' IDs.
func ledgerDir(t *testing.T, n int) (string, []ledger.TxID) {
	t.Helper()
	dir, ids, _ := ledgertest.ChatDir(t, "ledger.db", n, func(int) string { return "case-7" })
	return dir, ids
}

func TestLedgerVerifyShowExportProve(t *testing.T) {
	dir, ids := ledgerDir(t, 10)
	code, out, errOut := run(t, []string{"ledger", "verify", "--data", dir})
	if code != 0 || !strings.Contains(out, "OK") || !strings.Contains(out, "transactions:     10") {
		t.Fatalf("verify: code %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, []string{"ledger", "verify", "--data", dir, "--json"})
	var rep ledger.VerifyReport
	if code != 0 || json.Unmarshal([]byte(out), &rep) != nil || !rep.OK || rep.Size != 10 || rep.Blocks != 2 {
		t.Fatalf("verify --json: code %d\n%s", code, out)
	}

	code, out, _ = run(t, []string{"ledger", "show", "--data", dir, "--limit", "1"})
	if code != 0 || !strings.Contains(out, "block 2 (pending): 2 transactions") || !strings.Contains(out, "block 1 ") || strings.Contains(out, "block 0 ") {
		t.Fatalf("show page 0:\n%s", out)
	}
	if !strings.Contains(out, "#9 ") || strings.Index(out, "#9 ") > strings.Index(out, "#8 ") {
		t.Fatalf("show is not newest first:\n%s", out)
	}
	code, out, _ = run(t, []string{"ledger", "show", "--data", dir, "--limit", "1", "--page", "1", "--json"})
	var page struct {
		Blocks []struct {
			Height       int64
			Pending      bool
			Transactions []struct{ Index int64 }
		}
	}
	if code != 0 || json.Unmarshal([]byte(out), &page) != nil || len(page.Blocks) != 1 || page.Blocks[0].Height != 0 || len(page.Blocks[0].Transactions) != 4 {
		t.Fatalf("show page 1 --json: code %d\n%s", code, out)
	}

	export := filepath.Join(t.TempDir(), "audit.jsonl")
	if code, out, errOut = run(t, []string{"ledger", "export", "--data", dir, "--out", export}); code != 0 {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	if code, out, errOut = run(t, []string{"ledger", "verify", "--export", export}); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify --export: %d\n%s%s", code, out, errOut)
	}
	b, _ := os.ReadFile(export)
	i := bytes.Index(b, []byte(`"tx":"`)) // a byte of the first transaction
	if i < 0 {
		t.Fatalf("export without transactions:\n%s", b)
	}
	b[i+20] ^= 1
	os.WriteFile(export, b, 0o600)
	if code, out, errOut = run(t, []string{"ledger", "verify", "--export", export}); code != 1 || !strings.Contains(out, "BAD") {
		t.Fatalf("verify of a damaged export: %d\n%s%s", code, out, errOut)
	}

	proof := filepath.Join(t.TempDir(), "proof.json")
	if code, out, errOut = run(t, []string{"ledger", "prove", ids[3].String(), "--data", dir, "--out", proof}); code != 0 {
		t.Fatalf("prove: %d %s %s", code, out, errOut)
	}
	owner, _ := identity.Load(dir)
	if code, out, errOut = run(t, []string{"ledger", "verify", "--proof", proof, "--key", owner.Fingerprint()}); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify --proof: %d\n%s%s", code, out, errOut)
	}
	// The 16 digits an older qkdchat printed still check the key (64 bits
	// of it), with a note saying so.
	if code, out, errOut = run(t, []string{"ledger", "verify", "--proof", proof, "--key", strings.ToUpper(owner.Fingerprint()[:19])}); code != 0 || !strings.Contains(out, "OK") || !strings.Contains(errOut, "64 bits") {
		t.Fatalf("verify --proof --key with the old 16 digits: %d\n%s%s", code, out, errOut)
	}
	if code, _, errOut = run(t, []string{"ledger", "verify", "--proof", proof, "--key", "0000 0000 0000 0000 0000 0000 0000 0000"}); code != 1 || !strings.Contains(errOut, "not by") {
		t.Fatalf("verify --proof with another key: %d %s", code, errOut)
	}
	if code, _, errOut = run(t, []string{"ledger", "verify", "--proof", proof, "--key", "0000 0000 0000 0000"}); code != 1 || !strings.Contains(errOut, "not by") {
		t.Fatalf("verify --proof with another key: %d %s", code, errOut)
	}
	code, out, _ = run(t, []string{"ledger", "prove", ids[3].String(), "--data", dir})
	var p ledger.InclusionProof
	if code != 0 || json.Unmarshal([]byte(out), &p) != nil || ledger.VerifyInclusion(&p, owner.Public()) != nil {
		t.Fatalf("prove to stdout: %d\n%s", code, out)
	}
	if code, _, _ = run(t, []string{"ledger", "prove", strings.Repeat("ab", 32), "--data", dir}); code != 1 {
		t.Fatalf("prove of an unknown ID: exit %d, want 1", code)
	}
	if code, _, _ = run(t, []string{"ledger", "prove", "xyz", "--data", dir}); code != 2 {
		t.Fatalf("prove of a malformed ID: exit %d, want 2", code)
	}

	code, out, _ = run(t, []string{"ledger", "checkpoint", "--data", dir})
	if code != 0 || !strings.HasPrefix(out, ledger.DefaultOrigin(owner.Public())+"\n10\n") || !strings.Contains(out, "\n\n— ") {
		t.Fatalf("checkpoint: %d\n%s", code, out)
	}
}

func TestLedgerVerifyReportsFirstBadHeight(t *testing.T) {
	dir, _ := ledgerDir(t, 10)
	path := filepath.Join(dir, "ledger.db")
	// Transaction 5 (block 1) has a unique case ID in the file: change it.
	l, _ := ledger.Open(path, mustIdentity(t, dir), nil)
	tx5, err := l.Tx(5)
	if err != nil {
		t.Fatal(err)
	}
	enc, _ := tx5.MarshalBinary()
	l.Close()
	b, _ := os.ReadFile(path)
	// bbolt copies pages on write, so freed pages may hold stale copies of
	// the transaction: damage every copy, so the live one is damaged too.
	copies := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], enc)
		if i < 0 {
			break
		}
		i += off
		b[i+len(enc)-1] ^= 0x40 // its signature
		copies++
		off = i + len(enc)
	}
	if copies == 0 {
		t.Fatal("transaction 5 not found in the file")
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := run(t, []string{"ledger", "verify", "--data", dir})
	if code != 1 || !strings.Contains(out, "first bad block:  1") || !strings.Contains(errOut, "bad from block 1") {
		t.Fatalf("verify of a damaged ledger: %d\n%s%s", code, out, errOut)
	}
}

func mustIdentity(t *testing.T, dir string) *identity.Identity {
	t.Helper()
	id, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestLedgerUsageAndMissingData(t *testing.T) {
	if code, _, _ := run(t, []string{"ledger"}); code != 2 {
		t.Fatalf("ledger without a subcommand: exit %d", code)
	}
	if code, _, _ := run(t, []string{"ledger", "frobnicate"}); code != 2 {
		t.Fatalf("unknown subcommand: exit %d", code)
	}
	if code, _, _ := run(t, []string{"ledger", "verify", "--bogus"}); code != 2 {
		t.Fatalf("unknown flag: exit %d", code)
	}
	empty := t.TempDir()
	code, _, errOut := run(t, []string{"ledger", "verify", "--data", empty})
	if code != 1 || !strings.Contains(errOut, "no ledger at") {
		t.Fatalf("verify of an empty directory: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(empty, "ledger.db")); err == nil {
		t.Fatal("verify created a ledger")
	}
	if code, out, _ := run(t, []string{"help", "ledger"}); code != 0 || !strings.Contains(out, "prove TXID") {
		t.Fatalf("help ledger: %d\n%s", code, out)
	}
}

func TestLedgerLockedDatabase(t *testing.T) {
	dir, _ := ledgerDir(t, 2)
	l, err := ledger.Open(filepath.Join(dir, "ledger.db"), mustIdentity(t, dir), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	code, _, errOut := run(t, []string{"ledger", "checkpoint", "--data", dir})
	if code != 1 || !strings.Contains(errOut, "in use by another process") {
		t.Fatalf("checkpoint of a locked ledger: %d %s", code, errOut)
	}
}

func TestBenchLedgerJSON(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "bench")
	code, out, errOut := run(t, []string{"bench", "ledger", "--data", dir, "--n", "64", "--writers", "4", "--single", "8", "--proofs", "20", "--payload", "64", "--json"})
	if code != 0 {
		t.Fatalf("bench ledger: %d %s", code, errOut)
	}
	var res map[string]any
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench output is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"appends_per_s", "verify_per_s", "prove_us", "raw_bbolt_batch_per_s", "raw_bbolt_update_per_s", "ed25519_verify_per_s"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, res[k])
		}
	}
	if res["ledger_size"].(float64) != 72 || res["verified_ok"] != true {
		t.Fatalf("bench ledger: %v", res)
	}
	// The ledger is left there and verifies.
	if code, out, errOut := run(t, []string{"ledger", "verify", "--data", dir}); code != 0 {
		t.Fatalf("verify of the bench ledger: %d\n%s%s", code, out, errOut)
	}
	// Proofs alone, on the ledger left there, each group on a fresh Open.
	code, out, errOut = run(t, []string{"bench", "ledger", "--data", dir, "--proofs-only", "--proofs", "9", "--per-open", "3", "--json"})
	if code != 0 {
		t.Fatalf("bench ledger --proofs-only: %d %s", code, errOut)
	}
	res = nil
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench output is not JSON: %v\n%s", err, out)
	}
	for _, k := range []string{"prove_us", "prove_gen_us", "prove_merkle_us", "prove_check_us", "prove_warm_us", "prove_first_us", "prove_path_us"} {
		if v, ok := res[k].(float64); !ok || v <= 0 {
			t.Errorf("--proofs-only: %s = %v, want a positive number", k, res[k])
		}
	}
	if res["prove_size"].(float64) != 72 || res["prove_per_open"].(float64) != 3 || res["appends_per_s"].(float64) != 0 {
		t.Fatalf("bench ledger --proofs-only: %v", res)
	}
	for _, args := range [][]string{{"--n", "0"}, {"--per-open", "1"}, {"--proofs", "1"}, {"--proofs-only"}} {
		if code, _, _ := run(t, append([]string{"bench", "ledger"}, args...)); code != 2 {
			t.Fatalf("bench ledger %v: exit %d, want 2", args, code)
		}
	}
}

func TestLedgerVerifyReportsJournalLoss(t *testing.T) {
	dir, _ := ledgerDir(t, 6)
	ledgertest.WipeJournal(t, filepath.Join(dir, "ledger.db"))
	jp := filepath.Join(dir, "ledger.db-journal.0")
	// Before the app recovers the journal.
	code, out, errOut := run(t, []string{"ledger", "verify", "--data", dir})
	t.Logf("verify:\n%s%s", out, errOut)
	if code != 1 || !strings.Contains(out, "JOURNAL LOSS") || !strings.Contains(out, jp) ||
		!strings.Contains(errOut, "may have been lost") || !strings.Contains(errOut, "ack-loss") {
		t.Fatalf("verify of a ledger whose journal was wiped: %d\n%s%s", code, out, errOut)
	}
	// After a writable open (the app's start) has recorded the loss, and
	// again after another, it still fails, in JSON too.
	for range 2 {
		l, err := ledger.Open(filepath.Join(dir, "ledger.db"), mustIdentity(t, dir), nil)
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
	code, out, _ = run(t, []string{"ledger", "verify", "--data", dir, "--json"})
	var rep ledger.VerifyReport
	if err := json.Unmarshal([]byte(out), &rep); code != 1 || err != nil || rep.OK || len(rep.JournalLoss) != 2 || rep.JournalLoss[0].File != jp { // one per wiped file
		t.Fatalf("verify --json after the loss was recorded: %d %v\n%s", code, err, out)
	}
	code, out, errOut = run(t, []string{"ledger", "ack-loss", "--data", dir})
	if code != 0 || !strings.Contains(out, "acknowledged") || !strings.Contains(out, jp) {
		t.Fatalf("ack-loss: %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := run(t, []string{"ledger", "verify", "--data", dir}); code != 0 || !strings.Contains(out, "OK") {
		t.Fatalf("verify after ack-loss: %d\n%s%s", code, out, errOut)
	}
	if code, out, _ := run(t, []string{"ledger", "ack-loss", "--data", dir}); code != 0 || !strings.Contains(out, "no journal loss") {
		t.Fatalf("second ack-loss: %d\n%s", code, out)
	}
}

// TestListenRefusesJournalLoss: the node does not start over a journal
// that lost acknowledged transactions, and says what to do.
func TestListenRefusesJournalLoss(t *testing.T) {
	dir := t.TempDir()
	args := []string{"listen", "--data", dir, "--name", "St Mary", "--role", "hospital", "--addr", "127.0.0.1:0", "--code", "7-amber-falcon"}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // a first run that stops at once, to create the data
	var out, errOut bytes.Buffer
	Main(ctx, &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut}, args)
	if _, err := os.Stat(filepath.Join(dir, "ledger.db-journal.0")); err != nil {
		t.Fatalf("first run made no journal: %v\n%s", err, errOut.String())
	}
	ledgertest.WipeJournal(t, filepath.Join(dir, "ledger.db"))
	code, _, stderr := run(t, args)
	t.Logf("listen: %s", stderr)
	if code != 1 || !strings.Contains(stderr, "not starting") || !strings.Contains(stderr, "ledger.db-journal.0") || !strings.Contains(stderr, "ack-loss --data "+dir) {
		t.Fatalf("listen over a wiped journal: exit %d\n%s", code, stderr)
	}
}
