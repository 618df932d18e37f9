package ledger

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// signedCheckpoint returns this ledger's signed checkpoint of the tree
// (size, root), signing it only when the size changed since the last call.
func (l *Ledger) signedCheckpoint(size int64, root tlog.Hash) ([]byte, error) {
	l.mu.Lock()
	c := l.ckpt
	l.mu.Unlock()
	if c != nil && c.size == size {
		return c.note, nil
	}
	msg, err := signCheckpoint(l.id, Checkpoint{Origin: l.origin, Size: size, Root: root})
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	if l.ckpt == nil || l.ckpt.size < size {
		l.ckpt = &cachedCkpt{size: size, note: msg}
	}
	l.mu.Unlock()
	return msg, nil
}

// Checkpoint returns a signed note of the ledger's origin, size and Merkle
// root (see type Checkpoint for the format), signed with the identity's key
// under the origin as key name, and the tree size it covers. Unless the
// ledger is read-only, the note is stored, so Verify can later check the
// ledger against it.
func (l *Ledger) Checkpoint() (note []byte, size int64, err error) {
	head, err := l.TreeHead()
	if err != nil {
		return nil, 0, err
	}
	msg, err := l.signedCheckpoint(head.N, head.Hash)
	if err != nil || l.opts.ReadOnly {
		return msg, head.N, err
	}
	err = l.update(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketCkpt)
		if v := b.Get(be64(head.N)); bytes.Equal(v, msg) {
			return nil
		}
		return b.Put(be64(head.N), msg)
	})
	if err != nil {
		return nil, 0, fmt.Errorf("ledger: store checkpoint in %s: %w", l.path, err)
	}
	return msg, head.N, nil
}

// Checkpoints returns this ledger's stored checkpoints, oldest first.
func (l *Ledger) Checkpoints() ([][]byte, error) {
	var out [][]byte
	err := l.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketCkpt).ForEach(func(_, v []byte) error {
			out = append(out, bytes.Clone(v))
			return nil
		})
	})
	return out, err
}

// ConsistencyProof returns the RFC 6962 proof that the ledger's tree of
// newSize transactions extends its tree of oldSize: a list of 32-byte
// hashes (a tlog.TreeProof). The proof from size 0 is empty.
func (l *Ledger) ConsistencyProof(oldSize, newSize int64) ([][]byte, error) {
	if oldSize < 0 || newSize < oldSize {
		return nil, fmt.Errorf("ledger: consistency proof from %d to %d: invalid sizes", oldSize, newSize)
	}
	if oldSize == 0 {
		return [][]byte{}, nil
	}
	var p tlog.TreeProof
	err := l.view(func(btx *bolt.Tx) error {
		st, err := readState(btx)
		if err != nil {
			return err
		}
		if newSize > st.size {
			return fmt.Errorf("ledger: consistency proof to %d: the ledger has %d transactions", newSize, st.size)
		}
		p, err = tlog.ProveTree(newSize, oldSize, hashReader{btx.Bucket(bucketHash)})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(p))
	for i := range p {
		out[i] = bytes.Clone(p[i][:])
	}
	return out, nil
}

// treeProof converts a proof of 32-byte hashes to a tlog.TreeProof.
func treeProof(p [][]byte) (tlog.TreeProof, error) {
	if len(p) > 128 {
		return nil, fmt.Errorf("ledger: consistency proof of %d hashes is too long", len(p))
	}
	out := make(tlog.TreeProof, len(p))
	for i, h := range p {
		if len(h) != tlog.HashSize {
			return nil, fmt.Errorf("ledger: consistency proof hash %d is %d bytes, want %d", i, len(h), tlog.HashSize)
		}
		copy(out[i][:], h)
	}
	return out, nil
}

// VerifyCheckpoint checks the ledger against a checkpoint it signed
// earlier (held by a peer or an auditor): the current tree must extend the
// checkpoint's tree, which is checked with a consistency proof. An error
// wrapping ErrBadProof means the ledger was rewritten or truncated since.
func (l *Ledger) VerifyCheckpoint(msg []byte) error {
	sc, err := OpenCheckpoint(msg, l.id.Public())
	if err != nil {
		return fmt.Errorf("ledger: verify checkpoint: %w", err)
	}
	if sc.Origin != l.origin {
		return fmt.Errorf("ledger: verify checkpoint: it is of %q, not of this ledger (%q)", sc.Origin, l.origin)
	}
	return l.view(func(btx *bolt.Tx) error {
		return checkAgainst(btx, sc.Checkpoint)
	})
}

// checkAgainst proves the stored tree consistent with an earlier checkpoint.
func checkAgainst(btx *bolt.Tx, c Checkpoint) error {
	st, err := readState(btx)
	if err != nil {
		return err
	}
	if c.Size > st.size {
		return fmt.Errorf("ledger: checkpoint of size %d but the ledger has %d transactions: %w (truncated)", c.Size, st.size, ErrBadProof)
	}
	if c.Size == 0 {
		return nil
	}
	hr := hashReader{btx.Bucket(bucketHash)}
	cur, err := tlog.TreeHash(st.size, hr)
	if err != nil {
		return err
	}
	p, err := tlog.ProveTree(st.size, c.Size, hr)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(p, st.size, cur, c.Size, c.Root); err != nil {
		return fmt.Errorf("ledger: the tree of %d transactions does not extend the checkpoint of size %d: %w (rewritten)", st.size, c.Size, ErrBadProof)
	}
	return nil
}

// InclusionProof shows that one transaction is in a ledger, and can be
// checked offline with VerifyInclusion. It is plain JSON.
type InclusionProof struct {
	Key        ed25519.PublicKey `json:"key"`        // the ledger's key (informational: pin it when verifying)
	Index      int64             `json:"index"`      // the transaction's position
	Tx         []byte            `json:"tx"`         // its canonical signed encoding
	Checkpoint string            `json:"checkpoint"` // the ledger's signed checkpoint
	Proof      tlog.RecordProof  `json:"proof"`      // RFC 6962 audit path from the leaf to the checkpoint's root
}

// ProveInclusion returns the inclusion proof of the transaction with the
// given ID against a checkpoint of the current tree.
func (l *Ledger) ProveInclusion(id TxID) (*InclusionProof, error) {
	p := &InclusionProof{Key: l.id.Public()}
	var root tlog.Hash
	var size int64
	err := l.view(func(btx *bolt.Tx) error {
		v := btx.Bucket(bucketTxID).Get(id[:])
		if v == nil {
			return fmt.Errorf("ledger: transaction %s: %w", id, ErrNotFound)
		}
		p.Index = int64(beUint(v))
		enc := btx.Bucket(bucketTx).Get(v)
		if enc == nil || txIDOf(enc) != id {
			return fmt.Errorf("ledger: transaction %s: index entry is corrupt", id)
		}
		p.Tx = bytes.Clone(enc)
		st, err := readState(btx)
		if err != nil {
			return err
		}
		size = st.size
		hr, err := l.treeReader(btx, size)
		if err != nil {
			return err
		}
		if root, err = tlog.TreeHash(size, hr); err != nil {
			return err
		}
		p.Proof, err = tlog.ProveRecord(size, p.Index, hr)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: prove %s in %s: %w", id, l.path, err)
	}
	msg, err := l.signedCheckpoint(size, root)
	if err != nil {
		return nil, err
	}
	p.Checkpoint = string(msg)
	return p, nil
}

// VerifyInclusion checks an inclusion proof offline: the checkpoint is
// signed by signer (the ledger's key, obtained out of band), the
// transaction is validly signed by its sender, and the audit path leads
// from it to the checkpoint's root. The error wraps ErrBadProof or
// ErrBadSignature when the proof is wrong.
func VerifyInclusion(p *InclusionProof, signer ed25519.PublicKey) error {
	if p == nil {
		return errors.New("ledger: verify inclusion: no proof")
	}
	if len(signer) != ed25519.PublicKeySize {
		return errors.New("ledger: verify inclusion: malformed signer key")
	}
	sc, err := OpenCheckpoint([]byte(p.Checkpoint), signer)
	if err != nil {
		return fmt.Errorf("ledger: verify inclusion: %w", err)
	}
	var tx Transaction
	if err := tx.UnmarshalBinary(p.Tx); err != nil {
		return fmt.Errorf("ledger: verify inclusion: %w", err)
	}
	if err := tx.Verify(); err != nil {
		return fmt.Errorf("ledger: verify inclusion: %w", err)
	}
	if p.Index < 0 || p.Index >= sc.Size {
		return fmt.Errorf("ledger: verify inclusion: index %d outside a tree of %d: %w", p.Index, sc.Size, ErrBadProof)
	}
	if len(p.Proof) > 64 {
		return fmt.Errorf("ledger: verify inclusion: %w: proof too long", ErrBadProof)
	}
	if err := tlog.CheckRecord(p.Proof, sc.Size, sc.Root, p.Index, tlog.RecordHash(p.Tx)); err != nil {
		return fmt.Errorf("ledger: verify inclusion of transaction %d: %w", p.Index, ErrBadProof)
	}
	return nil
}
