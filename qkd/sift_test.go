package qkd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"reflect"
	"sync"
	"testing"
)

// runBoth runs Alice and Bob over a Pipe with the given pipeline.
func runBoth(t *testing.T, c Config, pipe pipeline) (a, b *Result, aErr, bErr error) {
	t.Helper()
	ctx := context.Background()
	ca, cb := Pipe()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b, bErr = runBobWith(ctx, c, cb, pipe) }()
	a, aErr = runAliceWith(ctx, c, ca, pipe)
	wg.Wait()
	return a, b, aErr, bErr
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// untimed returns r without its wall-clock times.
func untimed(r Report) Report {
	r.Elapsed = PhaseTimes{}
	return r
}

// pipelineCases are seeded runs across sizes, bases' bias, noise,
// eavesdroppers, traces and key lengths, including runs that abort for
// the QBER and for lack of key.
func pipelineCases() []Config {
	var cs []Config
	sizes := []int{700, 5000, 60000}
	if !testing.Short() && !raceEnabled {
		sizes = append(sizes, 300000)
	}
	seed := uint64(100)
	for _, n := range sizes {
		for _, zb := range []float64{0.5, 0.8, 0.97} {
			for _, ch := range []Channel{
				{Noise: 0.02},
				{Noise: 0.03, Eve: 0.1, DetectorEfficiency: 0.6, DarkCount: 1e-3},
				{Eve: 1},
				{Eve: 0.4, EveBasis: EveZ, FiberKm: 10},
			} {
				seed++
				c := seeded(Config{Protocol: Protocol{Qubits: n, ZBias: zb, TraceQubits: int(seed % 3 * 37)}, Channel: ch}, seed)
				if seed%2 == 0 {
					c.KeyBits = 64
				}
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// TestPackedPipelineMatchesReference checks that the packed sifting and
// estimation give, party by party, the same reports, keys and abort
// reasons as the reference code, and that Simulate's simulator truths
// (true QBER, Eve's known bits) are the same.
func TestPackedPipelineMatchesReference(t *testing.T) {
	aborts, keys := 0, 0
	for _, c := range pipelineCases() {
		name := fmt.Sprintf("n=%d/zbias=%v/%+v/seed=%d", c.Qubits, c.ZBias, c.Channel, *c.Seed)
		pa, pb, paErr, pbErr := runBoth(t, c, pipelinePacked)
		ra, rb, raErr, rbErr := runBoth(t, c, pipelineReference)
		if errText(paErr) != errText(raErr) || errText(pbErr) != errText(rbErr) {
			t.Fatalf("%s: errors packed %v / %v, reference %v / %v", name, paErr, pbErr, raErr, rbErr)
		}
		for _, p := range [][2]*Result{{pa, ra}, {pb, rb}} {
			if !reflect.DeepEqual(untimed(p[0].Report), untimed(p[1].Report)) {
				t.Fatalf("%s: reports differ\npacked    %+v\nreference %+v", name, untimed(p[0].Report), untimed(p[1].Report))
			}
			if !bytes.Equal(p[0].Key, p[1].Key) {
				t.Fatalf("%s: keys differ", name)
			}
		}
		if paErr != nil {
			aborts++
		} else {
			keys++
		}
		sp, spErr := Simulate(context.Background(), c)
		sr, srErr := SimulateReference(context.Background(), c)
		if errText(spErr) != errText(srErr) || !reflect.DeepEqual(untimed(*sp), untimed(*sr)) {
			t.Fatalf("%s: Simulate differs\npacked    %+v %v\nreference %+v %v", name, untimed(*sp), spErr, untimed(*sr), srErr)
		}
		if sp.QBERTrue < 0 || (c.Eve > 0 && sp.ReconciledBits > 100 && sp.EveInfoBits == 0) {
			t.Fatalf("%s: simulator truths missing: %+v", name, untimed(*sp))
		}
	}
	if aborts == 0 || keys == 0 {
		t.Fatalf("cases cover %d aborts and %d keys; want both", aborts, keys)
	}
}

func TestCascadeTrialCorrectsEveryError(t *testing.T) {
	for _, q := range []float64{0.01, 0.05} {
		st, err := CascadeTrial(context.Background(), 10000, q, 7)
		if err != nil {
			t.Fatal(err)
		}
		if st.Errors != int(q*10000) || st.Residual != 0 || st.RoundTrips < 1 {
			t.Fatalf("q=%v: %+v", q, st)
		}
		// Cascade cannot beat the Shannon limit by much on 10^4 bits, and
		// its design leaks less than twice it.
		if st.F < 0.9 || st.F > 2 || st.PlannedF < 1 || st.PlannedF > 2 {
			t.Fatalf("q=%v: f %v, planned %v", q, st.F, st.PlannedF)
		}
	}
	if _, err := CascadeTrial(context.Background(), 0, 0.02, 1); err == nil {
		t.Fatal("a trial of 0 bits ran")
	}
}

// TestAbortTimesTheAbortingPhase: a QBER abort happens in estimation, and
// the report has that phase's time (it used to be left at 0).
func TestAbortTimesTheAbortingPhase(t *testing.T) {
	rep, err := Simulate(context.Background(), seeded(Config{Protocol: Protocol{Qubits: 200000}, Channel: Channel{Eve: 1}}, 5))
	if !isAbort(err) {
		t.Fatalf("err %v, want an abort", err)
	}
	e := rep.Elapsed
	if e.Estimate <= 0 || e.Reconcile != 0 || e.Verify != 0 || e.Amplify != 0 {
		t.Fatalf("phase times %+v", e)
	}
	if sum := e.Prepare + e.Transmit + e.Sift + e.Estimate; sum > e.Total+0.01 {
		t.Fatalf("phases sum to %v ms, more than the total %v", sum, e.Total)
	}
}

// TestRunAliceKeepsNoSimulatorPlanes: a Result from RunAlice or RunBob
// holds no reference to the run's per-photon planes.
func TestRunAliceKeepsNoSimulatorPlanes(t *testing.T) {
	ctx := context.Background()
	c := seeded(Config{Protocol: Protocol{Qubits: 20000}, Channel: Channel{Noise: 0.02, Eve: 0.05}}, 6)
	ca, cb := Pipe()
	var b *Result
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); b, _ = RunBob(ctx, c, cb) }()
	a, err := RunAlice(ctx, c, ca)
	wg.Wait()
	if err != nil && !isAbort(err) {
		t.Fatal(err)
	}
	for _, r := range []*Result{a, b} {
		if r.sifted != nil || r.eveKnown != nil {
			t.Fatal("Result keeps the simulator's planes")
		}
	}
}

// TestEstimateRejectsSampleOfWrongLength: sample bits shorter or longer
// than the sample size are a protocol error, not a panic.
func TestEstimateRejectsSampleOfWrongLength(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{43}))
	const n = 5000
	det, ab, bb, own := bitvec.Random(r, n), bitvec.Random(r, n), bitvec.Random(r, n), bitvec.Random(r, n)
	c := Config{Protocol: Protocol{Qubits: n}}.withDefaults()
	for _, pipe := range []pipeline{pipelinePacked, pipelineReference} {
		s := newSide(c, nil, "bob", pipe)
		sf := s.sift(det, ab, bb, own, ab)
		est := planSample(sf.PoolLen(), sf.CountBasis(Z), c.Protocol)
		bits := sf.Disclose([32]byte{1}, est)
		for _, bad := range [][]uint64{bits[:len(bits)-1], append(bits, 0), nil} {
			var pe *ProtocolError
			if _, _, err := s.estimate(sf, est, bad, bits); !errors.As(err, &pe) {
				t.Fatalf("pipeline %d: sample of %d words: err %v, want a ProtocolError", pipe, len(bad), err)
			}
		}
	}
}

// TestCascadeBaselineTrialSameKeys checks the bench's baseline runs the
// same keys as CascadeTrial with the release before's one-level queries:
// same errors, both corrected, and on 10^5 bits at 5% (a long tail of lone
// searches) more round trips for the baseline, summed over seeds.
func TestCascadeBaselineTrialSameKeys(t *testing.T) {
	const seeds = 6 // a fraction of a second, a few under the race detector
	var rtNow, rtBase int
	for seed := range uint64(seeds) {
		now, err := CascadeTrial(t.Context(), 100000, 0.05, seed+1)
		if err != nil {
			t.Fatal(err)
		}
		base, err := CascadeBaselineTrial(t.Context(), 100000, 0.05, seed+1)
		if err != nil {
			t.Fatal(err)
		}
		if now.Errors != base.Errors || now.Residual != 0 || base.Residual != 0 {
			t.Fatalf("seed %d: now %+v, baseline %+v", seed+1, now, base)
		}
		rtNow += now.RoundTrips
		rtBase += base.RoundTrips
	}
	if rtNow >= rtBase {
		t.Errorf("%d round trips over %d seeds, baseline %d: want fewer", rtNow, seeds, rtBase)
	}
}
