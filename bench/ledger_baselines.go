package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"qkdchat/ledger"
)

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
	res.updateUS = medianUS(lat)

	start := time.Now()
	if err := parallel(ctx, w, int64(single), int64(single+n), func(i int64) error { return db.Batch(put(i)) }); err != nil {
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
func verifyRounds(ctx context.Context, l *ledger.Ledger, res *LedgerReport, msgs []signedMsg, rounds int) error {
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
	res.VerifyPerS, res.Ed25519VerifyPerS, res.VerifyRatio = median(full), median(bare), median(res.VerifyRatios)
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
	start := time.Now()
	err := parallel(ctx, runtime.GOMAXPROCS(0), 0, n, func(i int64) error {
		m := &msgs[i%int64(len(msgs))]
		if !ed25519.Verify(m.key, m.msg, m.sig) {
			return errors.New("bench: Ed25519 baseline: a valid signature failed")
		}
		return nil
	})
	return time.Since(start), err
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
