package qkd

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/cascade"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/sifting"
	"sync"
)

// CascadeStats is what one Cascade reconciliation cost, for `qkdchat
// bench qkd`.
type CascadeStats struct {
	Bits       int     // key length n
	Errors     int     // errors between the two keys before
	Residual   int     // errors left after
	Leak       int     // parities disclosed (without the verification tag)
	F          float64 // Leak / (n h(Errors/n))
	PlannedF   float64 // the leak the key-length plan assumes (predictedLeak) as an f
	RoundTrips int     // batched parity exchanges
}

// CascadeTrial reconciles a random n-bit key with a copy holding
// round(q n) errors at random positions, Alice and Bob exchanging messages
// over a Pipe as a run does; seed fixes the keys and Cascade's shuffles.
func CascadeTrial(ctx context.Context, n int, q float64, seed uint64) (CascadeStats, error) {
	return cascadeTrial(ctx, n, q, seed, cascade.Inferring)
}

// CascadeBaselineTrial is CascadeTrial on the same keys and shuffles with
// Bob asking as the release before did (cascade.OneLevel: one bisection
// level per round trip, no parities inferred across passes), the baseline `qkdchat bench qkd` reports next to
// it.
func CascadeBaselineTrial(ctx context.Context, n int, q float64, seed uint64) (CascadeStats, error) {
	return cascadeTrial(ctx, n, q, seed, cascade.OneLevel)
}

func cascadeTrial(ctx context.Context, n int, q float64, seed uint64, m cascade.Querying) (CascadeStats, error) {
	if n < 1 || n > MaxQubits || !(q >= 0 && q < 0.5) {
		return CascadeStats{}, fmt.Errorf("%w: cascade trial of %d bits at QBER %v", ErrConfig, n, q)
	}
	r := NewRand(&seed, "cascade-trial")
	alice := bitvec.Random(r, n)
	bob := append([]uint64(nil), alice...)
	errs := int(math.Round(q * float64(n)))
	for _, x := range sifting.SamplePositions(randomSeed32(r), n, errs) {
		bitvec.Flip(bob, int(x))
	}
	cseed := randomSeed32(r)
	st := CascadeStats{Bits: n, Errors: errs}
	qa := float64(errs) / float64(n)
	st.PlannedF = finitekey.Efficiency(int(math.Round(finitekey.PredictedLeak(n, qa)))-finitekey.VerifyTagBits, n, qa)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ca, cb := Pipe()
	var wg sync.WaitGroup
	var aliceErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		_, _, aliceErr = reconcileAlice(ctx, newSide(Config{}, ca, "alice", pipelinePacked), alice, n, q, cseed)
		if aliceErr != nil {
			cancel()
		}
	}()
	b, bobErr := reconcileBob(ctx, newSide(Config{}, cb, "bob", pipelinePacked), bob, n, q, m)
	if bobErr != nil {
		cancel()
	}
	wg.Wait()
	if bobErr != nil {
		return st, bobErr
	}
	if aliceErr != nil {
		return st, aliceErr
	}
	st.Leak, st.RoundTrips = b.Leak(), b.Rounds()
	for i := range alice {
		st.Residual += bits.OnesCount64(alice[i] ^ bob[i])
	}
	st.F = finitekey.Efficiency(st.Leak, n, float64(errs)/float64(n))
	return st, nil
}
