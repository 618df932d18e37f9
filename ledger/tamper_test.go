package ledger

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unsafe"

	"golang.org/x/mod/sumdb/tlog"
)

// region is where a stored value lives in the bbolt file, and the block
// height Verify must blame when a byte of it changes.
type region struct {
	what   string
	off    int
	len    int
	height int64
}

// tamperFixture builds a ledger with blocks of 4, a pending block and a
// stored checkpoint, and returns its path, the live regions of every
// transaction, tree hash and block header, and the tree roots by size.
func tamperFixture(t *testing.T) (string, []region, map[int64]tlog.Hash) {
	a, b := testIdentity(1), testIdentity(2)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, a, &Options{BlockMaxTx: 4, BlockMaxAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Blocks 0..9 and 2 pending in block 10: enough blocks that their
	// bucket has pages of its own rather than being inline.
	const n, perBlock = 42, 4
	// One bbolt commit per transaction, so the file's layout, and with it
	// what the seeded byte flips below hit, does not depend on how the
	// journal happened to batch them.
	r := seeded(30)
	for i := range n {
		from, to := a, b
		if i%2 == 1 {
			from, to = b, a
		}
		if _, err := l.Append(context.Background(), newTx(t, r, from, to, i)); err != nil {
			t.Fatal(err)
		}
		if err := l.awaitApplied(); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := l.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	roots := map[int64]tlog.Hash{}
	var regions []region
	err = l.view(func(btx *boltTx) error {
		base := l.db.Info().Data
		off := func(v []byte) int { return int(uintptr(unsafe.Pointer(&v[0])) - base) }
		for i := int64(0); i <= n; i++ {
			h, err := treeHead(btx, i)
			if err != nil {
				return err
			}
			roots[i] = h
		}
		for i := int64(0); i < n; i++ {
			v := btx.Bucket(bucketTx).Get(be64(i))
			regions = append(regions, region{fmt.Sprintf("transaction %d", i), off(v), len(v), i / perBlock})
		}
		for x := int64(0); x < tlog.StoredHashCount(n); x++ {
			v := btx.Bucket(bucketHash).Get(be64(x))
			level, m := tlog.SplitStoredHashIndex(x)
			writer := (m+1)<<level - 1 // the transaction whose append stored it
			regions = append(regions, region{fmt.Sprintf("tree hash %d", x), off(v), len(v), writer / perBlock})
		}
		for h := int64(0); h < n/perBlock; h++ {
			v := btx.Bucket(bucketBlock).Get(be64(h))
			regions = append(regions, region{fmt.Sprintf("block %d", h), off(v), len(v), h})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return path, regions, roots
}

// verifyFile opens a (possibly damaged) ledger file and verifies it.
// A non-nil error means Open or Verify refused the file.
func verifyFile(path string, readOnly bool) (rep *VerifyReport, err error) {
	l, err := Open(path, testIdentity(1), &Options{ReadOnly: readOnly, Timeout: 1e9, BlockMaxAge: -1})
	if err != nil {
		return nil, err
	}
	defer l.Close()
	return l.Verify(context.Background(), nil)
}

func TestVerifyDetectsEveryStoredByteFlip(t *testing.T) {
	path, regions, _ := tamperFixture(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, reg := range regions {
		if reg.off < 0 || reg.off+reg.len > len(orig) {
			t.Fatalf("%s is not inside the file", reg.what)
		}
	}
	if rep, err := verifyFile(path, true); err != nil || !rep.OK {
		t.Fatalf("pristine copy: %+v %v", rep, err)
	}
	r := seeded(31)
	dir := t.TempDir()
	trials := 240
	if testing.Short() {
		trials = 60
	}
	kinds := map[string]int{}
	for trial := range trials {
		reg := regions[r.IntN(len(regions))]
		off := reg.off + r.IntN(reg.len)
		mask := byte(1 + r.IntN(255))
		damaged := bytes.Clone(orig)
		damaged[off] ^= mask
		p := filepath.Join(dir, fmt.Sprintf("t%d.db", trial))
		if err := os.WriteFile(p, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := verifyFile(p, trial%2 == 0)
		switch {
		case err != nil:
			if !strings.Contains(err.Error(), p) {
				t.Errorf("%s byte %d: error does not name the file: %v", reg.what, off-reg.off, err)
			}
		case rep.OK:
			t.Errorf("%s byte %d ^%#x: not detected", reg.what, off-reg.off, mask)
		case rep.FirstBadHeight != reg.height:
			t.Errorf("%s byte %d ^%#x: first bad height %d, want %d (%s)", reg.what, off-reg.off, mask, rep.FirstBadHeight, reg.height, rep.Reason)
		}
		kinds[strings.Fields(reg.what)[0]]++
		os.Remove(p)
	}
	if kinds["transaction"] == 0 || kinds["tree"] == 0 || kinds["block"] == 0 {
		t.Fatalf("flips did not cover every kind of data: %v", kinds)
	}
}

func TestDamagedFileNeverPanicsOrLies(t *testing.T) {
	path, _, roots := tamperFixture(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := seeded(32)
	dir := t.TempDir()
	trials := 200
	if testing.Short() {
		trials = 50
	}
	for trial := range trials {
		damaged := bytes.Clone(orig)
		off := r.IntN(len(damaged))
		damaged[off] ^= byte(1 + r.IntN(255))
		p := filepath.Join(dir, fmt.Sprintf("a%d.db", trial))
		if err := os.WriteFile(p, damaged, 0o600); err != nil {
			t.Fatal(err)
		}
		rep, err := verifyFile(p, true)
		var corrupt *CorruptError
		switch {
		case err != nil && errors.As(err, &corrupt) && corrupt.Path != p:
			t.Errorf("offset %d: CorruptError names %s", off, corrupt.Path)
		case err == nil && rep.OK && Hash(roots[rep.Size]) != rep.Root:
			// bbolt may fall back to the previous commit when a meta page
			// is damaged, but what verifies must be the genuine history.
			t.Errorf("offset %d: verified a ledger that is not a prefix of the original", off)
		}
		os.Remove(p)
	}
}

func TestVerifyExportDetectsEveryByteFlip(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	la := openTest(t, a, &Options{BlockMaxTx: 4, BlockMaxAge: -1})
	lb := openTest(t, b, nil)
	r := seeded(33)
	fill(t, la, r, a, b, 9)
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	if err := exchange(t, lb, la); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := la.Export(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	export := buf.Bytes()
	rep, err := VerifyExport(context.Background(), bytes.NewReader(export))
	if err != nil || !rep.OK || rep.Size != 9 || rep.Blocks != 2 || rep.Checkpoints != 1 || rep.Cosignatures != 1 || rep.Fingerprint != a.Fingerprint() {
		t.Fatalf("pristine export: %+v %v", rep, err)
	}
	for _, typ := range []string{`"type":"header"`, `"type":"tx"`, `"type":"block"`, `"type":"checkpoint"`, `"type":"cosignature"`, `"type":"peer"`, `"type":"end"`} {
		if !bytes.Contains(export, []byte(typ)) {
			t.Fatalf("export lacks a %s record", typ)
		}
	}
	trials := 800
	if testing.Short() {
		trials = 150
	}
	for range trials {
		off := r.IntN(len(export))
		damaged := bytes.Clone(export)
		damaged[off] ^= byte(1 + r.IntN(255))
		rep, err := VerifyExport(context.Background(), bytes.NewReader(damaged))
		if err == nil && rep.OK {
			t.Fatalf("byte %d (%q) changed, export still verifies", off, export[max(0, off-20):min(len(export), off+20)])
		}
	}
	// Dropping any line is detected.
	lines := bytes.SplitAfter(export, []byte("\n"))
	lines = lines[:len(lines)-1] // the empty string after the final newline
	for i := range lines {
		cut := bytes.Join(append(append([][]byte{}, lines[:i]...), lines[i+1:]...), nil)
		if rep, err := VerifyExport(context.Background(), bytes.NewReader(cut)); err == nil && rep.OK {
			t.Fatalf("line %d dropped, export still verifies", i)
		}
	}
}

func FuzzVerifyExport(f *testing.F) {
	a, b := testIdentity(1), testIdentity(2)
	// Deterministic, so that every fuzz worker process builds the same
	// export: the one block has a fixed time.
	l := openTest(f, a, &Options{BlockMaxTx: 1000, BlockMaxAge: -1})
	fill(f, l, seeded(34), a, b, 2)
	head, err := l.TreeHead()
	if err != nil {
		f.Fatal(err)
	}
	if err := l.AddBlockToChain(CreateBlock(nil, head, testTime)); err != nil {
		f.Fatal(err)
	}
	fill(f, l, seeded(35), a, b, 1)
	l.Checkpoint()
	var buf bytes.Buffer
	if err := l.Export(context.Background(), &buf); err != nil {
		f.Fatal(err)
	}
	genuine := bytes.Clone(buf.Bytes())
	f.Add(bytes.Clone(genuine))
	f.Add([]byte(`{"type":"header"}` + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := VerifyExport(context.Background(), bytes.NewReader(data))
		if err == nil && rep.OK && !bytes.Equal(data, genuine) && rep.Fingerprint == a.Fingerprint() {
			t.Fatalf("an altered export verifies as signed by a:\n%s", data)
		}
	})
}

func FuzzUnmarshalBlock(f *testing.F) {
	b := CreateBlock(nil, tlog.Tree{N: 3, Hash: tlog.Hash{7}}, testTime)
	f.Add(marshalBlock(b))
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := unmarshalBlock(data)
		if err != nil {
			return
		}
		if !bytes.Equal(marshalBlock(b), data) {
			t.Fatalf("block decoding is not canonical: %x", data)
		}
	})
}

// A damaged leaf element that stretches a transaction past the end of the
// file is reported as corrupt, never a crash: Verify's workers run on
// other goroutines, where a fault would be fatal.
func TestVerifyStretchedValueIsCorruptNotFatal(t *testing.T) {
	path, regions, _ := tamperFixture(t)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stretched := 0
	for _, reg := range regions {
		if !strings.HasPrefix(reg.what, "transaction ") {
			continue
		}
		// Find the leaf element (flags, pos, ksize, vsize: 4 bytes each,
		// after the 16-byte page header) whose value starts at reg.off.
		page := reg.off &^ 4095
		count := int(orig[page+10]) | int(orig[page+11])<<8
		for i := range count {
			e := page + 16 + 16*i
			if e+16 > len(orig) {
				break
			}
			le := func(o int) int {
				return int(orig[o]) | int(orig[o+1])<<8 | int(orig[o+2])<<16 | int(orig[o+3])<<24
			}
			if e+le(e+4)+le(e+8) != reg.off || le(e+12) != reg.len {
				continue
			}
			damaged := bytes.Clone(orig)
			damaged[e+14] ^= 0xf0 // vsize += up to 15 MB: past the mapped file
			p := filepath.Join(t.TempDir(), "stretched.db")
			if err := os.WriteFile(p, damaged, 0o600); err != nil {
				t.Fatal(err)
			}
			rep, err := verifyFile(p, true)
			switch {
			case err != nil && !strings.Contains(err.Error(), p):
				t.Errorf("%s stretched: error does not name the file: %v", reg.what, err)
			case err == nil && rep.OK:
				t.Errorf("%s stretched: verifies", reg.what)
			}
			stretched++
		}
	}
	if stretched == 0 {
		t.Fatal("no transaction's leaf element found")
	}
}
