package node

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestExportFHIRFileUnknownCaseKeepsFile: exporting a case the node does
// not have fails with ErrNoCase and leaves the file at path as it was.
func TestExportFHIRFileUnknownCaseKeepsFile(t *testing.T) {
	n := newTestNode(t, "Ada", RoleDoctor, BB84Settings{})
	path := filepath.Join(t.TempDir(), "phr.json")
	if err := os.WriteFile(path, []byte("before"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := n.Clinic().ExportFHIRFile("case-000000000000", path); !errors.Is(err, ErrNoCase) {
		t.Fatalf("unknown case: %v, want ErrNoCase", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "before" {
		t.Fatalf("file after a failed export: %q, %v", b, err)
	}
}
