package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestDamagedLedgerOneVerdict: with ledger.db cut in half, `ledger
// verify`, `ledger export`, `listen` and `connect` all exit 1 with the
// same sentence naming the file, and none of them writes to the
// directory (no profile saved, no state.db created).
func TestDamagedLedgerOneVerdict(t *testing.T) {
	dir, _ := ledgerDir(t, 300)
	path := filepath.Join(dir, "ledger.db")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Half of what is in use: the file may have room to spare past it.
	cut := inUseBytes(t, path) / 2
	if err := os.WriteFile(path, b[:cut], 0o600); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadDir(dir)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var verdicts []string
	for _, args := range [][]string{
		{"ledger", "verify", "--data", dir},
		{"ledger", "export", "--data", dir},
		{"listen", "--data", dir, "--name", "Ada", "--role", "doctor", "--addr", "127.0.0.1:0"},
		{"connect", "127.0.0.1:1", "--data", dir, "--name", "Ada", "--role", "doctor"},
	} {
		var out, errb bytes.Buffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Version: "test"}
		code := Main(ctx, env, args)
		msg := strings.TrimSpace(errb.String())
		prefix := "qkdchat " + args[0] + ": "
		if code != 1 || !strings.HasPrefix(msg, prefix) || strings.Count(msg, "\n") != 0 {
			t.Fatalf("%v: exit %d, stderr %q, want exit 1 and one line", args, code, msg)
		}
		if !strings.Contains(msg, path+" is damaged") || !strings.Contains(msg, "cut short") {
			t.Fatalf("%v: %q does not say that %s is cut short", args, msg, path)
		}
		verdicts = append(verdicts, strings.TrimPrefix(msg, prefix))
	}
	for _, v := range verdicts[1:] {
		if v != verdicts[0] {
			t.Errorf("two verdicts on one file:\n %s\n %s", verdicts[0], v)
		}
	}
	after, _ := os.ReadDir(dir)
	if len(after) != len(before) {
		t.Errorf("the directory had %d files, now %d", len(before), len(after))
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, b[:cut]) {
		t.Error("ledger.db was changed")
	}
}

// inUseBytes is the size of the pages of the bbolt file at path that are
// in use or free, as its newest meta page says: the part of the file that
// cannot be cut off without loss.
func inUseBytes(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	db.View(func(tx *bolt.Tx) error { n = tx.Size(); return nil })
	return n
}
