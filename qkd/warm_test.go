package qkd

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// TestRunsLeaveNoWarmingBehind checks that the background preparation of
// the amplification (warmAmplify, started after estimation) never
// outlives the run that started it: not on a run that keeps a key, and not
// on one cancelled as error correction starts, which never reaches the
// amplification that would otherwise wait for it. Each run uses its own
// transform length, so that the tables are not already built by an
// earlier run in this process.
func TestRunsLeaveNoWarmingBehind(t *testing.T) {
	qubits := []int{300000, 700000, 1400000}
	if testing.Short() || raceEnabled {
		qubits = qubits[:2]
	}
	for i, n := range qubits {
		for _, cancelled := range []bool{true, false} {
			ctx, cancel := context.WithCancel(context.Background())
			var once sync.Once
			seed := uint64(i + 1)
			cfg := Config{Channel: Channel{Noise: 0.02}, Protocol: Protocol{Qubits: n, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10}, Seed: &seed}
			if cancelled {
				cfg.Progress = func(p Progress) {
					if p.Phase == PhaseReconcile {
						once.Do(cancel)
					}
				}
			}
			_, err := Simulate(ctx, cfg)
			cancel()
			if cancelled != (err != nil) || cancelled && !errors.Is(err, context.Canceled) {
				t.Fatalf("%d qubits, cancelled %v: error %v", n, cancelled, err)
			}
			buf := make([]byte, 1<<20)
			if st := string(buf[:runtime.Stack(buf, true)]); strings.Contains(st, "warmAmplify") {
				t.Fatalf("%d qubits, cancelled %v: a warming goroutine outlived the run:\n%s", n, cancelled, st)
			}
		}
	}
}
