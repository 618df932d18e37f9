package decoy

import (
	"errors"
	"fmt"
	"math/bits"

	"qkdchat/qkd/channel"
)

// Source is Alice's light source, which she announces. The zero values of
// Mu, Nu, PWeak and PVac mean their defaults (WithDefaults); the zero
// Source is the ideal single-photon source.
type Source struct {
	Laser  bool    // weak coherent pulses; false: single photons
	Mu     float64 // signal intensity, mean photons per pulse; 0 means DefaultMu
	Decoys bool    // vacuum+weak decoy states
	Nu     float64 // weak-decoy intensity, below Mu; 0 means DefaultNu
	PWeak  float64 // probability of a weak decoy; 0 means DefaultPDecoy
	PVac   float64 // probability of a vacuum decoy; 0 means DefaultPDecoy
	// AssumeSingle is UNSAFE, for demonstrations only: the parties treat
	// every laser detection as a single photon, so a photon-number
	// splitting eavesdropper learns most of the key unnoticed.
	AssumeSingle bool
}

// Source defaults: mu = 0.48, the optimum of Ma, Qi, Zhao and Lo (PRA 72,
// 012326 (2005)) for the GYS link (qkd/keyrate finds 0.47-0.53 for links
// of 10-50 km); nu = 0.1 and 1/8 of the pulses each for the weak and the
// vacuum decoy, near qkd/keyrate's finite-size optimum for 1e7 pulses
// (nu 0.09-0.11, signal fraction 0.74-0.80).
const (
	DefaultMu     = 0.48
	DefaultNu     = 0.1
	DefaultPDecoy = 0.125
)

// Validate reports the first field of s out of range.
func (s Source) Validate() error {
	d := s.WithDefaults()
	switch {
	case !(s.PWeak >= 0 && s.PWeak <= 1) || !(s.PVac >= 0 && s.PVac <= 1):
		return fmt.Errorf("decoy probabilities %v and %v must be in [0,1]", s.PWeak, s.PVac)
	case !(s.Mu >= 0 && s.Mu <= 2):
		return fmt.Errorf("mu %v outside (0, 2]", s.Mu)
	case !(s.Nu >= 0) || s.Decoys && !(d.Nu < d.Mu):
		// Without decoys nu is never sent: a weak signal (mu at or below
		// the default nu, as the GLLP bound favours at a distance) is valid.
		return fmt.Errorf("weak-decoy intensity nu %v must be positive and below mu %v", d.Nu, d.Mu)
	case s.Decoys && d.PWeak+d.PVac >= 1:
		return fmt.Errorf("decoy probabilities %v + %v leave no signal pulses", d.PWeak, d.PVac)
	case !s.Laser && (s.Decoys || s.AssumeSingle):
		return errors.New("decoy states and assume-single-photon need a laser source")
	}
	return nil
}

// WithDefaults returns s with its zero intensities and probabilities
// replaced by their defaults.
func (s Source) WithDefaults() Source {
	if s.Mu == 0 {
		s.Mu = DefaultMu
	}
	if s.Nu == 0 {
		s.Nu = DefaultNu
	}
	if s.PWeak == 0 {
		s.PWeak = DefaultPDecoy
	}
	if s.PVac == 0 {
		s.PVac = DefaultPDecoy
	}
	return s
}

// Model is the source as qkd/channel simulates it.
func (s Source) Model() channel.Laser {
	if !s.Laser {
		return channel.Laser{Single: true}
	}
	l := channel.Laser{Mean: [channel.NumClasses]float64{s.Mu, s.Nu, 0}, Prob: [channel.NumClasses]float64{1, 0, 0}}
	if s.Decoys {
		l.Prob = [channel.NumClasses]float64{1 - s.PWeak - s.PVac, s.PWeak, s.PVac}
	}
	return l
}

// Tally counts, from Bob's detections, both sides' bases and the announced
// weak and vacuum planes of N pulses, the pulses and detections of each
// intensity into c, and returns the detections of signal pulses (the only
// ones that enter the key) and the sifted weak-decoy detections (which
// both disclose).
func Tally(c *Counts, N int, detected, aBasis, bBasis, weak, vac []uint64) (signal, siftedWeak []uint64) {
	signal, siftedWeak = make([]uint64, len(detected)), make([]uint64, len(detected))
	for i, d := range detected {
		signal[i] = d &^ (weak[i] | vac[i])
		siftedWeak[i] = d & weak[i] &^ (aBasis[i] ^ bBasis[i])
		c.Pulses[channel.Weak] += bits.OnesCount64(weak[i])
		c.Pulses[channel.Vacuum] += bits.OnesCount64(vac[i])
		c.Detected[channel.Signal] += bits.OnesCount64(signal[i])
		c.Detected[channel.Weak] += bits.OnesCount64(d & weak[i])
		c.Detected[channel.Vacuum] += bits.OnesCount64(d & vac[i])
	}
	c.Pulses[channel.Signal] = N - c.Pulses[channel.Weak] - c.Pulses[channel.Vacuum]
	return signal, siftedWeak
}
