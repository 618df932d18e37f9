package qkd

import (
	"math"
	"math/cmplx"
	"math/rand/v2"
	"testing"
)

// TestToeplitzFFTMatchesDFT checks the transforms against the definition,
// a[k] = Σ a[j] e^{-2πijk/N}, for every small length, both parities of
// log2 N: forward output in bit-reversed order, inverse back to N·a.
func TestToeplitzFFTMatchesDFT(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{20}))
	for logN := 1; logN <= 9; logN++ {
		N := 1 << logN
		tw := fftTwiddles(N, newFFTRoots(N))
		in := make([]complex128, N)
		for i := range in {
			in[i] = complex(r.Float64()*2-1, r.Float64()*2-1)
		}
		a := append([]complex128(nil), in...)
		fftForward(a, tw)
		for k := 0; k < N; k++ {
			var want complex128
			for j, v := range in {
				want += v * cmplx.Rect(1, -2*math.Pi*float64(j*k%N)/float64(N))
			}
			got := a[bitReverse(k, logN)]
			if cmplx.Abs(got-want) > 1e-9*float64(N) {
				t.Fatalf("N=%d: bin %d: got %v want %v", N, k, got, want)
			}
		}
		fftInverse(a, tw)
		for j := range a {
			if cmplx.Abs(a[j]/complex(float64(N), 0)-in[j]) > 1e-12*float64(logN) {
				t.Fatalf("N=%d: inverse[%d] = %v, want %v", N, j, a[j]/complex(float64(N), 0), in[j])
			}
		}
	}
}

func bitReverse(k, bits int) int {
	r := 0
	for i := 0; i < bits; i++ {
		r = r<<1 | k>>i&1
	}
	return r
}

// TestToeplitzFFTBlockedMatchesStages checks that the cache-blocked recursion of
// long transforms does exactly (bit for bit) the arithmetic of the plain
// stage-by-stage transform, which the error bound is proven for.
func TestToeplitzFFTBlockedMatchesStages(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{21}))
	for _, logN := range []int{15, 16, 17} {
		N := 1 << logN
		tw := fftTwiddles(N, newFFTRoots(N))
		in := make([]complex128, N)
		for i := range in {
			in[i] = complex(float64(r.IntN(2)), float64(r.IntN(2)))
		}
		blocked := append([]complex128(nil), in...)
		plain := append([]complex128(nil), in...)
		fftForward(blocked, tw)
		fftForwardStages(plain, tw, N/2)
		for i := range plain {
			if blocked[i] != plain[i] {
				t.Fatalf("N=%d: forward bin %d: blocked %v, stages %v", N, i, blocked[i], plain[i])
			}
		}
		fftInverse(blocked, tw)
		fftInverseStages(plain, tw)
		for i := range plain {
			if blocked[i] != plain[i] {
				t.Fatalf("N=%d: inverse %d: blocked %v, stages %v", N, i, blocked[i], plain[i])
			}
		}
	}
}

// TestToeplitzFFTRootsAccurate checks every tabulated root of unity against a
// direct Sincos within the 2^-49 that fftErrorBound assumes.
func TestToeplitzFFTRootsAccurate(t *testing.T) {
	for _, N := range []int{2, 64, 1 << 12, 1 << 17} {
		roots := newFFTRoots(N)
		for q := 0; q < 2*N; q++ {
			sin, cos := math.Sincos(math.Pi / 2 * float64(q) / float64(N))
			if d := cmplx.Abs(roots.at(q) - complex(cos, sin)); d > 0x1p-50 {
				t.Fatalf("N=%d: θ^%d off by %g", N, q, d)
			}
		}
	}
}
