package toeplitz

import (
	"sync"

	"qkdchat/qkd/hugepage"
)

// Shared tables and work buffers of the FFT, per transform length.
//
// The roots of unity and the twiddle factors of a length depend on nothing
// but the length, so they are built once and shared: they are never
// written after their sync.Once has run, so any number of hashes (Alice's
// and Bob's at the same moment, in one process) read them concurrently.
// The work buffers of a length (three slices of N complex values, 12 MiB
// at the 1e6-qubit amplification) are reused through a sync.Pool, so a
// repeated hash does not page-fault and zero fresh memory; the pool drops
// idle buffers at garbage collections, as sync.Pool does.
//
// This is the package's only process-wide state besides constants, and it
// is bounded: fftSizes keeps the entries of the fftSizeCacheLen most
// recently used lengths up to 2^fftSizeCacheMaxLog (16 bytes of twiddles
// per point: 4 MiB at the 1e6-qubit amplification's 2^18, at most 15 MiB
// for four lengths) and forgets older ones, whose memory the garbage
// collector then frees once no running hash holds them. Longer transforms
// (runs near MaxQubits) build their tables per hash, as the transform
// itself costs far more than the tables there. Nothing in it depends on a key or a
// seed except the contents of pooled buffers, which every hash overwrites
// entirely before reading (see toeplitzFFTErr) and which otherwise sit in
// the heap exactly as freed garbage would.

// fftSizeCacheLen is how many transform lengths keep their tables. A run
// uses one length for its amplification; four leave room for runs of
// other sizes in the same process without rebuilding on every switch.
const fftSizeCacheLen = 4

// fftSizeCacheMaxLog is log2 of the longest transform whose tables are
// kept (16 MiB of twiddles): fftMaxLog, so that the row blocks of a long
// hash share one length's tables.
const fftSizeCacheMaxLog = fftMaxLog

// fftSize is the shared state of one transform length N = 2^logN.
type fftSize struct {
	logN  int
	once  sync.Once
	roots fftRoots
	tw    []complex128
	work  sync.Pool // of *fftWork with slices of length N
}

// fftWork is the scratch of one hash: the accumulated product spectrum
// and the transforms of one block's seed window and input.
type fftWork struct {
	acc, sb, xb []complex128
}

// fftSizeCache is a small most-recently-used list of fftSize entries.
type fftSizeCache struct {
	maxLog  int // longer transforms get an entry of their own, not kept
	mu      sync.Mutex
	entries []*fftSize // most recently used first, at most fftSizeCacheLen
}

// fftSizes is the process-wide cache (see the comment at the top).
var fftSizes = &fftSizeCache{maxLog: fftSizeCacheMaxLog}

// get returns the entry for length 2^logN with its tables built. The
// tables are built outside the cache's lock, once per entry; a caller
// asking for a length that is being built waits for it.
func (c *fftSizeCache) get(logN int) *fftSize {
	if logN > c.maxLog {
		e := &fftSize{logN: logN}
		e.build()
		return e
	}
	c.mu.Lock()
	var e *fftSize
	for i, x := range c.entries {
		if x.logN == logN {
			e = x
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			break
		}
	}
	if e == nil {
		e = &fftSize{logN: logN}
		if len(c.entries) < fftSizeCacheLen {
			c.entries = append(c.entries, nil)
		}
		copy(c.entries[1:], c.entries)
		c.entries[0] = e
	}
	c.mu.Unlock()
	e.once.Do(e.build)
	return e
}

// build computes the entry's tables.
func (e *fftSize) build() {
	N := 1 << e.logN
	e.roots = newFFTRoots(N)
	e.tw = fftTwiddles(N, e.roots)
}

// len returns how many lengths the cache holds.
func (c *fftSizeCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}

// getWork returns scratch for one hash of this length, reused if the pool
// has some. Its contents are arbitrary: callers write before reading.
func (e *fftSize) getWork() *fftWork {
	if w, ok := e.work.Get().(*fftWork); ok {
		return w
	}
	N := 1 << e.logN
	return &fftWork{acc: hugepage.Make[complex128](N), sb: hugepage.Make[complex128](N), xb: hugepage.Make[complex128](N)}
}

// putWork returns scratch to the pool once the hash no longer reads it.
func (e *fftSize) putWork(w *fftWork) {
	e.work.Put(w)
}

// Warm builds the tables a later Hash of an n×m matrix will need, if that
// size runs on the FFT: the roots of unity and twiddle factors of its
// transform length (4 MiB at the 1e6-qubit amplification), which depend on
// the length alone. It is an optimisation only: Hash gives the same bits
// with or without it, and builds the tables itself if they are missing. A
// party that knows the size of its privacy amplification early (after
// parameter estimation) calls it while error correction waits on the
// network, so that in a fresh process the first amplification does not
// build them on its critical path. The work buffers are not prepared:
// mapped during error correction, they would add to its peak memory
// instead of reusing what it frees. Sizes Hash would reject, that run on
// the direct method, or whose transform is too long to be kept
// (fftSizeCacheMaxLog) are ignored.
func Warm(n, m int) {
	fftSizes.warm(n, m)
}

// warm is Warm on this cache.
func (c *fftSizeCache) warm(n, m int) {
	if n < 1 || m < 1 || toeplitzMethodFor(n, m) != methodFFT {
		return
	}
	logN := fftPlanFor(n, m).logN
	if logN > fftMaxLog { // hashed in row blocks (toeplitzFFTRows)
		mb := fftRowsWithin(n, m, fftMaxLog)
		if mb == 0 {
			return
		}
		logN = fftPlanFor(n, mb).logN
	}
	if logN <= c.maxLog {
		c.get(logN)
	}
}
