package ledger

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"qkdchat/internal/boltcheck"
)

// TestDamagedFileOneVerdict: a ledger file cut in half, zero-filled or
// emptied is refused by a read-only Open (ledger verify) and a writable
// one (the app) with the same CorruptError naming the file, and neither
// changes the file or creates anything beside it.
func TestDamagedFileOneVerdict(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, nil)
	fill(t, l, seeded(7), a, b, 400)
	path := l.Path()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{
		"half":  orig[:len(orig)/2],
		"zeros": make([]byte, len(orig)),
		"empty": {},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, "ledger.db")
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
			var msgs []string
			for _, ro := range []bool{true, false} {
				l, err := Open(p, a, &Options{ReadOnly: ro})
				if err == nil {
					l.Close()
					t.Fatalf("Open (read-only %v) accepted a %s file", ro, name)
				}
				var ce *CorruptError
				var de *boltcheck.DamageError
				if !errors.As(err, &ce) || ce.Path != p || !errors.Is(err, ErrCorrupt) || !errors.As(err, &de) {
					t.Fatalf("Open (read-only %v): %v, want a CorruptError naming %s from the file check", ro, err, p)
				}
				msgs = append(msgs, err.Error())
			}
			if msgs[0] != msgs[1] {
				t.Errorf("two verdicts on one file:\n read-only: %s\n writable:  %s", msgs[0], msgs[1])
			}
			got, err := os.ReadFile(p)
			if err != nil || !bytes.Equal(got, content) {
				t.Errorf("the refused file was changed (%v)", err)
			}
			if ents, _ := os.ReadDir(dir); len(ents) != 1 {
				t.Errorf("a refused Open left %d files in the directory", len(ents))
			}
		})
	}
}
