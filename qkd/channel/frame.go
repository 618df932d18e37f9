package channel

import (
	"fmt"

	"qkdchat/qkd/bitvec"
)

// Frame is a batch of Count photons in flight from Alice to Bob, 64 per
// word: photon i has basis bit i of Basis (1 = X), value bit i of Value
// (the bit it encodes in that basis) and is present unless bit i of
// Present is 0 (lost in the fibre). It is the bulk counterpart of State:
// photon i is the state Prepare(value, basis). The planes must hold at
// least Count bits; the models change them in place.
type Frame struct {
	Count   int
	Basis   []uint64
	Value   []uint64
	Present []uint64
}

// Photon returns photon i as a two-amplitude state and whether it is
// present (not lost).
func (f Frame) Photon(i int) (s State, present bool) {
	return Prepare(bitvec.Get(f.Value, i), Basis(bitvec.Get(f.Basis, i))), bitvec.Get(f.Present, i) == 1
}

// SetPhoton replaces photon i by s, which must be one of the four BB84
// states up to a global phase (as an intercept-resend attack produces).
// It reports an error for any other state, which the bulk model cannot
// hold.
func (f Frame) SetPhoton(i int, s State) error {
	for _, b := range [2]Basis{Z, X} {
		for _, v := range [2]uint8{0, 1} {
			if s.Prob(b, v) > 1-1e-9 {
				bitvec.Set(f.Basis, i, uint8(b))
				bitvec.Set(f.Value, i, v)
				return nil
			}
		}
	}
	return fmt.Errorf("qkd: photon %d: state is not a BB84 state", i)
}
