package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"runtime/debug"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
)

// Options configure a Ledger. The zero value (or nil) gives the defaults.
type Options struct {
	// BlockMaxTx cuts a block once it holds this many transactions
	// (default 64).
	BlockMaxTx int
	// BlockMaxAge cuts a block once its oldest transaction has waited this
	// long (default 1s; negative disables cutting by age).
	BlockMaxAge time.Duration
	// Timeout is how long Open waits for another process to release the
	// database (default 3s).
	Timeout time.Duration
	// NoSync skips fsync on commit. Appends are then not durable: for
	// benchmarks and bulk loading only.
	NoSync bool
	// Origin names the ledger in its checkpoints and is the key name of its
	// signatures (default DefaultOrigin of the identity). It is fixed when
	// the ledger is created.
	Origin string
	// ReadOnly opens an existing ledger without a write lock on its
	// content: appends and stored checkpoints fail with ErrReadOnly.
	ReadOnly bool
}

const (
	defaultBlockMaxTx  = 64
	defaultBlockMaxAge = time.Second
	defaultTimeout     = 3 * time.Second
	maxBatch           = 4096                  // appends per group commit
	journalRewindAt    = 1 << 20               // turn to the other journal file past this size
	journalMaxSize     = 64 << 20              // past this size, bring bbolt up to date before journalling more
	applyBatch         = 1024                  // journalled transactions worth a bbolt commit at once
	applyDelay         = 50 * time.Millisecond // longest a journalled transaction waits for bbolt
	formatName         = "qkdchat-ledger/1"
)

// Bucket names of the bbolt file.
var (
	bucketMeta     = []byte("meta")     // format, origin, identity, size
	bucketTx       = []byte("tx")       // index (8) -> canonical transaction
	bucketTxID     = []byte("txid")     // TxID (32) -> index (8)
	bucketHash     = []byte("hash")     // stored hash index (8) -> tlog hash (32)
	bucketBlock    = []byte("block")    // height (8) -> block record
	bucketCkpt     = []byte("ckpt")     // tree size (8) -> our signed checkpoint
	bucketCosig    = []byte("cosig")    // tree size (8) || peer key (32) -> our checkpoint cosigned by peer
	bucketPeer     = []byte("peer")     // peer key (32) -> last cosigned peer checkpoint
	bucketConflict = []byte("conflict") // sequence (8) -> Conflict (JSON)
	bucketKey      = []byte("key")      // Ed25519 keys seen in transactions (32) -> empty

	allBuckets = [][]byte{bucketMeta, bucketTx, bucketTxID, bucketHash, bucketBlock, bucketCkpt, bucketCosig, bucketPeer, bucketConflict, bucketKey}

	metaFormat   = []byte("format")
	metaOrigin   = []byte("origin")
	metaIdentity = []byte("identity")
	metaSize     = []byte("size")
)

// Ledger is an append-only, signed, Merkle-verified chain of transactions
// stored in a bbolt file. It is safe for concurrent use.
type Ledger struct {
	path   string
	db     *bolt.DB
	id     *identity.Identity
	origin string
	opts   Options

	reqs     chan *appendReq
	quit     chan struct{}
	loops    sync.WaitGroup // journalLoop and applyLoop
	inflight sync.WaitGroup

	// writeMu is held by the journal writer for each batch and by
	// exclusive for a whole write; applyMu while bbolt takes in journalled
	// transactions. The fields after each belong to its holder.
	writeMu    sync.Mutex
	jr         *journal
	model      chainModel
	pendingIDs map[TxID]Receipt // journalled, not yet in bbolt
	journalled []Receipt        // the same, in index order
	applyMu    sync.Mutex
	applyWake  chan struct{} // something was journalled
	applyNow   chan struct{} // a reader waits for the journal to be applied

	pmu   sync.Mutex
	queue []*appendReq // journalled, waiting for bbolt, in index order

	mu        sync.Mutex
	closed    bool
	state     chainState    // what bbolt holds
	logical   chainModel    // what is durable: bbolt and the journal
	applyErr  error         // the last failure to move the journal into bbolt
	appliedCh chan struct{} // closed and replaced whenever state moves
	ckpt      *cachedCkpt   // latest signed checkpoint
	closeE    error         // result of the first Close
	closeO    sync.Once     // guards Close

	upper upperHashes // the upper levels of the Merkle tree, for proofs
}

// chainState is the committed size of the tree and the last block.
type chainState struct {
	size int64  // transactions
	last *Block // newest block, nil if none
}

func (s chainState) nextHeight() int64 {
	if s.last == nil {
		return 0
	}
	return s.last.Height + 1
}

func (s chainState) blockedSize() int64 {
	if s.last == nil {
		return 0
	}
	return s.last.TreeSize
}

type cachedCkpt struct {
	size int64
	note []byte
}

// Open opens the ledger at path (normally DATA/ledger.db), creating it if
// it does not exist (unless opts.ReadOnly). id signs the ledger's
// checkpoints and must be the identity the ledger was created with.
//
// A database locked by another process fails after opts.Timeout with an
// *InUseError; a file that is not a readable ledger fails with a
// *CorruptError naming it.
func Open(path string, id *identity.Identity, opts *Options) (l *Ledger, err error) {
	if id == nil {
		return nil, errors.New("ledger: open: no identity")
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.BlockMaxTx <= 0 {
		o.BlockMaxTx = defaultBlockMaxTx
	}
	if o.BlockMaxAge == 0 {
		o.BlockMaxAge = defaultBlockMaxAge
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.Origin != "" && !validOrigin(o.Origin) {
		return nil, fmt.Errorf("ledger: open %s: invalid origin %q: it names the checkpoint signing key, so it must be printable ASCII without spaces or '+' (leave Options.Origin empty for the default, DefaultOrigin)", path, o.Origin)
	}
	if o.ReadOnly {
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("ledger: open %s: %w", path, err)
		}
	}
	if err := checkFile(path, o.Timeout); err != nil {
		return nil, err
	}
	if !o.ReadOnly {
		if err := setAsideOrphanJournal(path); err != nil {
			return nil, err
		}
	}
	defer recoverCorrupt(path, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      o.Timeout,
		NoSync:       o.NoSync,
		ReadOnly:     o.ReadOnly,
		FreelistType: bolt.FreelistMapType,
	})
	if err != nil {
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, &InUseError{Path: path}
		case errors.Is(err, bolterrors.ErrInvalid), errors.Is(err, bolterrors.ErrChecksum),
			errors.Is(err, bolterrors.ErrVersionMismatch), errors.Is(err, bolterrors.ErrInvalidMapping):
			return nil, &CorruptError{Path: path, Err: err}
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
			return nil, fmt.Errorf("ledger: open %s: %w", path, err)
		}
		return nil, &CorruptError{Path: path, Err: err}
	}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()
	l = &Ledger{path: path, db: db, id: id, opts: o, appliedCh: make(chan struct{})}
	if o.ReadOnly {
		err = l.view(l.loadMeta)
	} else {
		err = l.update(l.initMeta)
	}
	if err != nil {
		return nil, err
	}
	if err := l.view(func(btx *bolt.Tx) error {
		st, err := readState(btx)
		l.state = st
		return err
	}); err != nil {
		return nil, err
	}
	l.logical = modelOf(l.state)
	if o.ReadOnly {
		if err := l.checkJournalApplied(); err != nil {
			return nil, err
		}
		return l, nil
	}
	if err := l.recoverJournal(); err != nil {
		return nil, err
	}
	l.reqs = make(chan *appendReq)
	l.quit = make(chan struct{})
	l.applyWake = make(chan struct{}, 1)
	l.applyNow = make(chan struct{}, 1)
	l.loops.Add(2)
	go l.journalLoop()
	go l.applyLoop()
	return l, nil
}

// initMeta creates the buckets of a new ledger or checks an existing one.
func (l *Ledger) initMeta(btx *bolt.Tx) error {
	meta := btx.Bucket(bucketMeta)
	if meta == nil {
		if k, _ := btx.Cursor().First(); k != nil {
			return &CorruptError{Path: l.path, Err: errors.New("a bbolt file without ledger metadata")}
		}
		for _, name := range allBuckets {
			if _, err := btx.CreateBucket(name); err != nil {
				return fmt.Errorf("ledger: create %s: %w", l.path, err)
			}
		}
		meta = btx.Bucket(bucketMeta)
		origin := l.opts.Origin
		if origin == "" {
			origin = DefaultOrigin(l.id.Public())
		}
		for k, v := range map[string][]byte{
			string(metaFormat):   []byte(formatName),
			string(metaOrigin):   []byte(origin),
			string(metaIdentity): l.id.Public(),
			string(metaSize):     be64(0),
		} {
			if err := meta.Put([]byte(k), v); err != nil {
				return fmt.Errorf("ledger: create %s: %w", l.path, err)
			}
		}
	}
	return l.loadMeta(btx)
}

// loadMeta checks the metadata of an existing ledger.
func (l *Ledger) loadMeta(btx *bolt.Tx) error {
	for _, name := range allBuckets {
		if btx.Bucket(name) == nil {
			return &CorruptError{Path: l.path, Err: fmt.Errorf("bucket %q missing", name)}
		}
	}
	meta := btx.Bucket(bucketMeta)
	if f := meta.Get(metaFormat); string(f) != formatName {
		return &CorruptError{Path: l.path, Err: fmt.Errorf("format %q, want %q", truncate(string(f), 40), formatName)}
	}
	origin := string(meta.Get(metaOrigin))
	if !validOrigin(origin) {
		return &CorruptError{Path: l.path, Err: fmt.Errorf("invalid origin %q", truncate(origin, 80))}
	}
	if l.opts.Origin != "" && l.opts.Origin != origin {
		return fmt.Errorf("ledger: open %s: its origin is %q, not %q", l.path, origin, l.opts.Origin)
	}
	owner := meta.Get(metaIdentity)
	if len(owner) != ed25519.PublicKeySize {
		return &CorruptError{Path: l.path, Err: errors.New("owner key missing")}
	}
	if !bytes.Equal(owner, l.id.Public()) {
		return fmt.Errorf("ledger: open %s: it belongs to identity %s, not %s", l.path, identity.Fingerprint(owner), l.id.Fingerprint())
	}
	l.origin = origin
	return nil
}

// readState reads the committed tree size and the newest block.
func readState(btx *bolt.Tx) (chainState, error) {
	var st chainState
	v := btx.Bucket(bucketMeta).Get(metaSize)
	if len(v) != 8 || int64(binary.BigEndian.Uint64(v)) < 0 {
		return st, errors.New("ledger: stored size is malformed")
	}
	st.size = int64(binary.BigEndian.Uint64(v))
	if k, v := btx.Bucket(bucketBlock).Cursor().Last(); k != nil {
		b, err := unmarshalBlock(v)
		if err != nil {
			return st, fmt.Errorf("ledger: newest block: %w", err)
		}
		if len(k) != 8 || int64(binary.BigEndian.Uint64(k)) != b.Height || b.TreeSize > st.size {
			return st, fmt.Errorf("ledger: newest block %d is inconsistent with the ledger", b.Height)
		}
		st.last = b
	}
	return st, nil
}

// Path returns the file the ledger is stored in.
func (l *Ledger) Path() string { return l.path }

// Origin returns the ledger's checkpoint origin.
func (l *Ledger) Origin() string { return l.origin }

// Identity returns the identity that signs the ledger's checkpoints.
func (l *Ledger) Identity() *identity.Identity { return l.id }

// Close waits for appends in progress, then closes the database. Appends
// after Close fail with ErrClosed.
func (l *Ledger) Close() error {
	l.closeO.Do(func() {
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		l.inflight.Wait()
		if !l.opts.ReadOnly {
			close(l.quit)
			l.loops.Wait()
			l.mu.Lock()
			l.closeE = l.applyErr
			l.mu.Unlock()
			if l.closeE == nil {
				// Everything is in bbolt: empty the journal. Otherwise it
				// keeps the transactions for the next Open.
				l.mu.Lock()
				size := l.state.size
				l.mu.Unlock()
				l.closeE = l.jr.close(size)
			} else {
				l.jr.closeFiles()
			}
		}
		if err := l.db.Close(); err != nil && l.closeE == nil {
			l.closeE = fmt.Errorf("ledger: close %s: %w", l.path, err)
		}
	})
	return l.closeE
}

// Size returns the number of transactions in the ledger.
func (l *Ledger) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logical.size
}

// Height returns the number of blocks cut so far; transactions beyond the
// newest block wait in the pending block of that height.
func (l *Ledger) Height() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.logical.heightOf(l.logical.size, l.opts.BlockMaxTx)
}

// Tx returns the transaction at index.
func (l *Ledger) Tx(index int64) (*Transaction, error) {
	var t *Transaction
	err := l.view(func(btx *bolt.Tx) error {
		v := btx.Bucket(bucketTx).Get(be64(index))
		if v == nil {
			return fmt.Errorf("ledger: transaction %d: %w", index, ErrNotFound)
		}
		t = new(Transaction)
		if err := t.UnmarshalBinary(v); err != nil {
			return fmt.Errorf("ledger: transaction %d in %s: %w", index, l.path, err)
		}
		return nil
	})
	return t, err
}

// Txs returns the transactions with indexes [start, end).
func (l *Ledger) Txs(start, end int64) ([]*Transaction, error) {
	if start < 0 || end < start {
		return nil, fmt.Errorf("ledger: transactions [%d, %d): invalid range", start, end)
	}
	var out []*Transaction
	err := l.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketTx).Cursor()
		i := start
		for k, v := c.Seek(be64(start)); k != nil && i < end; k, v = c.Next() {
			if !bytes.Equal(k, be64(i)) {
				return fmt.Errorf("ledger: transaction %d in %s: %w", i, l.path, ErrNotFound)
			}
			t := new(Transaction)
			if err := t.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("ledger: transaction %d in %s: %w", i, l.path, err)
			}
			out = append(out, t)
			i++
		}
		if i < end {
			return fmt.Errorf("ledger: transaction %d: %w", i, ErrNotFound)
		}
		return nil
	})
	return out, err
}

// Lookup returns the index and content of the transaction with the given ID.
func (l *Ledger) Lookup(id TxID) (int64, *Transaction, error) {
	var (
		index int64
		t     *Transaction
	)
	err := l.view(func(btx *bolt.Tx) error {
		var err error
		index, t, err = lookup(btx, id)
		return err
	})
	if err != nil {
		return -1, nil, err
	}
	return index, t, nil
}

func lookup(btx *bolt.Tx, id TxID) (int64, *Transaction, error) {
	v := btx.Bucket(bucketTxID).Get(id[:])
	if v == nil {
		return -1, nil, fmt.Errorf("ledger: transaction %s: %w", id, ErrNotFound)
	}
	if len(v) != 8 {
		return -1, nil, fmt.Errorf("ledger: transaction %s: malformed index entry", id)
	}
	index := int64(binary.BigEndian.Uint64(v))
	enc := btx.Bucket(bucketTx).Get(v)
	if enc == nil || txIDOf(enc) != id {
		return -1, nil, fmt.Errorf("ledger: transaction %s: index entry points to %d, which holds another transaction", id, index)
	}
	t := new(Transaction)
	if err := t.UnmarshalBinary(enc); err != nil {
		return -1, nil, fmt.Errorf("ledger: transaction %d: %w", index, err)
	}
	return index, t, nil
}

// Blocks returns up to limit blocks, newest first, with heights below
// before (before <= 0 or beyond the newest block starts at the newest).
func (l *Ledger) Blocks(before int64, limit int) ([]Block, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []Block
	err := l.view(func(btx *bolt.Tx) error {
		c := btx.Bucket(bucketBlock).Cursor()
		var k, v []byte
		if before <= 0 {
			k, v = c.Last()
		} else if k, v = c.Seek(be64(before)); k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && len(out) < limit; k, v = c.Prev() {
			b, err := unmarshalBlock(v)
			if err != nil {
				return fmt.Errorf("ledger: block %x in %s: %w", k, l.path, err)
			}
			out = append(out, *b)
		}
		return nil
	})
	return out, err
}

// BlockOf returns the height of the block holding transaction index; a
// transaction after the newest block belongs to the pending block, whose
// height is Height().
func (l *Ledger) BlockOf(index int64) (int64, error) {
	var h int64
	err := l.view(func(btx *bolt.Tx) error {
		var err error
		h, err = blockOf(btx, index)
		return err
	})
	return h, err
}

// blockOf finds the block holding a transaction.
func blockOf(btx *bolt.Tx, index int64) (int64, error) {
	st, err := readState(btx)
	if err != nil {
		return 0, err
	}
	return blockOfState(btx, st, index)
}

// TreeHead returns the current size and Merkle root of the ledger.
func (l *Ledger) TreeHead() (tlog.Tree, error) {
	var t tlog.Tree
	err := l.view(func(btx *bolt.Tx) error {
		st, err := readState(btx)
		if err != nil {
			return err
		}
		h, err := tlog.TreeHash(st.size, hashReader{btx.Bucket(bucketHash)})
		t = tlog.Tree{N: st.size, Hash: h}
		return err
	})
	return t, err
}

// hashReader reads stored tree hashes from the hash bucket.
type hashReader struct{ b *bolt.Bucket }

func (r hashReader) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		v := r.b.Get(be64(x))
		if len(v) != tlog.HashSize {
			return nil, fmt.Errorf("ledger: stored tree hash %d missing or malformed", x)
		}
		copy(out[i][:], v)
	}
	return out, nil
}

// view runs fn in a read transaction, once bbolt holds every append that
// returned before the call, turning a panic caused by a corrupt file into
// a *CorruptError.
func (l *Ledger) view(fn func(*bolt.Tx) error) (err error) {
	if err := l.awaitApplied(); err != nil {
		return err
	}
	defer recoverCorrupt(l.path, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return l.db.View(fn)
}

// awaitApplied waits until bbolt holds everything journalled so far.
func (l *Ledger) awaitApplied() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	target := l.logical.size
	for l.state.size < target {
		if l.applyErr != nil {
			return l.applyErr
		}
		ch := l.appliedCh
		l.mu.Unlock()
		select {
		case l.applyNow <- struct{}{}:
		default:
		}
		<-ch
		l.mu.Lock()
	}
	return nil
}

// update runs fn in a write transaction once bbolt holds every append
// that returned before the call. fn must not change the chain (the
// transactions and blocks); see exclusive.
func (l *Ledger) update(fn func(*bolt.Tx) error) error {
	if l.opts.ReadOnly {
		return ErrReadOnly
	}
	if err := l.awaitApplied(); err != nil {
		return err
	}
	return l.rawUpdate(fn)
}

// exclusive runs fn, which may change the chain, in a write transaction,
// alone: the journal writer waits, and bbolt first takes in every
// journalled transaction, so fn sees all acknowledged appends. Afterwards
// the journal's model of the chain restarts from what fn left.
func (l *Ledger) exclusive(fn func(*bolt.Tx) error) error {
	if l.opts.ReadOnly {
		return ErrReadOnly
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.applyMu.Lock()
	defer l.applyMu.Unlock()
	if err := l.applyQueued(); err != nil {
		return err
	}
	if err := l.rawUpdate(fn); err != nil {
		return err
	}
	var st chainState
	if err := l.db.View(func(btx *bolt.Tx) (err error) {
		st, err = readState(btx)
		return err
	}); err != nil {
		return err
	}
	l.model = modelOf(st)
	l.mu.Lock()
	l.state, l.logical = st, l.model
	close(l.appliedCh)
	l.appliedCh = make(chan struct{})
	l.mu.Unlock()
	return nil
}

// rawUpdate runs fn in a bbolt write transaction, like view.
func (l *Ledger) rawUpdate(fn func(*bolt.Tx) error) (err error) {
	if l.opts.ReadOnly {
		return ErrReadOnly
	}
	defer recoverCorrupt(l.path, &err)
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return l.db.Update(fn)
}

func recoverCorrupt(path string, err *error) {
	if p := recover(); p != nil {
		*err = &CorruptError{Path: path, Err: fmt.Errorf("bbolt: %v", p)}
	}
}

func be64(v int64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(v)) }

// treeHead returns the Merkle root of the stored tree of n transactions.
func treeHead(btx *bolt.Tx, n int64) (tlog.Hash, error) {
	return tlog.TreeHash(n, hashReader{btx.Bucket(bucketHash)})
}
