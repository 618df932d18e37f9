package qkd

import "math/bits"

// Direct evaluation for short hashes (the 64-bit verification tag).
//
// Row i of T x is y_i = XOR_j s[i-j+n-1] x[j], so y as a whole is the XOR,
// over the set bits j of x, of the m-bit window of s starting at bit
// n-1-j. That costs popcount(x)·⌈m/64⌉ word operations instead of a full
// n×n product, and touches only the m output coefficients.

// toeplitzDirect returns T x for sw, xw masked to n+m-1 and n bits.
func toeplitzDirect(sw, xw []uint64, n, m int) []uint64 {
	mw := wordsFor(m)
	// One zero word past the seed, so a window that starts in the last
	// word reads its upper half as zeros instead of running off the end.
	sp := make([]uint64, wordsFor(n+m-1)+1)
	copy(sp, sw)
	out := make([]uint64, mw)
	if mw == 1 {
		var y uint64
		for w, xv := range xw {
			base := n - 1 - w<<6
			for xv != 0 {
				q := base - bits.TrailingZeros64(xv)
				xv &= xv - 1
				qw, sh := q>>6, uint(q)&63
				// A shift by 64 yields 0 in Go, so sh == 0 needs no branch.
				y ^= sp[qw]>>sh | sp[qw+1]<<(64-sh)
			}
		}
		out[0] = y
	} else {
		for w, xv := range xw {
			base := n - 1 - w<<6
			for xv != 0 {
				q := base - bits.TrailingZeros64(xv)
				xv &= xv - 1
				qw, sh := q>>6, uint(q)&63
				src := sp[qw : qw+mw+1]
				if sh == 0 {
					for t := range out {
						out[t] ^= src[t]
					}
					continue
				}
				for t := range out {
					out[t] ^= src[t]>>sh | src[t+1]<<(64-sh)
				}
			}
		}
	}
	tailMask(out, m)
	return out
}
