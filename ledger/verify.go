package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"strings"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
)

// VerifyReport is the result of Verify or VerifyExport.
type VerifyReport struct {
	// OK is true when the ledger itself is intact: every block hash, tree
	// hash and signature checks out and the ledger extends every
	// checkpoint it signed. Conflicts of peers do not clear it.
	OK          bool              `json:"ok"`
	Origin      string            `json:"origin"`
	Key         ed25519.PublicKey `json:"key"`
	Fingerprint string            `json:"fingerprint"`
	Size        int64             `json:"size"`   // transactions checked
	Blocks      int64             `json:"blocks"` // blocks checked
	Root        Hash              `json:"root"`   // Merkle root over the checked transactions
	// FirstBadHeight is the height of the first block (possibly the
	// pending one) found bad, or -1 when none is. BadIndex is the first bad
	// transaction, or -1.
	FirstBadHeight int64  `json:"first_bad_height"`
	BadIndex       int64  `json:"bad_index"`
	Reason         string `json:"reason,omitempty"`
	Checkpoints    int    `json:"checkpoints"`  // own signed checkpoints checked
	Cosignatures   int    `json:"cosignatures"` // peers' cosignatures checked
	// Conflicts are the pairs of conflicting checkpoints signed by peers:
	// proof that a peer rewrote or truncated its ledger.
	Conflicts []Conflict `json:"conflicts,omitempty"`
	// JournalLoss lists acknowledged transactions the journal lost that
	// nobody has acknowledged yet (see Ledger.AcknowledgeJournalLoss);
	// any clears OK.
	JournalLoss []JournalLoss `json:"journal_loss,omitempty"`
}

// Clean reports whether the ledger is intact and no peer conflict is known.
func (r *VerifyReport) Clean() bool { return r.OK && len(r.Conflicts) == 0 }

// badError marks the ledger as bad, as opposed to failing to check it.
type badError struct {
	height int64 // -1 when not tied to a block
	index  int64 // -1 when not tied to a transaction
	reason string
}

func (e *badError) Error() string { return e.reason }

func bad(height, index int64, format string, a ...any) *badError {
	return &badError{height: height, index: index, reason: fmt.Sprintf(format, a...)}
}

// fail records err in the report if it is a badError and returns nil;
// any other error is returned.
func (r *VerifyReport) fail(err error) error {
	var b *badError
	if !errors.As(err, &b) {
		return err
	}
	r.OK = false
	r.FirstBadHeight, r.BadIndex, r.Reason = b.height, b.index, b.reason
	return nil
}

// vItem is one transaction or block in the order the chain is checked.
type vItem struct {
	block    bool
	index    int64 // transaction index, or block height
	enc      []byte
	claimed  *TxID // the ID an export states for the transaction
	blk      *Block
	inputErr error // the record could not be read

	// Filled in by the workers for transactions.
	id                TxID
	sender, recipient [32]byte
	err               error
}

type vJob struct {
	items []vItem
	arena []byte // copies of the items' encodings, one allocation per job
	done  chan struct{}
}

// pipeline checks transaction signatures on all cores while one goroutine
// consumes the items in order.
type pipeline struct {
	ctx     context.Context
	jobs    chan *vJob
	queue   []*vJob
	maxQ    int     // jobs submitted and not yet consumed before emit drains one
	free    []*vJob // consumed jobs, reused with their item and arena buffers
	cur     *vJob
	consume func(*vItem) error
	workers int
	stopped error
}

const vChunk = 256

// maxTxRecordLen bounds a stored transaction record: the canonical encoding
// of the largest transaction the limits allow is well below it.
const maxTxRecordLen = MaxTokenLen + 1<<20

func newPipeline(ctx context.Context, consume func(*vItem) error) *pipeline {
	p := &pipeline{ctx: ctx, consume: consume, workers: runtime.GOMAXPROCS(0)}
	// Deep queues keep the workers busy while this goroutine, which reads
	// bbolt and rebuilds the tree, waits for a core: on a machine busy
	// with other work it can be off a core for tens of milliseconds, so
	// even with few cores at least 8192 transactions (a few MB) are let
	// ahead of it.
	p.jobs = make(chan *vJob, max(4*p.workers, 32))
	p.maxQ = max(8*p.workers, 32)
	for range p.workers {
		go func() {
			var scratch []byte
			for j := range p.jobs {
				for i := range j.items {
					it := &j.items[i]
					if !it.block && it.inputErr == nil {
						it.id = txIDOf(it.enc)
						it.sender, it.recipient, it.err = verifyEncodedInto(it.enc, &scratch)
					}
				}
				close(j.done)
			}
		}()
	}
	return p
}

// emit adds an item; it returns the first consumer error.
func (p *pipeline) emit(it vItem) error {
	if p.stopped != nil {
		return p.stopped
	}
	j := p.job()
	j.items = append(j.items, it)
	if len(j.items) == vChunk {
		p.submit()
		for len(p.queue) > p.maxQ && p.stopped == nil {
			p.drainOne()
		}
	}
	return p.stopped
}

// copyValue copies a value read from bbolt into the arena of the job being
// filled: the workers get a copy they can read safely on another goroutine,
// without an allocation per transaction.
func (p *pipeline) copyValue(v []byte) []byte {
	j := p.job()
	if cap(j.arena)-len(j.arena) < len(v) {
		j.arena = make([]byte, 0, max(len(v), vChunk*1024))
	}
	n := len(j.arena)
	j.arena = append(j.arena, v...)
	return j.arena[n : n+len(v) : n+len(v)]
}

// job returns the job being filled, starting one if there is none: a
// consumed one when there is, so that its buffers are not allocated (and
// zeroed) again.
func (p *pipeline) job() *vJob {
	if p.cur == nil {
		if n := len(p.free); n > 0 {
			p.cur, p.free = p.free[n-1], p.free[:n-1]
			p.cur.done = make(chan struct{})
		} else {
			p.cur = &vJob{items: make([]vItem, 0, vChunk), done: make(chan struct{})}
		}
	}
	return p.cur
}

// recycle keeps a consumed job for reuse. Nothing the consumer keeps
// points into its items or arena (it copies what it keeps).
func (p *pipeline) recycle(j *vJob) {
	clear(j.items)
	j.items, j.arena = j.items[:0], j.arena[:0]
	p.free = append(p.free, j)
}

func (p *pipeline) submit() {
	p.jobs <- p.cur
	p.queue = append(p.queue, p.cur)
	p.cur = nil
}

func (p *pipeline) drainOne() {
	j := p.queue[0]
	p.queue = p.queue[1:]
	<-j.done
	if p.stopped != nil {
		return
	}
	if err := p.ctx.Err(); err != nil {
		p.stopped = err
		return
	}
	for i := range j.items {
		if err := p.consume(&j.items[i]); err != nil {
			p.stopped = err
			return
		}
	}
	p.recycle(j)
}

// finish consumes everything emitted, stops the workers and returns the
// first consumer error. No item is in use after it returns.
func (p *pipeline) finish() error {
	if p.cur != nil {
		p.submit()
	}
	for len(p.queue) > 0 {
		p.drainOne()
	}
	close(p.jobs)
	return p.stopped
}

// verifyEncoded decodes a canonical transaction and checks its signature
// without re-encoding it.
func verifyEncoded(enc []byte) (sender, recipient [32]byte, err error) {
	var scratch []byte
	return verifyEncodedInto(enc, &scratch)
}

// verifyEncodedInto is verifyEncoded building the signed message in
// *scratch, which it grows as needed, so that a worker checking many
// transactions does not allocate one per transaction.
func verifyEncodedInto(enc []byte, scratch *[]byte) (sender, recipient [32]byte, err error) {
	var t Transaction
	if err = t.UnmarshalBinary(enc); err != nil {
		return sender, recipient, err
	}
	msg := (*scratch)[:0]
	msg = append(msg, txSigContext...)
	msg = append(msg, enc[:len(enc)-ed25519.SignatureSize]...)
	*scratch = msg
	if !ed25519.Verify(t.Sender, msg, t.Signature) {
		return sender, recipient, fmt.Errorf("transaction from %s: %w", identity.Fingerprint(t.Sender), ErrBadSignature)
	}
	copy(sender[:], t.Sender)
	copy(recipient[:], t.Recipient)
	return sender, recipient, nil
}

// chainChecker recomputes the Merkle tree and the block chain from the
// transactions, in order.
type chainChecker struct {
	hashes hashList // every stored hash of the tree, recomputed
	size   int64
	last   *Block
	keys   map[[32]byte]bool
	stored *seqGetter   // when set, the stored hashes must match
	txids  *bolt.Bucket // when set, the ID index must match
	key    [8]byte      // scratch for stored hash keys
}

// seqGetter looks up keys of a bucket like Bucket.Get, but with one
// cursor that steps to the next key when that is the one asked for:
// Verify asks for the stored tree hashes in increasing order, so almost
// every lookup is one step instead of a descent from the root.
type seqGetter struct {
	c  *bolt.Cursor
	k  []byte
	on bool // the cursor is on the key last asked for
}

func newSeqGetter(b *bolt.Bucket) *seqGetter { return &seqGetter{c: b.Cursor()} }

// get returns the value stored under key, or nil when there is none or it
// is a nested bucket (as Bucket.Get does).
func (s *seqGetter) get(key []byte) []byte {
	var v []byte
	if s.on {
		s.k, v = s.c.Next()
	}
	if !s.on || !bytes.Equal(s.k, key) {
		s.k, v = s.c.Seek(key)
	}
	s.on = bytes.Equal(s.k, key)
	if !s.on {
		return nil
	}
	return v
}

func newChainChecker() *chainChecker { return &chainChecker{keys: map[[32]byte]bool{}} }

func (c *chainChecker) height() int64 {
	if c.last == nil {
		return 0
	}
	return c.last.Height + 1
}

func (c *chainChecker) root(n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, c.hashes)
	if err != nil {
		panic(err) // n <= c.size is checked by every caller
	}
	return h
}

func (c *chainChecker) consume(it *vItem) error {
	if it.block {
		return c.addBlock(it)
	}
	return c.addTx(it)
}

func (c *chainChecker) addTx(it *vItem) error {
	h, i := c.height(), c.size
	switch {
	case it.inputErr != nil:
		return bad(h, i, "transaction %d: %v", i, it.inputErr)
	case it.index != i:
		return bad(h, i, "transaction %d is missing (found %d in its place)", i, it.index)
	case it.err != nil:
		return bad(h, i, "transaction %d: %v", i, it.err)
	case it.claimed != nil && *it.claimed != it.id:
		return bad(h, i, "transaction %d: its stated ID %s is not its hash %s", i, *it.claimed, it.id)
	}
	if c.txids != nil {
		if v := c.txids.Get(it.id[:]); !bytes.Equal(v, be64(i)) {
			return bad(h, i, "transaction %d: the ID index does not point to it", i)
		}
	}
	hs, err := tlog.StoredHashesForRecordHash(i, tlog.Hash(it.id), c.hashes)
	if err != nil {
		return err
	}
	if c.stored != nil {
		base := tlog.StoredHashIndex(0, i)
		for k, x := range hs {
			binary.BigEndian.PutUint64(c.key[:], uint64(base+int64(k)))
			if v := c.stored.get(c.key[:]); !bytes.Equal(v, x[:]) {
				return bad(h, i, "stored tree hash %d (written with transaction %d) does not match the transactions", base+int64(k), i)
			}
		}
	}
	c.hashes = append(c.hashes, hs...)
	c.keys[it.sender], c.keys[it.recipient] = true, true
	c.size++
	return nil
}

func (c *chainChecker) addBlock(it *vItem) error {
	h := c.height()
	switch {
	case it.inputErr != nil:
		return bad(h, -1, "block %d: %v", h, it.inputErr)
	case it.index != h:
		return bad(h, -1, "block %d is missing (found %d in its place)", h, it.index)
	}
	b := it.blk
	if err := IsValidNewBlock(b, c.last); err != nil {
		return bad(h, -1, "%v", strings.TrimPrefix(err.Error(), "ledger: "))
	}
	if b.TreeSize != c.size {
		return bad(h, -1, "block %d ends at transaction %d, but %d transactions precede it", h, b.TreeSize, c.size)
	}
	if Hash(c.root(b.TreeSize)) != b.TreeRoot {
		return bad(h, -1, "block %d: its Merkle root is not the root of its transactions", h)
	}
	c.last = b
	return nil
}

// Verify checks the whole ledger: it recomputes every transaction's
// signature (on all cores), the Merkle tree against every stored tree hash,
// every block hash and link, and checks the ledger against every
// checkpoint it signed and every cosignature it holds. Peers' conflicting
// checkpoints are re-verified and listed. A bad ledger is reported in the
// VerifyReport (with the first bad height), not as an error; the error is
// for failing to check at all. progress, if not nil, is called now and
// then with the number of transactions checked.
func (l *Ledger) Verify(ctx context.Context, progress func(done, total int64)) (*VerifyReport, error) {
	rep := &VerifyReport{OK: true, Origin: l.origin, Key: l.id.Public(), Fingerprint: l.id.Fingerprint(), FirstBadHeight: -1, BadIndex: -1}
	// bbolt's own page-structure check (Tx.Check) is not run: a damaged
	// page header can make it take minutes, and it says nothing about the
	// ledger's content, which is checked here in full.
	err := l.view(func(btx *bolt.Tx) error {
		if err := l.verifyChain(ctx, btx, rep, progress); err != nil {
			return err
		}
		return rep.journalLoss(l.path, btx)
	})
	if err != nil {
		return nil, fmt.Errorf("ledger: verify %s: %w", l.path, err)
	}
	return rep, nil
}

// journalLoss fails the report if the ledger records journal losses
// nobody acknowledged.
func (r *VerifyReport) journalLoss(path string, btx *bolt.Tx) error {
	losses, err := readLosses(btx.Bucket(bucketMeta))
	if err != nil {
		return err
	}
	if r.JournalLoss = unacknowledged(losses); len(r.JournalLoss) == 0 {
		return nil
	}
	r.OK = false
	if r.Reason == "" {
		r.Reason = (&JournalLossError{Path: path, Losses: r.JournalLoss}).Summary() + " (see journal_loss)"
	}
	return nil
}

func (l *Ledger) verifyChain(ctx context.Context, btx *bolt.Tx, rep *VerifyReport, progress func(done, total int64)) error {
	meta := btx.Bucket(bucketMeta)
	total := int64(-1)
	if v := meta.Get(metaSize); len(v) == 8 {
		total = int64(beUint(v))
	}
	c := newChainChecker()
	c.stored, c.txids = newSeqGetter(btx.Bucket(bucketHash)), btx.Bucket(bucketTxID)
	p := newPipeline(ctx, c.consume)
	produce := func() error {
		bc := btx.Bucket(bucketBlock).Cursor()
		bk, bv := bc.First()
		emitBlocks := func(upTo int64, all bool) error {
			for ; bk != nil; bk, bv = bc.Next() {
				it := vItem{block: true, index: int64(beUint(bk))}
				if len(bk) != 8 {
					it.inputErr = fmt.Errorf("malformed block key %x", bk)
				} else if it.blk, it.inputErr = unmarshalBlock(bv); it.inputErr == nil && it.blk.TreeSize > upTo && !all {
					return nil
				}
				if err := p.emit(it); err != nil {
					return err
				}
			}
			return nil
		}
		var i int64
		tc := btx.Bucket(bucketTx).Cursor()
		for k, v := tc.First(); k != nil; k, v = tc.Next() {
			// The workers get a copy: they run on other goroutines, where a
			// value that a damaged page header stretches past the end of the
			// mapped file would be a fatal fault instead of a recovered one
			// (debug.SetPanicOnFault is per goroutine).
			it := vItem{index: int64(beUint(k))}
			switch {
			case len(k) != 8:
				it.inputErr = fmt.Errorf("malformed transaction key %x", k)
			case len(v) > maxTxRecordLen:
				it.inputErr = fmt.Errorf("transaction record of %d bytes", len(v))
			default:
				it.enc = p.copyValue(v)
			}
			if err := p.emit(it); err != nil {
				return err
			}
			i++
			if err := emitBlocks(i, false); err != nil {
				return err
			}
			if progress != nil && i%4096 == 0 {
				progress(i, total)
			}
		}
		return emitBlocks(i, true)
	}
	guarded := func() (err error) {
		// A fault reading a damaged file (on this goroutine, which
		// produces and consumes) stops production, and the workers are
		// still stopped by finish.
		defer recoverCorrupt(l.path, &err)
		return produce()
	}
	err := guarded()
	if err != nil && p.stopped == nil {
		p.stopped = err // finish then waits for the workers without consuming
	}
	if ferr := p.finish(); err == nil {
		err = ferr
	}
	if err != nil {
		return rep.fail(err)
	}
	rep.Size, rep.Blocks, rep.Root = c.size, c.height(), Hash(c.root(c.size))
	if progress != nil {
		progress(c.size, total)
	}
	pending := c.height()
	switch {
	case total != c.size:
		return rep.fail(bad(pending, c.size, "the ledger records %d transactions but holds %d", total, c.size))
	case int64(btx.Bucket(bucketTxID).Stats().KeyN) != c.size:
		return rep.fail(bad(pending, -1, "the transaction ID index has %d entries for %d transactions", btx.Bucket(bucketTxID).Stats().KeyN, c.size))
	}
	if k, _ := btx.Bucket(bucketHash).Cursor().Last(); k != nil && int64(beUint(k)) >= tlog.StoredHashCount(c.size) {
		return rep.fail(bad(pending, -1, "stored tree hash %d is beyond a tree of %d transactions", int64(beUint(k)), c.size))
	}
	err = btx.Bucket(bucketKey).ForEach(func(k, _ []byte) error {
		if len(k) != 32 || !c.keys[[32]byte(k)] {
			return bad(-1, -1, "the key index lists a key %x that no transaction uses", k)
		}
		delete(c.keys, [32]byte(k))
		return nil
	})
	if err == nil && len(c.keys) > 0 {
		err = bad(-1, -1, "the key index lacks %d keys used by transactions", len(c.keys))
	}
	if err != nil {
		return rep.fail(err)
	}
	if err := l.verifyCheckpoints(btx, c, rep); err != nil {
		return rep.fail(err)
	}
	return rep.fail(l.verifyPeers(btx, rep))
}

// heightOfSize returns the height of the block holding transaction n-1.
func heightOfSize(btx *bolt.Tx, st chainState, n int64) int64 {
	h, err := blockOfState(btx, st, max(n-1, 0))
	if err != nil {
		return st.nextHeight()
	}
	return h
}

// verifyCheckpoints checks the ledger against its own stored checkpoints
// and the peers' cosignatures of them.
func (l *Ledger) verifyCheckpoints(btx *bolt.Tx, c *chainChecker, rep *VerifyReport) error {
	st := chainState{size: c.size, last: c.last}
	check := func(what string, sc *SignedCheckpoint) error {
		switch {
		case sc.Origin != l.origin:
			return bad(-1, -1, "%s is of %q, not of this ledger", what, sc.Origin)
		case sc.Size > c.size:
			return bad(st.nextHeight(), c.size, "%s covers %d transactions, but the ledger has only %d: it was truncated", what, sc.Size, c.size)
		case Hash(c.root(sc.Size)) != Hash(sc.Root):
			h := heightOfSize(btx, st, sc.Size)
			return bad(h, -1, "%s of size %d does not match the ledger: it was rewritten at or before block %d", what, sc.Size, h)
		}
		return nil
	}
	err := btx.Bucket(bucketCkpt).ForEach(func(k, v []byte) error {
		sc, err := OpenCheckpoint(v, l.id.Public())
		if err != nil {
			return bad(-1, -1, "stored checkpoint %x: %v", k, err)
		}
		if !bytes.Equal(k, be64(sc.Size)) {
			return bad(-1, -1, "stored checkpoint %x is filed under the wrong size", k)
		}
		rep.Checkpoints++
		return check(fmt.Sprintf("the checkpoint signed at size %d", sc.Size), sc)
	})
	if err != nil {
		return err
	}
	return btx.Bucket(bucketCosig).ForEach(func(k, v []byte) error {
		if len(k) != 8+ed25519.PublicKeySize {
			return bad(-1, -1, "malformed cosignature key %x", k)
		}
		peer := ed25519.PublicKey(k[8:])
		sc, err := OpenCheckpoint(v, l.id.Public())
		if err == nil && !sc.SignedBy(peer) {
			err = fmt.Errorf("no valid signature by %s", identity.Fingerprint(peer))
		}
		if err != nil {
			return bad(-1, -1, "stored cosignature by %s: %v", identity.Fingerprint(peer), err)
		}
		if !bytes.Equal(k[:8], be64(sc.Size)) {
			return bad(-1, -1, "stored cosignature by %s is filed under the wrong size", identity.Fingerprint(peer))
		}
		rep.Cosignatures++
		return check(fmt.Sprintf("the checkpoint cosigned by %s", identity.Fingerprint(peer)), sc)
	})
}

// verifyPeers checks the stored peer checkpoints and lists conflicts.
func (l *Ledger) verifyPeers(btx *bolt.Tx, rep *VerifyReport) error {
	err := btx.Bucket(bucketPeer).ForEach(func(k, _ []byte) error {
		if len(k) != ed25519.PublicKeySize {
			return bad(-1, -1, "malformed peer key %x", k)
		}
		sc, err := l.loadPeer(btx, k)
		if err == nil && !sc.SignedBy(l.id.Public()) {
			err = errors.New("our cosignature is missing")
		}
		if err != nil {
			return bad(-1, -1, "%v", err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	return btx.Bucket(bucketConflict).ForEach(func(k, v []byte) error {
		c, err := decodeConflict(v)
		if err != nil {
			return bad(-1, -1, "stored conflict %x: %v", k, err)
		}
		rep.Conflicts = append(rep.Conflicts, *c)
		return nil
	})
}

// SignedMessage returns the bytes t's signature covers (a context string
// and the canonical encoding without the signature): what Verify hands to
// ed25519.Verify for each stored transaction. Benchmarks use it to time
// bare signature checks of exactly the messages a ledger holds.
func (t *Transaction) SignedMessage() []byte { return t.signedMessage() }

// hashList is the stored hashes of a tree held in memory, indexed as tlog
// stores them; it implements tlog.HashReader.
type hashList []tlog.Hash

func (h hashList) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(h)) {
			return nil, fmt.Errorf("ledger: tree hash %d not known (%d held)", x, len(h))
		}
		out[i] = h[x]
	}
	return out, nil
}
