package qkd

import (
	"math"
	"math/bits"
)

// Floating-point FFT evaluation for long hashes (privacy amplification).
//
// The hash is coefficients n-1 … n+m-2 of the product s(z)·x(z) over GF(2).
// Over the integers, with one bit per coefficient, that product has
// coefficients c_k = #{j : s_{k-j} = x_j = 1} ∈ [0, n], and the GF(2)
// coefficient is c_k mod 2. So we compute the integer product with a
// complex FFT, round every wanted coefficient to the nearest integer and
// keep its low bit. The result is exact as long as every rounding error is
// below 1/2, which fftErrorBound proves before the transform runs (and
// which is checked again on every coefficient after it).
//
// Sizes. The product has 2n+m-2 coefficients, but only the middle m are
// wanted: computed modulo z^L + 1 with L ≥ n+m-1, coefficient k picks up
// -c_{k+L}, and for the wanted k ≤ n+m-2 that index is beyond the last
// one, 2n+m-3, so it is zero. The negacyclic product of length L = 2N is
// done as a "right-angle" weighted transform of complex length N
// (Crandall–Fagin; Percival 2003): a real polynomial a = a_lo + z^N a_hi
// maps to A = a_lo + i·a_hi in C[z]/(z^N - i), where z^2N = -1; with
// z = θy, θ = e^{iπ/2N}, that ring is C[y]/(y^N - 1), a cyclic
// convolution: weight by θ^j, FFT, multiply, inverse FFT, unweight. The
// real part of output j is c_j and the imaginary part c_{j+N}.

// fftRoundLimit is how far from an integer a computed coefficient may lie
// before the FFT result is thrown away and the hash is recomputed with
// Karatsuba. The a-priori bound is far smaller (below 2^-20 for every size
// the protocol uses); this is the run-time check that the bound holds.
const fftRoundLimit = 0.25

// fftErrorBound bounds the absolute error of every coefficient of the
// product computed by toeplitzFFT with complex length 2^logN for inputs
// with popS and popX set bits. It is Percival's bound for a radix-2 FFT
// product (Math. Comp. 72 (2003), Theorem 5.1),
//
//	‖z' - z‖∞ ≤ ‖a‖·‖b‖·((1+ε)^3k (1+ε√5)^(3k+1) (1+β)^3k - 1),
//
// with k = logN, ε = 2^-53 the unit round-off, β a bound on the error of
// each precomputed root of unity, and ‖a‖ the Euclidean norm of the input
// (√popcount for 0/1 inputs, unchanged by unit-modulus weights), with three
// more factors (1+ε)(1+ε√5)(1+β) for the weight on each input and on the
// output.
func fftErrorBound(logN, popS, popX int) float64 {
	const eps = 0x1p-53
	const beta = 0x1p-50 // Sincos is within ~1 ulp; angle rounding adds ≤ ε·π/4
	k := float64(logN)
	f := math.Pow(1+eps, 3*k+3) * math.Pow(1+eps*math.Sqrt(5), 3*k+4) * math.Pow(1+beta, 3*k+3)
	return math.Sqrt(float64(popS)) * math.Sqrt(float64(popX)) * (f - 1)
}

// fftLogLen returns log2 of the complex transform length N for an n×m hash:
// the least N ≥ 2 with 2N ≥ n+m-1.
func fftLogLen(n, m int) int {
	l := bits.Len(uint(n + m - 2)) // 2^l ≥ n+m-1
	return max(l-1, 1)
}

// toeplitzFFT returns T x for sw, xw masked to n+m-1 and n bits, or false
// if the floating-point result cannot be guaranteed exact (then the caller
// uses Karatsuba).
func toeplitzFFT(sw, xw []uint64, n, m int) ([]uint64, bool) {
	out, maxErr := toeplitzFFTErr(sw, xw, n, m)
	if out == nil || maxErr >= fftRoundLimit {
		return nil, false
	}
	return out, true
}

// toeplitzFFTErr is toeplitzFFT that also returns the largest distance of a
// computed coefficient from its nearest integer (for tests). It returns
// nil if the a-priori bound does not allow the transform.
func toeplitzFFTErr(sw, xw []uint64, n, m int) ([]uint64, float64) {
	logN := fftLogLen(n, m)
	popS, popX := countOnes(sw, n+m-1), countOnes(xw, n)
	if fftErrorBound(logN, popS, popX) >= fftRoundLimit/4 {
		return nil, 0
	}
	N := 1 << logN
	roots := fftRoots(N)
	tw := fftTwiddles(N, roots)

	a := make([]complex128, N)
	b := make([]complex128, N)
	fftLoadWeighted(a, sw, n+m-1, roots)
	fftLoadWeighted(b, xw, n, roots)
	fftForward(a, tw)
	fftForward(b, tw)
	for i, v := range b {
		a[i] *= v
	}
	fftInverse(a, tw)

	out := make([]uint64, wordsFor(m))
	scale := 1 / float64(N) // a power of two: exact
	var maxErr float64
	for i := 0; i < m; i++ {
		k := n - 1 + i
		j := k & (N - 1)
		// Unweight: multiply by conj(θ^j), then scale.
		c := a[j] * complex(real(roots[j]), -imag(roots[j]))
		v := real(c)
		if k >= N {
			v = imag(c)
		}
		v *= scale
		r := math.Round(v)
		maxErr = max(maxErr, math.Abs(v-r))
		if int64(r)&1 == 1 {
			out[i>>6] |= 1 << (uint(i) & 63)
		}
	}
	return out, maxErr
}

// fftRoots returns θ^q = e^{iπq/2N} for q = 0 … N (the first quadrant of
// the 4N-th roots of unity). Only the first octant is computed with
// Sincos; the rest is the exact reflection cos(π/2-t) = sin t.
func fftRoots(N int) []complex128 {
	r := make([]complex128, N+1)
	for q := 0; 2*q <= N; q++ {
		sin, cos := math.Sincos(math.Pi / 2 * float64(q) / float64(N))
		r[q] = complex(cos, sin)
		r[N-q] = complex(sin, cos)
	}
	return r
}

// fftTwiddles returns the twiddle factors of every stage of a length-N
// transform: tw[h+k] = e^{-2πik/2h} for each half-length h = 1, 2, … N/2
// and k < h, so a stage reads its factors contiguously. They are exact
// copies (up to sign and swap) of roots.
func fftTwiddles(N int, roots []complex128) []complex128 {
	tw := make([]complex128, N)
	for h := 1; h < N; h <<= 1 {
		step := 2 * N / h // e^{-2πik/2h} = conj(θ^(k·step)), θ^N = i
		for k := 0; k < h; k++ {
			q := k * step
			if q < N {
				w := roots[q]
				tw[h+k] = complex(real(w), -imag(w))
			} else {
				// e^{-i(π/2 + t)} = -i·e^{-it}: (cos t, -sin t) → (-sin t, -cos t)
				w := roots[q-N]
				tw[h+k] = complex(-imag(w), -real(w))
			}
		}
	}
	return tw
}

// fftLoadWeighted sets a[j] = (v_j + i·v_{j+N})·θ^j for the nbits-bit
// packed string v (nbits ≤ 2N).
func fftLoadWeighted(a []complex128, v []uint64, nbits int, roots []complex128) {
	N := len(a)
	for j := range a {
		lo := j < nbits && v[j>>6]>>(uint(j)&63)&1 == 1
		hi := j+N < nbits && v[(j+N)>>6]>>(uint(j+N)&63)&1 == 1
		w := roots[j]
		switch {
		case lo && hi: // (1+i)·w
			a[j] = complex(real(w)-imag(w), real(w)+imag(w))
		case lo:
			a[j] = w
		case hi: // i·w
			a[j] = complex(-imag(w), real(w))
		default:
			a[j] = 0
		}
	}
}

// fftForward is an in-place decimation-in-frequency radix-2 transform,
// a[k] ← Σ a[j] e^{-2πijk/N}, from natural to bit-reversed order.
func fftForward(a, tw []complex128) {
	N := len(a)
	for h := N / 2; h >= 1; h >>= 1 {
		t := tw[h : 2*h]
		for base := 0; base < N; base += 2 * h {
			x := a[base : base+h]
			y := a[base+h : base+2*h]
			y = y[:len(x)]
			t := t[:len(x)]
			for k, u := range x {
				v := y[k]
				x[k] = u + v
				y[k] = (u - v) * t[k]
			}
		}
	}
}

// fftInverse is the in-place decimation-in-time inverse of fftForward
// without the 1/N scale: bit-reversed order in, natural order out.
func fftInverse(a, tw []complex128) {
	N := len(a)
	for h := 1; h < N; h <<= 1 {
		t := tw[h : 2*h]
		for base := 0; base < N; base += 2 * h {
			x := a[base : base+h]
			y := a[base+h : base+2*h]
			y = y[:len(x)]
			t := t[:len(x)]
			for k, u := range x {
				w := t[k]
				v := y[k] * complex(real(w), -imag(w))
				x[k] = u + v
				y[k] = u - v
			}
		}
	}
}
