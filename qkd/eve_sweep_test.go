package qkd

import (
	"context"
	"testing"
)

// TestPartialEveNeverKnowsFinalKey sweeps an intercept-resend Eve over a
// fraction of the photons (2% to 30%), in Z, in X or in random bases, at
// z-bias 0.5 and 0.9, with and without noise, in runs of a fixed photon
// count and runs planned for a 256-bit key, over several seeds: every key
// made must leave the simulator's upper estimate of what she knows of it
// (eve_final_info_bits) at 0. At the time of writing: 576 runs, 303 keys,
// the worst estimate 0. Under -short 2 seeds instead of 4, under race 1; the
// full run is `go test -run TestPartialEveNeverKnowsFinalKey ./qkd/`.
func TestPartialEveNeverKnowsFinalKey(t *testing.T) {
	seeds := uint64(4)
	switch {
	case raceEnabled:
		seeds = 1
	case testing.Short():
		seeds = 2
	}
	runs, keys, worst := 0, 0, 0
	for _, p := range []Protocol{{Qubits: 60_000, DesignQBER: 0.01}, {KeyBits: 256}} {
		for _, basis := range []EveBasis{EveZ, EveX, EveRandom} {
			for _, frac := range []float64{0.02, 0.05, 0.1, 0.15, 0.2, 0.3} {
				for _, noise := range []float64{0, 0.01} {
					for _, bias := range []float64{0.5, 0.9} {
						for seed := range seeds {
							p.ZBias = bias
							c := Config{Protocol: p, Channel: Channel{Noise: noise, Eve: frac, EveBasis: basis}}
							rep, err := Simulate(context.Background(), seeded(c, 7919*seed+uint64(p.KeyBits)))
							runs++
							if err != nil {
								if !isAbort(err) {
									t.Fatalf("eve %v on %.2f: %v", basis, frac, err)
								}
								continue
							}
							keys++
							worst = max(worst, rep.EveFinalInfoBits)
							if rep.EveFinalInfoBits > 0 {
								t.Errorf("eve %v on %.2f, noise %.2f, z-bias %.1f, seed %d: a %d-bit key of which she knows up to %d bits (qber_z %.4f qber_x %.4f)",
									basis, frac, noise, bias, seed, rep.KeyBits, rep.EveFinalInfoBits, rep.QBERZ, rep.QBERX)
							}
						}
					}
				}
			}
		}
	}
	t.Logf("%d runs, %d keys, worst eve_final_info_bits %d", runs, keys, worst)
	if keys == 0 {
		t.Fatal("every run aborted: the sweep tests nothing")
	}
}
