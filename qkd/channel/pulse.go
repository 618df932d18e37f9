package channel

import (
	"fmt"
	"math"
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
)

// Class is the intensity class of a pulse: the signal, or one of the decoy
// states. Only Alice knows it until she announces it.
type Class uint8

// The intensity classes of vacuum+weak decoy BB84.
const (
	Signal Class = iota // the key-carrying intensity mu
	Weak                // the weak decoy nu
	Vacuum              // the vacuum decoy (no light)
	NumClasses
)

func (c Class) String() string {
	switch c {
	case Signal:
		return "signal"
	case Weak:
		return "weak"
	case Vacuum:
		return "vacuum"
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// MaxPhotons caps the photon number of one pulse; a Poisson pulse of mean
// 2 exceeds it with probability below 1e-200.
const MaxPhotons = 255

// Pulses is a chunk of Count time slots of a pulsed source, the general
// counterpart of Frame: pulse i holds Photons[i] photons, all in the state
// bit i of Value encodes in basis bit i of Basis (1 = X), and was sent at
// intensity Class[i]. The models change Photons, Basis and Value in place;
// a run streams its pulses chunk by chunk, and every model that carries
// state from one chunk to the next (PulseDetector) keeps it itself.
type Pulses struct {
	Count   int
	Basis   []uint64
	Value   []uint64
	Photons []uint8
	Class   []Class
}

// Laser is a phase-randomised weak laser (weak coherent pulses): each
// pulse is of class c with probability Prob[c] and holds a Poisson number
// of photons of mean Mean[c]. An ideal single-photon source is Single.
type Laser struct {
	Single bool // one photon per pulse, every pulse a signal
	Mean   [NumClasses]float64
	Prob   [NumClasses]float64
}

// Emit draws the next n pulses: class, photon number, and Alice's random
// bit and basis (X with probability pX).
func (l Laser) Emit(r *rand.Rand, n int, pX float64) Pulses {
	w := bitvec.Words(n)
	p := Pulses{Count: n, Basis: make([]uint64, w), Value: make([]uint64, w), Photons: make([]uint8, n), Class: make([]Class, n)}
	var expMean [NumClasses]float64
	for c := range expMean {
		expMean[c] = math.Exp(-l.Mean[c])
	}
	for i := 0; i < n; i++ {
		if r.Float64() < pX {
			bitvec.Set(p.Basis, i, 1)
		}
		bitvec.Set(p.Value, i, uint8(r.Uint64()&1))
		if l.Single {
			p.Photons[i] = 1
			continue
		}
		c := Signal
		for u := r.Float64(); c < NumClasses-1 && u >= l.Prob[c]; c++ {
			u -= l.Prob[c]
		}
		p.Class[i] = c
		p.Photons[i] = poisson(r, l.Mean[c], expMean[c])
	}
	return p
}

// poisson draws a Poisson number of mean m (expM = e^-m) by inversion,
// capped at MaxPhotons.
func poisson(r *rand.Rand, m, expM float64) uint8 {
	if m <= 0 {
		return 0
	}
	u := r.Float64()
	k, p, cdf := 0, expM, expM
	for u >= cdf && k < MaxPhotons {
		k++
		p *= m / float64(k)
		cdf += p
	}
	return uint8(k)
}

// Transmit is the fibre acting on photons: each pulse's bit flips with
// probability flip (the link's intrinsic noise) and each photon survives
// independently with probability transmit.
func Transmit(p Pulses, r *rand.Rand, flip, transmit float64) {
	for i := 0; i < p.Count; i++ {
		if flip > 0 && r.Float64() < flip {
			bitvec.Flip(p.Value, i)
		}
		p.Photons[i] = thin(r, p.Photons[i], transmit)
	}
}

// thin keeps each of n photons with probability t.
func thin(r *rand.Rand, n uint8, t float64) uint8 {
	if t >= 1 {
		return n
	}
	var k uint8
	for j := uint8(0); j < n; j++ {
		if r.Float64() < t {
			k++
		}
	}
	return k
}
