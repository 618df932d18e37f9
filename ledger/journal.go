package ledger

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"os"
	"slices"
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
// A file is a sequence of frames, each a 40-byte header and a payload:
//
//	magic    "qj", kind (record, commit, clean), version
//	length   uint32  of the payload
//	session  uint64  the Open that wrote it (stored in bbolt's metadata)
//	index    uint64  record: the transaction's position in the ledger;
//	                 commit: the last index of its group;
//	                 clean: the ledger's size when it was closed
//	first    uint64  record, commit: the first index of its group
//	dataCRC  uint32  CRC-32C of the payload
//	hdrCRC   uint32  CRC-32C of the 36 bytes before it
//	payload          record: the canonical signed transaction
//
// Every frame is checkable on its own, so a reader that meets a damaged
// one searches forward for the next valid header (resync) instead of
// stopping: one bad byte costs only the record it is in. A group commit
// is its records followed by a commit frame, written with one write and
// acknowledged after one fdatasync. What was acknowledged is therefore
// known from what survives: a record of a group proves that every group
// before it was acknowledged (the writer is sequential), and a commit
// frame proves that its whole group was written. A missing record below
// that bound was acknowledged and is lost, and is reported (see
// planRecovery); a missing record of the last group, whose commit frame
// is missing too, is a write the crash cut short, never acknowledged.
//
// Close writes two clean frames at the start of each file. Every file
// therefore always holds at least one valid frame, so a file with none
// was wiped (zeroed, say); if no clean frame of the last session survives
// elsewhere, whatever that file held is reported as possibly lost.
// Frames of earlier sessions are ignored: they were recovered when the
// ledger was last opened.

const (
	// journalHeaderSize is the size of a frame header.
	journalHeaderSize = 40
	journalVersion    = 2

	frameRecord byte = 1 // a journalled transaction
	frameCommit byte = 2 // the end of a group commit
	frameClean  byte = 3 // the journal was emptied by Close
)

var journalMagic = [2]byte{'q', 'j'}

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
	files   [2]*journalFile
	cur     int    // the file being written
	session uint64 // written into every frame
	noSync  bool
	buf     []byte
}

// journalFile is one of the two files of a journal.
type journalFile struct {
	path string
	f    *os.File
	off  int64 // where the next frame goes
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

// journalFrame is a valid frame found in a journal file.
type journalFrame struct {
	kind    byte
	session uint64
	index   int64
	first   int64
	off     int64
	ordinal int // valid frames before it in its file
	payload []byte
}

// journalGap is a stretch of a journal file holding no valid frame.
type journalGap struct {
	off, end int64
	ordinal  int  // valid frames before it in its file
	zero     bool // all zeros: unwritten space, or wiped
}

// journalScan is what a journal file holds: its valid frames and the
// gaps between them, in file order.
type journalScan struct {
	path    string
	missing bool // the file does not exist
	frames  []journalFrame
	gaps    []journalGap
	// legacy are the records of a journal written before frames (by
	// qkdchat before this format), read only for a ledger that has no
	// journal session yet.
	legacy []journalRecord
}

// journalPaths are the journal files of the ledger at path.
func journalPaths(path string) [2]string {
	return [2]string{path + "-journal.0", path + "-journal.1"}
}

// openJournal opens (creating if needed) the journal of the ledger at
// path and returns what its files hold. A file created now gets clean
// frames of session for a ledger of size transactions.
func openJournal(path string, noSync bool, session uint64, size int64) (*journal, [2]journalScan, error) {
	j := &journal{noSync: noSync, session: session}
	var scans [2]journalScan
	for i, jp := range journalPaths(path) {
		f, err := os.OpenFile(jp, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			j.closeFiles()
			return nil, scans, fmt.Errorf("ledger: open journal %s: %w", jp, err)
		}
		jf := &journalFile{path: jp, f: f, last: -1}
		j.files[i] = jf
		data, err := io.ReadAll(f)
		if err == nil {
			jf.size = int64(len(data))
			scans[i] = scanJournal(jp, data)
			repairJournal(&scans[i], data)
			if jf.size == 0 {
				scans[i].missing = true // or empty: nothing to read either way
				err = jf.markClean(session, size, noSync)
			}
		}
		if err == nil {
			err = jf.preallocate(noSync)
		}
		if err != nil {
			j.closeFiles()
			return nil, scans, fmt.Errorf("ledger: read journal %s: %w", jp, err)
		}
	}
	return j, scans, nil
}

// readJournalFiles reads the journal of the ledger at path without
// opening it for writing; a missing file reads as empty.
func readJournalFiles(path string) ([2]journalScan, error) {
	var scans [2]journalScan
	for i, jp := range journalPaths(path) {
		data, err := os.ReadFile(jp)
		if errors.Is(err, fs.ErrNotExist) {
			scans[i] = journalScan{path: jp, missing: true}
			continue
		}
		if err != nil {
			return scans, fmt.Errorf("ledger: read journal %s: %w", jp, err)
		}
		scans[i] = scanJournal(jp, data)
		repairJournal(&scans[i], data)
	}
	return scans, nil
}

// appendFrame appends a frame to b.
func appendFrame(b []byte, kind byte, session uint64, index, first int64, payload []byte) []byte {
	var hdr [journalHeaderSize]byte
	hdr[0], hdr[1], hdr[2], hdr[3] = journalMagic[0], journalMagic[1], kind, journalVersion
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(payload)))
	binary.LittleEndian.PutUint64(hdr[8:], session)
	binary.LittleEndian.PutUint64(hdr[16:], uint64(index))
	binary.LittleEndian.PutUint64(hdr[24:], uint64(first))
	binary.LittleEndian.PutUint32(hdr[32:], crc32.Checksum(payload, journalCRC))
	binary.LittleEndian.PutUint32(hdr[36:], crc32.Checksum(hdr[:36], journalCRC))
	return append(append(b, hdr[:]...), payload...)
}

// parseFrame returns the frame at off of data, if a valid one starts
// there.
func parseFrame(data []byte, off int64) (journalFrame, bool) {
	if off < 0 || int64(len(data))-off < journalHeaderSize {
		return journalFrame{}, false
	}
	h := data[off : off+journalHeaderSize]
	if h[0] != journalMagic[0] || h[1] != journalMagic[1] || h[3] != journalVersion {
		return journalFrame{}, false
	}
	kind := h[2]
	if kind != frameRecord && kind != frameCommit && kind != frameClean {
		return journalFrame{}, false
	}
	if crc32.Checksum(h[:36], journalCRC) != binary.LittleEndian.Uint32(h[36:]) {
		return journalFrame{}, false
	}
	n := int64(binary.LittleEndian.Uint32(h[4:]))
	index := int64(binary.LittleEndian.Uint64(h[16:]))
	first := int64(binary.LittleEndian.Uint64(h[24:]))
	if n > maxJournalRecord || n > int64(len(data))-off-journalHeaderSize || index < 0 || first < 0 || first > index {
		return journalFrame{}, false
	}
	if (kind == frameRecord) != (n > 0) {
		return journalFrame{}, false
	}
	payload := data[off+journalHeaderSize : off+journalHeaderSize+n]
	if crc32.Checksum(payload, journalCRC) != binary.LittleEndian.Uint32(h[32:]) {
		return journalFrame{}, false
	}
	return journalFrame{kind: kind, session: binary.LittleEndian.Uint64(h[8:]), index: index, first: first, off: off, payload: payload}, true
}

// scanJournal finds every valid frame of a journal file's content. Past a
// damaged or unwritten stretch it searches for the next valid frame
// header, so one damaged record never hides the records after it.
func scanJournal(path string, data []byte) journalScan {
	s := journalScan{path: path, legacy: readLegacyJournal(data)}
	var off int64
	end := int64(len(data))
	for off+journalHeaderSize <= end {
		if f, ok := parseFrame(data, off); ok {
			f.ordinal = len(s.frames)
			s.frames = append(s.frames, f)
			off += journalHeaderSize + int64(len(f.payload))
			continue
		}
		next := end
		for from := off + 1; from < end; {
			i := bytes.Index(data[from:], journalMagic[:])
			if i < 0 {
				break
			}
			if _, ok := parseFrame(data, from+int64(i)); ok {
				next = from + int64(i)
				break
			}
			from += int64(i) + 1
		}
		s.gaps = append(s.gaps, journalGap{off: off, end: next, ordinal: len(s.frames), zero: allZero(data[off:next])})
		off = next
	}
	return s
}

// readLegacyJournal reads the records of a journal file in the format
// before frames (length, CRC-32C of index || encoding, index, encoding),
// from its start up to the first record that is damaged or out of
// sequence, which is where that format ended.
func readLegacyJournal(data []byte) []journalRecord {
	var recs []journalRecord
	const hdr = 16
	for off := 0; len(data)-off >= hdr; {
		n := int(binary.LittleEndian.Uint32(data[off:]))
		sum := binary.LittleEndian.Uint32(data[off+4:])
		index := int64(binary.LittleEndian.Uint64(data[off+8:]))
		if n == 0 || n > maxJournalRecord || n > len(data)-off-hdr || index < 0 ||
			(len(recs) > 0 && index != recs[len(recs)-1].index+1) {
			break
		}
		enc := data[off+hdr : off+hdr+n]
		if crc32.Update(crc32.Checksum(data[off+8:off+16], journalCRC), journalCRC, enc) != sum {
			break
		}
		recs = append(recs, journalRecord{index: index, enc: enc})
		off += hdr + n
	}
	return recs
}

var zeros [4096]byte

// maxRepairs bounds the damaged stretches of a file repairJournal tries
// to mend (each try costs a few milliseconds).
const maxRepairs = 64

// repairJournal mends frames that one changed byte made unreadable: in
// each damaged stretch it tries every single-byte change of the frame
// that starts it, and keeps one whose header and payload checksums hold
// and, for a record, whose transaction's Ed25519 signature verifies, so
// that a wrong repair cannot slip in. It returns how many it mended.
func repairJournal(s *journalScan, data []byte) int {
	var fixed []journalFrame
	var gaps []journalGap
	for _, g := range s.gaps {
		if g.zero || len(fixed) >= maxRepairs {
			gaps = append(gaps, g)
			continue
		}
		f, ok := repairFrame(data, g.off, g.end)
		if !ok {
			gaps = append(gaps, g)
			continue
		}
		fixed = append(fixed, f)
		if end := f.off + journalHeaderSize + int64(len(f.payload)); end < g.end {
			gaps = append(gaps, journalGap{off: end, end: g.end, zero: allZero(data[end:g.end])})
		}
	}
	if len(fixed) == 0 {
		return 0
	}
	frames := append(s.frames, fixed...)
	slices.SortFunc(frames, func(a, b journalFrame) int { return cmp.Compare(a.off, b.off) })
	for i := range frames {
		frames[i].ordinal = i
	}
	for i := range gaps {
		gaps[i].ordinal, _ = slices.BinarySearchFunc(frames, gaps[i].off, func(f journalFrame, off int64) int { return cmp.Compare(f.off, off) })
	}
	s.frames, s.gaps = frames, gaps
	return len(fixed)
}

// repairFrame looks for a single-byte change that makes a valid frame
// start at off and end by end.
func repairFrame(data []byte, off, end int64) (journalFrame, bool) {
	if end-off < journalHeaderSize {
		return journalFrame{}, false
	}
	buf := slices.Clone(data[off:end])
	accept := func() (journalFrame, bool) {
		f, ok := parseFrame(buf, 0)
		if !ok {
			return f, false
		}
		if f.kind == frameRecord {
			if _, _, err := verifyEncoded(f.payload); err != nil {
				return f, false
			}
		}
		f.off = off
		return f, true
	}
	hdrOK := func() bool {
		return buf[0] == journalMagic[0] && buf[1] == journalMagic[1] && buf[3] == journalVersion &&
			crc32.Checksum(buf[:36], journalCRC) == binary.LittleEndian.Uint32(buf[36:40])
	}
	if hdrOK() {
		// The payload is damaged.
		n := int64(binary.LittleEndian.Uint32(buf[4:]))
		if n == 0 || n > int64(len(buf))-journalHeaderSize {
			return journalFrame{}, false
		}
		payload := buf[journalHeaderSize : journalHeaderSize+n]
		p, v, ok := crcByteFix(payload, binary.LittleEndian.Uint32(buf[32:]))
		if !ok {
			return journalFrame{}, false
		}
		payload[p] ^= v
		return accept()
	}
	// The header is damaged.
	for p := range journalHeaderSize {
		orig := buf[p]
		for v := 1; v < 256; v++ {
			buf[p] = orig ^ byte(v)
			if hdrOK() {
				if f, ok := accept(); ok {
					return f, true
				}
			}
		}
		buf[p] = orig
	}
	return journalFrame{}, false
}

// crcTop maps the top byte of each entry of journalCRC's table to its
// index (they are distinct in a CRC table), to run the CRC backwards.
var crcTop = func() (top [256]byte) {
	for i, e := range journalCRC {
		top[e>>24] = byte(i)
	}
	return top
}()

// crcByteFix finds the single byte change (b[p] ^= v) that makes the
// CRC-32C of b equal want, in time linear in len(b). A CRC is affine:
// changing byte p by v changes it by tab[v] carried through the
// len(b)-1-p bytes after it as zeros, and that carrying can be undone a
// byte at a time. So the difference is walked back from the end until it
// is an entry of the table.
func crcByteFix(b []byte, want uint32) (p int, v byte, ok bool) {
	d := crc32.Checksum(b, journalCRC) ^ want
	if d == 0 {
		return 0, 0, false
	}
	for k := range len(b) {
		// Is d the change made by some byte v at position len(b)-1-k?
		i := crcTop[d>>24]
		if journalCRC[i] == d {
			return len(b) - 1 - k, i, true
		}
		// Undo one zero byte: d = tab[r&0xff] ^ r>>8 for the previous r.
		d = (d^journalCRC[i])<<8 | uint32(i)
	}
	return 0, 0, false
}

func allZero(b []byte) bool {
	for len(b) > 0 {
		n := min(len(b), len(zeros))
		if !bytes.Equal(b[:n], zeros[:n]) {
			return false
		}
		b = b[n:]
	}
	return true
}

// write appends the encodings encs, the first at index first, to the
// current file in one write, followed by the group's commit frame, and
// syncs it.
func (j *journal) write(first int64, encs [][]byte) error {
	b := j.buf[:0]
	for i, enc := range encs {
		b = appendFrame(b, frameRecord, j.session, first+int64(i), first, enc)
	}
	last := first + int64(len(encs)) - 1
	b = appendFrame(b, frameCommit, j.session, last, first, nil)
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
		j.unwrite(jf, len(b))
		return fmt.Errorf("ledger: write journal %s: %w", jf.path, err)
	}
	if !j.noSync {
		if err := fdatasync(jf.f); err != nil {
			j.unwrite(jf, len(b))
			return fmt.Errorf("ledger: sync journal %s: %w", jf.path, err)
		}
	}
	jf.off += int64(len(b))
	jf.last = last
	if cap(j.buf) > 1<<20 {
		j.buf = nil // do not keep a burst's buffer
	}
	return nil
}

// unwrite makes a failed write's frames unreadable, as far as the disk
// still lets us, so that a transaction whose append failed is not
// recovered at the next Open. The next write goes over them anyway.
func (j *journal) unwrite(jf *journalFile, n int) {
	_, _ = jf.f.WriteAt(make([]byte, n), jf.off)
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

// markClean writes two clean frames (two, so that one damaged byte never
// makes the file look wiped) at the start of the file.
func (jf *journalFile) markClean(session uint64, size int64, noSync bool) error {
	b := appendFrame(nil, frameClean, session, size, 0, nil)
	b = append(b, b...)
	if _, err := jf.f.WriteAt(b, 0); err != nil {
		return err
	}
	if jf.size < int64(len(b)) {
		jf.size = int64(len(b))
	}
	if noSync {
		return nil
	}
	return fdatasync(jf.f)
}

// close marks the journal empty, since bbolt holds every record (the
// ledger's size is size), and closes its files. The files stay, for the
// next Open to write over.
func (j *journal) close(size int64) error {
	var err error
	for _, jf := range j.files {
		if merr := jf.markClean(j.session, size, j.noSync); merr != nil && err == nil {
			err = fmt.Errorf("ledger: close journal %s: %w", jf.path, merr)
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
