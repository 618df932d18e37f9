package ledger

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

func TestAppendAndRead(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, &Options{BlockMaxTx: 4, BlockMaxAge: -1})
	r := seeded(10)
	ctx := context.Background()
	var receipts []Receipt
	var txs []*Transaction
	for i := range 10 {
		tx := newTx(t, r, a, b, i)
		rc, err := l.Append(ctx, tx)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Index != int64(i) || rc.ID != tx.ID() || rc.Height != int64(i/4) || rc.Duplicate {
			t.Fatalf("append %d: receipt %+v", i, rc)
		}
		receipts = append(receipts, rc)
		txs = append(txs, tx)
	}
	if l.Size() != 10 || l.Height() != 2 {
		t.Fatalf("size %d height %d, want 10 and 2 (8 in blocks, 2 pending)", l.Size(), l.Height())
	}
	// A duplicate is not appended twice.
	rc, err := l.Append(ctx, txs[5])
	if err != nil || !rc.Duplicate || rc.Index != 5 || rc.Height != 1 {
		t.Fatalf("duplicate append: %+v %v", rc, err)
	}
	for i, rc := range receipts {
		idx, got, err := l.Lookup(rc.ID)
		if err != nil || idx != int64(i) || got.ID() != rc.ID {
			t.Fatalf("Lookup %d: %d %v", i, idx, err)
		}
		got, err = l.Tx(int64(i))
		if err != nil || got.ID() != rc.ID {
			t.Fatalf("Tx %d: %v", i, err)
		}
		h, err := l.BlockOf(int64(i))
		if err != nil || h != rc.Height {
			t.Fatalf("BlockOf(%d) = %d %v, want %d", i, h, err, rc.Height)
		}
	}
	if _, _, err := l.Lookup(TxID{1}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Lookup of unknown ID: %v", err)
	}
	if _, err := l.Tx(10); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Tx(10): %v", err)
	}
	got, err := l.Txs(4, 8)
	if err != nil || len(got) != 4 || got[0].ID() != receipts[4].ID {
		t.Fatalf("Txs(4, 8): %d %v", len(got), err)
	}
	blocks, err := l.Blocks(0, 10)
	if err != nil || len(blocks) != 2 || blocks[0].Height != 1 || blocks[1].Height != 0 {
		t.Fatalf("Blocks: %+v %v", blocks, err)
	}
	if blocks[0].PrevHash != blocks[1].Hash || blocks[0].TreeSize != 8 || blocks[0].TxCount != 4 || blocks[0].FirstIndex() != 4 {
		t.Fatalf("blocks do not chain: %+v", blocks)
	}
	if older, err := l.Blocks(1, 10); err != nil || len(older) != 1 || older[0].Height != 0 {
		t.Fatalf("Blocks(before 1): %+v %v", older, err)
	}
	// A block's root is the tree head at its size.
	head, err := l.TreeHead()
	if err != nil || head.N != 10 {
		t.Fatal(head, err)
	}
	blk, err := l.CutBlock(ctx)
	if err != nil || blk == nil || blk.TreeSize != 10 || blk.TreeRoot != Hash(head.Hash) || blk.Height != 2 {
		t.Fatalf("CutBlock: %+v %v", blk, err)
	}
	if blk, err := l.CutBlock(ctx); blk != nil || err != nil {
		t.Fatalf("CutBlock with nothing pending: %+v %v", blk, err)
	}
	mustVerify(t, l)
}

// TestAppendRechecksChangedTransactions: Append trusts an earlier Sign or
// Verify only while the transaction encodes to the same bytes, so changes
// made in place after either are caught.
func TestAppendRechecksChangedTransactions(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, nil)
	r := seeded(12)
	for name, change := range map[string]func(*Transaction){
		"signature": func(tx *Transaction) { tx.Signature[3] ^= 1 },
		"token": func(tx *Transaction) { // still a well-formed token
			if tx.Token[20] == 'A' {
				tx.Token[20] = 'B'
			} else {
				tx.Token[20] = 'A'
			}
		},
		"sender": func(tx *Transaction) { tx.Sender = b.Public() },
		"time":   func(tx *Transaction) { tx.Time = tx.Time.Add(1) },
	} {
		for _, viaVerify := range []bool{false, true} {
			tx := newTx(t, r, a, b, 0)
			if viaVerify {
				tx2 := new(Transaction)
				enc, _ := tx.MarshalBinary()
				if err := tx2.UnmarshalBinary(enc); err != nil {
					t.Fatal(err)
				}
				if err := tx2.Verify(); err != nil {
					t.Fatal(err)
				}
				tx = tx2
			}
			change(tx)
			if _, err := l.Append(context.Background(), tx); !errors.Is(err, ErrBadSignature) {
				t.Errorf("%s changed after %s: Append gave %v", name, map[bool]string{false: "Sign", true: "Verify"}[viaVerify], err)
			}
		}
	}
	if l.Size() != 0 {
		t.Fatal("a changed transaction was appended")
	}
	// Unchanged, both are appended.
	tx := newTx(t, r, a, b, 1)
	if _, err := l.Append(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
}

func TestAppendRejectsBadSignature(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, nil)
	tx := newTx(t, seeded(11), a, b, 0)
	tx.CaseID = "forged"
	if _, err := l.Append(context.Background(), tx); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Append of a forged transaction: %v", err)
	}
	tx.Signature = nil
	if _, err := l.Append(context.Background(), tx); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("Append of an unsigned transaction: %v", err)
	}
	if l.Size() != 0 {
		t.Fatal("a bad transaction was appended")
	}
}

func TestConcurrentAppendsGroupCommit(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, &Options{BlockMaxTx: 16, BlockMaxAge: -1})
	const writers, per = 8, 40
	txs := make([][]*Transaction, writers)
	for w := range writers {
		r := seeded(uint64(100 + w))
		for i := range per {
			txs[w] = append(txs[w], newTx(t, r, a, b, w*1000+i))
		}
	}
	var wg sync.WaitGroup
	seen := make([][]Receipt, writers)
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, tx := range txs[w] {
				rc, err := l.Append(context.Background(), tx)
				if err != nil {
					errs <- err
					return
				}
				seen[w] = append(seen[w], rc)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if l.Size() != writers*per {
		t.Fatalf("size %d, want %d", l.Size(), writers*per)
	}
	indexes := map[int64]bool{}
	for w := range writers {
		for i, rc := range seen[w] {
			if indexes[rc.Index] {
				t.Fatalf("index %d given twice", rc.Index)
			}
			indexes[rc.Index] = true
			if rc.Height != rc.Index/16 {
				t.Fatalf("tx at %d in block %d, want %d", rc.Index, rc.Height, rc.Index/16)
			}
			if i > 0 && rc.Index <= seen[w][i-1].Index {
				t.Fatal("one writer's appends are out of order")
			}
		}
	}
	if l.Height() != writers*per/16 {
		t.Fatalf("height %d, want %d", l.Height(), writers*per/16)
	}
	mustVerify(t, l)
}

func TestBlockCutByAge(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, &Options{BlockMaxTx: 1000, BlockMaxAge: 20 * time.Millisecond})
	fill(t, l, seeded(12), a, b, 3)
	// Every transaction ends up in a block although no block filled up.
	deadline := time.Now().Add(10 * time.Second)
	for {
		blocks, err := l.Blocks(0, 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(blocks) == 1 && blocks[0].TreeSize == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("transactions still pending: %+v", blocks)
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustVerify(t, l)
}

func TestReopenContinuesPartialBlock(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	path := filepath.Join(t.TempDir(), "ledger.db")
	opts := &Options{BlockMaxTx: 5, BlockMaxAge: -1}
	l, err := Open(path, a, opts)
	if err != nil {
		t.Fatal(err)
	}
	r := seeded(13)
	fill(t, l, r, a, b, 7) // block 0 holds 5, 2 pending
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(context.Background(), newTx(t, r, a, b, 99)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	l, err = Open(path, a, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l.Size() != 7 || l.Height() != 1 {
		t.Fatalf("reopened: size %d height %d", l.Size(), l.Height())
	}
	fill(t, l, r, a, b, 3) // completes block 1 with 5
	blocks, _ := l.Blocks(0, 5)
	if len(blocks) != 2 || blocks[0].TxCount != 5 || blocks[0].TreeSize != 10 {
		t.Fatalf("blocks after reopen: %+v", blocks)
	}
	mustVerify(t, l)
	// Another identity may not open it.
	l.Close()
	if _, err := Open(path, b, opts); err == nil || !strings.Contains(err.Error(), "belongs to identity") {
		t.Fatalf("opened with the wrong identity: %v", err)
	}
}

func TestLockedDatabase(t *testing.T) {
	a := testIdentity(1)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = Open(path, a, &Options{Timeout: 50 * time.Millisecond})
	var inUse *InUseError
	if !errors.As(err, &inUse) || !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "in use by another process") {
		t.Fatalf("second Open: %v, want an InUseError naming %s", err, path)
	}
}

func TestCorruptFiles(t *testing.T) {
	a := testIdentity(1)
	dir := t.TempDir()
	cases := map[string][]byte{
		"garbage": []byte(strings.Repeat("not a database ", 1000)),
		"short":   []byte("x"),
	}
	for name, content := range cases {
		path := filepath.Join(dir, name+".db")
		if err := os.WriteFile(path, content, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Open(path, a, nil)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: Open = %v, want an error naming the file", name, err)
		}
	}
	if _, err := Open(filepath.Join(dir, "missing.db"), a, &Options{ReadOnly: true}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read-only Open of a missing file: %v", err)
	}
}

func TestReadOnly(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	path := filepath.Join(t.TempDir(), "ledger.db")
	l, err := Open(path, a, nil)
	if err != nil {
		t.Fatal(err)
	}
	txs := fill(t, l, seeded(14), a, b, 3)
	l.Close()
	ro, err := Open(path, a, &Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	if _, err := ro.Append(context.Background(), newTx(t, seeded(15), a, b, 50)); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("Append to a read-only ledger: %v", err)
	}
	if _, err := ro.ProveInclusion(txs[1].ID()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ro.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	mustVerify(t, ro)
}

// Algorithm 3: CreateBlock, CalculateHash, IsValidNewBlock, AddBlockToChain.
func TestAlgorithm3(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, &Options{BlockMaxTx: 1000, BlockMaxAge: -1})
	fill(t, l, seeded(16), a, b, 6)
	head, err := l.TreeHead()
	if err != nil {
		t.Fatal(err)
	}
	at := func(n int64) tlog.Tree {
		var tr tlog.Tree
		err := l.view(func(btx *boltTx) error {
			h, err := treeHead(btx, n)
			tr = tlog.Tree{N: n, Hash: h}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	now := time.Unix(1700000100, 0)
	b0 := CreateBlock(nil, at(4), now)
	if b0.Height != 0 || b0.TxCount != 4 || b0.Hash != CalculateHash(b0) || b0.PrevHash != (Hash{}) {
		t.Fatalf("CreateBlock genesis: %+v", b0)
	}
	if err := IsValidNewBlock(b0, nil); err != nil {
		t.Fatal(err)
	}
	// Bad own hash.
	forged := *b0
	forged.TxCount = 3
	if err := IsValidNewBlock(&forged, nil); !errors.Is(err, ErrBadHash) {
		t.Fatalf("changed contents: %v, want ErrBadHash", err)
	}
	if err := l.AddBlockToChain(&forged); !errors.Is(err, ErrBadHash) {
		t.Fatalf("AddBlockToChain of a block with a bad hash: %v", err)
	}
	// A block whose tree is not the ledger's.
	wrongRoot := CreateBlock(nil, tlog.Tree{N: 4, Hash: head.Hash}, now)
	if err := l.AddBlockToChain(wrongRoot); !errors.Is(err, ErrBadBlock) {
		t.Fatalf("AddBlockToChain with a wrong root: %v", err)
	}
	if err := l.AddBlockToChain(b0); err != nil {
		t.Fatal(err)
	}
	b1 := CreateBlock(b0, at(6), now.Add(time.Second))
	// Bad previous hash.
	other := *b1
	other.PrevHash = Hash{9}
	other.Hash = CalculateHash(&other)
	if err := IsValidNewBlock(&other, b0); !errors.Is(err, ErrBadPrevHash) {
		t.Fatalf("wrong previous hash: %v, want ErrBadPrevHash", err)
	}
	if err := l.AddBlockToChain(&other); !errors.Is(err, ErrBadPrevHash) {
		t.Fatalf("AddBlockToChain with a wrong previous hash: %v", err)
	}
	// Replaying block 0 is rejected too.
	if err := l.AddBlockToChain(b0); err == nil {
		t.Fatal("block 0 added twice")
	}
	// Beyond the ledger's size.
	tooFar := CreateBlock(b0, tlog.Tree{N: 7, Hash: head.Hash}, now)
	if err := l.AddBlockToChain(tooFar); !errors.Is(err, ErrBadBlock) {
		t.Fatalf("block beyond the ledger: %v", err)
	}
	if err := l.AddBlockToChain(b1); err != nil {
		t.Fatal(err)
	}
	if l.Height() != 2 {
		t.Fatalf("height %d after two blocks", l.Height())
	}
	// Time never goes backwards.
	b2 := CreateBlock(b1, at(6), now)
	if !b2.Time.Equal(b1.Time) {
		t.Fatal("CreateBlock let time go backwards")
	}
	mustVerify(t, l)
}
