package app

import (
	"os"
	"path/filepath"
	"testing"
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
