package qkd

import (
	"context"
	"errors"
	"sync"

	"qkdchat/qkd/sifting"
)

// Simulate runs Alice and Bob in-process over a Pipe with c for both, and
// returns Alice's report completed with what only a simulator knows: the
// true QBER of the sifted string and how many key bits the eavesdropper
// learned. On abort it returns the report and the abort error.
func Simulate(ctx context.Context, c Config) (*Report, error) {
	return simulate(ctx, c, pipelinePacked)
}

// SimulateReference is Simulate with the reference sifting and estimation
// (one index per sifted bit) that the packed pipeline replaced. It gives
// the same report and key for the same seed, more slowly; it is the
// baseline of `qkdchat bench qkd`.
func SimulateReference(ctx context.Context, c Config) (*Report, error) {
	return simulate(ctx, c, pipelineReference)
}

func simulate(ctx context.Context, c Config, pipe pipeline) (*Report, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, b := Pipe()
	var (
		wg               sync.WaitGroup
		aliceRes, bobRes *Result
		aliceErr, bobErr error
	)
	// Both parties run on goroutines of their own, not the caller's: a
	// caller's goroutine may be locked to its OS thread (the desktop
	// binary's main goroutine is, for the GUI toolkit), and a party there
	// would wait for every message through an OS thread switch instead of
	// a goroutine hand-off.
	wg.Add(2)
	go func() {
		defer wg.Done()
		bobRes, bobErr = runBobWith(ctx, c, b, pipe)
		if bobErr != nil && !isAbort(bobErr) {
			cancel()
		}
	}()
	go func() {
		defer wg.Done()
		aliceRes, aliceErr = runAliceWith(ctx, c, a, pipe)
		if aliceErr != nil && !isAbort(aliceErr) {
			cancel()
		}
	}()
	wg.Wait()
	if aliceRes == nil {
		return nil, aliceErr
	}
	rep := aliceRes.Report
	if bobRes != nil {
		fillTruths(&rep, aliceRes, bobRes)
	}
	if aliceErr == nil && bobErr != nil {
		aliceErr = bobErr
	}
	if aliceErr == nil && string(aliceRes.Key) != string(bobRes.Key) {
		// Verification makes this a 2^-64 event; report it loudly.
		aliceErr = errors.New("qkd: simulate: Alice and Bob hold different keys")
	}
	return &rep, aliceErr
}

func isAbort(err error) bool {
	var ae *AbortError
	return errors.As(err, &ae)
}

// fillTruths computes the true QBER over the sifted string and Eve's
// knowledge of the reconciled key.
func fillTruths(rep *Report, a, b *Result) {
	if a.sifted != nil && b.sifted != nil {
		if errs, n := sifting.TrueErrors(a.sifted, b.sifted); n > 0 {
			rep.QBERTrue = float64(errs) / float64(n)
		}
	}
	if a.sifted != nil {
		rep.EveInfoBits += a.sifted.EveKnown(a.eveKnown)
	}
	if rep.KeyBits > 0 {
		rep.EveFinalInfoBits = min(rep.KeyBits, max(0, rep.EveInfoBits+rep.LeakedEC-(rep.ReconciledBits-rep.KeyBits)))
	}
}
