package finitekey

import "math"

// DesignEfficiency is the Cascade efficiency f assumed when planning n
// bits. The mean at n = 10,000 is about 1.09 (TestCascadeEfficiency) and
// falls slowly with n, but a 256-bit key comes from n of a few thousand
// bits, where f is nearer 1.15.
func DesignEfficiency(n int) float64 {
	return 1.10 + 0.06*math.Min(1, 3000/float64(max(n, 1)))
}

// cascadeOverheadBits is the planned leak of Cascade beyond f·n·h(q): the
// top-level parities of the clean-up passes and the bisections of short
// keys, where few errors make the efficiency poor.
const cascadeOverheadBits = 40

// VerifyTagBits is the length of the verification hash, disclosed and so
// counted in leak_EC.
const VerifyTagBits = 64

// Mu returns the statistical fluctuation term mu for n key and k
// sample bits.
func Mu(n, k int, epsSec float64) float64 {
	if n <= 0 || k <= 0 {
		return math.Inf(1)
	}
	fn, fk := float64(n), float64(k)
	return math.Sqrt((fn + fk) / (fn * fk) * (fk + 1) / fk * math.Log(2/epsSec))
}

// KeyLength returns the finite-key bound l (possibly negative) and mu.
func KeyLength(n, k int, q, leakEC, epsSec, epsCor float64) (l, mu float64) {
	mu = Mu(n, k, epsSec)
	if q+mu >= 0.5 {
		return math.Inf(-1), mu
	}
	return float64(n)*(1-BinaryEntropy(q+mu)) - leakEC - math.Log2(2/(epsSec*epsSec*epsCor)), mu
}

// PredictedLeak is the planned leak_EC for n bits at QBER q.
func PredictedLeak(n int, q float64) float64 {
	return DesignEfficiency(n)*float64(n)*BinaryEntropy(q) + cascadeOverheadBits + VerifyTagBits
}

// BestSample returns the sample size k maximising the predicted key length
// from s sifted bits at design QBER q, and that length.
func BestSample(s int, q, epsSec, epsCor float64) (k int, l float64) {
	eval := func(k int) float64 {
		v, _ := KeyLength(s-k, k, q, PredictedLeak(s-k, q), epsSec, epsCor)
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

// BinaryEntropy is h(p) = -p log2 p - (1-p) log2 (1-p).
func BinaryEntropy(p float64) float64 {
	if p <= 0 || p >= 1 {
		return 0
	}
	return -p*math.Log2(p) - (1-p)*math.Log2(1-p)
}

// Efficiency is f = leaked / (n h(q)), the ratio of disclosed parities to
// the Shannon limit; 0 when q is 0.
func Efficiency(leak, n int, q float64) float64 {
	h := BinaryEntropy(q)
	if n == 0 || h == 0 {
		return 0
	}
	return float64(leak) / (float64(n) * h)
}
