package ledger

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"slices"

	bolt "go.etcd.io/bbolt"
)

// The journal makes an append durable with one small sequential write and
// one fdatasync, instead of a bbolt commit, which rewrites every B+tree
// page an append touches (the ID index alone puts each transaction on a
// random page) and syncs twice. Appended transactions are then moved into
// bbolt in large batches off the caller's path (see applyLoop).
//
// The journal is two files used in turn. Records go to the current file
// until it passes journalRewindAt; then the other file, once bbolt holds
// everything in it, is rewritten from its start. Writing over old data in
// place, in files whose blocks are allocated (zero-filled when created),
// keeps fdatasync from having to commit file-system metadata, which is
// what makes it cheap.
//
// A file is a sequence of records, each
//
//	length   uint32  of the transaction encoding
//	checksum uint32  CRC-32C of index || encoding
//	index    uint64  the transaction's position in the ledger
//	encoding         the canonical signed transaction
//
// Records are written in index order and a write is acknowledged only
// after fdatasync, so a crash can only damage the records of the last,
// unacknowledged write. Reading a file stops at the first record whose
// checksum fails or whose index does not follow the one before: that is
// the end of what was acknowledged. Old records may follow the current
// ones in a rewritten file; their indexes are lower than any current
// record's, so they also end the scan, and bbolt holds them anyway.

// journalHeaderSize is the size of a record header.
const journalHeaderSize = 16

// maxJournalRecord bounds a record's length when reading, so a damaged
// length cannot ask for an absurd allocation.
const maxJournalRecord = 16 << 20

// journalChunk is how much a journal file is extended by, with zeros,
// when a write would pass its end.
const journalChunk = 1 << 20

var journalCRC = crc32.MakeTable(crc32.Castagnoli)

// journal is the write-ahead log of a ledger. It is used by one goroutine
// at a time (the journal writer, or Open and Close).
type journal struct {
	files  [2]*journalFile
	cur    int // the file being written
	noSync bool
	buf    []byte
}

// journalFile is one of the two files of a journal.
type journalFile struct {
	path string
	f    *os.File
	off  int64 // where the next record goes
	size int64 // bytes allocated (written, zeros included)
	last int64 // highest index written since the last rewind; -1 if none
}

// preallocate zero-fills a new file's first chunk, so that the first
// appends of a new ledger do not pay for allocating it.
func (jf *journalFile) preallocate(noSync bool) error {
	if jf.size >= journalChunk {
		return nil
	}
	if _, err := jf.f.WriteAt(make([]byte, journalChunk-jf.size), jf.size); err != nil {
		return err
	}
	jf.size = journalChunk
	if noSync {
		return nil
	}
	return fdatasync(jf.f)
}

// journalRecord is one transaction read back from the journal.
type journalRecord struct {
	index int64
	enc   []byte
}

// journalPaths are the journal files of the ledger at path.
func journalPaths(path string) [2]string {
	return [2]string{path + "-journal.0", path + "-journal.1"}
}

// openJournal opens (creating if needed) the journal of the ledger at
// path and returns the records its files hold, in index order.
func openJournal(path string, noSync bool) (*journal, []journalRecord, error) {
	j := &journal{noSync: noSync}
	var recs []journalRecord
	for i, jp := range journalPaths(path) {
		f, err := os.OpenFile(jp, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			j.closeFiles()
			return nil, nil, fmt.Errorf("ledger: open journal %s: %w", jp, err)
		}
		j.files[i] = &journalFile{path: jp, f: f, last: -1}
		r, err := readJournal(f)
		if err == nil {
			var fi os.FileInfo
			if fi, err = f.Stat(); err == nil {
				j.files[i].size = fi.Size()
			}
		}
		if err == nil {
			err = j.files[i].preallocate(noSync)
		}
		if err != nil {
			j.closeFiles()
			return nil, nil, fmt.Errorf("ledger: read journal %s: %w", jp, err)
		}
		recs = append(recs, r...)
	}
	sortByIndex(recs)
	return j, recs, nil
}

// sortByIndex puts records read from both files in ledger order.
func sortByIndex(recs []journalRecord) {
	slices.SortFunc(recs, func(a, b journalRecord) int { return cmp.Compare(a.index, b.index) })
}

// readJournal reads records from the start of r until the first one that
// is damaged, cut short or out of sequence.
func readJournal(r io.ReaderAt) ([]journalRecord, error) {
	var (
		recs []journalRecord
		off  int64
		hdr  [journalHeaderSize]byte
	)
	for {
		if _, err := r.ReadAt(hdr[:], off); err != nil {
			if errors.Is(err, io.EOF) {
				return recs, nil
			}
			return nil, err
		}
		n := binary.LittleEndian.Uint32(hdr[0:])
		sum := binary.LittleEndian.Uint32(hdr[4:])
		index := int64(binary.LittleEndian.Uint64(hdr[8:]))
		if n == 0 || n > maxJournalRecord || index < 0 {
			return recs, nil
		}
		if len(recs) > 0 && index != recs[len(recs)-1].index+1 {
			return recs, nil
		}
		enc := make([]byte, n)
		if _, err := r.ReadAt(enc, off+journalHeaderSize); err != nil {
			if errors.Is(err, io.EOF) {
				return recs, nil
			}
			return nil, err
		}
		if crc32.Update(crc32.Checksum(hdr[8:], journalCRC), journalCRC, enc) != sum {
			return recs, nil
		}
		recs = append(recs, journalRecord{index: index, enc: enc})
		off += journalHeaderSize + int64(n)
	}
}

// appendJournalRecord appends the record of the transaction enc at index
// to b.
func appendJournalRecord(b []byte, index int64, enc []byte) []byte {
	var hdr [journalHeaderSize]byte
	binary.LittleEndian.PutUint32(hdr[0:], uint32(len(enc)))
	binary.LittleEndian.PutUint64(hdr[8:], uint64(index))
	binary.LittleEndian.PutUint32(hdr[4:], crc32.Update(crc32.Checksum(hdr[8:], journalCRC), journalCRC, enc))
	return append(append(b, hdr[:]...), enc...)
}

// write appends the encodings encs, the first at index first, to the
// current file in one write and syncs it.
func (j *journal) write(first int64, encs [][]byte) error {
	b := j.buf[:0]
	for i, enc := range encs {
		b = appendJournalRecord(b, first+int64(i), enc)
	}
	j.buf = b
	jf := j.files[j.cur]
	if end := jf.off + int64(len(b)); end > jf.size {
		// Zero-fill whole chunks past the end first, so that later laps
		// write over allocated blocks.
		size := (end + journalChunk - 1) / journalChunk * journalChunk
		if _, err := jf.f.WriteAt(make([]byte, size-jf.size), jf.size); err != nil {
			return fmt.Errorf("ledger: extend journal %s: %w", jf.path, err)
		}
		jf.size = size
	}
	if _, err := jf.f.WriteAt(b, jf.off); err != nil {
		j.unwrite(jf)
		return fmt.Errorf("ledger: write journal %s: %w", jf.path, err)
	}
	if !j.noSync {
		if err := fdatasync(jf.f); err != nil {
			j.unwrite(jf)
			return fmt.Errorf("ledger: sync journal %s: %w", jf.path, err)
		}
	}
	jf.off += int64(len(b))
	jf.last = first + int64(len(encs)) - 1
	if cap(j.buf) > 1<<20 {
		j.buf = nil // do not keep a burst's buffer
	}
	return nil
}

// unwrite makes a failed write's records unreadable, as far as the disk
// still lets us, so that a transaction whose append failed is not
// recovered at the next Open. The next write goes over them anyway.
func (j *journal) unwrite(jf *journalFile) {
	_, _ = jf.f.WriteAt(make([]byte, journalHeaderSize), jf.off)
}

// turn switches to the other file, to be rewritten from its start, if the
// current one has passed journalRewindAt and bbolt holds every record of
// the other (every index below applied).
func (j *journal) turn(applied int64) {
	other := j.files[1-j.cur]
	if j.files[j.cur].off > journalRewindAt && other.last < applied {
		j.cur = 1 - j.cur
		other.off, other.last = 0, -1
	}
}

// reset starts over in the first file. Call it only when bbolt holds every
// record.
func (j *journal) reset() {
	j.cur = 0
	for _, jf := range j.files {
		jf.off, jf.last = 0, -1
	}
}

// size is the bytes written to the journal since its files were last
// rewritten.
func (j *journal) size() int64 { return j.files[0].off + j.files[1].off }

// close marks the journal empty, since bbolt holds every record, and
// closes its files. The files stay, zero-filled at their start, for the
// next Open to write over.
func (j *journal) close() error {
	var err error
	for _, jf := range j.files {
		if jf.size >= journalHeaderSize {
			if _, werr := jf.f.WriteAt(make([]byte, journalHeaderSize), 0); werr != nil && err == nil {
				err = fmt.Errorf("ledger: close journal %s: %w", jf.path, werr)
			}
			if !j.noSync && err == nil {
				if serr := fdatasync(jf.f); serr != nil {
					err = fmt.Errorf("ledger: close journal %s: %w", jf.path, serr)
				}
			}
		}
	}
	if cerr := j.closeFiles(); err == nil {
		err = cerr
	}
	return err
}

func (j *journal) closeFiles() error {
	var err error
	for _, jf := range j.files {
		if jf != nil {
			if cerr := jf.f.Close(); cerr != nil && err == nil {
				err = fmt.Errorf("ledger: close journal %s: %w", jf.path, cerr)
			}
		}
	}
	return err
}

// recoverJournal opens the journal of a writable ledger and moves into
// bbolt the transactions it holds beyond bbolt's size: appends that were
// acknowledged before the program stopped.
func (l *Ledger) recoverJournal() error {
	jr, recs, err := openJournal(l.path, l.opts.NoSync)
	if err != nil {
		return err
	}
	l.jr = jr
	jr.reset()
	l.pendingIDs = make(map[TxID]Receipt)
	l.model = modelOf(l.state)
	q, err := l.unapplied(recs)
	if err == nil && len(q) > 0 {
		l.queue = q
		err = l.exclusive(func(*bolt.Tx) error { return nil })
	}
	if err != nil {
		jr.closeFiles()
		l.jr = nil
	}
	return err
}

// unapplied checks the journal records beyond bbolt's size and returns
// them as appends to apply.
func (l *Ledger) unapplied(recs []journalRecord) ([]*appendReq, error) {
	size := l.state.size
	var q []*appendReq
	for _, r := range recs {
		if r.index < size {
			continue // already in bbolt
		}
		if want := size + int64(len(q)); r.index != want {
			return nil, &CorruptError{Path: l.path + "-journal", Err: fmt.Errorf("the journal holds transaction %d but the ledger stops at %d", r.index, want)}
		}
		sender, recipient, err := verifyEncoded(r.enc)
		if err != nil {
			return nil, &CorruptError{Path: l.path + "-journal", Err: fmt.Errorf("journalled transaction %d: %w", r.index, err)}
		}
		q = append(q, &appendReq{enc: r.enc, id: txIDOf(r.enc), sender: sender[:], recipient: recipient[:], index: r.index})
	}
	return q, nil
}

// checkJournalApplied fails a read-only open of a ledger whose journal
// still holds acknowledged transactions bbolt lacks: reading it would
// show a ledger without them.
func (l *Ledger) checkJournalApplied() error {
	var recs []journalRecord
	for _, jp := range journalPaths(l.path) {
		f, err := os.Open(jp)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return fmt.Errorf("ledger: open journal %s: %w", jp, err)
		}
		r, err := readJournal(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("ledger: read journal %s: %w", jp, err)
		}
		recs = append(recs, r...)
	}
	sortByIndex(recs)
	q, err := l.unapplied(recs)
	if err != nil {
		return err
	}
	if len(q) > 0 {
		return fmt.Errorf("ledger: open %s read-only: %w: %d transactions are still in its journal because the program writing it stopped abruptly; open it once for writing (start qkdchat) to move them into the ledger", l.path, ErrJournalPending, len(q))
	}
	return nil
}
