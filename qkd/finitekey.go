package qkd

import (
	"fmt"
	"math"
	"qkdchat/qkd/decoy"
	"qkdchat/qkd/finitekey"
	"qkdchat/qkd/keyrate"
)

// expectedPools returns the expected sifted pool and its key-basis part
// for d detected photons.
func expectedPools(d int, zBias float64) (pool, keyPool int) {
	pz, px := zBias, 1-zBias
	if finitekey.Symmetric(zBias) {
		return int(float64(d) * siftRatio(pz)), 0
	}
	pk := max(pz, px)
	return int(float64(d) * siftRatio(pz)), int(float64(d) * pk * pk)
}

// PlannedKeyFraction is the final key length per detected photon that the
// finite-key bound gives for d detected photons at QBER q (both bases),
// with the sample chosen by the protocol's rule and the planned Cascade
// leak: the figure the run's key rate is designed around.
func PlannedKeyFraction(d int, q float64, c Protocol) float64 {
	c = c.withDefaults()
	c.DesignQBER = q
	pool, keyPool := expectedPools(d, c.ZBias)
	p := planSample(pool, keyPool, c)
	return p.PlannedKeyLength(pool, q, q, c.EpsSec, c.EpsCor) / float64(d)
}

// planSigmas is the margin, in standard deviations of the sample QBER,
// that RequiredQubits plans for.
const planSigmas = 2

// RequiredQubits returns how many photons Alice must send for a final key
// of p.KeyBits bits (256 when 0). It uses only what the parties know:
// the design QBER and the design detection probability, never the
// channel's actual noise or an eavesdropper. It finds the smallest
// detected count whose sample gives the key even when the sample's QBER
// comes out two standard deviations above the design QBER, and divides by
// the detection and sifting rates, adding three standard deviations of
// the count. Runs then fall short rarely (about 1 in 50); the nominal
// need, at exactly the design QBER, is about 20% lower.
func RequiredQubits(p Protocol) (int, error) { return requiredQubits(p, true) }

// RequiredPulses returns how many pulses Alice sends for c when Qubits is
// 0. A single-photon run is RequiredQubits(c.Protocol). A laser run is
// sized as its parties would from their link's calibration, c's Channel
// without Eve (0.2 dB/km, detector efficiency, dark counts, misalignment
// plus noise), by decoy.RequiredPulses: at most MaxPulses.
func RequiredPulses(c Config) (int, error) {
	if !c.Source.Laser {
		return RequiredQubits(c.Protocol)
	}
	if err := c.Validate(); err != nil {
		return 0, err
	}
	c = c.withDefaults()
	l := keyrate.Link{LossDBPerKm: 0.2, DetectorEfficiency: c.DetectorEfficiency, DarkCount: c.DarkCount,
		Misalignment: math.Min(0.5, c.Misalignment+c.Noise), ECEfficiency: 1}
	return decoy.RequiredPulses(c.Source, decoy.Design{Link: l, FiberKm: c.FiberKm, KeyBits: c.KeyBits, ZBias: c.ZBias,
		DesignQBER: c.DesignQBER, EpsSec: c.EpsSec, EpsCor: c.EpsCor}, MaxPulses), nil
}

// requiredQubits is RequiredQubits; without margins it returns the
// nominal need, at exactly the design QBER and the expected sifting rate.
func requiredQubits(c Protocol, margins bool) (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	c = c.withDefaults()
	want := c.KeyBits
	if want == 0 {
		want = 256
	}
	q := c.DesignQBER
	// The count that limits the run: the sifted pool (symmetric) or the
	// test-basis bits (asymmetric), and its rate per photon sent.
	rate := c.DesignDetection * siftRatio(c.ZBias)
	pools := func(u int) (pool, keyPool int) { return u, 0 }
	if !finitekey.Symmetric(c.ZBias) {
		pk, pt := max(c.ZBias, 1-c.ZBias), min(c.ZBias, 1-c.ZBias)
		rate = c.DesignDetection * pt * pt
		pools = func(u int) (int, int) {
			kp := int(float64(u) * pk * pk / (pt * pt))
			return u + kp, kp
		}
	}
	if rate <= 0 {
		return 0, fmt.Errorf("%w: no photon can be detected on this link", ErrConfig)
	}
	enough := func(u int) bool {
		pool, keyPool := pools(u)
		p := planSample(pool, keyPool, c)
		// The sample's QBER fluctuates around q; plan for two standard
		// deviations above it so that about 98% of runs have enough key.
		qHigh := q
		if margins {
			qHigh += planSigmas * math.Sqrt(q*(1-q)/float64(max(p.PhaseSample(), 1)))
		}
		return p.PlannedKeyLength(pool, qHigh, q, c.EpsSec, c.EpsCor) >= float64(want)
	}
	hi := 64
	for !enough(hi) {
		hi *= 2
		if hi > 8*MaxQubits {
			return 0, fmt.Errorf("%w: a %d-bit key at QBER %.3g needs more than %d qubits", ErrConfig, want, q, MaxQubits)
		}
	}
	lo := hi / 2
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if enough(m) {
			hi = m
		} else {
			lo = m
		}
	}
	// The count is Binomial(N, rate): ask for the N whose mean less three
	// standard deviations reaches hi. With x = sqrt(N rate) that is
	// x² - a x - hi >= 0 for a = 3 sqrt(1-rate).
	a := 3 * math.Sqrt(1-rate)
	if !margins {
		a = 0
	}
	x := (a + math.Sqrt(a*a+4*float64(hi))) / 2
	n := int(math.Ceil(x*x/rate)) + c.TraceQubits
	if n > MaxQubits {
		return 0, fmt.Errorf("%w: a %d-bit key needs %d qubits, more than %d", ErrConfig, want, n, MaxQubits)
	}
	return n, nil
}

// planSample applies the sample-size rule of finitekey.PlanSample with
// the protocol's choices.
func planSample(pool, keyPool int, c Protocol) finitekey.Plan {
	return finitekey.PlanSample(pool, keyPool, finitekey.Params{KeyBits: c.KeyBits, ZBias: c.ZBias,
		DesignQBER: c.DesignQBER, EpsSec: c.EpsSec, EpsCor: c.EpsCor})
}
