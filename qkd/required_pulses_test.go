package qkd

import (
	"context"
	"errors"
	"testing"
)

// TestRequiredPulsesSizesLaserRuns: a laser run sized by RequiredPulses
// from its link's calibration makes the key it asks for; a single-photon
// run is sized as RequiredQubits sizes it; a bad config is refused.
func TestRequiredPulsesSizesLaserRuns(t *testing.T) {
	ch := Channel{FiberKm: 10, DarkCount: 1e-6, Noise: 0.01}
	for _, src := range []Source{{Laser: true, Decoys: true}, {Laser: true}} {
		c := Config{Channel: ch, Protocol: Protocol{KeyBits: 256, Source: src}}
		n, err := RequiredPulses(c)
		if err != nil {
			t.Fatalf("%+v: %v", src, err)
		}
		c.Qubits = n
		runs := 3
		if raceEnabled {
			runs = 1
		}
		for s := range uint64(runs) {
			rep, err := Simulate(context.Background(), seeded(c, 40+s))
			if err != nil || rep.KeyBits != 256 {
				t.Errorf("%+v, %d pulses, seed %d: %d key bits, %v; want 256", src, n, 40+s, rep.KeyBits, err)
			}
		}
		// Longer fibre, more pulses.
		far := c
		far.FiberKm, far.Qubits = 20, 0
		if m, err := RequiredPulses(far); err != nil || m <= n {
			t.Errorf("%+v: %d pulses at 20 km (%v), %d at 10 km", src, m, err, n)
		}
	}
	p := Protocol{KeyBits: 512, DesignQBER: 0.03}
	want, err := RequiredQubits(p)
	if got, gotErr := RequiredPulses(Config{Protocol: p, Channel: ch}); got != want || gotErr != err {
		t.Errorf("single photons: %d, %v; RequiredQubits gives %d, %v", got, gotErr, want, err)
	}
	bad := Config{Protocol: Protocol{Source: Source{Laser: true}}, Channel: Channel{FiberKm: -1}}
	if _, err := RequiredPulses(bad); !errors.Is(err, ErrConfig) {
		t.Errorf("fibre -1 km: %v, want ErrConfig", err)
	}
}
