package finitekey

import (
	"math"
	"qkdchat/qkd/channel"
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
// of the key basis (KeyCheckSample) is disclosed too, so that the bit
// error rate of the key basis is known before error correction: it is
// checked against the threshold and sizes Cascade.

// Symmetric reports whether a run with this z-bias uses the
// symmetric estimate.
func Symmetric(zBias float64) bool { return zBias == 0.5 }

// KeyBasis is the basis an asymmetric run takes its key from: the
// likelier one.
func KeyBasis(zBias float64) channel.Basis {
	if zBias >= 0.5 {
		return channel.Z
	}
	return channel.X
}

// KeyCheckSample is how many key-basis bits an asymmetric run discloses
// to measure the key basis' error rate: 1/256 of the key basis (0.4% of
// the key) but at least 64, and no more than the test bits. It only has to
// tell a key basis that Eve scrambled (about 50% errors) from one below
// the threshold, and size Cascade together with the test bits; the
// secrecy bound does not use it.
func KeyCheckSample(keyPool, testPool int) int {
	return min(testPool, keyPool, max(64, (keyPool+255)/256))
}

// Plan is how the sifted pool is split into disclosed sample and
// key.
type Plan struct {
	Symmetric bool
	Key       channel.Basis // asymmetric: the key basis
	// k is, for a symmetric run, the sample drawn from the whole pool; for
	// an asymmetric one, the bits drawn from the key basis' pool.
	K    int
	Test int // asymmetric: the test-basis bits, all disclosed
	Want int // bits the run must produce (at least 1)
}

// size is the number of disclosed bits.
func (p Plan) Size() int { return p.K + p.Test }

// PlanSample applies the sample-size rule to a pool of pool sifted bits,
// keyPool of them in the key basis (for an asymmetric run). When no
// symmetric sample size leaves enough key, the whole pool is disclosed:
// the run will abort for lack of key, and the estimate is then as good as
// it gets.
func PlanSample(pool, keyPool int, c Params) Plan {
	want := max(c.KeyBits, 1)
	if !Symmetric(c.ZBias) {
		test := pool - keyPool
		return Plan{Key: KeyBasis(c.ZBias), K: KeyCheckSample(keyPool, test), Test: test, Want: want}
	}
	k, l := BestSample(pool, c.DesignQBER, c.EpsSec, c.EpsCor)
	if l < float64(want) {
		k = pool
	}
	return Plan{Symmetric: true, K: k, Want: want}
}

// PlannedKeyLength is the key length the bound gives for a plan when the
// sample's error rate comes out at qPhase and error correction leaks as
// planned for qDesign: n key bits, and the sample the phase error is
// estimated on.
func (p Plan) PlannedKeyLength(pool int, qPhase, qDesign, epsSec, epsCor float64) float64 {
	n, k := pool-p.K, p.K
	if !p.Symmetric {
		n, k = pool-p.Test-p.K, p.Test
	}
	l, _ := KeyLength(n, k, qPhase, PredictedLeak(n, qDesign), epsSec, epsCor)
	return l
}

// PhaseSample is the number of bits the phase error is estimated on.
func (p Plan) PhaseSample() int {
	if p.Symmetric {
		return p.K
	}
	return p.Test
}

// SampleErrors are the disclosed bits' error counts by basis.
type SampleErrors struct {
	Errs, Bits [2]int // indexed by channel.Basis
}

func rate(errs, bits int) float64 {
	if bits == 0 {
		return 0
	}
	return float64(errs) / float64(bits)
}

// PhaseEstimate is what the finite-key bound and the abort rule use from
// a sample.
type PhaseEstimate struct {
	QBERZ, QBERX float64
	Checked      float64 // compared with the threshold
	Phase        float64 // sample error rate the phase error is bounded by
	PhaseBits    int     // the sample it is measured on (k of the bound)
	EC           float64 // error rate Cascade is sized for
	Errs         int     // disclosed bits that differed
}

// EstimatePhase applies the estimation rule (go) to a sample's
// error counts. Symmetric: everything is the whole sample's error rate.
// Asymmetric: the phase error comes from the test basis alone; the
// threshold applies to each basis; Cascade is sized by the whole sample.
func EstimatePhase(p Plan, e SampleErrors) PhaseEstimate {
	all := rate(e.Errs[channel.Z]+e.Errs[channel.X], e.Bits[channel.Z]+e.Bits[channel.X])
	pe := PhaseEstimate{QBERZ: rate(e.Errs[channel.Z], e.Bits[channel.Z]), QBERX: rate(e.Errs[channel.X], e.Bits[channel.X]),
		Checked: all, Phase: all, PhaseBits: p.K, EC: all, Errs: e.Errs[channel.Z] + e.Errs[channel.X]}
	if !p.Symmetric {
		t := p.Key ^ 1
		pe.Phase, pe.PhaseBits = rate(e.Errs[t], e.Bits[t]), e.Bits[t]
		pe.Checked = max(pe.QBERZ, pe.QBERX)
		pe.EC = KeyBasisQBER(e.Errs[p.Key], e.Bits[p.Key], e.Errs[t], e.Bits[t])
	}
	return pe
}

// KeyBasisQBER is the error rate Cascade is sized for in an asymmetric
// run: that of the key basis' own sample, or, when the test basis' rate
// agrees with it (within three standard deviations of their difference),
// the rate of both samples together, which is measured on more bits.
func KeyBasisQBER(errKey, bitsKey, errTest, bitsTest int) float64 {
	qk := rate(errKey, bitsKey)
	if bitsKey == 0 || bitsTest == 0 {
		return rate(errKey+errTest, bitsKey+bitsTest)
	}
	pooled := rate(errKey+errTest, bitsKey+bitsTest)
	sd := math.Sqrt(pooled * (1 - pooled) * (1/float64(bitsKey) + 1/float64(bitsTest)))
	if math.Abs(qk-rate(errTest, bitsTest)) <= 3*sd {
		return pooled
	}
	return qk
}

// Params are the protocol's choices a plan depends on.
type Params struct {
	KeyBits    int     // bits the run must produce (0: at least 1)
	ZBias      float64 // probability of the Z basis
	DesignQBER float64 // QBER the run is planned for
	EpsSec     float64
	EpsCor     float64
}
