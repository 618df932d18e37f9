package qkd

import (
	"math/rand/v2"
	"qkdchat/qkd/finitekey"
	"testing"
)

// cascadeRuns reconciles runs seeded key pairs of n bits with round(q n)
// errors, Cascade sized for the true q, and returns the mean efficiency,
// the mean number of round trips and the number of runs that ended with
// the keys still different.
func cascadeRuns(t testing.TB, n int, q float64, runs int, seed byte) (f, rt float64, residual int) {
	r := rand.New(rand.NewChaCha8([32]byte{seed, byte(n), byte(n >> 8), byte(n >> 16), byte(q * 1000)}))
	for range runs {
		a, b, errs := noisyPair(r, n, q)
		o := reconcileDirect(t, a, b, n, q, randomSeed32(r))
		if !o.equal {
			residual++
		}
		f += finitekey.Efficiency(o.leak, n, float64(errs)/float64(n))
		rt += float64(o.rounds)
	}
	return f / float64(runs), rt / float64(runs), residual
}

// TestCascadeResidualErrorRuns counts the runs that end with errors left
// (pairs of errors that shared a block in every pass) over 10,000 seeded
// runs of 10,000 bits at QBER 1, 2 and 5%. The schedule before this one
// (first block 0.6/q + 2.4, then 4x and 16x, seven two-parity splits) left
// 3, 1 and 0 such runs, measured with this test; the bounds keep it at
// most that (this schedule leaves 1, 0 and 0). Verification catches a
// residual error (the run is discarded, not wrong), so this is a cost,
// not a security bound. It takes about half a minute and is skipped under
// -short and the race detector:
//
//	go test -count=1 -run TestCascadeResidualErrorRuns -v ./qkd/
func TestCascadeResidualErrorRuns(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("10,000 runs per QBER; run without -short and -race")
	}
	const n, runs = 10000, 10000
	for _, c := range []struct {
		q   float64
		max int
	}{{0.01, 3}, {0.02, 1}, {0.05, 0}} {
		f, rt, res := cascadeRuns(t, n, c.q, runs, 11)
		t.Logf("n=%d q=%.2f: %d of %d runs with errors left (mean f %.4f, %.1f round trips)", n, c.q, res, runs, f, rt)
		if res > c.max {
			t.Errorf("q=%.2f: %d runs of %d left errors, want at most %d", c.q, res, runs, c.max)
		}
	}
}

// fastSlackF and fastSlackRT widen the bounds on mean f (added) and mean
// round trips (multiplied) when a test makes fewer runs under -short or
// the race detector: a mean of 100 runs at 10^4 bits scatters by about
// 0.003 in f, one of 6 runs at 10^5 by a sixth of the round trips.
const (
	fastSlackF  = 0.005
	fastSlackRT = 1.2
)

// TestCascadeEfficiencyBySize is the reconciliation target of the
// performance issue, per key size and QBER, with Cascade sized for the
// true error rate: mean f and mean round trips over seeded runs. At 10^4
// bits f <= 1.08 with at most 60 round trips and at 10^5 bits f <= 1.06
// with at most 120 (Yan et al.'s figures are 1.08/60 and 1.06/120),
// except at 5%, where the bounds are the best this schedule reaches
// within the round-trip budget (the schedule before reached 1.089 with 67
// round trips at 10^4 and 1.080 with 106 at 10^5). 400 and 40 runs; under -short or the race detector 100 and 6, whose
// means scatter more (round trips have a long tail), so the bounds get
// fastSlack.
func TestCascadeEfficiencyBySize(t *testing.T) {
	for _, c := range []struct {
		n        int
		q, maxF  float64
		maxRT    float64
		runs     int
		fastRuns int
	}{
		{10000, 0.01, 1.08, 60, 400, 100},
		{10000, 0.02, 1.08, 60, 400, 100},
		{10000, 0.05, 1.086, 60, 400, 100},
		{100000, 0.01, 1.06, 120, 40, 6},
		{100000, 0.02, 1.06, 120, 40, 6},
		{100000, 0.05, 1.065, 120, 40, 6},
	} {
		runs, maxF, maxRT := c.runs, c.maxF, c.maxRT
		if testing.Short() || raceEnabled {
			runs, maxF, maxRT = c.fastRuns, maxF+fastSlackF, maxRT*fastSlackRT
		}
		f, rt, res := cascadeRuns(t, c.n, c.q, runs, 12)
		t.Logf("n=%d q=%.2f: mean f %.4f, %.1f round trips, %d of %d runs left errors", c.n, c.q, f, rt, res, runs)
		if f > maxF || rt > maxRT || res > 0 {
			t.Errorf("n=%d q=%.2f: mean f %.4f (max %.3f), %.1f round trips (max %.0f), %d runs left errors",
				c.n, c.q, f, maxF, rt, maxRT, res)
		}
	}
}

// TestCascadeAsSimulated measures Cascade as `qkdchat simulate` runs it:
// whole BB84 runs over a noisy channel, Cascade sized from the QBER
// estimated on the sample rather than the true one, about 8,650 and
// 116,500 reconciled bits (23,000 and 265,000 photons). The bounds are
// the targets (f <= 1.08 with at most 60 round trips near 10^4 bits,
// f <= 1.06 with at most 120 near 10^5) where this schedule meets them,
// and otherwise what it reaches, below the schedule before: that one gave
// f 1.102, 1.092 and 1.092 with 61, 54 and 66 round trips near 10^4
// bits and 1.069, 1.071 and 1.081 with 92, 95 and 96 near 10^5 on the
// same runs. Under -short or the race detector it makes 50 and 3 runs,
// with fastSlack.
func TestCascadeAsSimulated(t *testing.T) {
	for _, c := range []struct {
		qubits   int
		q, maxF  float64
		maxRT    float64
		runs     int
		fastRuns int
	}{
		{23000, 0.01, 1.08, 60, 100, 50},
		{23000, 0.02, 1.08, 60, 100, 50},
		{23000, 0.05, 1.089, 60, 100, 50},
		{265000, 0.01, 1.06, 120, 10, 3},
		{265000, 0.02, 1.065, 120, 10, 3},
		{265000, 0.05, 1.065, 120, 10, 3},
	} {
		runs, maxF, maxRT := c.runs, c.maxF, c.maxRT
		if testing.Short() || raceEnabled {
			runs, maxF, maxRT = c.fastRuns, maxF+fastSlackF, maxRT*fastSlackRT
		}
		var f, rt, n float64
		ok := 0
		for i := range runs {
			rep, err := Simulate(t.Context(), seeded(Config{Protocol: Protocol{Qubits: c.qubits, KeyBits: 0}, Channel: Channel{Noise: c.q}}, uint64(100+i)))
			if isAbort(err) {
				continue // a sample with too many errors for any key
			}
			if err != nil {
				t.Fatal(err)
			}
			ok++
			f += rep.ECEfficiency
			rt += float64(rep.ECRoundTrips)
			n += float64(rep.ReconciledBits)
		}
		if ok < runs*9/10 {
			t.Fatalf("%d photons at QBER %.2f: only %d of %d runs made a key", c.qubits, c.q, ok, runs)
		}
		f, rt, n = f/float64(ok), rt/float64(ok), n/float64(ok)
		t.Logf("%d photons at QBER %.2f: %d runs, %.0f bits reconciled, mean f %.4f, %.1f round trips", c.qubits, c.q, ok, n, f, rt)
		if f > maxF || rt > maxRT {
			t.Errorf("%d photons at QBER %.2f: mean f %.4f (max %.3f), %.1f round trips (max %.0f)", c.qubits, c.q, f, maxF, rt, maxRT)
		}
	}
}
