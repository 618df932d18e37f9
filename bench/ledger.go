package bench

import (
	"cmp"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync/atomic"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/app"
	"qkdchat/identity"
	"qkdchat/ledger"
)

// LedgerReport is the result of [Ledger], the output of `qkdchat bench
// ledger --json`.
type LedgerReport struct {
	Dir     string `json:"dir,omitempty"` // where the ledger was left (--data)
	N       int    `json:"n"`             // transactions appended concurrently
	Writers int    `json:"writers"`
	Single  int    `json:"single"` // transactions appended by one writer
	TxBytes int    `json:"tx_bytes"`
	Cores   int    `json:"cores"`

	AppendsPerS         float64   `json:"appends_per_s"`          // N durable appends by W writers
	RawBboltBatchPerS   float64   `json:"raw_bbolt_batch_per_s"`  // N puts of TxBytes by W writers with DB.Batch
	BatchRatio          float64   `json:"batch_ratio"`            // appends_per_s / raw_bbolt_batch_per_s (target >= 0.7)
	SingleAppendUS      float64   `json:"single_append_us"`       // median time of one Append by a lone writer
	RawUpdateUS         float64   `json:"raw_update_us"`          // median time of one DB.Update putting TxBytes
	RawBboltUpdatePerS  float64   `json:"raw_bbolt_update_per_s"` // 1e6 / raw_update_us
	SingleRatio         float64   `json:"single_ratio"`           // single_append_us / raw_update_us (target <= 1.3)
	VerifyPerS          float64   `json:"verify_per_s"`           // median over the rounds: transactions checked per second by a full Ledger.Verify
	Ed25519VerifyPerS   float64   `json:"ed25519_verify_per_s"`   // median over the rounds: bare ed25519.Verify per second, same signatures and messages, GOMAXPROCS goroutines
	Ed25519Verify1PerS  float64   `json:"ed25519_verify_1core_per_s"`
	VerifyRatio         float64   `json:"verify_ratio"`               // median of the rounds' verify rate / bare rate (target >= 0.9)
	VerifyRounds        int       `json:"verify_rounds"`              // rounds of (full verify, bare Ed25519), alternating which goes first
	VerifyRatios        []float64 `json:"verify_ratios"`              // each round's ratio
	VerifySignatures    int64     `json:"verify_signatures"`          // signatures one full verify checks (transactions, checkpoints, cosignatures); the bare baseline checks as many
	VerifyCPURatio      float64   `json:"verify_cpu_ratio,omitempty"` // bare Ed25519 CPU time / full verify CPU time over all rounds (Unix): the work ratio, which the load of other processes does not sway
	LoadAvg1            float64   `json:"load_avg_1,omitempty"`       // the 1-minute load average before the verify rounds (Linux), to judge how busy the cores were
	ProveSize           int64     `json:"prove_size"`                 // ledger size the proofs were made at
	ProvePerOpen        int       `json:"prove_per_open"`             // proofs timed after each fresh Open of the ledger
	ProveFirstUS        float64   `json:"prove_first_us"`             // median first ProveInclusion after Open (loads the cached upper tree levels, signs a checkpoint)
	ProveUS             float64   `json:"prove_us"`                   // median ProveInclusion + VerifyInclusion
	ProveGenUS          float64   `json:"prove_gen_us"`               // median ProveInclusion of a transaction not yet read since Open
	ProveCheckUS        float64   `json:"prove_check_us"`             // median VerifyInclusion: two Ed25519 verifications and the Merkle path
	ProveMerkleUS       float64   `json:"prove_merkle_us"`            // median ProveInclusion (not yet read since Open) + the Merkle path check alone
	ProveWarmUS         float64   `json:"prove_warm_us"`              // median ProveInclusion of the same transaction again + the Merkle path check
	ProvePathCheckUS    float64   `json:"prove_path_us"`              // median tlog.CheckRecord alone
	ProveSigChecksUS    float64   `json:"prove_sigs_us"`              // median VerifyInclusion minus the Merkle path check: the two Ed25519 verifications and decoding
	LedgerSize          int64     `json:"ledger_size"`
	VerifiedOK          bool      `json:"verified_ok"`
	RawBatchMaxDelayMS  float64   `json:"raw_batch_max_delay_ms"` // bbolt's DB.MaxBatchDelay used by the baseline
	GroupCommitMaxBatch int       `json:"group_commit_max_batch"`
}

// LedgerOptions configures [Ledger]. The ranges are those of `qkdchat
// bench ledger`, whose flags have the defaults.
type LedgerOptions struct {
	// Dir is the data directory to build the ledger in and leave it; ""
	// builds it in a temporary directory, removed afterwards.
	Dir          string
	N            int   // transactions appended by the concurrent writers (1..10000000)
	Writers      int   // concurrent writers (1..1024)
	Single       int   // transactions appended by a lone writer, and raw bbolt updates (1..100000)
	Payload      int   // plaintext bytes per message, encrypted into a Fernet token (0..1048576)
	ProveAt      int64 // grow the ledger to this many transactions (untimed, without fsync) before timing proofs (0..100000000)
	Proofs       int   // inclusion proofs to time (2..1000000)
	PerOpen      int   // proofs timed after each fresh Open of the ledger (>= 2: the first one is timed apart)
	VerifyRounds int   // rounds of full verify vs bare Ed25519 (1..99)
	// ProofsOnly times only proofs, on the ledger in Dir as it is (grown
	// to ProveAt), without the append and verify measurements.
	ProofsOnly bool
}

// Validate returns an *OptionError for the first option out of range.
func (o LedgerOptions) Validate() error {
	if err := cmp.Or(within("n", o.N, 1, 10_000_000), within("writers", o.Writers, 1, 1024),
		within("single", o.Single, 1, 100_000), within("payload", o.Payload, 0, 1<<20),
		within("prove-at", o.ProveAt, 0, 100_000_000), within("proofs", o.Proofs, 2, 1_000_000),
		within("verify-rounds", o.VerifyRounds, 1, 99)); err != nil {
		return err
	}
	switch {
	case o.PerOpen < 2:
		return &OptionError{Option: "per-open", Problem: "must be at least 2 (the first proof after each Open is timed apart)"}
	case o.ProofsOnly && o.Dir == "" && o.ProveAt < 1:
		return &OptionError{Option: "proofs-only", Problem: "needs an existing ledger (--data) or --prove-at"}
	}
	return nil
}

// Ledger measures the ledger against raw bbolt and bare Ed25519 (see
// [LedgerReport]).
func Ledger(ctx context.Context, o LedgerOptions) (LedgerReport, error) {
	res := LedgerReport{N: o.N, Writers: o.Writers, Single: o.Single, Cores: runtime.GOMAXPROCS(0), Dir: o.Dir}
	if err := o.Validate(); err != nil {
		return res, err
	}
	b, err := newLedgerBench(o.Dir, o.Payload)
	if err != nil {
		return res, err
	}
	defer b.cleanup()
	if o.ProofsOnly {
		res.N, res.Writers, res.Single = 0, 0, 0
		err = b.runProofs(ctx, &res, o.Writers, o.ProveAt, o.Proofs, o.PerOpen)
	} else {
		err = b.run(ctx, &res, o)
	}
	return res, err
}

type ledgerBench struct {
	dir     string
	tmp     []string
	owner   *identity.Identity
	peer    *identity.Identity
	key     *fernet.Key
	payload int
	seq     atomic.Int64 // distinguishes transactions across runs on one ledger
}

func newLedgerBench(data string, payload int) (*ledgerBench, error) {
	b := &ledgerBench{payload: payload}
	if data == "" {
		d, err := os.MkdirTemp("", "qkdchat-bench-ledger-")
		if err != nil {
			return nil, err
		}
		b.dir = d
		b.tmp = append(b.tmp, d)
	} else {
		if err := app.EnsureDataDir(data); err != nil {
			return nil, err
		}
		b.dir = data
	}
	peerDir, err := os.MkdirTemp("", "qkdchat-bench-peer-")
	if err != nil {
		b.cleanup()
		return nil, err
	}
	b.tmp = append(b.tmp, peerDir)
	if b.owner, err = identity.LoadOrCreate(b.dir); err == nil {
		b.peer, err = identity.LoadOrCreate(peerDir)
	}
	if err != nil {
		b.cleanup()
		return nil, err
	}
	b.key = new(fernet.Key)
	if err := b.key.Generate(); err != nil {
		b.cleanup()
		return nil, err
	}
	b.seq.Store(time.Now().UnixNano())
	return b, nil
}

func (b *ledgerBench) cleanup() {
	for _, d := range b.tmp {
		os.RemoveAll(d)
	}
}

// sign makes count signed chat transactions, on all cores.
func (b *ledgerBench) sign(ctx context.Context, count int) ([]*ledger.Transaction, error) {
	txs := make([]*ledger.Transaction, count)
	base := b.seq.Add(int64(count)) - int64(count)
	err := parallel(ctx, runtime.GOMAXPROCS(0), 0, int64(count), func(i int64) error {
		msg := make([]byte, b.payload)
		rand.Read(msg)
		tok, err := fernet.EncryptAndSign(msg, b.key)
		if err != nil {
			return err
		}
		from, to := b.owner, b.peer
		if i%2 == 1 {
			from, to = b.peer, b.owner
		}
		tx := &ledger.Transaction{Kind: ledger.KindChat, Recipient: to.Public(), CaseID: "bench",
			Time: time.Unix(0, base+i).UTC(), Token: tok}
		if err := tx.Sign(from); err != nil {
			return err
		}
		txs[i] = tx
		return nil
	})
	return txs, err
}

// appendAll appends txs with w concurrent writers and returns the time taken.
func appendAll(ctx context.Context, l *ledger.Ledger, txs []*ledger.Transaction, w int) (time.Duration, error) {
	start := time.Now()
	err := parallel(ctx, w, 0, int64(len(txs)), func(i int64) error {
		_, err := l.Append(ctx, txs[i])
		return err
	})
	return time.Since(start), err
}

func (b *ledgerBench) run(ctx context.Context, res *LedgerReport, o LedgerOptions) error {
	n, writers, single := o.N, o.Writers, o.Single
	path := filepath.Join(b.dir, app.LedgerFile)
	l, err := ledger.Open(path, b.owner, nil)
	if err != nil {
		return err
	}
	defer func() {
		if l != nil {
			l.Close()
		}
	}()
	singles, err := b.sign(ctx, single)
	if err != nil {
		return err
	}
	txs, err := b.sign(ctx, n)
	if err != nil {
		return err
	}
	enc, _ := txs[0].MarshalBinary()
	res.TxBytes = len(enc)

	// Raw bbolt baselines on the same disk with values of the same size.
	raw, err := rawBboltBench(ctx, b.dir, res.TxBytes, n, writers, single)
	if err != nil {
		return err
	}
	res.RawBboltBatchPerS, res.RawUpdateUS, res.RawBatchMaxDelayMS = raw.batchPerS, raw.updateUS, raw.batchDelayMS
	res.RawBboltUpdatePerS = 1e6 / raw.updateUS

	// One writer: the latency of a lone durable append.
	lat := make([]time.Duration, 0, single)
	for _, tx := range singles {
		start := time.Now()
		if _, err := l.Append(ctx, tx); err != nil {
			return err
		}
		lat = append(lat, time.Since(start))
	}
	res.SingleAppendUS = medianUS(lat)
	res.SingleRatio = res.SingleAppendUS / res.RawUpdateUS

	// Concurrent writers: group commit.
	d, err := appendAll(ctx, l, txs, writers)
	if err != nil {
		return err
	}
	res.AppendsPerS = perSecond(n, d)
	res.BatchRatio = res.AppendsPerS / res.RawBboltBatchPerS
	res.GroupCommitMaxBatch = 4096

	// Full verify of the ledger at rest, as `ledger verify` runs it: close
	// it first, so that applying the journalled appends to bbolt is not
	// timed as verification, and reopen it.
	if err := l.Close(); err != nil {
		return err
	}
	if l, err = ledger.Open(path, b.owner, &ledger.Options{ReadOnly: true}); err != nil {
		return err
	}
	msgs := make([]signedMsg, 0, len(singles)+len(txs))
	for _, tx := range slices.Concat(singles, txs) {
		msgs = append(msgs, signedMsg{key: tx.Sender, msg: tx.SignedMessage(), sig: tx.Signature})
	}
	if err := verifyRounds(ctx, l, res, msgs, o.VerifyRounds); err != nil {
		return err
	}
	if err := l.Close(); err != nil {
		return err
	}
	l = nil
	return b.runProofs(ctx, res, writers, o.ProveAt, o.Proofs, o.PerOpen)
}

// grow appends transactions without fsync until the ledger holds size.
func (b *ledgerBench) grow(ctx context.Context, path string, size int64, writers int) error {
	if size <= 0 {
		return nil
	}
	l, err := ledger.Open(path, b.owner, &ledger.Options{NoSync: true})
	if err != nil {
		return err
	}
	defer l.Close()
	for l.Size() < size {
		chunk := int(min(size-l.Size(), 20000))
		txs, err := b.sign(ctx, chunk)
		if err != nil {
			return err
		}
		if _, err := appendAll(ctx, l, txs, writers); err != nil {
			return err
		}
	}
	return nil
}
