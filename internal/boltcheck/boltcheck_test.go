package boltcheck

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// fixture writes a bbolt file with several buckets, overflow values and
// freed pages, and returns its content and the page size and high-water
// mark of its newest meta page.
func fixture(t testing.TB) (content []byte, pageSize, pgid int64) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "fixture.db")
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 4 {
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte(fmt.Sprintf("bucket-%d", round%2)))
			if err != nil {
				return err
			}
			for i := range 150 {
				v := make([]byte, 100+r.IntN(900))
				if i%50 == 0 {
					v = make([]byte, 9000) // overflow pages
				}
				if err := b.Put([]byte(fmt.Sprintf("key-%d-%04d", round, i)), v); err != nil {
					return err
				}
			}
			if round == 2 { // free pages
				return tx.DeleteBucket([]byte("bucket-0"))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	content, err = os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m0, m1 := decodeMeta(content[:4096]), decodeMeta(content[4096:])
	if !m0.valid || !m1.valid {
		t.Fatal("fixture has an invalid meta page")
	}
	cur := m0
	if m1.txid > m0.txid {
		cur = m1
	}
	if cur.freelist == noFreelist || int64(cur.pgid*cur.pageSize) >= int64(len(content)) {
		t.Fatalf("fixture: freelist %d, pages %d of %d bytes: want a free list and slack at the end", cur.freelist, cur.pgid, len(content))
	}
	return content, int64(cur.pageSize), int64(cur.pgid)
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll opens path with bbolt, read-only, and reads every key and value
// of every bucket, with faults turned into panics.
func readAll(path string) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bbolt panicked: %v", r)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return err
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				_ = bytes.Count(v, []byte{1})
				return nil
			})
		})
	})
}

func wantDamage(t *testing.T, err error, path, reason string) {
	t.Helper()
	var d *DamageError
	if !errors.As(err, &d) {
		t.Fatalf("Check = %v, want a DamageError", err)
	}
	if d.Path != path || !strings.Contains(d.Error(), path) || !strings.Contains(d.Reason, reason) {
		t.Fatalf("DamageError %q (path %s), want one naming %s and saying %q", d.Error(), d.Path, path, reason)
	}
}

func TestCheckAcceptsHealthyFile(t *testing.T) {
	content, _, _ := fixture(t)
	path := writeFile(t, "ok.db", content)
	if err := Check(path, time.Second); err != nil {
		t.Fatalf("Check of a healthy file: %v", err)
	}
	if err := readAll(path); err != nil {
		t.Fatal(err)
	}
}

func TestCheckRefusesEmptyBlankAndMissingMeta(t *testing.T) {
	content, pageSize, _ := fixture(t)
	badMeta := bytes.Clone(content)
	badMeta[pageSize+40] ^= 1 // inside meta page 1's root field: checksum fails
	wrongMagic := bytes.Clone(content)
	binary.NativeEndian.PutUint32(wrongMagic[16:], 0x12345678)
	for _, tc := range []struct {
		name    string
		content []byte
		reason  string
	}{
		{"empty", nil, "empty (0 bytes)"},
		{"tiny", []byte("x"), "cut short (1 bytes)"},
		{"zeros", make([]byte, len(content)), "all zeros"},
		{"one page", content[:pageSize], "second header page is missing"},
		{"half a page", content[:pageSize+pageSize/2], "not a whole number"},
		{"meta 1 damaged", badMeta, "header page 1 is damaged (its checksum does not match)"},
		{"meta 0 not bbolt", wrongMagic, "header page 0 is damaged (it does not start like a database page)"},
		{"text", []byte(strings.Repeat("not a database ", 1000)), "not a database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, "bad.db", tc.content)
			wantDamage(t, Check(path, time.Second), path, tc.reason)
		})
	}
	if err := Check(filepath.Join(t.TempDir(), "missing.db"), time.Second); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Check of a missing file: %v, want ErrNotExist", err)
	}
}

// TestCheckEveryTruncation cuts the file at every 512 bytes: Check refuses
// exactly the lengths that lose pages in use or are not whole pages, and
// bbolt reads every file it accepts without a fault.
func TestCheckEveryTruncation(t *testing.T) {
	content, pageSize, pgid := fixture(t)
	dir := t.TempDir()
	accepted := 0
	for n := int64(0); n <= int64(len(content)); n += 512 {
		path := filepath.Join(dir, fmt.Sprintf("cut%d.db", n))
		if err := os.WriteFile(path, content[:n], 0o600); err != nil {
			t.Fatal(err)
		}
		err := Check(path, time.Second)
		wantOK := n%pageSize == 0 && n >= pgid*pageSize
		switch {
		case wantOK && err != nil:
			t.Errorf("%d bytes (%d pages in use): %v", n, pgid, err)
		case !wantOK && err == nil:
			t.Errorf("%d bytes (%d pages in use): accepted", n, pgid)
		case !wantOK:
			wantDamage(t, err, path, "")
		default:
			accepted++
			if err := readAll(path); err != nil {
				t.Errorf("%d bytes: accepted, but %v", n, err)
			}
		}
		os.Remove(path)
	}
	if accepted == 0 {
		t.Fatal("no truncation was long enough to keep every page in use")
	}
}

// TestCheckRefusesEveryMetaFlip changes each byte of the meta fields of
// both meta pages (by a seeded random nonzero mask): every one is refused,
// since the checksum covers them all, and the checksum itself is checked.
func TestCheckRefusesEveryMetaFlip(t *testing.T) {
	content, pageSize, _ := fixture(t)
	r := rand.New(rand.NewPCG(3, 4))
	path := filepath.Join(t.TempDir(), "flip.db")
	for page := range int64(2) {
		for i := range int64(metaSize) {
			off := page*pageSize + pageHeaderSize + i
			b := bytes.Clone(content)
			b[off] ^= byte(1 + r.IntN(255))
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			err := Check(path, time.Second)
			var d *DamageError
			if !errors.As(err, &d) {
				t.Errorf("byte %d of meta page %d changed: Check = %v, want a DamageError", i, page, err)
				continue
			}
			if !strings.Contains(d.Reason, fmt.Sprintf("header page %d", page)) && !strings.Contains(d.Reason, "not a database") {
				t.Errorf("byte %d of meta page %d changed: %q does not name the page", i, page, d.Reason)
			}
		}
	}
}

// TestCheckWaitsForWriter: a file held by a bbolt writer is not read
// under it; Check gives ErrLocked after its timeout.
func TestCheckWaitsForWriter(t *testing.T) {
	content, _, _ := fixture(t)
	path := writeFile(t, "busy.db", content)
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = Check(path, 100*time.Millisecond)
	db.Close()
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Check of a file held by a writer: %v, want ErrLocked naming it", err)
	}
	if err := Check(path, time.Second); err != nil {
		t.Fatalf("Check after the writer closed: %v", err)
	}
}

// BenchmarkCheck measures the check that runs before every open of a
// ledger or state database.
func BenchmarkCheck(b *testing.B) {
	content, _, _ := fixture(b)
	path := filepath.Join(b.TempDir(), "bench.db")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := Check(path, time.Second); err != nil {
			b.Fatal(err)
		}
	}
}
