package decoy

import (
	"math"

	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/keyrate"
)

// Design is what the parties know when they size a laser run: their
// link's calibration (loss, detector efficiency, dark counts, and the
// misalignment including the channel's intrinsic noise; never Eve), its
// length, and their protocol's choices.
type Design struct {
	Link       keyrate.Link
	FiberKm    float64
	KeyBits    int     // the key wanted; 256 when below
	ZBias      float64 // probability of the Z basis
	DesignQBER float64 // QBER the sample and Cascade are planned for
	EpsSec     float64
	EpsCor     float64
}

// RequiredPulses sizes a laser run from d: the smallest number of pulses
// of src (defaults applied by the caller), in steps of 10% from 10^4, for
// which the finite-size bound (Estimate, KeyLength) on the counts the link
// should give yields the key with a 20% margin; maxPulses when none below
// it does.
func RequiredPulses(src Source, d Design, maxPulses int) int {
	want := 1.2 * float64(max(d.KeyBits, 256))
	for N := 1e4; N < float64(maxPulses); N *= 1.1 {
		if expectedKeyLength(src, d, N) >= want {
			return int(N)
		}
	}
	return maxPulses
}

// expectedKeyLength is the finite-size key length of N pulses of src on
// d's link, from the counts the link gives on average.
func expectedKeyLength(src Source, d Design, N float64) float64 {
	prob := [channel.NumClasses]float64{1}
	if src.Decoys {
		prob = [channel.NumClasses]float64{1 - src.PWeak - src.PVac, src.PWeak, src.PVac}
	}
	l, km := d.Link, d.FiberKm
	sift := d.ZBias*d.ZBias + (1-d.ZBias)*(1-d.ZBias)
	var k Counts
	for cl, x := range []float64{src.Mu, src.Nu, 0} {
		g := l.Gain(km, x)
		k.Pulses[cl] = int(N * prob[cl])
		k.Detected[cl] = int(N * prob[cl] * g)
		k.Disclosed[cl] = int(float64(k.Detected[cl]) * sift)
		k.Errors[cl] = int(float64(k.Disclosed[cl]) * l.ErrorGain(km, x) / g)
	}
	// The sample and Cascade are planned for the design QBER, the sample
	// as the protocol draws it (qkd/finitekey's plan).
	q := math.Max(d.DesignQBER, l.ErrorGain(km, src.Mu)/l.Gain(km, src.Mu))
	pool := k.Disclosed[channel.Signal]
	s := Sample{ZBias: d.ZBias, PhaseQBER: q}
	if finitekey.Symmetric(d.ZBias) {
		s.Removed, _ = finitekey.BestSample(pool, q, d.EpsSec, d.EpsCor)
		s.Key, s.PhaseBits = pool-s.Removed, s.Removed
	} else {
		zk := max(d.ZBias, 1-d.ZBias)
		keyPool := int(float64(k.Detected[channel.Signal]) * zk * zk)
		s.PhaseBits = pool - keyPool
		s.Removed = finitekey.KeyCheckSample(keyPool, s.PhaseBits)
		s.Key = keyPool - s.Removed
	}
	b := Estimate(src, k, s, d.EpsSec).Finite
	return KeyLength(b, s.Key, finitekey.PredictedLeak(s.Key, q), d.EpsSec, d.EpsCor)
}
