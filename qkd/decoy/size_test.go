package decoy

import (
	"testing"

	"qkdchat/qkd/keyrate"
)

// design is a calibrated link as the simulator's parties see it: 0.2
// dB/km, an ideal detector, 1e-6 dark counts, 1% misalignment.
func design(km float64, keyBits int) Design {
	return Design{Link: keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: 1, DarkCount: 1e-6, Misalignment: 0.01, ECEfficiency: 1},
		FiberKm: km, KeyBits: keyBits, ZBias: 0.5, DesignQBER: 0.02, EpsSec: 1e-10, EpsCor: 1e-10}
}

const maxPulses = 10_000_000

// TestRequiredPulsesIsTheSmallestStep checks the search: the count gives
// the key with its 20% margin on the link's expected counts, and the step
// below it (10% fewer pulses) does not.
func TestRequiredPulsesIsTheSmallestStep(t *testing.T) {
	gllp := src
	gllp.Decoys = false
	for _, tc := range []struct {
		name string
		src  Source
		km   float64
		bits int
	}{
		{"decoys 0 km", src, 0, 256}, {"decoys 25 km", src, 25, 256}, {"decoys 50 km", src, 50, 1024},
		{"GLLP 5 km", gllp, 5, 256}, {"GLLP 10 km", gllp, 10, 256},
	} {
		d := design(tc.km, tc.bits)
		N := RequiredPulses(tc.src, d, maxPulses)
		if N >= maxPulses {
			t.Fatalf("%s: %d pulses, the cap: no size found", tc.name, N)
		}
		want := 1.2 * float64(tc.bits)
		if l := expectedKeyLength(tc.src, d, float64(N)); l < want {
			t.Errorf("%s: %d pulses give %.0f key bits, want >= %.0f", tc.name, N, l, want)
		}
		if N > 10_000 {
			if l := expectedKeyLength(tc.src, d, float64(N)/1.1); l >= want {
				t.Errorf("%s: %d pulses are not the smallest step: %.0f give %.0f key bits", tc.name, N, float64(N)/1.1, l)
			}
		}
	}
}

// TestRequiredPulsesFollowsTheLink: a longer fibre or a longer key needs
// more pulses, and a link no size can serve gets the cap: one without
// decoys (GLLP) at 100 km, where decoys still serve.
func TestRequiredPulsesFollowsTheLink(t *testing.T) {
	prev := 0
	for _, km := range []float64{0, 10, 25, 40, 60} {
		N := RequiredPulses(src, design(km, 256), maxPulses)
		if N < prev {
			t.Errorf("%v km: %d pulses, fewer than %d at a shorter fibre", km, N, prev)
		}
		prev = N
	}
	if short, long := RequiredPulses(src, design(25, 256), maxPulses), RequiredPulses(src, design(25, 4096), maxPulses); long <= short {
		t.Errorf("25 km: a 4096-bit key needs %d pulses, a 256-bit one %d", long, short)
	}
	gllp := src
	gllp.Decoys = false
	if N := RequiredPulses(gllp, design(100, 256), maxPulses); N != maxPulses {
		t.Errorf("GLLP at 100 km: %d pulses, want the cap %d", N, maxPulses)
	}
	if N := RequiredPulses(src, design(60, 256), maxPulses); N >= maxPulses {
		t.Errorf("decoys at 60 km: %d pulses, the cap", N)
	}
}
