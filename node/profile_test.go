package node

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestProfileRoundTripAndFirstRun(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadProfile(dir); !errors.Is(err, ErrNoProfile) {
		t.Fatalf("first run: got %v, want ErrNoProfile", err)
	}
	want := Profile{Name: "Dr. Ada", Role: RoleDoctor}
	if err := SaveProfile(dir, Profile{Name: "  Dr. Ada ", Role: RoleDoctor}); err != nil {
		t.Fatal(err)
	}
	got, err := LoadProfile(dir)
	if err != nil || got != want {
		t.Fatalf("LoadProfile = %+v, %v; want %+v", got, err, want)
	}
	fi, _ := os.Stat(filepath.Join(dir, ProfileFile))
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("profile mode %v", fi.Mode().Perm())
	}
}

func TestProfileRejectsBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []Profile{
		{Name: "", Role: RolePatient},
		{Name: "x", Role: "nurse"},
		{Name: strings.Repeat("n", 65), Role: RolePatient},
	} {
		if err := SaveProfile(dir, p); err == nil {
			t.Errorf("SaveProfile(%+v) accepted", p)
		}
	}
	os.WriteFile(filepath.Join(dir, ProfileFile), []byte("{not json"), 0o600)
	if _, err := LoadProfile(dir); err == nil || !strings.Contains(err.Error(), "not valid JSON") {
		t.Fatalf("corrupt profile: %v", err)
	}
}

func TestParseRole(t *testing.T) {
	if r, err := ParseRole(" Hospital "); err != nil || r != RoleHospital {
		t.Fatalf("ParseRole = %q, %v", r, err)
	}
	if _, err := ParseRole("admin"); err == nil {
		t.Fatal("accepted unknown role")
	}
}
