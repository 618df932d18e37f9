package e2e

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The files of a data directory that the damage matrix spoils, and what
// each holds.
var damageFiles = []string{
	"ledger.db",
	"ledger.db-journal.0",
	"ledger.db-journal.1",
	"state.db",
	"profile.json",
	"identity.key",
}

// damages spoil a file in place, keeping its mode.
var damages = []struct {
	name  string
	spoil func(t *testing.T, path string)
}{
	{"half", func(t *testing.T, path string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		size := fi.Size()
		if strings.HasSuffix(path, ".db") {
			// A database file may have room to spare after its pages:
			// cut half of what is in use, which always loses data.
			size = inUseBytes(t, path)
		}
		if err := os.Truncate(path, size/2); err != nil {
			t.Fatal(err)
		}
	}},
	{"zeros", func(t *testing.T, path string) {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, make([]byte, fi.Size()), fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}},
	{"empty", func(t *testing.T, path string) {
		if err := os.Truncate(path, 0); err != nil {
			t.Fatal(err)
		}
	}},
}

// A matrix command: its arguments (the data directory is appended) and
// the files it reads, on whose damage it must refuse. A journal of a
// ledger closed cleanly holds nothing that bbolt lacks, so damaging it
// loses nothing: commands must then work.
type matrixCmd struct {
	name   string
	args   []string
	uses   map[string]bool
	listen bool // runs until stopped when it works
}

var matrixCmds = []matrixCmd{
	{name: "version", args: []string{"version"}},
	{name: "listen", args: []string{"listen", "--addr", "127.0.0.1:0", "--json", "--rekey-interval", "0"}, listen: true,
		uses: map[string]bool{"ledger.db": true, "state.db": true, "profile.json": true, "identity.key": true}},
	// Nothing listens on port 1: a connect that opens its data directory
	// fails to reach the peer instead.
	{name: "connect", args: []string{"connect", "127.0.0.1:1", "--json"},
		uses: map[string]bool{"ledger.db": true, "state.db": true, "profile.json": true, "identity.key": true}},
	{name: "contacts", args: []string{"contacts"}, uses: map[string]bool{"state.db": true}},
	{name: "ledger verify", args: []string{"ledger", "verify"}, uses: map[string]bool{"ledger.db": true, "identity.key": true}},
	{name: "ledger export", args: []string{"ledger", "export"}, uses: map[string]bool{"ledger.db": true, "identity.key": true}},
	{name: "ledger show", args: []string{"ledger", "show"}, uses: map[string]bool{"ledger.db": true, "identity.key": true}},
	{name: "ledger checkpoint", args: []string{"ledger", "checkpoint"}, uses: map[string]bool{"ledger.db": true, "identity.key": true}},
}

// inUseBytes is the size of the pages of the bbolt file at path that are
// in use or free, as its newest meta page says. (bbolt is a library the
// program uses, not the program: reading it here keeps the package's rule.)
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

// damageFixture returns a data directory that chatted with a peer (40
// messages).
func damageFixture(t *testing.T) string {
	t.Helper()
	listener, peer := t.TempDir(), t.TempDir()
	l, addr := startListener(t, listener)
	c := start(t, "connect", "connect", addr, "--data", peer, "--name", "Alice", "--role", "patient", "--code", code, "--json")
	const n = 40
	for i := range n {
		fmt.Fprintf(c.stdin, "message %d\n", i)
	}
	c.stdin.Close()
	if code := c.wait(2 * time.Minute); code != 0 {
		t.Fatalf("fixture: connect exited %d", code)
	}
	l.stop()
	return peer
}

// snapshot hashes every file of dir by name.
func snapshot(t *testing.T, dir string) map[string][32]byte {
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

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	ents, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if e.IsDir() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, fi.Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// changedFiles lists the files added, removed or changed between two
// snapshots.
func changedFiles(before, after map[string][32]byte) []string {
	var out []string
	for name, h := range before {
		if h2, ok := after[name]; !ok {
			out = append(out, name+" (removed)")
		} else if h2 != h {
			out = append(out, name+" (changed)")
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			out = append(out, name+" (added)")
		}
	}
	sort.Strings(out)
	return out
}

// TestDamagedDataDirMatrix damages each file of a data directory in each
// way and runs each command on it: a command that needs the file exits 1
// with a message naming the file and its directory, changes no file, and
// never re-creates the identity; no command panics or dies of a fault.
func TestDamagedDataDirMatrix(t *testing.T) {
	fixture := damageFixture(t)
	for _, file := range damageFiles {
		if _, err := os.Stat(filepath.Join(fixture, file)); err != nil {
			t.Fatalf("fixture lacks %s: %v", file, err)
		}
	}
	for _, file := range damageFiles {
		for _, dmg := range damages {
			for _, mc := range matrixCmds {
				t.Run(file+"/"+dmg.name+"/"+mc.name, func(t *testing.T) {
					t.Parallel() // processes mostly wait: two at a time halve the wall time
					runDamaged(t, fixture, file, dmg.spoil, mc)
				})
			}
		}
	}
}

func runDamaged(t *testing.T, fixture, file string, spoil func(*testing.T, string), mc matrixCmd) {
	dir := t.TempDir()
	copyDir(t, fixture, dir)
	spoil(t, filepath.Join(dir, file))
	before := snapshot(t, dir)
	args := append(append([]string(nil), mc.args...), "--data", dir)
	if mc.name == "version" {
		args = mc.args
	}
	p := start(t, mc.name, args...)
	p.stdin.Close()
	mustFail := mc.uses[file]
	var exit int
	if mc.listen && !mustFail {
		p.next("listening", time.Minute, typeIs("listening"))
		p.stop()
		exit = p.wait(time.Minute)
	} else {
		exit = p.wait(time.Minute)
	}
	out := p.output() + "\n" + p.stderrText()
	for _, bad := range []string{"panic", "fatal error", "goroutine ", "SIGBUS", "SIGSEGV"} {
		if strings.Contains(out, bad) {
			t.Fatalf("output contains %q:\n%s", bad, out)
		}
	}
	after := snapshot(t, dir)
	if after["identity.key"] != before["identity.key"] {
		t.Errorf("identity.key was re-created or changed")
	}
	if !mustFail {
		switch {
		case mc.name == "connect":
			if exit != 1 || strings.Contains(out, "damaged") {
				t.Errorf("connect to a closed port exited %d (want 1, failing to reach the peer):\n%s", exit, out)
			}
		case exit != 0:
			t.Errorf("exited %d with %s damaged, which it does not need (or which lost nothing):\n%s", exit, file, out)
		}
		if !strings.Contains(file, "journal") && after[file] != before[file] {
			t.Errorf("%s, damaged, was changed by a command that does not use it", file)
		}
		return
	}
	if exit != 1 {
		t.Errorf("exited %d, want 1:\n%s", exit, out)
	}
	if !strings.Contains(out, file) || !strings.Contains(out, dir) || !strings.Contains(out, "damaged") {
		t.Errorf("message does not say that %s in %s is damaged:\n%s", file, dir, out)
	}
	if ch := changedFiles(before, after); len(ch) > 0 {
		t.Errorf("a refused command changed files: %v", ch)
	}
}
