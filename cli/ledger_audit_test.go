package cli

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/ledger/ledgertest"
)

// auditPair builds the data directories of A and B holding the same six
// messages between them, with B holding A's checkpoint cosigned. rewrite
// then rebuilds A's ledger as its owner can: without one of B's messages,
// re-signed with A's key.
func auditPair(t *testing.T) (aDir, bDir string, rewrite func()) {
	t.Helper()
	aDir, bDir = t.TempDir(), t.TempDir()
	a, err := identity.LoadOrCreate(aDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := identity.LoadOrCreate(bDir)
	if err != nil {
		t.Fatal(err)
	}
	txs := ledgertest.Chats(t, a, b, 6, "message", func(int) string { return "chat" })
	build := func(dir string, id *identity.Identity, txs []*ledger.Transaction) *ledger.Ledger {
		path := filepath.Join(dir, "ledger.db")
		os.Remove(path)
		l, err := ledger.Open(path, id, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range txs {
			if _, err := l.Append(context.Background(), tx); err != nil {
				t.Fatal(err)
			}
		}
		return l
	}
	la, lb := build(aDir, a, txs), build(bDir, b, txs)
	note, _, err := la.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	cosigned, err := lb.CosignPeer(note, a.Public(), 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := la.StoreCosignature(cosigned, b.Public()); err != nil {
		t.Fatal(err)
	}
	la.Close()
	lb.Close()
	return aDir, bDir, func() {
		l := build(aDir, a, append(txs[:1:1], txs[2:]...)) // B's first message deleted
		if _, _, err := l.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		l.Close()
	}
}

func exportTo(t *testing.T, dir string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "export.jsonl")
	if code, o, e := run(t, []string{"ledger", "export", "--data", dir, "--out", out}); code != 0 {
		t.Fatalf("export: %d %s %s", code, o, e)
	}
	return out
}

func TestLedgerAuditFindsRewrite(t *testing.T) {
	aDir, bDir, rewrite := auditPair(t)
	aExp, bExp := exportTo(t, aDir), exportTo(t, bDir)
	if code, out, errOut := run(t, []string{"ledger", "audit", aExp, bExp}); code != 0 || !strings.Contains(out, "consistent") {
		t.Fatalf("audit of honest exports: %d\n%s%s", code, out, errOut)
	}
	rewrite()
	aExp = exportTo(t, aDir)
	code, out, errOut := run(t, []string{"ledger", "audit", aExp, bExp})
	if code != 1 || !strings.Contains(out, "FINDING (missing_tx)") || !strings.Contains(out, "FINDING (not_extended)") {
		t.Fatalf("audit of a rewritten export: %d\n%s%s", code, out, errOut)
	}
	code, out, _ = run(t, []string{"ledger", "audit", "--json", aExp, bExp})
	var rep ledger.AuditReport
	if code != 1 || json.Unmarshal([]byte(out), &rep) != nil || rep.Consistent || len(rep.Findings) != 2 {
		t.Fatalf("audit --json: %d\n%s", code, out)
	}
	if code, out2, _ := run(t, []string{"ledger", "verify", "--export", aExp, "--against", bExp}); code != 1 || !strings.Contains(out2, "FINDING (not_extended)") {
		t.Fatalf("verify --export --against: %d\n%s", code, out2)
	}
	// Usage and input errors.
	if code, _, _ := run(t, []string{"ledger", "audit", aExp}); code != 2 {
		t.Fatalf("audit with one export: exit %d, want 2", code)
	}
	missing := filepath.Join(t.TempDir(), "nope.jsonl")
	if code, _, errOut := run(t, []string{"ledger", "audit", aExp, missing}); code != 1 || !strings.Contains(errOut, "nope.jsonl") {
		t.Fatalf("audit of a missing file: exit %d %q", code, errOut)
	}
	junk := filepath.Join(t.TempDir(), "junk.jsonl")
	os.WriteFile(junk, []byte("hello\n"), 0o600)
	if code, _, errOut := run(t, []string{"ledger", "audit", junk, bExp}); code != 1 || !strings.Contains(errOut, "junk.jsonl is not a ledger export") {
		t.Fatalf("audit of a non-export: exit %d %q", code, errOut)
	}
	if code, _, errOut := run(t, []string{"ledger", "audit", bExp, bExp}); code != 1 || !strings.Contains(errOut, "same ledger owner") {
		t.Fatalf("audit of one owner's exports: exit %d %q", code, errOut)
	}
}

// TestLedgerConflictsAndDismiss dismisses a conflict by the peer's
// fingerprint as printed, and by the 16 digits an older qkdchat printed
// (any case, dashes), which name the one peer in conflict they start.
func TestLedgerConflictsAndDismiss(t *testing.T) {
	for _, form := range []string{"full", "old 16 digits"} {
		t.Run(form, func(t *testing.T) { testLedgerConflictsAndDismiss(t, form) })
	}
}

func testLedgerConflictsAndDismiss(t *testing.T, form string) {
	aDir, bDir, rewrite := auditPair(t)
	rewrite()
	// B is offered A's rewritten checkpoint: a conflict.
	a, _ := identity.Load(aDir)
	b, _ := identity.Load(bDir)
	la, err := ledger.Open(filepath.Join(aDir, "ledger.db"), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	note, _, _ := la.Checkpoint()
	la.Close()
	lb, err := ledger.Open(filepath.Join(bDir, "ledger.db"), b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lb.CosignPeer(note, a.Public(), 0, nil); err == nil {
		t.Fatal("rewritten checkpoint cosigned")
	}
	lb.Close()
	code, out, _ := run(t, []string{"ledger", "conflicts", "--data", bDir})
	if code != 0 || !strings.Contains(out, "CONFLICT with peer "+a.Fingerprint()) {
		t.Fatalf("conflicts: %d\n%s", code, out)
	}
	typed := a.Fingerprint()
	if form != "full" {
		typed = strings.ToUpper(strings.ReplaceAll(typed[:19], " ", "-"))
	}
	if code, out, errOut := run(t, []string{"ledger", "dismiss-conflict", "--data", bDir, typed}); code != 0 || !strings.Contains(out, "dismissed") || !strings.Contains(out, a.Fingerprint()) {
		t.Fatalf("dismiss: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(t, []string{"ledger", "conflicts", "--data", bDir, "--json"}); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("conflicts after dismissal: %d %s", code, out)
	}
	if code, _, errOut := run(t, []string{"ledger", "dismiss-conflict", "--data", bDir, typed}); code != 1 || !strings.Contains(errOut, "no standing conflict") {
		t.Fatalf("second dismiss: %d %s", code, errOut)
	}
	if code, _, _ := run(t, []string{"ledger", "dismiss-conflict", "--data", bDir, "zz"}); code != 2 {
		t.Fatalf("dismiss of a malformed fingerprint: exit %d, want 2", code)
	}
}

// TestConnectSessionRewriteCaught is issue 12 item 5 end to end through
// the commands: lines piped into connect (which leaves after the acks),
// the hospital's owner deletes one of the patient's messages and re-signs,
// the patient reconnects; both sides print the conflict and `ledger
// audit` of the two exports exits 1.
func TestConnectSessionRewriteCaught(t *testing.T) {
	hdir, pdir := t.TempDir(), t.TempDir()
	listen := func() (addr string, out *syncBuffer, stop func()) {
		ctx, cancel := context.WithCancel(context.Background())
		out = new(syncBuffer)
		done := make(chan int)
		go func() {
			done <- Main(ctx, &Env{Stdin: strings.NewReader(""), Stdout: out, Stderr: io.Discard},
				[]string{"listen", "--data", hdir, "--name", "St Mary", "--role", "hospital", "--addr", "127.0.0.1:0", "--code", "7-amber-falcon"})
		}()
		addr = waitOutput(t, out, `listening on (\S+),`)[1]
		return addr, out, func() { cancel(); <-done }
	}
	connect := func(addr, lines string) string {
		out, errOut := new(syncBuffer), new(syncBuffer)
		code := Main(context.Background(), &Env{Stdin: strings.NewReader(lines), Stdout: out, Stderr: errOut},
			[]string{"connect", "--data", pdir, "--name", "Pat", "--role", "patient", "--code", "7-amber-falcon", addr})
		if code != 0 {
			t.Fatalf("connect exited %d:\n%s\n%s", code, out.String(), errOut.String())
		}
		return out.String()
	}
	addr, _, stop := listen()
	connect(addr, "hello\nmy knee hurts\nthanks\n")
	stop()

	hid, _ := identity.Load(hdir)
	pid, _ := identity.Load(pdir)
	hpath := filepath.Join(hdir, "ledger.db")
	hl, err := ledger.Open(hpath, hid, nil)
	if err != nil {
		t.Fatal(err)
	}
	txs, _ := hl.Txs(0, hl.Size())
	hsize := hl.Size()
	hl.Close()
	pl, err := ledger.Open(filepath.Join(pdir, "ledger.db"), pid, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := pl.PeerCheckpointSize(hid.Public()); got != hsize {
		t.Fatalf("after connect left, the patient's cosigned view of the hospital's ledger is at size %d, the ledger at %d", got, hsize)
	}
	pl.Close()

	// The owner's rewrite: one of the patient's messages deleted.
	kept := txs[:0:0]
	deleted := false
	for _, tx := range txs {
		if !deleted && tx.Kind == ledger.KindChat && tx.Sender.Equal(pid.Public()) {
			deleted = true
			continue
		}
		kept = append(kept, tx)
	}
	for _, suffix := range []string{"", "-journal.0", "-journal.1"} {
		os.Remove(hpath + suffix)
	}
	hl, err = ledger.Open(hpath, hid, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range kept {
		if _, err := hl.Append(context.Background(), tx); err != nil {
			t.Fatal(err)
		}
	}
	hl.Close()

	addr, hout, stop := listen()
	pout := connect(addr, "")
	stop()
	if !strings.Contains(pout, "LEDGER CONFLICT with St Mary") {
		t.Fatalf("the patient's connect did not report the conflict:\n%s", pout)
	}
	if !strings.Contains(hout.String(), "LEDGER CONFLICT with Pat") {
		t.Fatalf("the hospital's listen did not report the conflict:\n%s", hout.String())
	}
	if code, out, _ := run(t, []string{"ledger", "conflicts", "--data", pdir}); code != 0 || !strings.Contains(out, "CONFLICT with peer "+hid.Fingerprint()) {
		t.Fatalf("patient's conflicts: %d\n%s", code, out)
	}
	hExp, pExp := exportTo(t, hdir), exportTo(t, pdir)
	code, out, errOut := run(t, []string{"ledger", "audit", hExp, pExp})
	if code != 1 || !strings.Contains(out, "FINDING (missing_tx)") || !strings.Contains(out, "FINDING (not_extended)") || !strings.Contains(out, "FINDING (conflict)") {
		t.Fatalf("audit: %d\n%s%s", code, out, errOut)
	}
}
