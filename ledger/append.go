package ledger

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
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
	index     int64 // set when journalled
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
	if !tx.alreadyChecked(buf) && !ed25519.Verify(tx.Sender, buf, tx.Signature) {
		return Receipt{}, fmt.Errorf("ledger: append: transaction from %s: %w", identity.Fingerprint(tx.Sender), ErrBadSignature)
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

// Appends go through two stages, each a single goroutine:
//
//  1. journalLoop gathers the appends waiting to be handed over, checks
//     them for duplicates, gives them their indexes and writes them to the
//     journal with one fdatasync (group commit). Then the appends return:
//     they are durable.
//  2. applyLoop moves journalled transactions into bbolt, as many at a
//     time as have accumulated, and cuts blocks by age.
//
// Every read and every other write waits until bbolt holds everything
// journalled before it began (awaitApplied), so a caller never sees the
// difference. A write that changes the chain, such as cutting a block,
// runs alone (exclusive): it pauses the journal and applies what is
// queued first, so blocks always cover a prefix of what was acknowledged.

// chainModel is the journal's view of the chain: the size including the
// journalled transactions, and where the blocks cut by count will fall.
// Blocks are cut every BlockMaxTx transactions from base, exactly as
// applying the queue will cut them; any other change to the blocks goes
// through update, which resets the model from bbolt.
type chainModel struct {
	size        int64
	baseBlocked int64 // tree size of the newest block at the reset
	baseHeight  int64 // height of the pending block at the reset
}

func modelOf(st chainState) chainModel {
	return chainModel{size: st.size, baseBlocked: st.blockedSize(), baseHeight: st.nextHeight()}
}

// heightOf is the height of the block that holds (or will hold) the
// transaction at index >= m.baseBlocked.
func (m chainModel) heightOf(index int64, blockMaxTx int) int64 {
	return m.baseHeight + (index-m.baseBlocked)/int64(blockMaxTx)
}

// journalLoop is the single journal writer.
func (l *Ledger) journalLoop() {
	defer l.loops.Done()
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
			l.journalBatch(batch)
			clear(batch)
		case <-l.quit:
			return
		}
	}
}

// journalBatch makes a batch of appends durable in the journal and answers
// each request.
func (l *Ledger) journalBatch(batch []*appendReq) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	res := make([]appendResult, len(batch))
	if err := l.journalBatchLocked(batch, res); err != nil {
		for i := range res {
			res[i] = appendResult{err: err}
		}
	}
	for i, r := range batch {
		r.done <- res[i]
	}
}

// journalBatchLocked fills in res for batch. An error that fails the whole
// batch is returned; a failed journal write is set in the results of the
// transactions it held.
func (l *Ledger) journalBatchLocked(batch []*appendReq, res []appendResult) error {
	if err := l.prepareJournal(); err != nil {
		return err
	}
	m := l.model
	sameAs := make([]int, len(batch)) // 1 + the index of an earlier copy in the batch
	inBatch := make(map[TxID]int, len(batch))
	var lookup []int // requests to look up in bbolt
	for i, r := range batch {
		if rc, ok := l.pendingIDs[r.id]; ok {
			rc.Duplicate = true
			res[i].r = rc
		} else if j, ok := inBatch[r.id]; ok {
			sameAs[i] = j + 1
		} else {
			inBatch[r.id] = i
			lookup = append(lookup, i)
		}
	}
	// Transactions bbolt already holds are duplicates too. The snapshot
	// holds at least everything the journal no longer remembers.
	if len(lookup) > 0 {
		err := l.db.View(func(btx *bolt.Tx) error {
			idb := btx.Bucket(bucketTxID)
			var st chainState
			for _, i := range lookup {
				v := idb.Get(batch[i].id[:])
				if v == nil {
					continue
				}
				if st.size == 0 {
					var err error
					if st, err = readState(btx); err != nil {
						return err
					}
				}
				idx := int64(beUint(v))
				h, err := l.heightOfStored(btx, st, m, idx)
				if err != nil {
					return err
				}
				res[i].r = Receipt{Index: idx, ID: batch[i].id, Height: h, Duplicate: true}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("ledger: append to %s: %w", l.path, err)
		}
	}
	first := m.size
	var fresh []*appendReq
	var encs [][]byte
	for _, i := range lookup {
		if res[i].r.Duplicate {
			continue
		}
		r := batch[i]
		r.index = m.size
		res[i].r = Receipt{Index: m.size, ID: r.id, Height: m.heightOf(m.size, l.opts.BlockMaxTx)}
		fresh = append(fresh, r)
		encs = append(encs, r.enc)
		m.size++
	}
	if len(fresh) > 0 {
		if err := l.jr.write(first, encs); err != nil {
			for _, i := range lookup {
				if !res[i].r.Duplicate {
					res[i] = appendResult{err: err}
				}
			}
		} else {
			l.journalledOK(m, fresh, res, lookup)
		}
	}
	for i, j := range sameAs {
		if j > 0 {
			res[i] = res[j-1]
			res[i].r.Duplicate = res[i].err == nil
		}
	}
	return nil
}

// prepareJournal forgets the receipts of what bbolt now holds and turns
// to the other journal file when the current one is full. If bbolt has
// fallen far behind, it catches up first, so that the journal stays
// small.
func (l *Ledger) prepareJournal() error {
	l.mu.Lock()
	applied := l.state.size
	l.mu.Unlock()
	for len(l.journalled) > 0 && l.journalled[0].Index < applied {
		delete(l.pendingIDs, l.journalled[0].ID)
		l.journalled = l.journalled[1:]
	}
	if len(l.journalled) == 0 {
		l.journalled = nil // let a burst's slice go
	}
	if l.jr.size() > journalMaxSize {
		l.applyMu.Lock()
		err := l.applyQueued()
		l.applyMu.Unlock()
		if err != nil {
			return err
		}
		l.journalled, l.pendingIDs = nil, make(map[TxID]Receipt)
		l.jr.reset()
		return nil
	}
	l.jr.turn(applied)
	return nil
}

// journalledOK records a successful journal write: the receipts, the
// model and the queue for bbolt, and wakes the applier.
func (l *Ledger) journalledOK(m chainModel, fresh []*appendReq, res []appendResult, lookup []int) {
	for _, i := range lookup {
		if rc := res[i].r; !rc.Duplicate {
			l.pendingIDs[rc.ID] = rc
			l.journalled = append(l.journalled, rc)
		}
	}
	l.model = m
	l.pmu.Lock()
	l.queue = append(l.queue, fresh...)
	l.pmu.Unlock()
	l.mu.Lock()
	l.logical = m
	l.mu.Unlock()
	select {
	case l.applyWake <- struct{}{}:
	default:
	}
}

// heightOfStored is the height of the block of a transaction bbolt holds,
// given a snapshot state st and the journal's model m.
func (l *Ledger) heightOfStored(btx *bolt.Tx, st chainState, m chainModel, index int64) (int64, error) {
	if index >= m.baseBlocked {
		return m.heightOf(index, l.opts.BlockMaxTx), nil
	}
	return blockOfState(btx, st, index)
}

// applyLoop moves journalled transactions into bbolt and cuts blocks by
// age. It lets transactions accumulate for up to applyDelay (or
// applyBatch of them), because a bbolt commit costs about the same for
// one transaction as for hundreds; a reader waiting for them (see
// awaitApplied) has them applied at once.
func (l *Ledger) applyLoop() {
	defer l.loops.Done()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	delay := time.NewTimer(time.Hour)
	delay.Stop()
	defer delay.Stop()
	delayed := false
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
	apply := func() {
		delay.Stop()
		delayed = false
		l.applyMu.Lock()
		// An error is kept in l.applyErr for readers and retried at the
		// next wake; the appends themselves are safe in the journal.
		_ = l.applyQueued()
		l.applyMu.Unlock()
		track()
	}
	track()
	for {
		select {
		case <-l.applyWake:
			l.pmu.Lock()
			n := len(l.queue)
			l.pmu.Unlock()
			if n >= applyBatch {
				apply()
			} else if !delayed {
				delay.Reset(applyDelay)
				delayed = true
			}
		case <-delay.C:
			apply()
		case <-l.applyNow:
			apply()
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
			apply()
			return
		}
	}
}

// applyQueued commits the journalled transactions waiting in the queue to
// bbolt in one write transaction. Call it with applyMu held. On failure
// they stay queued, and readers get the error until a retry succeeds.
func (l *Ledger) applyQueued() error {
	l.pmu.Lock()
	q := l.queue
	l.queue = nil
	l.pmu.Unlock()
	if len(q) == 0 {
		return nil
	}
	var final chainState
	err := l.rawUpdate(func(btx *bolt.Tx) error {
		st, err := readState(btx)
		if err != nil {
			return err
		}
		final, err = l.putTxs(btx, st, q)
		return err
	})
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		err = fmt.Errorf("ledger: move journalled transactions into %s: %w", l.path, err)
		l.pmu.Lock()
		l.queue = append(q, l.queue...)
		l.pmu.Unlock()
		l.applyErr = err
	} else {
		l.applyErr = nil
		if final.size > l.state.size || final.nextHeight() > l.state.nextHeight() {
			l.state = final
		}
	}
	close(l.appliedCh)
	l.appliedCh = make(chan struct{})
	return err
}

// putTxs stores transactions, which must continue the ledger at st.size,
// with their Merkle hashes, cutting blocks by count.
func (l *Ledger) putTxs(btx *bolt.Tx, st chainState, q []*appendReq) (chainState, error) {
	txb, idb, hb, kb := btx.Bucket(bucketTx), btx.Bucket(bucketTxID), btx.Bucket(bucketHash), btx.Bucket(bucketKey)
	txb.FillPercent, hb.FillPercent = 1, 1
	hr := hashReader{hb}
	for _, r := range q {
		n := st.size
		if r.index != n {
			return st, fmt.Errorf("journalled transaction %d does not continue the ledger at %d", r.index, n)
		}
		if err := txb.Put(be64(n), r.enc); err != nil {
			return st, err
		}
		if err := idb.Put(r.id[:], be64(n)); err != nil {
			return st, err
		}
		hashes, err := tlog.StoredHashesForRecordHash(n, tlog.Hash(r.id), hr)
		if err != nil {
			return st, err
		}
		base := tlog.StoredHashIndex(0, n)
		for k, h := range hashes {
			if err := hb.Put(be64(base+int64(k)), h[:]); err != nil {
				return st, err
			}
		}
		for _, key := range [][]byte{r.sender, r.recipient} {
			if kb.Get(key) == nil {
				if err := kb.Put(key, nil); err != nil {
					return st, err
				}
			}
		}
		st.size = n + 1
		if st.size-st.blockedSize() >= int64(l.opts.BlockMaxTx) {
			if st, err = l.cut(btx, st); err != nil {
				return st, err
			}
		}
	}
	return st, btx.Bucket(bucketMeta).Put(metaSize, be64(st.size))
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
	err := l.exclusive(func(btx *bolt.Tx) error {
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
	return st.last, nil
}

// AddBlockToChain appends a block made by CreateBlock (Algorithm 3). It is
// rejected unless IsValidNewBlock accepts it after the newest block, and
// its tree head is the ledger's tree at its size (so it covers only
// transactions already appended and not yet in a block).
func (l *Ledger) AddBlockToChain(b *Block) error {
	var st chainState
	err := l.exclusive(func(btx *bolt.Tx) error {
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
