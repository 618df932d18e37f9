package channel

import (
	"math"
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
)

// Fibre is the link from Alice to Bob: a bit-flip probability (the
// intrinsic error rate, e.g. misalignment) and a transmittance.
type Fibre struct {
	Flip     Fixed
	Transmit Fixed
}

// Transmittance returns the fraction of photons surviving km of fibre at
// 0.2 dB/km.
func Transmittance(km float64) float64 { return math.Pow(10, -0.2*km/10) }

// Apply flips and drops photons of f in place.
func (c Fibre) Apply(f Frame, r *rand.Rand) {
	for i := range f.Value {
		f.Value[i] ^= BernoulliWord(r, c.Flip)
		f.Present[i] &= BernoulliWord(r, c.Transmit)
	}
	bitvec.TailMask(f.Value, f.Count)
	bitvec.TailMask(f.Present, f.Count)
}
