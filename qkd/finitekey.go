package qkd

import (
	"fmt"
	"math"
)

// Finite-key analysis after Tomamichel, Lim, Gisin and Renner, "Tight
// finite-key analysis for quantum cryptography", Nat. Commun. 3:634 (2012).
// From s sifted bits, k random positions are disclosed to estimate the
// QBER and the other n = s-k form the raw key. With probability at least
// 1-eps_sec² the phase-error rate of the key is below the sample's error
// rate plus
//
//	mu = sqrt((n+k)/(n k) · (k+1)/k · ln(2/eps_sec))
//
// (their Eq. 2, a Serfling bound for sampling without replacement), and an
// eps_sec-secret, eps_cor-correct key of
//
//	l = n (1 - h(Q + mu)) - leak_EC - log2(2/(eps_sec² eps_cor))
//
// bits can be extracted. Q is the tolerated QBER. Like most
// implementations we take Q to be the sample's error rate; the abort
// threshold (11% by default) bounds it from above.
//
// Sample-size rule: the sample is as large as maximises l. A bigger sample
// shrinks mu but leaves fewer key bits; l(k) is unimodal, so we search k
// for its maximum, predicting leak_EC as designEfficiency(n)·n·h(Q) + 104 at
// the design QBER. The optimum is flat (±20% in k changes l by a few bits),
// so an imprecise design QBER costs little.

// designEfficiency is the Cascade efficiency f assumed when planning n
// bits. The mean at n = 10,000 is about 1.09 (TestCascadeEfficiency) and
// falls slowly with n, but a 256-bit key comes from n of a few thousand
// bits, where f is nearer 1.15.
func designEfficiency(n int) float64 {
	return 1.10 + 0.06*math.Min(1, 3000/float64(max(n, 1)))
}

// cascadeOverheadBits is the planned leak of Cascade beyond f·n·h(q): the
// top-level parities of the clean-up passes and the bisections of short
// keys, where few errors make the efficiency poor.
const cascadeOverheadBits = 40

// verifyTagBits is the length of the verification hash, disclosed and so
// counted in leak_EC.
const verifyTagBits = 64

// finiteKeyMu returns the statistical fluctuation term mu for n key and k
// sample bits.
func finiteKeyMu(n, k int, epsSec float64) float64 {
	if n <= 0 || k <= 0 {
		return math.Inf(1)
	}
	fn, fk := float64(n), float64(k)
	return math.Sqrt((fn + fk) / (fn * fk) * (fk + 1) / fk * math.Log(2/epsSec))
}

// keyLength returns the finite-key bound l (possibly negative) and mu.
func keyLength(n, k int, q, leakEC, epsSec, epsCor float64) (l, mu float64) {
	mu = finiteKeyMu(n, k, epsSec)
	if q+mu >= 0.5 {
		return math.Inf(-1), mu
	}
	return float64(n)*(1-binaryEntropy(q+mu)) - leakEC - math.Log2(2/(epsSec*epsSec*epsCor)), mu
}

// predictedLeak is the planned leak_EC for n bits at QBER q.
func predictedLeak(n int, q float64) float64 {
	return designEfficiency(n)*float64(n)*binaryEntropy(q) + cascadeOverheadBits + verifyTagBits
}

// bestSample returns the sample size k maximising the predicted key length
// from s sifted bits at design QBER q, and that length.
func bestSample(s int, q, epsSec, epsCor float64) (k int, l float64) {
	eval := func(k int) float64 {
		v, _ := keyLength(s-k, k, q, predictedLeak(s-k, q), epsSec, epsCor)
		return v
	}
	if s < 2 {
		return s, math.Inf(-1)
	}
	// Ternary search on the unimodal l(k) over [1, s-1], then a local scan.
	lo, hi := 1, s-1
	for hi-lo > 8 {
		m1 := lo + (hi-lo)/3
		m2 := hi - (hi-lo)/3
		if eval(m1) < eval(m2) {
			lo = m1 + 1
		} else {
			hi = m2
		}
	}
	k, l = lo, eval(lo)
	for c := lo + 1; c <= hi; c++ {
		if v := eval(c); v > l {
			k, l = c, v
		}
	}
	return k, l
}

// planSigmas is the margin, in standard deviations of the sample QBER,
// that RequiredQubits plans for.
const planSigmas = 2

// RequiredQubits returns how many photons Alice must send for a final key
// of c.KeyBits bits (256 when 0) on c's channel: it finds the smallest
// sifted length whose best sample gives the key even when the sample's
// QBER comes out two standard deviations above the design QBER, and
// divides by the expected detection and sifting rates, adding three
// standard deviations of the sifted count. Runs then fall short rarely
// (about 1 in 50); the nominal need, at exactly the design QBER, is about
// 20% lower.
func RequiredQubits(c Config) (int, error) { return requiredQubits(c, true) }

// requiredQubits is RequiredQubits; without margins it returns the
// nominal need, at exactly the design QBER and the expected sifting rate.
func requiredQubits(c Config, margins bool) (int, error) {
	if err := c.Validate(); err != nil {
		return 0, err
	}
	c = c.withDefaults()
	want := c.KeyBits
	if want == 0 {
		want = 256
	}
	q := c.DesignQBER
	pClick, _ := c.detection()
	rate := pClick * siftRatio(c.ZBias)
	if rate <= 0 {
		return 0, fmt.Errorf("%w: no photon can be detected on this channel", ErrConfig)
	}
	enough := func(s int) bool {
		k, _ := bestSample(s, q, c.EpsSec, c.EpsCor)
		// The sample's QBER fluctuates around q; plan for two standard
		// deviations above it so that about 98% of runs have enough key.
		qHigh := q
		if margins {
			qHigh += planSigmas * math.Sqrt(q*(1-q)/float64(k))
		}
		l, _ := keyLength(s-k, k, qHigh, predictedLeak(s-k, q), c.EpsSec, c.EpsCor)
		return l >= float64(want)
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
	// The sifted count is Binomial(N, rate): ask for the N whose mean less
	// three standard deviations reaches hi. With x = sqrt(N rate) that is
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
