package cli

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/app"
	"qkdchat/identity"
	"qkdchat/ledger"
)

// ledgerBenchResult is the output of `qkdchat bench ledger --json`.
type ledgerBenchResult struct {
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

func runBenchLedger(ctx context.Context, env *Env, args []string) error {
	fs := NewFlagSet(env, "bench ledger", "")
	data := fs.String("data", "", "data directory to build the ledger in and leave it (default: a temporary directory, removed)")
	n := fs.Int("n", 20000, "transactions appended by the concurrent writers")
	writers := fs.Int("writers", 16, "concurrent writers")
	single := fs.Int("single", 300, "transactions appended by a lone writer (and raw bbolt updates)")
	payload := fs.Int("payload", 256, "plaintext bytes per message (encrypted into a Fernet token)")
	proveAt := fs.Int64("prove-at", 0, "grow the ledger to this many transactions (untimed, without fsync) before timing proofs")
	proofs := fs.Int("proofs", 1000, "inclusion proofs to time")
	perOpen := fs.Int("per-open", 50, "proofs timed after each fresh Open of the ledger")
	verifyRounds := fs.Int("verify-rounds", 5, "rounds of full verify vs bare Ed25519; the medians are reported")
	proofsOnly := fs.Bool("proofs-only", false, "only time proofs: on the ledger in --data as it is (grown to --prove-at), without the append and verify measurements")
	asJSON := fs.Bool("json", false, "print JSON")
	usage := fs.Usage
	fs.Usage = func() {
		usage()
		fmt.Fprint(fs.Output(), benchLedgerHelp)
	}
	if err := Parse(fs, args); err != nil {
		return err
	}
	switch {
	case fs.NArg() != 0:
		return Usagef("bench ledger takes no arguments")
	case *n < 1 || *n > 10_000_000:
		return Usagef("--n must be within 1..10000000")
	case *writers < 1 || *writers > 1024:
		return Usagef("--writers must be within 1..1024")
	case *single < 1 || *single > 100_000:
		return Usagef("--single must be within 1..100000")
	case *payload < 0 || *payload > 1<<20:
		return Usagef("--payload must be within 0..1048576")
	case *proveAt < 0 || *proveAt > 100_000_000:
		return Usagef("--prove-at must be within 0..100000000")
	case *proofs < 2 || *proofs > 1_000_000:
		return Usagef("--proofs must be within 2..1000000")
	case *verifyRounds < 1 || *verifyRounds > 99:
		return Usagef("--verify-rounds must be within 1..99")
	case *perOpen < 2:
		return Usagef("--per-open must be at least 2 (the first proof after each Open is timed apart)")
	case *proofsOnly && *data == "" && *proveAt < 1:
		return Usagef("--proofs-only needs an existing ledger (--data) or --prove-at")
	}
	b, err := newLedgerBench(*data, *payload)
	if err != nil {
		return err
	}
	defer b.cleanup()
	res := ledgerBenchResult{N: *n, Writers: *writers, Single: *single, Cores: runtime.GOMAXPROCS(0), Dir: *data}
	if *proofsOnly {
		res.N, res.Writers, res.Single = 0, 0, 0
		err = b.runProofs(ctx, &res, *writers, *proveAt, *proofs, *perOpen)
	} else {
		err = b.run(ctx, &res, *n, *writers, *single, *verifyRounds, *proveAt, *proofs, *perOpen)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(env.Stdout, res)
	}
	w := env.Stdout
	if !*proofsOnly {
		fmt.Fprintf(w, "ledger benchmark: %d-byte transactions, %d cores\n", res.TxBytes, res.Cores)
		fmt.Fprintf(w, "  appends (%d writers):   %10.0f /s   raw bbolt Batch %10.0f /s   ratio %.2f (target >= 0.7)\n", res.Writers, res.AppendsPerS, res.RawBboltBatchPerS, res.BatchRatio)
		fmt.Fprintf(w, "  one writer, per append: %10.0f us   raw bbolt Update %9.0f us   ratio %.2f (target <= 1.3)\n", res.SingleAppendUS, res.RawUpdateUS, res.SingleRatio)
		fmt.Fprintf(w, "  full verify:            %10.0f /s   bare ed25519     %10.0f /s   ratio %.2f (target >= 0.9; median of %d rounds %s)\n", res.VerifyPerS, res.Ed25519VerifyPerS, res.VerifyRatio, res.VerifyRounds, fmtRatios(res.VerifyRatios))
		fmt.Fprintf(w, "                          CPU-time ratio %.2f, %d signatures per verify, bare ed25519 on 1 core %.0f /s, load average %.2f\n", res.VerifyCPURatio, res.VerifySignatures, res.Ed25519Verify1PerS, res.LoadAvg1)
	}
	fmt.Fprintf(w, "  proofs at %d transactions, medians, %d proofs after each fresh Open:\n", res.ProveSize, res.ProvePerOpen)
	fmt.Fprintf(w, "    prove + Merkle path check: %8.1f us (target <= 100 us; prove %.1f us, path check %.1f us)\n", res.ProveMerkleUS, res.ProveGenUS, res.ProvePathCheckUS)
	fmt.Fprintf(w, "    prove + VerifyInclusion:   %8.1f us (VerifyInclusion %.1f us, of which signatures and decoding %.1f us)\n", res.ProveUS, res.ProveCheckUS, res.ProveSigChecksUS)
	fmt.Fprintf(w, "    same proof again + path:   %8.1f us\n", res.ProveWarmUS)
	fmt.Fprintf(w, "    first proof after Open:    %8.1f us (loads the cached upper tree levels)\n", res.ProveFirstUS)
	if res.Dir != "" {
		fmt.Fprintf(w, "  ledger left in %s (%d transactions): qkdchat ledger verify --data %s\n", res.Dir, res.LedgerSize, res.Dir)
	}
	return nil
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
func (b *ledgerBench) sign(count int) ([]*ledger.Transaction, error) {
	txs := make([]*ledger.Transaction, count)
	base := b.seq.Add(int64(count)) - int64(count)
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, runtime.GOMAXPROCS(0))
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msg := make([]byte, b.payload)
			for {
				i := next.Add(1) - 1
				if i >= int64(count) {
					return
				}
				rand.Read(msg)
				tok, err := fernet.EncryptAndSign(msg, b.key)
				if err != nil {
					errs <- err
					return
				}
				from, to := b.owner, b.peer
				if i%2 == 1 {
					from, to = b.peer, b.owner
				}
				tx := &ledger.Transaction{Kind: ledger.KindChat, Recipient: to.Public(), CaseID: "bench",
					Time: time.Unix(0, base+i).UTC(), Token: tok}
				if err := tx.Sign(from); err != nil {
					errs <- err
					return
				}
				txs[i] = tx
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	return txs, nil
}

// appendAll appends txs with w concurrent writers and returns the time taken.
func appendAll(ctx context.Context, l *ledger.Ledger, txs []*ledger.Transaction, w int) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(len(txs)) || firstErr.Load() != nil {
					return
				}
				if _, err := l.Append(ctx, txs[i]); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func median(d []time.Duration) float64 {
	s := slices.Clone(d)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(time.Microsecond)
}

func perSecond(n int, d time.Duration) float64 {
	if d <= 0 {
		return math.Inf(1)
	}
	return float64(n) / d.Seconds()
}

func (b *ledgerBench) run(ctx context.Context, res *ledgerBenchResult, n, writers, single, rounds int, proveAt int64, proofs, perOpen int) error {
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
	singles, err := b.sign(single)
	if err != nil {
		return err
	}
	txs, err := b.sign(n)
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
	res.SingleAppendUS = median(lat)
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
	if err := verifyRounds(ctx, l, res, msgs, rounds); err != nil {
		return err
	}
	if err := l.Close(); err != nil {
		return err
	}
	l = nil
	return b.runProofs(ctx, res, writers, proveAt, proofs, perOpen)
}

// runProofs times inclusion proofs of random transactions, optionally
// after growing the ledger to proveAt. Each group of perOpen proofs runs on
// a freshly opened ledger, so the pages they read are touched for the first
// time since Open (they may still be in the OS page cache) and the cached
// upper tree levels are loaded again.
func (b *ledgerBench) runProofs(ctx context.Context, res *ledgerBenchResult, writers int, proveAt int64, proofs, perOpen int) error {
	path := filepath.Join(b.dir, app.LedgerFile)
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
	res.ProveFirstUS = median(first)
	res.ProveGenUS, res.ProvePathCheckUS, res.ProveCheckUS = median(gen), median(path1), median(check)
	res.ProveUS, res.ProveMerkleUS, res.ProveWarmUS = median(both), median(merkle), median(warm)
	res.ProveSigChecksUS = median(sigs)
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
		txs, err := b.sign(chunk)
		if err != nil {
			return err
		}
		if _, err := appendAll(ctx, l, txs, writers); err != nil {
			return err
		}
	}
	return nil
}

type rawResult struct {
	batchPerS, updateUS, batchDelayMS float64
}

// rawBboltBench measures bare bbolt in the same directory: n puts of
// valueLen bytes by w writers through DB.Batch, and the median latency of
// one DB.Update putting one value.
func rawBboltBench(ctx context.Context, dir string, valueLen, n, w, single int) (rawResult, error) {
	var res rawResult
	f, err := os.CreateTemp(dir, ".bench-raw-*.db")
	if err != nil {
		return res, err
	}
	path := f.Name()
	f.Close()
	os.Remove(path)
	defer os.Remove(path)
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 3 * time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return res, err
	}
	defer db.Close()
	name := []byte("raw")
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(name); return err }); err != nil {
		return res, err
	}
	value := make([]byte, valueLen)
	rand.Read(value)
	put := func(i int64) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			return tx.Bucket(name).Put(binary.BigEndian.AppendUint64(nil, uint64(i)), value)
		}
	}
	lat := make([]time.Duration, 0, single)
	for i := range single {
		start := time.Now()
		if err := db.Update(put(int64(i))); err != nil {
			return res, err
		}
		lat = append(lat, time.Since(start))
	}
	res.updateUS = median(lat)

	var next atomic.Int64
	next.Store(int64(single))
	end := int64(single + n)
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= end {
					return
				}
				if err := db.Batch(put(i)); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return res, err
	}
	if err := ctx.Err(); err != nil {
		return res, err
	}
	res.batchPerS = perSecond(n, time.Since(start))
	res.batchDelayMS = float64(db.MaxBatchDelay) / float64(time.Millisecond)
	return res, nil
}

// signedMsg is one signature check: what Verify checks for a transaction.
type signedMsg struct {
	key      ed25519.PublicKey
	msg, sig []byte
}

// verifyRounds times rounds of a full Verify of l against bare
// ed25519.Verify of as many signatures, over msgs (the transactions'
// signed messages, cycled), on GOMAXPROCS goroutines. The two alternate
// which goes first, so that a change in the machine's load weighs on both.
func verifyRounds(ctx context.Context, l *ledger.Ledger, res *ledgerBenchResult, msgs []signedMsg, rounds int) error {
	res.VerifyRounds = rounds
	res.LoadAvg1 = loadAvg1()
	var full, bare []float64
	var fullCPU, bareCPU time.Duration
	cpuOK := true
	cpu := func(d *time.Duration, step func() error) func() error {
		return func() error {
			c0, ok0 := processCPU()
			err := step()
			c1, ok1 := processCPU()
			*d += c1 - c0
			cpuOK = cpuOK && ok0 && ok1
			return err
		}
	}
	var size int64 // transactions one verify checks
	res.VerifyRatios = nil
	for r := range rounds {
		var fullRate, bareRate float64
		timeVerify := func() error {
			start := time.Now()
			rep, err := l.Verify(ctx, nil)
			if err != nil {
				return err
			}
			fullRate = perSecond(int(rep.Size), time.Since(start))
			size = rep.Size
			res.VerifiedOK = rep.OK
			if !rep.OK {
				return fmt.Errorf("the benchmark ledger does not verify: %s", rep.Reason)
			}
			res.VerifySignatures = rep.Size + int64(rep.Checkpoints) + int64(rep.Cosignatures)
			return nil
		}
		timeBare := func() error {
			// Rated per transaction like Verify: the time for as many
			// signatures as Verify checks, divided by its transactions.
			d, err := ed25519All(ctx, msgs, res.VerifySignatures)
			if err != nil {
				return err
			}
			bareRate = perSecond(int(size), d)
			return nil
		}
		steps := []func() error{cpu(&fullCPU, timeVerify), cpu(&bareCPU, timeBare)}
		if r%2 == 1 {
			steps[0], steps[1] = steps[1], steps[0]
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return err
			}
		}
		full, bare = append(full, fullRate), append(bare, bareRate)
		res.VerifyRatios = append(res.VerifyRatios, fullRate/bareRate)
	}
	res.VerifyPerS, res.Ed25519VerifyPerS, res.VerifyRatio = medianF(full), medianF(bare), medianF(res.VerifyRatios)
	if cpuOK && fullCPU > 0 && bareCPU > 0 {
		res.VerifyCPURatio = bareCPU.Seconds() / fullCPU.Seconds()
	}
	res.Ed25519Verify1PerS = ed25519One(msgs, 20000)
	return nil
}

// ed25519All checks n signatures from msgs (cycled) with bare
// ed25519.Verify on GOMAXPROCS goroutines and returns the time taken.
func ed25519All(ctx context.Context, msgs []signedMsg, n int64) (time.Duration, error) {
	if len(msgs) == 0 {
		return 0, errors.New("bench: no signed messages for the Ed25519 baseline")
	}
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	start := time.Now()
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				m := &msgs[i%int64(len(msgs))]
				if !ed25519.Verify(m.key, m.msg, m.sig) {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if failed.Load() {
		return 0, errors.New("bench: Ed25519 baseline: a valid signature failed")
	}
	return d, nil
}

// ed25519One is the rate of bare ed25519.Verify on one goroutine.
func ed25519One(msgs []signedMsg, n int) float64 {
	n = min(n, max(len(msgs), 2048))
	start := time.Now()
	for i := range n {
		m := &msgs[i%len(msgs)]
		ed25519.Verify(m.key, m.msg, m.sig)
	}
	return perSecond(n, time.Since(start))
}

func medianF(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func fmtRatios(v []float64) string {
	var b strings.Builder
	for i, x := range v {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%.2f", x)
	}
	return b.String()
}

// loadAvg1 is the 1-minute load average, or 0 where /proc/loadavg is not.
func loadAvg1() float64 {
	v, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	f, err := strconv.ParseFloat(strings.Fields(string(v) + " 0")[0], 64)
	if err != nil {
		return 0
	}
	return f
}

const benchLedgerHelp = `
Output (--json field names in brackets):
  appends        durable appends per second by --writers [appends_per_s] against
                 raw bbolt DB.Batch puts of the same size [raw_bbolt_batch_per_s]
  one writer     median append latency [single_append_us] against one raw
                 DB.Update [raw_update_us]
  full verify    transactions per second of a full Ledger.Verify of the ledger,
                 closed and reopened [verify_per_s]: every signature, the whole
                 Merkle tree against the stored hashes, every block and every
                 checkpoint; against bare ed25519.Verify of as many signatures
                 (the transactions' own signed messages, so the same sizes) on
                 GOMAXPROCS goroutines, rated per transaction
                 [ed25519_verify_per_s]. The two alternate over
                 --verify-rounds rounds; the medians are reported, and
                 [verify_ratio] is the median of the rounds' ratios
                 [verify_ratios] (target >= 0.9). [verify_signatures] is the
                 signatures one verify checks, [load_avg_1] the load average
                 before the rounds: on a busy machine the ratio is noisy.
                 [verify_cpu_ratio] (Unix) is the bare checks' CPU time over
                 the full verifies' CPU time in all rounds: the work ratio,
                 which other processes' load sways much less.
  proofs         inclusion proof times after fresh Opens [prove_*_us]
`
