package qkd

import (
	"context"
	"testing"
)

// TestLowMuLaserWithoutDecoys: a weak laser without decoys, its mean
// photon number at or below the weak decoy's default (0.1), is a valid
// source (nu is never sent without decoys): it is planned and makes a key
// on a short link, where before it was refused for a weak-decoy intensity
// "not below mu".
func TestLowMuLaserWithoutDecoys(t *testing.T) {
	for _, mu := range []float64{DefaultNu, 0.05} {
		seed := uint64(21)
		c := Config{Protocol: Protocol{KeyBits: 128, Source: Source{Laser: true, Mu: mu}}, Channel: Channel{FiberKm: 2}, Seed: &seed}
		if err := c.Validate(); err != nil {
			t.Fatalf("mu %g without decoys: %v", mu, err)
		}
		n, err := RequiredPulses(c)
		if err != nil {
			t.Fatalf("mu %g without decoys: planning: %v", mu, err)
		}
		c.Qubits = n + n/10
		res, err := Simulate(context.Background(), c)
		if err != nil || res.KeyBits != 128 {
			t.Fatalf("mu %g without decoys, %d pulses: %v", mu, c.Qubits, err)
		}
	}
	bad := Source{Laser: true, Decoys: true, Mu: 0.05}
	if err := bad.Validate(); err == nil {
		t.Fatal("decoys with mu 0.05, below the weak decoy's 0.1: accepted")
	}
}
