package atomicfile

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// leftovers lists the names in dir other than want.
func leftovers(t *testing.T, dir string, want ...string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	keep := map[string]bool{}
	for _, w := range want {
		keep[w] = true
	}
	var out []string
	for _, e := range ents {
		if !keep[e.Name()] {
			out = append(out, e.Name())
		}
	}
	return out
}

func TestWriteFileReplace(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f.json")
	for _, content := range []string{"one", "two, longer"} {
		if err := WriteFile(p, []byte(content), 0o600, Replace); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(p)
		if err != nil || string(got) != content {
			t.Fatalf("read back %q, %v; want %q", got, err, content)
		}
	}
	if runtime.GOOS != "windows" {
		fi, _ := os.Stat(p)
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %04o, want 0600", fi.Mode().Perm())
		}
	}
	if l := leftovers(t, dir, "f.json"); len(l) != 0 {
		t.Errorf("temporary files left behind: %v", l)
	}
}

// TestWriteFileCreateOnlyNeverOverwrites: a second CreateOnly write to the
// same name fails with fs.ErrExist and leaves the first content.
func TestWriteFileCreateOnlyNeverOverwrites(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "identity.key")
	if err := WriteFile(p, []byte("first"), 0o600, CreateOnly); err != nil {
		t.Fatal(err)
	}
	err := WriteFile(p, []byte("second"), 0o600, CreateOnly)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("second CreateOnly write: %v, want fs.ErrExist", err)
	}
	if got, _ := os.ReadFile(p); string(got) != "first" {
		t.Fatalf("content %q after a refused write, want %q", got, "first")
	}
	if l := leftovers(t, dir, "identity.key"); len(l) != 0 {
		t.Errorf("temporary files left behind: %v", l)
	}
}

// TestAbortLeavesTargetUntouched: a write abandoned half way (the process
// failing between Create and Commit) leaves the old content and no
// temporary file.
func TestAbortLeavesTargetUntouched(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "export.bin")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Create(p, 0o644, Replace)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("half of the new")); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	f.Abort() // twice is harmless
	if err := f.Commit(); err == nil {
		t.Fatal("Commit after Abort succeeded")
	}
	if got, _ := os.ReadFile(p); string(got) != "old" {
		t.Fatalf("content %q after Abort, want %q", got, "old")
	}
	if l := leftovers(t, dir, "export.bin"); len(l) != 0 {
		t.Errorf("temporary files left behind: %v", l)
	}
}

func TestWriteFileMissingDirectoryNamesPath(t *testing.T) {
	p := filepath.Join(t.TempDir(), "no-such-dir", "f")
	err := WriteFile(p, []byte("x"), 0o600, Replace)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("write into a missing directory: %v, want fs.ErrNotExist", err)
	}
	if want := p; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not name %s", err, want)
	}
}

func TestRenameMovesFile(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.part"), filepath.Join(dir, "a.enc")
	if err := os.WriteFile(a, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := Rename(a, b); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("old name still there: %v", err)
	}
	if got, _ := os.ReadFile(b); string(got) != "x" {
		t.Errorf("new name holds %q", got)
	}
}
