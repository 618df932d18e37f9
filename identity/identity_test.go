package identity

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

func TestIdentityFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := Load(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load of an empty dir: %v, want ErrNotExist", err)
	}
	id, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Fatalf("identity.key mode %04o, want 0600", fi.Mode().Perm())
	}
	again, err := LoadOrCreate(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Public().Equal(id.Public()) || again.Fingerprint() != id.Fingerprint() {
		t.Fatal("reloaded identity differs")
	}
	if pub, err := os.ReadFile(filepath.Join(dir, PubFile)); err != nil || !id.pubMatches(pub) {
		t.Fatalf("identity.pub does not hold the public key: %v", err)
	}
	if sig := id.Sign([]byte("hello")); len(sig) != 64 {
		t.Fatal("bad signature length")
	}
	// A stale identity.pub is rewritten from the key.
	if err := os.WriteFile(filepath.Join(dir, PubFile), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err != nil {
		t.Fatal(err)
	}
	if pub, _ := os.ReadFile(filepath.Join(dir, PubFile)); !id.pubMatches(pub) {
		t.Fatal("stale identity.pub was not rewritten")
	}
	if runtime.GOOS == "windows" {
		return
	}
	if err := os.Chmod(filepath.Join(dir, KeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("a world-readable key was accepted: %v", err)
	}
}

// TestDamagedKeyFileIsNeverReplaced: identity.key cut short, blank or
// empty gives a *KeyFileError naming the file, and LoadOrCreate leaves it
// as it is instead of making a new identity.
func TestDamagedKeyFileIsNeverReplaced(t *testing.T) {
	for name, content := range map[string][]byte{
		"empty": {}, "blank": make([]byte, 119), "cut": []byte("-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2Vw"),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, KeyFile)
			if err := os.WriteFile(p, content, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadOrCreate(dir)
			var kf *KeyFileError
			if !errors.As(err, &kf) || kf.Path != p || !strings.Contains(err.Error(), p) {
				t.Fatalf("LoadOrCreate: %v, want a *KeyFileError naming %s", err, p)
			}
			if err := Check(dir); !errors.As(err, &kf) {
				t.Fatalf("Check: %v, want a *KeyFileError", err)
			}
			if got, _ := os.ReadFile(p); string(got) != string(content) {
				t.Fatal("the damaged key file was changed")
			}
		})
	}
}

// TestConcurrentCreateAgrees: processes starting on the same empty data
// directory at once end up with one identity (the key file is created
// with a link that never overwrites).
func TestConcurrentCreateAgrees(t *testing.T) {
	dir := t.TempDir()
	const n = 8
	fps := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id, err := LoadOrCreate(dir)
			if err == nil {
				fps[i] = id.Fingerprint()
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("LoadOrCreate %d: %v", i, errs[i])
		}
		if fps[i] != fps[0] {
			t.Fatalf("two identities were created: %s and %s", fps[0], fps[i])
		}
	}
}
