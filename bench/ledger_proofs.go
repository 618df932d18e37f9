package bench

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"path/filepath"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/ledger"
	"qkdchat/node"
)

// runProofs times inclusion proofs of random transactions, optionally
// after growing the ledger to proveAt. Each group of perOpen proofs runs on
// a freshly opened ledger, so the pages they read are touched for the first
// time since Open (they may still be in the OS page cache) and the cached
// upper tree levels are loaded again.
func (b *ledgerBench) runProofs(ctx context.Context, res *LedgerReport, writers int, proveAt int64, proofs, perOpen int) error {
	path := filepath.Join(b.dir, node.LedgerFile)
	if err := b.grow(ctx, path, proveAt, max(writers, 1)); err != nil {
		return err
	}
	l, err := ledger.Open(path, b.owner, nil)
	if err != nil {
		return err
	}
	res.ProveSize = l.Size()
	res.LedgerSize = res.ProveSize
	perOpen = min(perOpen, proofs)
	res.ProvePerOpen = perOpen
	if res.ProveSize == 0 {
		l.Close()
		return fmt.Errorf("bench: the ledger in %s is empty", b.dir)
	}
	r := mrand.New(mrand.NewPCG(uint64(res.ProveSize), 1))
	ids := make([]ledger.TxID, proofs)
	for i := range ids {
		tx, err := l.Tx(r.Int64N(res.ProveSize))
		if err != nil {
			l.Close()
			return err
		}
		ids[i] = tx.ID()
	}
	// A durable commit (the stored checkpoint) flushes what grow loaded
	// without fsync.
	if _, _, err := l.Checkpoint(); err != nil {
		l.Close()
		return err
	}
	if err := l.Close(); err != nil {
		return err
	}
	var first, gen, path1, check, both, merkle, warm, sigs []time.Duration
	for start := 0; start < len(ids); start += perOpen {
		if err := ctx.Err(); err != nil {
			return err
		}
		l, err := ledger.Open(path, b.owner, &ledger.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		err = timeProofs(l, b.owner.Public(), ids[start:min(start+perOpen, len(ids))], func(t proofTimes) {
			if t.first > 0 {
				first = append(first, t.first)
				return
			}
			gen, path1, check = append(gen, t.gen), append(path1, t.path), append(check, t.check)
			both, merkle, warm = append(both, t.gen+t.check), append(merkle, t.gen+t.path), append(warm, t.warm)
			sigs = append(sigs, t.check-t.path)
		})
		if cerr := l.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	if len(gen) == 0 {
		return errors.New("bench: no proof was timed")
	}
	res.ProveFirstUS = medianUS(first)
	res.ProveGenUS, res.ProvePathCheckUS, res.ProveCheckUS = medianUS(gen), medianUS(path1), medianUS(check)
	res.ProveUS, res.ProveMerkleUS, res.ProveWarmUS = medianUS(both), medianUS(merkle), medianUS(warm)
	res.ProveSigChecksUS = medianUS(sigs)
	return nil
}

// proofTimes are the times of one proof: first is set (and nothing else)
// for the first proof after Open.
type proofTimes struct {
	first, gen, path, check, warm time.Duration
}

// timeProofs proves each transaction in ids on l, checks the proofs and
// reports the times. The first proof only warms up: it loads the cached
// tree levels and signs the checkpoint.
func timeProofs(l *ledger.Ledger, key ed25519.PublicKey, ids []ledger.TxID, report func(proofTimes)) error {
	var sc *ledger.SignedCheckpoint
	for i, id := range ids {
		t0 := time.Now()
		p, err := l.ProveInclusion(id)
		if err != nil {
			return err
		}
		t1 := time.Now()
		if i == 0 {
			report(proofTimes{first: t1.Sub(t0)})
			if sc, err = ledger.OpenCheckpoint([]byte(p.Checkpoint), key); err != nil {
				return err
			}
			continue
		}
		if err := tlog.CheckRecord(p.Proof, sc.Size, sc.Root, p.Index, tlog.RecordHash(p.Tx)); err != nil {
			return fmt.Errorf("bench: Merkle path of transaction %d: %w", p.Index, err)
		}
		t2 := time.Now()
		if err := ledger.VerifyInclusion(p, key); err != nil {
			return err
		}
		t3 := time.Now()
		if _, err := l.ProveInclusion(id); err != nil {
			return err
		}
		if err := tlog.CheckRecord(p.Proof, sc.Size, sc.Root, p.Index, tlog.RecordHash(p.Tx)); err != nil {
			return fmt.Errorf("bench: Merkle path of transaction %d: %w", p.Index, err)
		}
		t4 := time.Now()
		report(proofTimes{gen: t1.Sub(t0), path: t2.Sub(t1), check: t3.Sub(t2), warm: t4.Sub(t3)})
	}
	return nil
}
