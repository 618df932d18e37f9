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

// TestLoneSearchTwoLevels checks the query mode of this release against
// the one before on the same seeded keys: when a single bisection is left
// open (the tail of a long cascade, a late pass's search), Bob asks two
// levels of it in one round trip. Mean round trips must drop at 10^5 bits
// and 5% (the long tail of the issue; with 30 runs or more) and not grow
// anywhere, f may grow by
// at most 0.001 (the extra parity per saved round trip), and no run may
// end with errors. The full count (1,000 runs at 10^4 bits, 150 at 10^5)
// reproduces the table of docs/performance.md:
//
//	CASCADE_TABLE=1 go test -count=1 -run TestLoneSearchTwoLevels -v ./qkd/cascade/
//
// By default 200 and 30 runs; under -short or the race detector 40 and 4.
func TestLoneSearchTwoLevels(t *testing.T) {
	runs4, runs5 := 200, 30
	switch {
	case testing.Short() || raceEnabled:
		runs4, runs5 = 40, 4
	case tableRuns():
		runs4, runs5 = 1000, 150
	}
	for _, c := range []struct {
		n       int
		q       float64
		runs    int
		mustCut bool
	}{
		{10000, 0.01, runs4, false},
		{10000, 0.02, runs4, false},
		{10000, 0.05, runs4, false},
		{100000, 0.01, runs5, false},
		{100000, 0.02, runs5, false},
		{100000, 0.05, runs5, true},
	} {
		fb, rtb, medb, resb := queryingRuns(t, OneLevel, c.n, c.q, c.runs, 15)
		fa, rta, meda, resa := queryingRuns(t, TwoLevelsWhenAlone, c.n, c.q, c.runs, 15)
		t.Logf("n=%d q=%.2f, %d runs: one level f %.4f, round trips mean %.1f median %.0f; two when alone f %.4f, mean %.1f median %.0f",
			c.n, c.q, c.runs, fb, rtb, medb, fa, rta, meda)
		if fa > fb+0.001 || rta > rtb || resa > 0 || resb > 0 || c.mustCut && c.runs >= 30 && rta >= rtb {
			t.Errorf("n=%d q=%.2f: f %.4f (one level %.4f), round trips %.1f (one level %.1f), %d and %d runs left errors",
				c.n, c.q, fa, fb, rta, rtb, resa, resb)
		}
	}
}
