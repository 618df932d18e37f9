package ledger

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// cachedLevel is the lowest Merkle tree level whose stored hashes a Ledger
// keeps in memory once it has made an inclusion proof. A node at level 4
// covers 16 transactions, so the cache holds about one hash per 8
// transactions (4 MB per 10⁶ transactions, against about 1 GB of file),
// and a proof reads only its lowest four hashes from the file: they lie
// among the 31 stored hashes of the leaf's 16-transaction subtree, which
// usually share one bbolt page. Higher levels cost less memory but a proof
// on pages not yet read then touches more pages (at level 6, twice the
// time on the development VM).
const cachedLevel = 4

// upperHashes holds the stored tree hashes at levels >= cachedLevel of the
// committed tree of a given size. Stored hashes never change once
// committed, so the cache is only ever extended, from a read transaction,
// and is never filled from a write transaction that could still roll back.
// Verify does not use it: it recomputes the tree from the file.
type upperHashes struct {
	mu     sync.RWMutex
	size   int64         // every complete node at level >= cachedLevel of the tree of this size is held
	levels [][]tlog.Hash // levels[k][n] is the stored hash (cachedLevel+k, n)
}

// snapshot returns the cached levels. Extensions only append, so the
// returned slices stay valid and race-free to read.
func (c *upperHashes) snapshot() (int64, [][]tlog.Hash) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.size, slices.Clone(c.levels)
}

// extend loads from r the stored hashes at levels >= cachedLevel that the
// tree of size holds and the cache does not, in increasing stored-index
// order (the order of the file).
func (c *upperHashes) extend(r tlog.HashReader, size int64) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if size <= c.size {
		return nil
	}
	var indexes []int64
	for k := 0; size>>(cachedLevel+k) > 0; k++ {
		have := int64(0)
		if k < len(c.levels) {
			have = int64(len(c.levels[k]))
		}
		for n := have; n < size>>(cachedLevel+k); n++ {
			indexes = append(indexes, tlog.StoredHashIndex(cachedLevel+k, n))
		}
	}
	slices.Sort(indexes)
	hashes, err := r.ReadHashes(indexes)
	if err != nil {
		return err
	}
	if len(hashes) != len(indexes) {
		return fmt.Errorf("ledger: read %d tree hashes, want %d", len(hashes), len(indexes))
	}
	for i, x := range indexes {
		level, n := tlog.SplitStoredHashIndex(x)
		k := level - cachedLevel
		for len(c.levels) <= k {
			c.levels = append(c.levels, nil)
		}
		// Sorted stored indexes visit each level's nodes in order.
		if int64(len(c.levels[k])) != n {
			return fmt.Errorf("ledger: tree hash cache: level %d node %d out of order", level, n)
		}
		c.levels[k] = append(c.levels[k], hashes[i])
	}
	c.size = size
	return nil
}

// cachedReader reads stored tree hashes from the cached upper levels when
// they hold them and from disk (the hash bucket) otherwise.
type cachedReader struct {
	disk   tlog.HashReader
	levels [][]tlog.Hash
}

func (r cachedReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	var missing []int64 // indexes not in the cache, in the caller's order
	var at []int
	for i, x := range indexes {
		if level, n := tlog.SplitStoredHashIndex(x); level >= cachedLevel {
			if k := level - cachedLevel; k < len(r.levels) && n < int64(len(r.levels[k])) {
				out[i] = r.levels[k][n]
				continue
			}
		}
		missing = append(missing, x)
		at = append(at, i)
	}
	if len(missing) == 0 {
		return out, nil
	}
	hashes, err := r.disk.ReadHashes(missing)
	if err != nil {
		return nil, err
	}
	if len(hashes) != len(missing) {
		return nil, fmt.Errorf("ledger: read %d tree hashes, want %d", len(hashes), len(missing))
	}
	for j, i := range at {
		out[i] = hashes[j]
	}
	return out, nil
}

// treeReader returns a reader of the stored hashes of the committed tree of
// size transactions in btx, first extending the ledger's cache of upper
// levels to that size.
func (l *Ledger) treeReader(btx *bolt.Tx, size int64) (tlog.HashReader, error) {
	disk := hashReader{btx.Bucket(bucketHash)}
	cached, levels := l.upper.snapshot()
	if cached < size {
		if err := l.upper.extend(scanReader(disk), size); err != nil {
			return nil, fmt.Errorf("ledger: load tree hashes: %w", err)
		}
		_, levels = l.upper.snapshot()
	}
	return cachedReader{disk: disk, levels: levels}, nil
}

// scanReader reads sorted stored hash indexes with one cursor, stepping
// to the next index instead of seeking from the root when it is near:
// loading the cache visits the hash bucket in file order.
type scanReader hashReader

func (r scanReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	const near = 64 // entries; about one page
	out := make([]tlog.Hash, len(indexes))
	c := r.b.Cursor()
	var k, v []byte
	for i, x := range indexes {
		if k != nil && len(k) == 8 {
			for cur := int64(binary.BigEndian.Uint64(k)); cur < x && x-cur <= near; cur++ {
				if k, v = c.Next(); k == nil || len(k) != 8 {
					break
				}
			}
		}
		if k == nil || len(k) != 8 || int64(binary.BigEndian.Uint64(k)) != x {
			k, v = c.Seek(be64(x))
		}
		if k == nil || len(k) != 8 || int64(binary.BigEndian.Uint64(k)) != x || len(v) != tlog.HashSize {
			return nil, fmt.Errorf("ledger: stored tree hash %d missing or malformed", x)
		}
		copy(out[i][:], v)
	}
	return out, nil
}
