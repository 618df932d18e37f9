package qkd

import (
	"context"
	"errors"
	"runtime"
	"strconv"
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

// TestSimulateRunsNeitherPartyOnTheCallersGoroutine checks that Simulate
// runs Alice and Bob on goroutines of their own. A caller's goroutine may
// be locked to its OS thread (the desktop binary's main goroutine is, for
// the GUI toolkit), and a party on a locked thread pays an OS thread
// switch for every message it waits for: Cascade's hundreds of round
// trips made Alice's clock 1.8x slower in the GUI binary than in a
// headless one.
func TestSimulateRunsNeitherPartyOnTheCallersGoroutine(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	caller := goroutineID(t)
	var mu sync.Mutex
	seen := map[uint64]bool{}
	seed := uint64(3)
	cfg := Config{Channel: Channel{Noise: 0.02}, Protocol: Protocol{Qubits: 20000, Threshold: 0.11, EpsSec: 1e-10, EpsCor: 1e-10}, Seed: &seed}
	cfg.Progress = func(Progress) {
		id := goroutineID(t)
		mu.Lock()
		seen[id] = true
		mu.Unlock()
	}
	if _, err := Simulate(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Fatalf("progress came from %d goroutines, want Alice's and Bob's", len(seen))
	}
	if seen[caller] {
		t.Fatalf("a party ran on the caller's goroutine %d", caller)
	}
}

// goroutineID parses the running goroutine's number from its stack trace.
func goroutineID(t *testing.T) uint64 {
	var buf [64]byte
	f := strings.Fields(string(buf[:runtime.Stack(buf[:], false)]))
	if len(f) < 2 || f[0] != "goroutine" {
		t.Fatalf("unexpected stack header %q", buf)
	}
	id, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
