package boltcheck

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"time"
)

// The on-disk layout of bbolt 1.x (go.etcd.io/bbolt/internal/common), in
// the byte order of the machine that wrote it.
const (
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	metaSize       = 64 // magic .. checksum, after the page header
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	noFreelist     = ^uint64(0)
	minPageSize    = 1 << 9
	maxPageSize    = 1 << 24 // bbolt itself looks no further for meta page 1

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagFreelist = 0x10
)

var order = binary.NativeEndian

// DamageError reports a bbolt file that must not be opened: empty, cut
// short, blank, or with damaged header pages. Reason says what is wrong in
// words; callers add what the file holds and what the user can do.
type DamageError struct {
	Path   string
	Size   int64  // bytes on disk
	Reason string // e.g. "it is empty (0 bytes)"
}

func (e *DamageError) Error() string {
	return fmt.Sprintf("%s is damaged: %s", e.Path, e.Reason)
}

// meta is a decoded bbolt meta page.
type meta struct {
	valid    bool
	why      string // when !valid
	pageSize uint64
	root     uint64
	freelist uint64
	pgid     uint64 // high-water mark: pages [0, pgid) are in use or free
	txid     uint64
}

func decodeMeta(b []byte) meta {
	if len(b) < pageHeaderSize+metaSize {
		return meta{why: "it is cut short"}
	}
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	if allZero(b) {
		return meta{why: "it is blank (zeros)"}
	}
	if order.Uint32(m[0:]) != boltMagic {
		return meta{why: "it does not start like a database page"}
	}
	if order.Uint32(m[4:]) != boltVersion {
		return meta{why: fmt.Sprintf("it has format version %d, not %d", order.Uint32(m[4:]), boltVersion)}
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != order.Uint64(m[56:]) {
		return meta{why: "its checksum does not match"}
	}
	return meta{
		valid:    true,
		pageSize: uint64(order.Uint32(m[8:])),
		root:     order.Uint64(m[16:]),
		freelist: order.Uint64(m[32:]),
		pgid:     order.Uint64(m[40:]),
		txid:     order.Uint64(m[48:]),
	}
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// ErrLocked means another process holds the file for writing: it could
// not be checked before the timeout.
var ErrLocked = errors.New("the database is locked by another process")

// lockRetry is how often Check tries again for a lock held by a writer.
const lockRetry = 50 * time.Millisecond

// Check reads the header pages of the bbolt file at path and returns a
// *DamageError if bbolt must not open it: the file is empty, a meta page
// is blank or fails its checksum, the file is not a whole number of pages
// or is shorter than the pages its meta page says are in use, or the root
// or free-list page it names is missing or of the wrong kind. It does not
// walk the B+tree.
//
// It reads under a shared lock, the one a read-only bbolt takes, so that a
// bbolt writer in another process cannot change the file under it; a
// writer holding the file past timeout gives ErrLocked. Errors opening or
// reading the file (for example fs.ErrNotExist) are returned as they are.
func Check(path string, timeout time.Duration) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	deadline := time.Now().Add(timeout)
	for {
		ok, err := tryLock(f)
		if err != nil {
			return fmt.Errorf("lock %s: %w", path, err)
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %w", path, ErrLocked)
		}
		time.Sleep(lockRetry)
	}
	defer unlock(f)
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return check(f, fi.Size(), path)
}

func check(r io.ReaderAt, size int64, path string) error {
	damaged := func(format string, a ...any) error {
		return &DamageError{Path: path, Size: size, Reason: fmt.Sprintf(format, a...)}
	}
	if size == 0 {
		return damaged("it is empty (0 bytes)")
	}
	if size < pageHeaderSize+metaSize {
		return damaged("it is cut short (%d bytes): too short for a database header", size)
	}
	first := make([]byte, min(size, 4096))
	if _, err := r.ReadAt(first, 0); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	m0 := decodeMeta(first)
	pageSize := m0.pageSize
	if !m0.valid {
		// Find meta page 1 the way bbolt does, trying each page size.
		for ps := uint64(1024); ps <= maxPageSize && int64(ps) < size; ps <<= 1 {
			buf := make([]byte, pageHeaderSize+metaSize)
			if n, _ := r.ReadAt(buf, int64(ps)); n == len(buf) {
				if m := decodeMeta(buf); m.valid && m.pageSize == ps {
					pageSize = ps
					break
				}
			}
		}
		if pageSize == 0 {
			if allZero(first) {
				return damaged("it is blank: its header pages are all zeros (%d bytes)", size)
			}
			return damaged("it is not a database, or both of its header pages are damaged (first page: %s)", m0.why)
		}
	}
	if pageSize < minPageSize || pageSize > maxPageSize || pageSize&(pageSize-1) != 0 {
		return damaged("its header gives an impossible page size (%d)", pageSize)
	}
	if size%int64(pageSize) != 0 {
		return damaged("it is cut short or padded: %d bytes is not a whole number of %d-byte pages", size, pageSize)
	}
	if size < 2*int64(pageSize) {
		return damaged("it is cut short (%d bytes): its second header page is missing", size)
	}
	second := make([]byte, pageHeaderSize+metaSize)
	if _, err := r.ReadAt(second, int64(pageSize)); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	m1 := decodeMeta(second)
	// A meta page is written in one piece, well within one disk sector,
	// after the pages it points to are on disk: a bad one is damage, not a
	// write cut short by a crash. bbolt would quietly fall back to the
	// older commit; refuse instead.
	for i, m := range []meta{m0, m1} {
		if !m.valid {
			return damaged("header page %d is damaged (%s)", i, m.why)
		}
		if m.pageSize != pageSize {
			return damaged("its two header pages disagree on the page size (%d and %d)", m0.pageSize, m1.pageSize)
		}
		if m.pgid < 2 || m.root < 2 || m.root >= m.pgid || (m.freelist != noFreelist && (m.freelist < 2 || m.freelist >= m.pgid)) {
			return damaged("header page %d points outside the database (root page %d, free-list page %d, %d pages)", i, m.root, m.freelist, m.pgid)
		}
	}
	cur := m0
	if m1.txid > m0.txid {
		cur = m1
	}
	if need := cur.pgid * pageSize; need/pageSize != cur.pgid || uint64(size) < need {
		return damaged("it is cut short: %d bytes, but its header says its pages fill %d bytes", size, need)
	}
	page := func(id uint64) ([]byte, error) {
		b := make([]byte, pageHeaderSize)
		if _, err := r.ReadAt(b, int64(id*pageSize)); err != nil {
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		return b, nil
	}
	root, err := page(cur.root)
	if err != nil {
		return err
	}
	if order.Uint64(root) != cur.root || order.Uint16(root[8:])&(flagBranch|flagLeaf) == 0 {
		return damaged("its root page %d is damaged or blank", cur.root)
	}
	if cur.freelist != noFreelist {
		fl, err := page(cur.freelist)
		if err != nil {
			return err
		}
		if order.Uint64(fl) != cur.freelist || order.Uint16(fl[8:])&flagFreelist == 0 {
			return damaged("its free-page list (page %d) is damaged or blank", cur.freelist)
		}
		overflow := uint64(order.Uint32(fl[12:]))
		if cur.freelist+overflow >= cur.pgid {
			return damaged("its free-page list (page %d) runs past the end of the database", cur.freelist)
		}
		count := uint64(order.Uint16(fl[10:]))
		skip := uint64(0)
		if count == 0xFFFF {
			c := make([]byte, 8)
			if _, err := r.ReadAt(c, int64(cur.freelist*pageSize+pageHeaderSize)); err != nil {
				return fmt.Errorf("read %s: %w", path, err)
			}
			count, skip = order.Uint64(c), 1
		}
		if count > (overflow+1)*pageSize/8 || pageHeaderSize+(skip+count)*8 > (overflow+1)*pageSize {
			return damaged("its free-page list (page %d) claims %d entries, more than it can hold", cur.freelist, count)
		}
		ids := make([]byte, count*8)
		if _, err := r.ReadAt(ids, int64(cur.freelist*pageSize+pageHeaderSize+skip*8)); err != nil {
			return fmt.Errorf("read %s: %w", path, err)
		}
		for i := uint64(0); i < count; i++ {
			if id := order.Uint64(ids[i*8:]); id < 2 || id >= cur.pgid {
				return damaged("its free-page list names page %d, outside the database", id)
			}
		}
	}
	return nil
}
