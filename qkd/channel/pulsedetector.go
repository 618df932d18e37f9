package channel

import (
	"math"
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
)

// PulseDetector is Bob's detector pair on a pulsed link: each photon of a
// pulse is detected with probability Efficiency, a dark count fires with
// probability Dark per slot (the pair together), a detected photon lands
// in the wrong detector with probability Misalign, a click is followed in
// the next slot the detector can see by an afterpulse with probability
// Afterpulse, and after every click the detector is blind for DeadTime
// slots. He measures in X with probability PX. A dark count or an
// afterpulse, alone or with a photon, gives a random bit (a double click
// is assigned one at random). The detector remembers its dead time and a
// pending afterpulse from one chunk to the next, so a run may measure its
// pulses in chunks.
type PulseDetector struct {
	Efficiency, Dark, Misalign, Afterpulse, PX float64
	DeadTime                                   int

	blind   int  // slots still dead
	pending bool // the last click may afterpulse in the next live slot
}

// Measure measures the chunk p into Bob's planes at pulse offset off.
func (d *PulseDetector) Measure(p Pulses, r *rand.Rand, off int, detected, basis, result []uint64) {
	var miss [8]float64 // (1-Efficiency)^n for small n
	for n := range miss {
		miss[n] = math.Pow(1-d.Efficiency, float64(n))
	}
	for i := 0; i < p.Count; i++ {
		var bb uint8
		if r.Float64() < d.PX {
			bb = 1
		}
		bitvec.Set(basis, off+i, bb)
		if d.blind > 0 {
			d.blind--
			continue
		}
		n := p.Photons[i]
		m := 0.0
		if int(n) < len(miss) {
			m = miss[n]
		} else {
			m = math.Pow(1-d.Efficiency, float64(n))
		}
		signal := n > 0 && r.Float64() >= m
		noise := (d.Dark > 0 && r.Float64() < d.Dark) || (d.pending && r.Float64() < d.Afterpulse)
		d.pending = false
		if !signal && !noise {
			continue
		}
		res := uint8(r.Uint64() & 1)
		if signal && !noise && bb == bitvec.Get(p.Basis, i) {
			res = bitvec.Get(p.Value, i)
			if d.Misalign > 0 && r.Float64() < d.Misalign {
				res ^= 1
			}
		}
		bitvec.Set(detected, off+i, 1)
		bitvec.Set(result, off+i, res)
		d.blind, d.pending = d.DeadTime, d.Afterpulse > 0
	}
}
