package qkd

import (
	"context"
	"errors"
	"sync"
)

// Simulate runs Alice and Bob in-process over a Pipe with c for both, and
// returns Alice's report completed with what only a simulator knows: the
// true QBER of the sifted string and how many key bits the eavesdropper
// learned. On abort it returns the report and the abort error.
func Simulate(ctx context.Context, c Config) (*Report, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, b := Pipe()
	var (
		wg     sync.WaitGroup
		bobRes *Result
		bobErr error
	)
	wg.Add(1)
	go func() {
		defer wg.Done()
		bobRes, bobErr = RunBob(ctx, c, b)
		if bobErr != nil && !isAbort(bobErr) {
			cancel()
		}
	}()
	aliceRes, aliceErr := RunAlice(ctx, c, a)
	if aliceErr != nil && !isAbort(aliceErr) {
		cancel()
	}
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
	if len(a.siftPos) == len(b.siftPos) && len(a.siftPos) > 0 {
		errs := 0
		for i := range a.siftBits {
			errs += onesCount(a.siftBits[i] ^ b.siftBits[i])
		}
		rep.QBERTrue = float64(errs) / float64(len(a.siftPos))
	}
	if a.eveKnown != nil {
		for _, p := range a.keyPos {
			rep.EveInfoBits += int(getBit(a.eveKnown, int(p)))
		}
	}
	if rep.KeyBits > 0 {
		rep.EveFinalInfoBits = min(rep.KeyBits, max(0, rep.EveInfoBits+rep.LeakedEC-(rep.ReconciledBits-rep.KeyBits)))
	}
}
