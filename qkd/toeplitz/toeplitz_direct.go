package toeplitz

import "qkdchat/qkd/bitvec"

// Direct evaluation for short hashes (the 64-bit verification tag).
//
// Row i of T x is y_i = XOR_j s[i-j+n-1] x[j], so y as a whole is the XOR,
// over the bits j of x that are set, of the m-bit window of s starting at
// bit n-1-j. That costs n·⌈m/64⌉ word operations instead of a full n×n
// product, and touches only the m output coefficients. Every bit of x is
// visited and its window masked in or out, so the run time and the memory
// accesses depend on n and m only, not on the key being hashed.

// toeplitzDirect returns T x for sw, xw masked to n+m-1 and n bits.
func toeplitzDirect(sw, xw []uint64, n, m int) []uint64 {
	mw := bitvec.Words(m)
	// One zero word past the seed, so a window that starts in the last
	// word reads its upper half as zeros instead of running off the end.
	sp := make([]uint64, bitvec.Words(n+m-1)+1)
	copy(sp, sw)
	out := make([]uint64, mw)
	if mw == 1 {
		var y uint64
		for j := 0; j < n; j++ {
			mask := -(xw[j>>6] >> (uint(j) & 63) & 1)
			q := n - 1 - j
			qw, sh := q>>6, uint(q)&63
			// A shift by 64 yields 0 in Go, so sh == 0 needs no branch.
			y ^= mask & (sp[qw]>>sh | sp[qw+1]<<(64-sh))
		}
		out[0] = y
	} else {
		for j := 0; j < n; j++ {
			mask := -(xw[j>>6] >> (uint(j) & 63) & 1)
			q := n - 1 - j
			qw, sh := q>>6, uint(q)&63
			src := sp[qw : qw+mw+1]
			for t := range out {
				out[t] ^= mask & (src[t]>>sh | src[t+1]<<(64-sh))
			}
		}
	}
	bitvec.TailMask(out, m)
	return out
}
