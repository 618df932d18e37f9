package channel

import (
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
)

// SinglePhotons is an ideal single-photon source: it draws n random bits
// and bases (X with probability pX) for Alice, packed, one photon per
// bit.
func SinglePhotons(r *rand.Rand, n int, pX Fixed) (value, basis []uint64) {
	w := bitvec.Words(n)
	value = make([]uint64, w)
	basis = make([]uint64, w)
	for i := 0; i < w; i++ {
		value[i] = r.Uint64()
		basis[i] = BernoulliWord(r, pX)
	}
	bitvec.TailMask(value, n)
	bitvec.TailMask(basis, n)
	return value, basis
}
