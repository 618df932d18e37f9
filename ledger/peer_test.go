package ledger

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

func TestCheckpointFormat(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, nil)
	fill(t, l, seeded(20), a, b, 5)
	msg, size, err := l.Checkpoint()
	if err != nil || size != 5 {
		t.Fatal(size, err)
	}
	sc, err := OpenCheckpoint(msg, a.Public())
	if err != nil {
		t.Fatal(err)
	}
	head, _ := l.TreeHead()
	if sc.Origin != DefaultOrigin(a.Public()) || sc.Size != 5 || sc.Root != head.Hash {
		t.Fatalf("checkpoint %+v, head %+v", sc.Checkpoint, head)
	}
	if !strings.HasPrefix(string(msg), sc.Origin+"\n5\n"+head.Hash.String()+"\n\n— "+sc.Origin+" ") {
		t.Fatalf("note not in the C2SP checkpoint format:\n%s", msg)
	}
	if _, err := OpenCheckpoint(msg, b.Public()); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("checkpoint accepted for the wrong key: %v", err)
	}
	if stored, err := l.Checkpoints(); err != nil || len(stored) != 1 || !bytes.Equal(stored[0], msg) {
		t.Fatalf("stored checkpoints: %d %v", len(stored), err)
	}
	for _, text := range []string{"o\n5\n", "o\n05\n" + head.Hash.String() + "\n", "o\n-1\n" + head.Hash.String() + "\n", "o o\n5\n" + head.Hash.String() + "\n", "o\n5\n" + head.Hash.String() + "\nextra\n"} {
		if _, err := ParseCheckpoint(text); err == nil {
			t.Errorf("ParseCheckpoint(%q) accepted", text)
		}
	}
}

// exchange runs one checkpoint exchange as the app does: from's checkpoint
// with a consistency proof from the size to last cosigned, cosigned by to
// and stored back by from.
func exchange(t *testing.T, from, to *Ledger) error {
	t.Helper()
	msg, size, err := from.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	last := to.PeerCheckpointSize(from.Identity().Public())
	var proof [][]byte
	fromSize := last
	if last > size {
		fromSize = 0
	} else if proof, err = from.ConsistencyProof(last, size); err != nil {
		t.Fatal(err)
	}
	cosigned, err := to.CosignPeer(msg, from.Identity().Public(), fromSize, proof)
	if err != nil {
		return err
	}
	n, err := from.StoreCosignature(cosigned, to.Identity().Public())
	if err != nil || n != size {
		t.Fatalf("StoreCosignature: %d %v", n, err)
	}
	return nil
}

func TestCheckpointExchangeAndConflicts(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	dirA := t.TempDir()
	la, err := Open(filepath.Join(dirA, "ledger.db"), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	lb := openTest(t, b, nil)
	r := seeded(21)
	fill(t, la, r, a, b, 5)
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	if got := lb.PeerCheckpointSize(a.Public()); got != 5 {
		t.Fatalf("PeerCheckpointSize = %d, want 5", got)
	}
	if got := la.LastCosignedSize(b.Public()); got != 5 {
		t.Fatalf("LastCosignedSize = %d, want 5", got)
	}
	fill(t, la, r, a, b, 4)
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	if got := lb.PeerCheckpointSize(a.Public()); got != 9 {
		t.Fatalf("PeerCheckpointSize = %d, want 9", got)
	}
	// The same checkpoint again is fine.
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	rep := mustVerify(t, la)
	if rep.Checkpoints != 2 || rep.Cosignatures != 2 {
		t.Fatalf("A verified %d checkpoints and %d cosignatures, want 2 and 2", rep.Checkpoints, rep.Cosignatures)
	}
	mustVerify(t, lb)
	// A proof from the wrong size is refused without a conflict.
	fill(t, la, r, a, b, 2)
	msg, size, _ := la.Checkpoint()
	proof, _ := la.ConsistencyProof(5, size)
	if _, err := lb.CosignPeer(msg, a.Public(), 5, proof); !errors.Is(err, ErrBadProof) {
		t.Fatalf("proof from the wrong size: %v", err)
	}
	// A garbled proof from the right size is a conflict.
	proof, _ = la.ConsistencyProof(9, size)
	proof[0][0] ^= 1
	_, err = lb.CosignPeer(msg, a.Public(), 9, proof)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Conflict.Kind != ConflictInconsistent {
		t.Fatalf("garbled proof: %v, want an inconsistent conflict", err)
	}
	la.Close()

	// A rewrites its ledger: same identity, different history of 9.
	rewritten := openTest(t, a, nil)
	fill(t, rewritten, seeded(99), a, b, 9)
	err = exchange(t, rewritten, lb)
	if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) || ce.Conflict.Kind != ConflictFork {
		t.Fatalf("rewritten ledger: %v, want a fork conflict", err)
	}
	// And truncates it.
	truncated := openTest(t, a, nil)
	fill(t, truncated, seeded(98), a, b, 3)
	if err = exchange(t, truncated, lb); !errors.As(err, &ce) || ce.Conflict.Kind != ConflictRollback {
		t.Fatalf("truncated ledger: %v, want a rollback conflict", err)
	}
	// An honest old checkpoint is only stale: re-open A's real ledger and
	// offer its size-5 checkpoint with a proof from 5 to 9.
	la, err = Open(filepath.Join(dirA, "ledger.db"), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer la.Close()
	rep = mustVerify(t, la)
	if rep.Checkpoints != 3 {
		t.Fatalf("A holds %d checkpoints", rep.Checkpoints)
	}
	stored, _ := la.Checkpoints()
	proof, _ = la.ConsistencyProof(5, 9)
	if _, err := lb.CosignPeer(stored[0], a.Public(), 5, proof); !errors.Is(err, ErrStale) {
		t.Fatalf("old checkpoint: %v, want ErrStale", err)
	}

	rep = mustVerify(t, lb)
	if len(rep.Conflicts) != 3 || rep.Clean() {
		t.Fatalf("B's verify lists %d conflicts, want 3", len(rep.Conflicts))
	}
	kinds := map[ConflictKind]bool{}
	for _, c := range rep.Conflicts {
		kinds[c.Kind] = true
		if !c.Peer.Equal(a.Public()) {
			t.Fatal("conflict names the wrong peer")
		}
	}
	if !kinds[ConflictFork] || !kinds[ConflictRollback] || !kinds[ConflictInconsistent] {
		t.Fatalf("conflict kinds %v", kinds)
	}
	// The export carries the evidence too.
	var buf bytes.Buffer
	if err := lb.Export(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	erep, err := VerifyExport(context.Background(), &buf)
	if err != nil || !erep.OK || len(erep.Conflicts) != 3 {
		t.Fatalf("export: %+v %v", erep, err)
	}
	// Other notes are refused.
	if _, err := lb.CosignPeer(msg, b.Public(), 0, nil); err == nil {
		t.Fatal("cosigned its own checkpoint as a peer's")
	}
	if _, err := lb.CosignPeer(msg, testIdentity(3).Public(), 0, nil); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("note not signed by the peer: %v", err)
	}
	if _, err := la.StoreCosignature(msg); err == nil {
		t.Fatal("stored a cosignature without a peer's signature")
	}
}

func TestVerifyDetectsRewriteAgainstCheckpoint(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, nil)
	fill(t, l, seeded(22), a, b, 6)
	msg, _, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, seeded(23), a, b, 3)
	if err := l.VerifyCheckpoint(msg); err != nil {
		t.Fatalf("VerifyCheckpoint of an honest ledger: %v", err)
	}
	other := openTest(t, a, nil)
	fill(t, other, seeded(24), a, b, 9)
	if err := other.VerifyCheckpoint(msg); !errors.Is(err, ErrBadProof) {
		t.Fatalf("VerifyCheckpoint of a rewritten ledger: %v", err)
	}
	short := openTest(t, a, nil)
	fill(t, short, seeded(24), a, b, 2)
	if err := short.VerifyCheckpoint(msg); !errors.Is(err, ErrBadProof) {
		t.Fatalf("VerifyCheckpoint of a truncated ledger: %v", err)
	}
	// A stored checkpoint that the chain no longer matches fails Verify:
	// copy the checkpoint into the rewritten ledger's store.
	if err := other.update(func(btx *boltTx) error {
		return btx.Bucket(bucketCkpt).Put(be64(6), msg)
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := other.Verify(context.Background(), nil)
	if err != nil || rep.OK || !strings.Contains(rep.Reason, "rewritten") {
		t.Fatalf("Verify of a rewritten ledger: %+v %v", rep, err)
	}
}

func TestInclusionProof(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, &Options{BlockMaxTx: 7})
	txs := fill(t, l, seeded(25), a, b, 40)
	for i, tx := range txs {
		p, err := l.ProveInclusion(tx.ID())
		if err != nil {
			t.Fatal(err)
		}
		if p.Index != int64(i) {
			t.Fatalf("proof index %d, want %d", p.Index, i)
		}
		// Through JSON, as a third party receives it.
		j, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		var q InclusionProof
		if err := json.Unmarshal(j, &q); err != nil {
			t.Fatal(err)
		}
		if err := VerifyInclusion(&q, a.Public()); err != nil {
			t.Fatalf("proof of %d: %v", i, err)
		}
		if err := VerifyInclusion(&q, b.Public()); !errors.Is(err, ErrBadSignature) {
			t.Fatalf("proof checked with the wrong key: %v", err)
		}
		if len(q.Proof) > 0 {
			q.Proof[len(q.Proof)-1][0] ^= 1
			if err := VerifyInclusion(&q, a.Public()); !errors.Is(err, ErrBadProof) {
				t.Fatalf("garbled proof: %v", err)
			}
			q.Proof[len(q.Proof)-1][0] ^= 1
		}
		q.Index = (q.Index + 1) % 40
		if err := VerifyInclusion(&q, a.Public()); !errors.Is(err, ErrBadProof) {
			t.Fatalf("proof with the wrong index: %v", err)
		}
	}
	if _, err := l.ProveInclusion(TxID{}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("proof of an unknown transaction: %v", err)
	}
}

func TestConsistencyProof(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	l := openTest(t, a, nil)
	fill(t, l, seeded(26), a, b, 13)
	heads := map[int64]tlog.Hash{}
	for n := int64(1); n <= 13; n++ {
		if err := l.view(func(btx *boltTx) error {
			h, err := treeHead(btx, n)
			heads[n] = h
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	for old := int64(1); old <= 13; old++ {
		for nw := old; nw <= 13; nw++ {
			p, err := l.ConsistencyProof(old, nw)
			if err != nil {
				t.Fatal(err)
			}
			tp, err := treeProof(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := tlog.CheckTree(tp, nw, heads[nw], old, heads[old]); err != nil {
				t.Fatalf("proof %d -> %d: %v", old, nw, err)
			}
		}
	}
	if _, err := l.ConsistencyProof(3, 14); err == nil {
		t.Fatal("proof beyond the ledger")
	}
	if p, err := l.ConsistencyProof(0, 5); err != nil || len(p) != 0 {
		t.Fatal("proof from 0 should be empty")
	}
}

func FuzzOpenCheckpoint(f *testing.F) {
	a := testIdentity(1)
	msg, _ := signCheckpoint(a, Checkpoint{Origin: "qkdchat/test", Size: 7, Root: tlog.Hash{1}})
	f.Add(msg)
	f.Add([]byte("qkdchat/test\n7\nAQ==\n\n— x AAAAAAAA\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := OpenCheckpoint(data, a.Public())
		if err != nil {
			return
		}
		if sc.Checkpoint.Text() != noteText(string(data)) {
			t.Fatalf("checkpoint text is not canonical: %q", data)
		}
	})
}

func FuzzVerifyInclusion(f *testing.F) {
	a, b := testIdentity(1), testIdentity(2)
	r := seeded(27)
	var txs []*Transaction
	ids := map[TxID]bool{}
	for i := range 5 {
		txs = append(txs, newTx(f, r, a, b, i))
		ids[txs[i].ID()] = true
	}
	// Build the proofs against an in-memory tree, as the ledger would.
	c := newChainChecker()
	for _, tx := range txs {
		c.addTx(&vItem{index: c.size, id: tx.ID()})
	}
	root := c.root(5)
	msg, _ := signCheckpoint(a, Checkpoint{Origin: "qkdchat/test", Size: 5, Root: root})
	for i, tx := range txs {
		proof, _ := tlog.ProveRecord(5, int64(i), c.hashes)
		enc, _ := tx.MarshalBinary()
		j, _ := json.Marshal(&InclusionProof{Key: a.Public(), Index: int64(i), Tx: enc, Checkpoint: string(msg), Proof: proof})
		f.Add(j)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var p InclusionProof
		if json.Unmarshal(data, &p) != nil {
			return
		}
		if err := VerifyInclusion(&p, a.Public()); err == nil {
			// Only the genuine transactions at their genuine index verify.
			if !ids[txIDOf(p.Tx)] || txs[p.Index].ID() != txIDOf(p.Tx) {
				t.Fatalf("a forged proof verified: %s", data)
			}
		}
	})
}
