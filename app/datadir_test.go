package app

import (
	"crypto/sha256"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkdchat/identity"
)

func TestDefaultDataDirFollowsUserConfigDir(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_CONFIG_HOME", "")
	dir, err := DefaultDataDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(home, ".config", "qkdchat"); dir != want {
		t.Fatalf("DefaultDataDir = %s, want %s", dir, want)
	}
}

func TestEnsureDataDirCreatesPrivateDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	if err := EnsureDataDir(dir); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Fatalf("mode %v, want 0700", fi.Mode().Perm())
	}
}

// nodeFixture returns a data directory a node has opened and closed:
// profile, identity, ledger (with its journals) and state database.
func nodeFixture(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: "Ada", Role: RoleDoctor}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Store().PinContact(testContact(2, "Bob", RolePatient)); err != nil {
		t.Fatal(err)
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// hashDir hashes every file of dir by name.
func hashDir(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][32]byte{}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = sha256.Sum256(b)
	}
	return out
}

func copyFiles(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// TestOpenRefusesDamagedFileChangingNothing: a node refuses a data
// directory with any of its files cut in half, zero-filled or emptied,
// with a DamagedFileError naming the file, and changes no file: a damaged
// ledger does not leave state.db written, a damaged identity key is not
// replaced.
func TestOpenRefusesDamagedFileChangingNothing(t *testing.T) {
	fixture := nodeFixture(t)
	damages := map[string]func([]byte) []byte{
		"half":  func(b []byte) []byte { return b[:len(b)/2] },
		"zeros": func(b []byte) []byte { return make([]byte, len(b)) },
		"empty": func([]byte) []byte { return nil },
	}
	for _, file := range []string{StateFile, LedgerFile, identity.KeyFile, ProfileFile} {
		for dname, damage := range damages {
			t.Run(file+"/"+dname, func(t *testing.T) {
				dir := t.TempDir()
				copyFiles(t, fixture, dir)
				p := filepath.Join(dir, file)
				b, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, damage(b), 0o600); err != nil {
					t.Fatal(err)
				}
				before := hashDir(t, dir)
				n, err := Open(Options{Dir: dir})
				if err == nil {
					n.Close()
					t.Fatal("Open accepted the damaged directory")
				}
				var de *DamagedFileError
				if !errors.As(err, &de) || de.File != file || de.Dir != dir || !strings.Contains(err.Error(), p) {
					t.Fatalf("Open: %v, want a DamagedFileError naming %s", err, p)
				}
				if err := CheckDataDir(dir); file != ProfileFile && !errors.As(err, &de) {
					t.Errorf("CheckDataDir: %v, want the same DamagedFileError", err)
				}
				if after := hashDir(t, dir); !maps.Equal(before, after) {
					t.Errorf("a refused Open changed the directory: %d files before, %d after", len(before), len(after))
					for name, h := range before {
						if after[name] != h {
							t.Errorf("  %s changed", name)
						}
					}
				}
			})
		}
	}
}

// TestOpenKeepsLedgerWhenIdentityKeyIsMissing: with identity.key gone
// but a ledger present, Open refuses instead of making a new identity.
func TestOpenKeepsLedgerWhenIdentityKeyIsMissing(t *testing.T) {
	dir := nodeFixture(t)
	keyPath := filepath.Join(dir, identity.KeyFile)
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	n, err := Open(Options{Dir: dir})
	if err == nil {
		n.Close()
		t.Fatal("Open made a new identity beside an existing ledger")
	}
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), identity.KeyFile) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open: %v, want an error naming the missing identity.key", err)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("identity.key was re-created (%v)", err)
	}
}
