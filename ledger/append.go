package ledger

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"
)

// Receipt says where an appended transaction is.
type Receipt struct {
	Index int64 // position in the ledger (and leaf of the Merkle tree)
	ID    TxID
	// Height is the block that holds the transaction. Until that block is
	// cut (by count or by age) it is the pending block's height.
	Height int64
	// Duplicate is set when the same signed transaction was already in the
	// ledger: Index and Height then say where it is.
	Duplicate bool
}

type appendReq struct {
	enc       []byte // canonical encoding
	id        TxID
	sender    []byte
	recipient []byte
	done      chan appendResult
}

type appendResult struct {
	r   Receipt
	err error
}

// Append verifies tx's signature and appends it to the ledger. It returns
// once the transaction is committed and fsynced (unless Options.NoSync).
// Concurrent appends are committed together in one bbolt transaction
// (group commit). Appending a transaction that is already in the ledger
// returns its existing receipt with Duplicate set.
//
// If ctx ends before the append is handed to the committer, Append returns
// ctx's error and the transaction is not appended; once handed over, Append
// waits for the commit, so its result is always definite.
func (l *Ledger) Append(ctx context.Context, tx *Transaction) (Receipt, error) {
	if tx == nil {
		return Receipt{}, errors.New("ledger: append: nil transaction")
	}
	if err := tx.check(); err != nil {
		return Receipt{}, fmt.Errorf("ledger: append: %w", err)
	}
	if len(tx.Signature) != ed25519.SignatureSize {
		return Receipt{}, fmt.Errorf("ledger: append: %w: transaction is not signed", ErrBadSignature)
	}
	// One buffer holds context || body || signature: the signed message
	// is its prefix and the canonical encoding its suffix.
	buf := make([]byte, 0, len(txSigContext)+tx.encodedLen())
	buf = append(buf, txSigContext...)
	buf = tx.appendBody(buf)
	if !ed25519.Verify(tx.Sender, buf, tx.Signature) {
		return Receipt{}, fmt.Errorf("ledger: append: transaction from %s: %w", Fingerprint(tx.Sender), ErrBadSignature)
	}
	buf = append(buf, tx.Signature...)
	enc := buf[len(txSigContext):]
	req := &appendReq{enc: enc, id: txIDOf(enc), sender: tx.Sender, recipient: tx.Recipient, done: make(chan appendResult, 1)}

	l.mu.Lock()
	switch {
	case l.opts.ReadOnly:
		l.mu.Unlock()
		return Receipt{}, ErrReadOnly
	case l.closed:
		l.mu.Unlock()
		return Receipt{}, ErrClosed
	}
	l.inflight.Add(1)
	l.mu.Unlock()
	defer l.inflight.Done()

	select {
	case l.reqs <- req:
	case <-ctx.Done():
		return Receipt{}, fmt.Errorf("ledger: append: %w", ctx.Err())
	}
	res := <-req.done
	return res.r, res.err
}

// commitLoop is the single committer: it gathers the appends waiting to be
// handed over into one bbolt write transaction, and cuts blocks by age.
func (l *Ledger) commitLoop() {
	defer close(l.loopDone)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	var pendingSince time.Time
	track := func() {
		l.mu.Lock()
		st := l.state
		l.mu.Unlock()
		switch {
		case st.size == st.blockedSize():
			pendingSince = time.Time{}
			timer.Stop()
		case pendingSince.IsZero():
			pendingSince = time.Now()
			if l.opts.BlockMaxAge > 0 {
				timer.Reset(l.opts.BlockMaxAge)
			}
		}
	}
	track()
	batch := make([]*appendReq, 0, maxBatch)
	for {
		select {
		case r := <-l.reqs:
			batch = append(batch[:0], r)
		drain:
			for len(batch) < maxBatch {
				select {
				case r := <-l.reqs:
					batch = append(batch, r)
				default:
					break drain
				}
			}
			l.commit(batch)
			clear(batch)
			track()
		case <-timer.C:
			if age := time.Since(pendingSince); age < l.opts.BlockMaxAge {
				timer.Reset(l.opts.BlockMaxAge - age)
				continue
			}
			// An error here (a full disk, say) is retried at the next
			// append or tick; appends report their own errors.
			_, _ = l.CutBlock(context.Background())
			pendingSince = time.Time{}
			track()
		case <-l.quit:
			return
		}
	}
}

// commit appends a batch in one write transaction and answers each request.
func (l *Ledger) commit(batch []*appendReq) {
	res := make([]appendResult, len(batch))
	var final chainState
	err := l.update(func(btx *bolt.Tx) error {
		st, err := readState(btx)
		if err != nil {
			return err
		}
		txb, idb, hb, kb := btx.Bucket(bucketTx), btx.Bucket(bucketTxID), btx.Bucket(bucketHash), btx.Bucket(bucketKey)
		txb.FillPercent, hb.FillPercent = 1, 1
		hr := hashReader{hb}
		var inBatch map[TxID]int
		if len(batch) > 1 {
			inBatch = make(map[TxID]int, len(batch))
		}
		for i, r := range batch {
			if j, ok := inBatch[r.id]; ok {
				res[i].r = res[j].r
				res[i].r.Duplicate = true
				continue
			}
			if v := idb.Get(r.id[:]); v != nil {
				_, _, err := lookup(btx, r.id)
				if err != nil {
					return err
				}
				idx := int64(beUint(v))
				h, err := blockOfState(btx, st, idx)
				if err != nil {
					return err
				}
				res[i].r = Receipt{Index: idx, ID: r.id, Height: h, Duplicate: true}
				continue
			}
			n := st.size
			if err := txb.Put(be64(n), r.enc); err != nil {
				return err
			}
			if err := idb.Put(r.id[:], be64(n)); err != nil {
				return err
			}
			hashes, err := tlog.StoredHashesForRecordHash(n, tlog.Hash(r.id), hr)
			if err != nil {
				return err
			}
			base := tlog.StoredHashIndex(0, n)
			for k, h := range hashes {
				if err := hb.Put(be64(base+int64(k)), h[:]); err != nil {
					return err
				}
			}
			for _, key := range [][]byte{r.sender, r.recipient} {
				if kb.Get(key) == nil {
					if err := kb.Put(key, nil); err != nil {
						return err
					}
				}
			}
			res[i].r = Receipt{Index: n, ID: r.id, Height: st.nextHeight()}
			if inBatch != nil {
				inBatch[r.id] = i
			}
			st.size = n + 1
			if st.size-st.blockedSize() >= int64(l.opts.BlockMaxTx) {
				if st, err = l.cut(btx, st); err != nil {
					return err
				}
			}
		}
		final = st
		return btx.Bucket(bucketMeta).Put(metaSize, be64(st.size))
	})
	if err != nil {
		err = fmt.Errorf("ledger: append to %s: %w", l.path, err)
		for i := range res {
			res[i] = appendResult{err: err}
		}
	} else {
		l.publish(final)
	}
	for i, r := range batch {
		r.done <- res[i]
	}
}

// cut closes the pending block of st at st.size and stores it.
func (l *Ledger) cut(btx *bolt.Tx, st chainState) (chainState, error) {
	root, err := tlog.TreeHash(st.size, hashReader{btx.Bucket(bucketHash)})
	if err != nil {
		return st, err
	}
	b := CreateBlock(st.last, tlog.Tree{N: st.size, Hash: root}, time.Now())
	if err := IsValidNewBlock(b, st.last); err != nil {
		return st, err
	}
	if err := putBlock(btx, b); err != nil {
		return st, err
	}
	st.last = b
	return st, nil
}

func putBlock(btx *bolt.Tx, b *Block) error {
	bk := btx.Bucket(bucketBlock)
	bk.FillPercent = 1
	return bk.Put(be64(b.Height), marshalBlock(b))
}

// CutBlock closes the pending block now, if it holds any transactions, and
// returns it (nil when nothing was pending).
func (l *Ledger) CutBlock(ctx context.Context) (*Block, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var (
		st  chainState
		cut bool
	)
	err := l.update(func(btx *bolt.Tx) error {
		var err error
		if st, err = readState(btx); err != nil || st.size == st.blockedSize() {
			return err
		}
		st, err = l.cut(btx, st)
		cut = err == nil
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: cut block in %s: %w", l.path, err)
	}
	if !cut {
		return nil, nil
	}
	l.publish(st)
	return st.last, nil
}

// AddBlockToChain appends a block made by CreateBlock (Algorithm 3). It is
// rejected unless IsValidNewBlock accepts it after the newest block, and
// its tree head is the ledger's tree at its size (so it covers only
// transactions already appended and not yet in a block).
func (l *Ledger) AddBlockToChain(b *Block) error {
	var st chainState
	err := l.update(func(btx *bolt.Tx) error {
		var err error
		if st, err = readState(btx); err != nil {
			return err
		}
		if err := IsValidNewBlock(b, st.last); err != nil {
			return err
		}
		if b.TreeSize > st.size {
			return fmt.Errorf("ledger: block %d: %w: it covers %d transactions, the ledger has %d", b.Height, ErrBadBlock, b.TreeSize, st.size)
		}
		root, err := tlog.TreeHash(b.TreeSize, hashReader{btx.Bucket(bucketHash)})
		if err != nil {
			return err
		}
		if Hash(root) != b.TreeRoot {
			return fmt.Errorf("ledger: block %d: %w: tree root is not the ledger's root at size %d", b.Height, ErrBadBlock, b.TreeSize)
		}
		c := *b
		st.last = &c
		return putBlock(btx, &c)
	})
	if err != nil {
		return fmt.Errorf("ledger: add block to %s: %w", l.path, err)
	}
	l.publish(st)
	return nil
}

// blockOfState finds the block of a transaction given the in-progress state.
func blockOfState(btx *bolt.Tx, st chainState, index int64) (int64, error) {
	if st.last == nil || index >= st.last.TreeSize {
		return st.nextHeight(), nil
	}
	bk := btx.Bucket(bucketBlock)
	lo, hi := int64(0), st.last.Height
	for lo < hi {
		mid := lo + (hi-lo)/2
		b, err := unmarshalBlock(bk.Get(be64(mid)))
		if err != nil {
			return 0, fmt.Errorf("ledger: block %d: %w", mid, err)
		}
		if b.TreeSize > index {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo, nil
}

func beUint(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}
