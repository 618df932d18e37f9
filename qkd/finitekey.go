package qkd

import (
	"fmt"
	"math"
	"qkdchat/qkd/finitekey"
)

// Estimating the phase error: symmetric and biased bases.
//
// The bound above needs the phase-error rate of the key: the error rate
// the key bits would have shown had they been measured in the other basis.
// How the disclosed bits estimate it depends on the bases' bias.
//
// At z-bias 0.5 (symmetric BB84) the basis of each sifted position is a
// fair coin that Eve cannot know when she acts, so the errors of a random
// sample of the sifted string, whatever its bases, estimate the phase
// errors of the rest (Shor and Preskill, PRL 85:441 (2000); with finite
// sampling, Hayashi and Tsurumaru, New J. Phys. 14:093014 (2012)). The
// sample is drawn from the whole sifted pool, as large as maximises l
// (bestSample).
//
// At any other bias that symmetry is gone: an Eve who measures every
// photon in the likelier basis is right for most sifted bits and disturbs
// only the few of the other basis, which a mixed sample barely contains.
// The run then follows the asymmetric protocol of Tomamichel et al. (their
// protocol with p_x != 1/2, and Lo, Chau and Ardehali, J. Cryptol. 18:133
// (2005)): the key comes only from the likelier ("key") basis, every
// sifted bit of the other ("test") basis is disclosed, and the key's phase
// error is bounded by the test bits' error rate plus mu(n, k) with n the
// key bits and k the test bits (Eq. 2 above: a Serfling bound for a test
// sample of k drawn with the n key bits from the n+k). A small random sample
// of the key basis (keyCheckSample) is disclosed too, so that the bit
// error rate of the key basis is known before error correction: it is
// checked against the threshold and sizes Cascade.

// symmetricBases reports whether a run with this z-bias uses the
// symmetric estimate.
func symmetricBases(zBias float64) bool { return zBias == 0.5 }

// keyBasisOf is the basis an asymmetric run takes its key from: the
// likelier one.
func keyBasisOf(zBias float64) Basis {
	if zBias >= 0.5 {
		return Z
	}
	return X
}

// keyCheckSample is how many key-basis bits an asymmetric run discloses
// to measure the key basis' error rate: 1/256 of the key basis (0.4% of
// the key) but at least 64, and no more than the test bits. It only has to
// tell a key basis that Eve scrambled (about 50% errors) from one below
// the threshold, and size Cascade together with the test bits; the
// secrecy bound does not use it.
func keyCheckSample(keyPool, testPool int) int {
	return min(testPool, keyPool, max(64, (keyPool+255)/256))
}

// samplePlan is how the sifted pool is split into disclosed sample and
// key.
type samplePlan struct {
	symmetric bool
	key       Basis // asymmetric: the key basis
	// k is, for a symmetric run, the sample drawn from the whole pool; for
	// an asymmetric one, the bits drawn from the key basis' pool.
	k    int
	test int // asymmetric: the test-basis bits, all disclosed
	want int // bits the run must produce (at least 1)
}

// size is the number of disclosed bits.
func (p samplePlan) size() int { return p.k + p.test }

// planSample applies the sample-size rule to a pool of pool sifted bits,
// keyPool of them in the key basis (for an asymmetric run). When no
// symmetric sample size leaves enough key, the whole pool is disclosed:
// the run will abort for lack of key, and the estimate is then as good as
// it gets.
func planSample(pool, keyPool int, c Protocol) samplePlan {
	want := max(c.KeyBits, 1)
	if !symmetricBases(c.ZBias) {
		test := pool - keyPool
		return samplePlan{key: keyBasisOf(c.ZBias), k: keyCheckSample(keyPool, test), test: test, want: want}
	}
	k, l := finitekey.BestSample(pool, c.DesignQBER, c.EpsSec, c.EpsCor)
	if l < float64(want) {
		k = pool
	}
	return samplePlan{symmetric: true, k: k, want: want}
}

// plannedKeyLength is the key length the bound gives for a plan when the
// sample's error rate comes out at qPhase and error correction leaks as
// planned for qDesign: n key bits, and the sample the phase error is
// estimated on.
func (p samplePlan) plannedKeyLength(pool int, qPhase, qDesign, epsSec, epsCor float64) float64 {
	n, k := pool-p.k, p.k
	if !p.symmetric {
		n, k = pool-p.test-p.k, p.test
	}
	l, _ := finitekey.KeyLength(n, k, qPhase, finitekey.PredictedLeak(n, qDesign), epsSec, epsCor)
	return l
}

// phaseSample is the number of bits the phase error is estimated on.
func (p samplePlan) phaseSample() int {
	if p.symmetric {
		return p.k
	}
	return p.test
}

// expectedPools returns the expected sifted pool and its key-basis part
// for d detected photons.
func expectedPools(d int, zBias float64) (pool, keyPool int) {
	pz, px := zBias, 1-zBias
	if symmetricBases(zBias) {
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
	return p.plannedKeyLength(pool, q, q, c.EpsSec, c.EpsCor) / float64(d)
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
	if !symmetricBases(c.ZBias) {
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
			qHigh += planSigmas * math.Sqrt(q*(1-q)/float64(max(p.phaseSample(), 1)))
		}
		return p.plannedKeyLength(pool, qHigh, q, c.EpsSec, c.EpsCor) >= float64(want)
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
