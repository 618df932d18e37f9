//go:build unix

package ledger

import (
	"context"
	"crypto/ed25519"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkVerify times a full Verify of a ledger of 5000 transactions
// against bare ed25519.Verify of the same signed messages on as many
// goroutines as Verify uses, and reports the ratio of the two rates:
//
//	go test -run '^$' -bench BenchmarkVerify -benchtime 5x -cpuprofile /tmp/verify.prof ./ledger/
func BenchmarkVerify(b *testing.B) {
	const n = 5000
	a, c := testIdentity(1), testIdentity(2)
	l := openTest(b, a, &Options{NoSync: true})
	txs := fill(b, l, seeded(7), a, c, n)
	msgs := make([][]byte, n)
	for i, tx := range txs {
		enc, err := tx.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		msgs[i] = append([]byte(txSigContext), enc[:len(enc)-ed25519.SignatureSize]...)
	}
	var full, bare, fullCPU, bareCPU time.Duration
	b.ResetTimer()
	for range b.N {
		start, cpu := time.Now(), cpuTime(b)
		var rep *VerifyReport
		// Labelled for pprof -tagfocus phase=verify (the workers inherit it).
		pprof.Do(context.Background(), pprof.Labels("phase", "verify"), func(context.Context) { rep = mustVerify(b, l) })
		full, fullCPU = full+time.Since(start), fullCPU+cpuTime(b)-cpu
		if rep.Size != n {
			b.Fatalf("verified %d transactions, want %d", rep.Size, n)
		}
		start, cpu = time.Now(), cpuTime(b)
		pprof.Do(context.Background(), pprof.Labels("phase", "bare"), func(context.Context) { bareVerify(b, txs, msgs) })
		bare, bareCPU = bare+time.Since(start), bareCPU+cpuTime(b)-cpu
	}
	b.StopTimer()
	b.ReportMetric(float64(n*b.N)/full.Seconds(), "verify-tx/s")
	b.ReportMetric(float64(n*b.N)/bare.Seconds(), "ed25519/s")
	b.ReportMetric(bare.Seconds()/full.Seconds(), "ratio")
	b.ReportMetric(bareCPU.Seconds()/fullCPU.Seconds(), "cpu-ratio")
	b.ReportMetric(float64(fullCPU.Microseconds())/float64(n*b.N), "verify-cpu-us/tx")
	b.ReportMetric(float64(bareCPU.Microseconds())/float64(n*b.N), "ed25519-cpu-us/sig")
}

// bareVerify checks every transaction's signature with ed25519.Verify alone,
// on GOMAXPROCS goroutines.
func bareVerify(b *testing.B, txs []*Transaction, msgs [][]byte) {
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(len(txs)) {
					return
				}
				if !ed25519.Verify(txs[i].Sender, msgs[i], txs[i].Signature) {
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if failed.Load() {
		b.Fatal("a valid signature failed the bare check")
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
