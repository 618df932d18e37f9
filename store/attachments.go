package store

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/internal/atomicfile"
)

// Attachments are files that travel with a PHR or a report (PDFs, images,
// lab results as CSV). A node keeps every attachment it sent or received in
// DATA/attachments/HASH.enc, where HASH is the hex SHA-256 of the plain
// file: a sequence of records, each a 4-byte big-endian length followed by
// a Fernet token, under the node's record key, of one chunk of at most
// AttachmentChunkSize bytes. A transfer being received grows HASH.part in
// the same format and is renamed to HASH.enc once the reassembled file
// hashes to HASH. Nothing in the clear touches the disk.

// AttachmentChunkSize is the plaintext size of one stored and transferred
// chunk. A chunk's Fernet token (about 4/3 of it) fits a 1 MiB frame.
const AttachmentChunkSize = 256 << 10

// ChunkSize is AttachmentChunkSize, as the delivery layer names it.
const ChunkSize = AttachmentChunkSize

// DefaultMaxAttachment is the default limit on one attachment (25 MB).
const DefaultMaxAttachment = 25 << 20

// maxRecordLen bounds one stored record: a chunk's token with room to spare.
const maxRecordLen = 2 * AttachmentChunkSize

// AttachmentInfo describes an attachment of a case: its file name (as the
// sender named it), size and SHA-256 digest in hex. The ledger commits to
// the size and digest; the name travels only inside the sealed body.
type AttachmentInfo struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	Part   string `json:"part,omitempty"` // "phr" or "report": what it came with
}

// AttachmentTooLargeError refuses a file above the attachment limit.
type AttachmentTooLargeError struct {
	Name  string
	Size  int64
	Limit int64
}

func (e *AttachmentTooLargeError) Error() string {
	return fmt.Sprintf("attachment %s is %s; the limit is %s per file", e.Name, HumanBytes(e.Size), HumanBytes(e.Limit))
}

// ErrNoAttachment means the attachment is not (or not completely) stored
// on this node.
var ErrNoAttachment = errors.New("attachment not stored here")

// HumanBytes writes a size the way a user reads it: "512 bytes", "1.5 KB",
// "5.0 MB", "1.2 GB" (binary multiples, as the attachment limit is stated).
func HumanBytes(n int64) string {
	switch {
	case n < 0:
		return "unknown size"
	case n == 1:
		return "1 byte"
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	}
	// The unit is chosen after rounding, so 1 MiB less a byte reads
	// "1.0 MB", not "1024.0 KB".
	v, unit := float64(n)/(1<<10), 0
	for unit < 2 && math.Round(v*10) >= 1024*10 {
		v, unit = v/(1<<10), unit+1
	}
	return fmt.Sprintf("%.1f %s", v, [...]string{"KB", "MB", "GB"}[unit])
}

// ChunkCount is how many chunks an attachment of size bytes has.
func ChunkCount(size int64) int {
	return int((size + AttachmentChunkSize - 1) / AttachmentChunkSize)
}

// ParseDigest decodes a hex SHA-256 digest.
func ParseDigest(s string) ([32]byte, error) {
	var d [32]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return d, fmt.Errorf("attachment digest %q is not 64 hex digits", TruncateString(s, 80))
	}
	copy(d[:], b)
	return d, nil
}

// TruncateString shortens s to n bytes for a message, marking the cut.
func TruncateString(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// Attachments are the attachment files of a node, sealed under its
// record key.
type Attachments struct {
	st  *Store
	key *fernet.Key
}

func (a Attachments) dir() string { return filepath.Join(filepath.Dir(a.st.path), "attachments") }

func (a Attachments) path(d [32]byte, ext string) string {
	return filepath.Join(a.dir(), hex.EncodeToString(d[:])+ext)
}

// Import encrypts the file at path into the attachment store and
// describes it. A file above limit is refused before anything is stored.
func (a Attachments) Import(path string, limit int64) (AttachmentInfo, error) {
	name := filepath.Base(path)
	f, err := os.Open(path)
	if err != nil {
		return AttachmentInfo{}, fmt.Errorf("attachment %s: %w", name, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return AttachmentInfo{}, fmt.Errorf("attachment %s: %w", name, err)
	}
	if !st.Mode().IsRegular() {
		return AttachmentInfo{}, fmt.Errorf("attachment %s is not a regular file", name)
	}
	if st.Size() > limit {
		return AttachmentInfo{}, &AttachmentTooLargeError{Name: name, Size: st.Size(), Limit: limit}
	}
	if len(name) > 255 {
		return AttachmentInfo{}, fmt.Errorf("attachment name %q is longer than 255 bytes", TruncateString(name, 40))
	}
	if err := os.MkdirAll(a.dir(), 0o700); err != nil {
		return AttachmentInfo{}, fmt.Errorf("attachment store: %w", err)
	}
	a.st.attachMu.Lock()
	defer a.st.attachMu.Unlock()
	tmp, err := os.CreateTemp(a.dir(), ".import-*")
	if err != nil {
		return AttachmentInfo{}, fmt.Errorf("attachment store: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	w := bufio.NewWriter(tmp)
	buf := make([]byte, AttachmentChunkSize)
	var size int64
	for {
		n, rerr := io.ReadFull(f, buf)
		if n > 0 {
			if size+int64(n) > limit {
				tmp.Close()
				return AttachmentInfo{}, &AttachmentTooLargeError{Name: name, Size: size + int64(n), Limit: limit}
			}
			h.Write(buf[:n])
			size += int64(n)
			if err := writeRecord(w, a.key, buf[:n]); err != nil {
				tmp.Close()
				return AttachmentInfo{}, err
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			tmp.Close()
			return AttachmentInfo{}, fmt.Errorf("attachment %s: %w", name, rerr)
		}
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return AttachmentInfo{}, fmt.Errorf("attachment store: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return AttachmentInfo{}, fmt.Errorf("attachment store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return AttachmentInfo{}, fmt.Errorf("attachment store: %w", err)
	}
	var d [32]byte
	h.Sum(d[:0])
	if err := atomicfile.Rename(tmp.Name(), a.path(d, ".enc")); err != nil {
		return AttachmentInfo{}, fmt.Errorf("attachment store: %w", err)
	}
	return AttachmentInfo{Name: name, Size: size, SHA256: hex.EncodeToString(d[:])}, nil
}

// writeRecord seals one chunk under the record key and writes it framed.
func writeRecord(w io.Writer, record *fernet.Key, chunk []byte) error {
	tok, err := fernet.EncryptAndSign(chunk, record)
	if err != nil {
		return fmt.Errorf("attachment store: seal chunk: %w", err)
	}
	var l [4]byte
	binary.BigEndian.PutUint32(l[:], uint32(len(tok)))
	if _, err := w.Write(l[:]); err != nil {
		return fmt.Errorf("attachment store: %w", err)
	}
	if _, err := w.Write(tok); err != nil {
		return fmt.Errorf("attachment store: %w", err)
	}
	return nil
}

// scanRecords reads the framing of a record file and returns the offsets
// at which its complete records start, and the offset just after the last
// complete one. A torn or malformed tail (a crash mid-write) ends the scan.
func scanRecords(r io.Reader) (starts []int64, end int64) {
	br := bufio.NewReader(r)
	var l [4]byte
	for {
		if _, err := io.ReadFull(br, l[:]); err != nil {
			return starts, end
		}
		n := binary.BigEndian.Uint32(l[:])
		if n == 0 || n > maxRecordLen {
			return starts, end
		}
		if _, err := br.Discard(int(n)); err != nil {
			return starts, end
		}
		starts = append(starts, end)
		end += 4 + int64(n)
	}
}

// readRecord returns the plaintext of record i of the file at path.
func readRecord(record *fernet.Key, path string, i int) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readRecordAt(record, f, filepath.Base(path), i)
}

// readRecordAt returns the plaintext of record i of a record file.
func readRecordAt(record *fernet.Key, f io.ReaderAt, name string, i int) ([]byte, error) {
	var l [4]byte
	var off int64
	for j := 0; ; j++ {
		if _, err := f.ReadAt(l[:], off); err != nil {
			return nil, fmt.Errorf("attachment %s: chunk %d missing", name, i)
		}
		n := binary.BigEndian.Uint32(l[:])
		if n == 0 || n > maxRecordLen {
			return nil, fmt.Errorf("attachment %s: malformed chunk %d", name, j)
		}
		if j == i {
			tok := make([]byte, n)
			if _, err := f.ReadAt(tok, off+4); err != nil {
				return nil, fmt.Errorf("attachment %s: chunk %d truncated", name, i)
			}
			plain := fernet.VerifyAndDecrypt(tok, 0, []*fernet.Key{record})
			if plain == nil {
				return nil, fmt.Errorf("attachment %s: chunk %d fails authentication", name, i)
			}
			return plain, nil
		}
		off += 4 + int64(n)
	}
}

// Has reports whether the complete attachment d is stored.
func (a Attachments) Has(d [32]byte) bool {
	_, err := os.Stat(a.path(d, ".enc"))
	return err == nil
}

// Chunk returns chunk i of the stored attachment d.
func (a Attachments) Chunk(d [32]byte, i int) ([]byte, error) {
	if !a.Has(d) {
		return nil, fmt.Errorf("attachment %x: %w", d[:6], ErrNoAttachment)
	}
	return readRecord(a.key, a.path(d, ".enc"), i)
}

// PartialNext returns how many chunks of attachment d this node holds: all
// of them (count) when complete, else the complete records of its .part
// file, whose torn tail (if any) it cuts off. It waits for a chunk being
// stored (by another session with the same contact), which it would
// otherwise take for a torn tail and cut off.
func (a Attachments) PartialNext(d [32]byte, size int64) (int, error) {
	a.st.attachMu.Lock()
	defer a.st.attachMu.Unlock()
	return a.partialNext(d, size)
}

// partialNext is PartialNext for a caller holding attachMu.
func (a Attachments) partialNext(d [32]byte, size int64) (int, error) {
	if a.Has(d) {
		return ChunkCount(size), nil
	}
	path := a.path(d, ".part")
	f, err := os.OpenFile(path, os.O_RDWR, 0o600)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("attachment store: %w", err)
	}
	defer f.Close()
	starts, end := scanRecords(f)
	if err := f.Truncate(end); err != nil {
		return 0, fmt.Errorf("attachment store: %w", err)
	}
	return len(starts), nil
}

// ExpirePartials removes the partial files of incoming attachments that
// have had no new chunk since before cutoff, and returns how many it
// removed. Complete attachments are never touched.
func (a Attachments) ExpirePartials(cutoff time.Time) (int, error) {
	a.st.attachMu.Lock()
	defer a.st.attachMu.Unlock()
	entries, err := os.ReadDir(a.dir())
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("attachment store: %w", err)
	}
	removed := 0
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".part" {
			continue
		}
		info, err := e.Info()
		if err != nil || !info.ModTime().Before(cutoff) {
			continue
		}
		if err := os.Remove(filepath.Join(a.dir(), e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			return removed, fmt.Errorf("attachment store: %w", err)
		}
		removed++
	}
	return removed, nil
}

// ReceiveChunk stores chunk index of attachment d (size bytes) if it is
// the next one this node lacks, and returns how many chunks it now holds.
// When the last chunk arrives the file is reassembled, checked against d
// and moved into place; a mismatch discards it and returns an error.
func (a Attachments) ReceiveChunk(d [32]byte, size int64, index int, chunk []byte) (next int, err error) {
	count := ChunkCount(size)
	want := int64(AttachmentChunkSize)
	if index == count-1 {
		want = size - int64(index)*AttachmentChunkSize
	}
	a.st.attachMu.Lock()
	defer a.st.attachMu.Unlock()
	next, err = a.partialNext(d, size)
	if err != nil || index != next || next >= count {
		return next, err
	}
	if int64(len(chunk)) != want {
		return next, fmt.Errorf("chunk %d of attachment %x is %d bytes, want %d", index, d[:6], len(chunk), want)
	}
	if err := os.MkdirAll(a.dir(), 0o700); err != nil {
		return next, fmt.Errorf("attachment store: %w", err)
	}
	path := a.path(d, ".part")
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return next, fmt.Errorf("attachment store: %w", err)
	}
	if err := writeRecord(f, a.key, chunk); err != nil {
		f.Close()
		return next, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return next, fmt.Errorf("attachment store: %w", err)
	}
	if err := f.Close(); err != nil {
		return next, fmt.Errorf("attachment store: %w", err)
	}
	next++
	if next < count {
		return next, nil
	}
	// Complete: check the whole file against the digest.
	h := sha256.New()
	for i := 0; i < count; i++ {
		p, err := readRecord(a.key, path, i)
		if err != nil {
			os.Remove(path)
			return 0, err
		}
		h.Write(p)
	}
	var got [32]byte
	h.Sum(got[:0])
	if got != d {
		os.Remove(path)
		return 0, fmt.Errorf("attachment %x: reassembled file hashes to %x: discarded", d[:6], got[:6])
	}
	if err := atomicfile.Rename(path, a.path(d, ".enc")); err != nil {
		return 0, fmt.Errorf("attachment store: %w", err)
	}
	return count, nil
}

// Read returns the plain content of a stored attachment, by its
// hex SHA-256 digest, after checking it against the digest.
func (a Attachments) Read(sha256hex string) ([]byte, error) {
	d, err := ParseDigest(strings.ToLower(sha256hex))
	if err != nil {
		return nil, err
	}
	if !a.Has(d) {
		return nil, fmt.Errorf("attachment %s: %w", sha256hex, ErrNoAttachment)
	}
	path := a.path(d, ".enc")
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("attachment %s: %w", sha256hex, err)
	}
	starts, _ := scanRecords(f)
	f.Close()
	var out []byte
	for i := range starts {
		p, err := readRecord(a.key, path, i)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
	}
	if sha256.Sum256(out) != d {
		return nil, fmt.Errorf("attachment %s: stored content does not match its digest", sha256hex)
	}
	return out, nil
}

// Save writes the plain content of a stored attachment to dst.
func (a Attachments) Save(sha256hex, dst string) error {
	b, err := a.Read(sha256hex)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(dst, b, 0o600, atomicfile.Replace); err != nil {
		return fmt.Errorf("save attachment: %w", err)
	}
	return nil
}

// StoreEmpty records the empty file (digest d = SHA-256 of
// nothing) as stored.
func (a Attachments) StoreEmpty(d [32]byte) error {
	if err := os.MkdirAll(a.dir(), 0o700); err != nil {
		return fmt.Errorf("attachment store: %w", err)
	}
	f, err := os.OpenFile(a.path(d, ".enc"), os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("attachment store: %w", err)
	}
	return f.Close()
}
