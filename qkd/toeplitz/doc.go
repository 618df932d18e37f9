// Package toeplitz computes the Toeplitz hash, the two-universal hash that
// serves as the privacy-amplification extractor and the 64-bit
// error-verification tag of a BB84 run.
//
// The m×n Toeplitz matrix T with T[i][j] = s[i-j+n-1] is fixed by the
// n+m-1 bits of a seed s; y = T x is a two-universal hash of x (Krawczyk
// 1994): for x ≠ x', Pr_s[T x = T x'] = 2^-m.
//
// y_i = XOR_j s[i-j+n-1] x[j] is coefficient i+n-1 of the carry-less
// product s(z)·x(z), so the hash is the middle of one polynomial product
// over GF(2). It is computed directly for short hashes such as the tag
// (toeplitz_direct.go), with an exact floating-point FFT for long ones
// (toeplitz_fft.go), and with Karatsuba over 64-bit words should the FFT's
// error bound ever fail to hold. All three give the same bits; their run
// time depends on the sizes, not on the bits of the key or the seed.
package toeplitz
