package toeplitz

import (
	"fmt"
	"qkdchat/qkd/bitvec"
)

// Hash returns the m-bit hash of the n-bit string x under the seed
// s of n+m-1 bits. Bits of s and x beyond those lengths are ignored. Every
// path below computes exactly the same bits; which one runs depends only on
// the sizes (see toeplitzMethodFor).
func Hash(s []uint64, x []uint64, n, m int) ([]uint64, error) {
	if n < 1 || m < 1 {
		return nil, fmt.Errorf("toeplitz: sizes %d×%d", m, n)
	}
	if len(s) < bitvec.Words(n+m-1) || len(x) < bitvec.Words(n) {
		return nil, fmt.Errorf("toeplitz: seed or input too short for %d×%d", m, n)
	}
	sw := append([]uint64(nil), s[:bitvec.Words(n+m-1)]...)
	bitvec.TailMask(sw, n+m-1)
	xw := append([]uint64(nil), x[:bitvec.Words(n)]...)
	bitvec.TailMask(xw, n)
	switch toeplitzMethodFor(n, m) {
	case methodDirect:
		return toeplitzDirect(sw, xw, n, m), nil
	case methodFFT:
		if out, ok := toeplitzFFT(sw, xw, n, m); ok {
			return out, nil
		}
	}
	return toeplitzKaratsuba(sw, xw, n, m), nil
}

// toeplitzKaratsuba computes the hash as the full carry-less product s·x
// with Karatsuba and keeps coefficients n-1 … n+m-2. sw and xw are masked
// to n+m-1 and n bits.
func toeplitzKaratsuba(sw, xw []uint64, n, m int) []uint64 {
	p := clmulPoly(sw, xw)
	return bitvec.Extract(p, n-1, m)
}

// clmulPoly returns the carry-less product of a and b (bit i = coefficient
// of z^i), len(a)+len(b) words long.
func clmulPoly(a, b []uint64) []uint64 {
	out := make([]uint64, len(a)+len(b))
	if len(a) < len(b) {
		a, b = b, a
	}
	// Multiply the longer operand in chunks of the shorter one's length.
	tmp := make([]uint64, 2*len(b))
	scratch := make([]uint64, 8*len(b)+64)
	for off := 0; off < len(a); off += len(b) {
		chunk := a[off:min(off+len(b), len(a))]
		if len(chunk) < len(b) {
			c := make([]uint64, len(b))
			copy(c, chunk)
			chunk = c
		}
		clear(tmp)
		karatsuba(tmp, chunk, b, scratch)
		for i, v := range tmp {
			if off+i < len(out) {
				out[off+i] ^= v
			}
		}
	}
	return out
}

const karatsubaCutoff = 24

// karatsuba XORs a·b into out (len 2n) for len(a) = len(b) = n, using
// scratch for temporaries.
func karatsuba(out, a, b, scratch []uint64) {
	n := len(a)
	if n <= karatsubaCutoff {
		schoolbook(out, a, b)
		return
	}
	h := n / 2
	a0, a1 := a[:h], a[h:]
	b0, b1 := b[:h], b[h:]
	l := n - h // len(a1) >= h
	// p0 = a0 b0 (2h words), p2 = a1 b1 (2l words), pm = (a0+a1)(b0+b1) (2l).
	p0 := scratch[:2*h]
	p2 := scratch[2*h : 2*h+2*l]
	pm := scratch[2*h+2*l : 2*h+4*l]
	sa := scratch[2*h+4*l : 2*h+5*l]
	sb := scratch[2*h+5*l : 2*h+6*l]
	rest := scratch[2*h+6*l:]
	clear(scratch[:2*h+4*l])
	karatsuba(p0, a0, b0, rest)
	karatsuba(p2, a1, b1, rest)
	copy(sa, a1)
	copy(sb, b1)
	for i := 0; i < h; i++ {
		sa[i] ^= a0[i]
		sb[i] ^= b0[i]
	}
	karatsuba(pm, sa, sb, rest)
	// a·b = p0 + z^h (pm + p0 + p2) + z^2h p2
	for i, v := range p0 {
		out[i] ^= v
		pm[i] ^= v
	}
	for i, v := range p2 {
		out[2*h+i] ^= v
		pm[i] ^= v
	}
	for i, v := range pm {
		out[h+i] ^= v
	}
}

// schoolbook XORs a·b into out with 64×64-bit carry-less products, using
// a 4-bit window table of multiples of each word of b.
func schoolbook(out, a, b []uint64) {
	var tlo, thi [16]uint64
	for j, bj := range b {
		// tlo/thi[k] = k·bj as a 128-bit carry-less product.
		for k := 1; k < 16; k++ {
			var lo, hi uint64
			for t := 0; t < 4; t++ {
				if k>>t&1 == 1 {
					lo ^= bj << t
					if t > 0 {
						hi ^= bj >> (64 - t)
					}
				}
			}
			tlo[k], thi[k] = lo, hi
		}
		for i, ai := range a {
			var lo, hi uint64
			for t := 60; t >= 0; t -= 4 {
				// (lo,hi) <<= 4 then add the multiple for this nibble.
				hi = hi<<4 | lo>>60
				lo <<= 4
				nib := ai >> uint(t) & 15
				lo ^= tlo[nib]
				hi ^= thi[nib]
			}
			out[i+j] ^= lo
			out[i+j+1] ^= hi
		}
	}
}

// toeplitzMethod names the algorithm Hash uses for a size.
type toeplitzMethod int

const (
	methodDirect toeplitzMethod = iota // XOR of seed windows: short hashes, small sizes
	methodFFT                          // floating-point FFT: long hashes
)

// Rough CPU costs on amd64, from BenchmarkToeplitzMethods: one window XOR
// of the direct method (per bit of x and output word, word at a time in
// windowXor), and one unit of fftPlan.cost (a radix-2 butterfly with its
// share of loading, twiddles and allocation). The crossover for n = 460k
// is near m = 1,600 bits (it was 1,200 before the word-at-a-time kernel).
const (
	directWordNs   = 0.55
	fftButterflyNs = 1.5
)

// toeplitzMethodFor picks the faster exact method for an n×m hash: the
// direct method costs about n·(⌈m/64⌉+1) word operations, the FFT
// (2B+1)·(N/2)·(log2 N + 2) butterflies for B blocks (fftPlan.cost).
func toeplitzMethodFor(n, m int) toeplitzMethod {
	direct := float64(n) * float64(bitvec.Words(m)+1) * directWordNs
	fft := fftPlanFor(n, m).cost() * fftButterflyNs
	if direct <= fft {
		return methodDirect
	}
	return methodFFT
}
