package ledger

import (
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// memHashes is an in-memory hash store that records which indexes were read.
type memHashes struct {
	stored []tlog.Hash
	reads  []int64
}

func (m *memHashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(m.stored)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = m.stored[x]
	}
	m.reads = append(m.reads, indexes...)
	return out, nil
}

// growMem appends records until m holds the tree of size n.
func growMem(t *testing.T, m *memHashes, from, n int64) {
	t.Helper()
	for i := from; i < n; i++ {
		hs, err := tlog.StoredHashes(i, fmt.Appendf(nil, "record %d", i), m)
		if err != nil {
			t.Fatal(err)
		}
		m.stored = append(m.stored, hs...)
	}
	m.reads = nil
}

// The cached upper levels give the same roots and proofs as the stored
// hashes, at every size up to the cached one, across extensions; and a
// proof then reads from disk only hashes below the cached level.
func TestUpperHashCache(t *testing.T) {
	m := &memHashes{}
	var c upperHashes
	var size int64
	for _, n := range []int64{1, 63, 64, 65, 127, 128, 200, 511, 512, 700, 1025} {
		growMem(t, m, size, n)
		size = n
		if err := c.extend(m, n); err != nil {
			t.Fatal(err)
		}
		for k, lv := range c.levels {
			if want := n >> (cachedLevel + k); int64(len(lv)) != want {
				t.Fatalf("size %d: level %d holds %d nodes, want %d", n, cachedLevel+k, len(lv), want)
			}
		}
		if len(c.levels) != bitsLen(n>>cachedLevel) {
			t.Fatalf("size %d: %d cached levels", n, len(c.levels))
		}
		_, levels := c.snapshot()
		disk := &memHashes{stored: m.stored}
		r := cachedReader{disk: disk, levels: levels}
		for _, tsize := range []int64{1, n / 3, n - 1, n} {
			if tsize < 1 {
				continue
			}
			want, err := tlog.TreeHash(tsize, m)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := tlog.TreeHash(tsize, r); err != nil || got != want {
				t.Fatalf("TreeHash(%d) with the cache at %d: %v %v, want %v", tsize, n, got, err, want)
			}
			for rec := int64(0); rec < tsize; rec += 1 + tsize/97 {
				disk.reads = nil
				got, err := tlog.ProveRecord(tsize, rec, r)
				if err != nil {
					t.Fatal(err)
				}
				if tsize == n {
					for _, x := range disk.reads {
						if level, _ := tlog.SplitStoredHashIndex(x); level >= cachedLevel {
							t.Fatalf("proof of %d in %d read hash (%d) from disk although it is cached", rec, tsize, level)
						}
					}
				}
				want, err := tlog.ProveRecord(tsize, rec, m)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("proof of %d in %d differs with the cache at %d", rec, tsize, n)
				}
			}
			if tsize > 1 {
				got, err := tlog.ProveTree(tsize, tsize/2, r)
				want, err2 := tlog.ProveTree(tsize, tsize/2, m)
				if err != nil || err2 != nil || !slices.Equal(got, want) {
					t.Fatalf("ProveTree(%d, %d) differs with the cache: %v %v", tsize, tsize/2, err, err2)
				}
			}
		}
	}
	// A proof at 1025 reads at most cachedLevel hashes of the leaf's
	// subtree plus those of the incomplete right edge below the cached level.
	disk := &memHashes{stored: m.stored}
	_, levels := c.snapshot()
	if _, err := tlog.ProveRecord(1025, 300, cachedReader{disk: disk, levels: levels}); err != nil {
		t.Fatal(err)
	}
	if len(disk.reads) > cachedLevel+1 {
		t.Fatalf("a proof read %d hashes from disk, want <= %d", len(disk.reads), cachedLevel+1)
	}
	// Extending to a smaller size is a no-op; a reader that fails fails it.
	if err := c.extend(m, 10); err != nil || c.size != 1025 {
		t.Fatalf("extend to a smaller size: %v, size %d", err, c.size)
	}
	var empty upperHashes
	if err := empty.extend(&memHashes{}, 128); err == nil {
		t.Fatal("extend from a store without the hashes succeeded")
	}
	if empty.size != 0 || len(empty.levels) != 0 {
		t.Fatal("a failed extend changed the cache")
	}
}

func bitsLen(n int64) int {
	l := 0
	for ; n > 0; n >>= 1 {
		l++
	}
	return l
}

// scanReader returns what the hash bucket holds for sorted indexes, near
// and far apart, and fails on a missing one.
func TestScanReader(t *testing.T) {
	m := &memHashes{}
	growMem(t, m, 0, 600)
	db, err := bolt.Open(filepath.Join(t.TempDir(), "h.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(btx *bolt.Tx) error {
		b, err := btx.CreateBucket(bucketHash)
		if err != nil {
			return err
		}
		for x, h := range m.stored {
			if x == 500 {
				continue // a hole
			}
			if err := b.Put(be64(int64(x)), h[:]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	err = db.View(func(btx *bolt.Tx) error {
		r := scanReader{btx.Bucket(bucketHash)}
		for _, idx := range [][]int64{{0}, {0, 1, 2, 3}, {3, 70, 71, 200, 201, 499}, {10, 10, 11}, {499, 501, 1000}} {
			got, err := r.ReadHashes(idx)
			if err != nil {
				return fmt.Errorf("%v: %w", idx, err)
			}
			want, _ := m.ReadHashes(idx)
			if !slices.Equal(got, want) {
				return fmt.Errorf("ReadHashes(%v) differs from the stored hashes", idx)
			}
		}
		for _, idx := range [][]int64{{499, 500}, {500}, {1, 100000}} {
			if _, err := r.ReadHashes(idx); err == nil {
				return fmt.Errorf("ReadHashes(%v) of a missing hash succeeded", idx)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
