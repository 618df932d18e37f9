package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
)

// auditPair builds the data directories of A and B holding the same six
// messages between them, with B holding A's checkpoint cosigned. rewrite
// then rebuilds A's ledger as its owner can: without one of B's messages,
// re-signed with A's key.
func auditPair(t *testing.T) (aDir, bDir string, rewrite func()) {
	t.Helper()
	aDir, bDir = t.TempDir(), t.TempDir()
	a, err := ledger.LoadOrCreateIdentity(aDir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ledger.LoadOrCreateIdentity(bDir)
	if err != nil {
		t.Fatal(err)
	}
	var k fernet.Key
	if err := k.Generate(); err != nil {
		t.Fatal(err)
	}
	var txs []*ledger.Transaction
	for i := range 6 {
		tok, err := fernet.EncryptAndSign([]byte("message"), &k)
		if err != nil {
			t.Fatal(err)
		}
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		tx := &ledger.Transaction{Kind: ledger.KindChat, Recipient: to.Public(), CaseID: "chat", Time: time.Unix(1700000000+int64(i), 0), Token: tok}
		if err := tx.Sign(from); err != nil {
			t.Fatal(err)
		}
		txs = append(txs, tx)
	}
	build := func(dir string, id *ledger.Identity, txs []*ledger.Transaction) *ledger.Ledger {
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

func TestLedgerConflictsAndDismiss(t *testing.T) {
	aDir, bDir, rewrite := auditPair(t)
	rewrite()
	// B is offered A's rewritten checkpoint: a conflict.
	a, _ := ledger.LoadIdentity(aDir)
	b, _ := ledger.LoadIdentity(bDir)
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
	if code, out, errOut := run(t, []string{"ledger", "dismiss-conflict", "--data", bDir, a.Fingerprint()}); code != 0 || !strings.Contains(out, "dismissed") {
		t.Fatalf("dismiss: %d %s %s", code, out, errOut)
	}
	if code, out, _ := run(t, []string{"ledger", "conflicts", "--data", bDir, "--json"}); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Fatalf("conflicts after dismissal: %d %s", code, out)
	}
	if code, _, errOut := run(t, []string{"ledger", "dismiss-conflict", "--data", bDir, a.Fingerprint()}); code != 1 || !strings.Contains(errOut, "no standing conflict") {
		t.Fatalf("second dismiss: %d %s", code, errOut)
	}
	if code, _, _ := run(t, []string{"ledger", "dismiss-conflict", "--data", bDir, "zz"}); code != 2 {
		t.Fatalf("dismiss of a malformed fingerprint: exit %d, want 2", code)
	}
}
