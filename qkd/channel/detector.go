package channel

import (
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
)

// Detector is Bob's single-photon detector pair: efficiency and dark-count
// probability per time slot, and the probability PX that he measures in X.
type Detector struct {
	Efficiency Fixed
	Dark       Fixed
	PX         Fixed
}

// Measure measures frame f into Bob's planes at photon offset off:
// detected, basis (1 = X) and result. A photon measured in its own basis
// gives its value; in the other basis, or on a dark count, the result is a
// fair coin (a dark count coinciding with a photon is a double click,
// which is assigned a random bit).
func (d Detector) Measure(f Frame, r *rand.Rand, off int, detected, basis, result []uint64) {
	for i := 0; i < bitvec.Words(f.Count); i++ {
		bb := BernoulliWord(r, d.PX)
		signal := f.Present[i] & BernoulliWord(r, d.Efficiency)
		dark := BernoulliWord(r, d.Dark)
		coin := r.Uint64()
		same := ^(bb ^ f.Basis[i])
		res := f.Value[i]&same | coin&^same
		res = res&^dark | coin&dark
		click := signal | dark
		bitvec.PutWord(detected, off+64*i, click&bitvec.LowMask(f.Count-64*i))
		bitvec.PutWord(basis, off+64*i, bb&bitvec.LowMask(f.Count-64*i))
		bitvec.PutWord(result, off+64*i, res&click&bitvec.LowMask(f.Count-64*i))
	}
}
