package node

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestStalePartialAttachmentsExpire: opening a node removes incoming
// partial attachments that have had no chunk for longer than PartialTTL,
// and nothing else.
func TestStalePartialAttachmentsExpire(t *testing.T) {
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: "Dr. Lee", Role: RoleDoctor}); err != nil {
		t.Fatal(err)
	}
	att := filepath.Join(dir, AttachmentsDir)
	if err := os.MkdirAll(att, 0o700); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-20 * 24 * time.Hour)
	files := map[string]time.Time{
		"aa.part": old,        // stale transfer: removed
		"bb.part": time.Now(), // in progress: kept
		"cc.enc":  old,        // a complete attachment, however old: kept
	}
	for name, mtime := range files {
		p := filepath.Join(att, name)
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	n, err := Open(Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	for name, want := range map[string]bool{"aa.part": false, "bb.part": true, "cc.enc": true} {
		_, err := os.Stat(filepath.Join(att, name))
		if got := err == nil; got != want {
			t.Errorf("%s present = %v after Open, want %v", name, got, want)
		}
	}

	// With PartialTTL < 0 nothing is removed.
	n.Close()
	p := filepath.Join(att, "dd.part")
	if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, old, old); err != nil {
		t.Fatal(err)
	}
	n2, err := Open(Options{Dir: dir, PartialTTL: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer n2.Close()
	if _, err := os.Stat(p); err != nil {
		t.Errorf("PartialTTL < 0 removed a partial file: %v", err)
	}
}
