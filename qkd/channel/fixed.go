package channel

import (
	"math/bits"
	"math/rand/v2"
)

// Fixed is a probability in 32-bit fixed point; FixedOne means 1.
type Fixed uint64

// FixedOne is the probability 1.
const FixedOne Fixed = 1 << 32

// ToFixed rounds p to 32-bit fixed point; p <= 0 (or NaN) gives 0 and
// p >= 1 gives FixedOne.
func ToFixed(p float64) Fixed {
	switch {
	case !(p > 0): // also NaN
		return 0
	case p >= 1:
		return FixedOne
	}
	return Fixed(p*float64(FixedOne) + 0.5)
}

// BernoulliWord returns 64 independent bits, each 1 with probability p
// (to 32-bit precision). It reads the binary expansion of p from the least
// significant bit b_32 up to b_1 (the 1/2 bit): after processing b_t a mask
// bit is 1 with probability 0.b_t...b_32 in binary, so it costs one random
// word per bit from the lowest set bit of p up, and nothing for p = 0 or 1.
func BernoulliWord(r *rand.Rand, p Fixed) uint64 {
	switch {
	case p == 0:
		return 0
	case p >= FixedOne:
		return ^uint64(0)
	}
	v := uint64(p)
	var m uint64
	for i := bits.TrailingZeros64(v); i < 32; i++ {
		u := r.Uint64()
		if v>>i&1 != 0 {
			m |= u
		} else {
			m &= u
		}
	}
	return m
}
