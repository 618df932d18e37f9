package cascade

import (
	"math/rand/v2"
	"qkdchat/qkd/finitekey"
	"slices"
	"testing"
)

// queryingRuns reconciles runs seeded key pairs as cascadeRuns does, with
// Bob asking in mode m, and returns the mean f, the mean and median round
// trips and the runs left with errors.
func queryingRuns(t testing.TB, m Querying, n int, q float64, runs int, seed byte) (f, rt, medRT float64, residual int) {
	r := rand.New(rand.NewChaCha8([32]byte{seed, byte(n), byte(n >> 8), byte(n >> 16), byte(q * 1000)}))
	rts := make([]float64, 0, runs)
	for range runs {
		a, b, errs := noisyPair(r, n, q)
		o := reconcileWith(t, m, a, b, n, q, seed32(r))
		if !o.equal {
			residual++
		}
		f += finitekey.Efficiency(o.leak, n, float64(errs)/float64(n))
		rts = append(rts, float64(o.rounds))
		rt += float64(o.rounds)
	}
	slices.Sort(rts)
	return f / float64(runs), rt / float64(runs), rts[len(rts)/2], residual
}

// TestInferringBeatsOneLevel checks Bob's querying of this release
// (Inferring: parities of halves made of bits known from any pass are not
// asked, a lone bisection asks two levels at once) against the release
// before (OneLevel) on the same seeded keys and shuffles, from the true
// QBER. Mean f and mean round trips must not grow anywhere (under -short
// or the race detector round trips by at most 5%) (f by at most
// 0.0005, the extra parity of a two-level step), f must drop by at least
// 0.002 at 5%, where cascades end on known bits most often, and no run may
// end with errors. The full count (1,000 runs at 10^4 bits, 150 at 10^5)
// reproduces the table of docs/performance.md, in about a minute:
//
//	CASCADE_TABLE=1 go test -count=1 -run TestInferringBeatsOneLevel -v ./qkd/cascade/
//
// By default 200 and 30 runs; under -short or the race detector 40 and 4.
func TestInferringBeatsOneLevel(t *testing.T) {
	runs4, runs5 := 200, 30
	switch {
	case testing.Short() || raceEnabled:
		runs4, runs5 = 40, 4
	case tableRuns():
		runs4, runs5 = 1000, 150
	}
	for _, c := range []struct {
		n    int
		q    float64
		runs int
	}{
		{10000, 0.01, runs4},
		{10000, 0.02, runs4},
		{10000, 0.05, runs4},
		{100000, 0.01, runs5},
		{100000, 0.02, runs5},
		{100000, 0.05, runs5},
	} {
		fb, rtb, medb, resb := queryingRuns(t, OneLevel, c.n, c.q, c.runs, 15)
		fa, rta, meda, resa := queryingRuns(t, Inferring, c.n, c.q, c.runs, 15)
		t.Logf("n=%d q=%.2f, %d runs: one level f %.4f, round trips mean %.1f median %.0f; inferring f %.4f, mean %.1f median %.0f",
			c.n, c.q, c.runs, fb, rtb, medb, fa, rta, meda)
		rtSlack := 0.0 // a mean of 4 runs of 10^5 bits can go either way
		if c.runs < 30 {
			rtSlack = 0.05 * rtb
		}
		if fa > fb+0.0005 || rta > rtb+rtSlack || resa > 0 || resb > 0 || c.q == 0.05 && fa > fb-0.002 {
			t.Errorf("n=%d q=%.2f: f %.4f (one level %.4f), round trips %.1f (one level %.1f), %d and %d runs left errors",
				c.n, c.q, fa, fb, rta, rtb, resa, resb)
		}
	}
}
