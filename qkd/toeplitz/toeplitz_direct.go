package toeplitz

import "qkdchat/qkd/bitvec"

// Direct evaluation for short hashes (the 64-bit verification tag).
//
// Row i of T x is y_i = XOR_j s[i-j+n-1] x[j], so y as a whole is the XOR,
// over the bits j of x that are set, of the m-bit window of s starting at
// bit n-1-j. That costs n·⌈m/64⌉ word operations instead of a full n×n
// product, and touches only the m output coefficients.
//
// It runs a word of x at a time: the 64 bits j = 64k … 64k+63 of word k
// have windows starting at base+63-b for base = n-64-64k and b = j-64k, so
// every one of them lies in the 128 bits of s from base (per output word),
// read once; windowXor then XORs the 64 windows with constant shifts and
// masks made from the bits of x, all in registers. Every bit of x is
// visited and its window masked in or out, so the run time and the memory
// accesses depend on n and m only, not on the key being hashed.

// toeplitzDirect returns T x for sw, xw masked to n+m-1 and n bits.
func toeplitzDirect(sw, xw []uint64, n, m int) []uint64 {
	out := make([]uint64, bitvec.Words(m))
	for k := range bitvec.Words(n) {
		x := xw[k]
		base := n - 64 - 64*k
		for t := range out {
			// Bits before 0 and past n+m-1 read as zero (bitsAt, masking).
			out[t] ^= windowXor(x, bitsAt(sw, base+64*t), bitsAt(sw, base+64*t+64))
		}
	}
	bitvec.TailMask(out, m)
	return out
}

// windowXor returns the XOR, over the bits b of x that are set, of the 64
// bits starting at bit 63-b of the 128-bit string lo, hi (lo first):
// lo>>(63-b) | hi<<(b+1). The mask of bit b is x<<(63-b) shifted
// arithmetically back down, all ones or all zeros, so no branch depends on x.
func windowXor(x, lo, hi uint64) uint64 {
	var y uint64
	y ^= uint64(int64(x<<63)>>63) & (lo>>63 | hi<<1)
	y ^= uint64(int64(x<<62)>>63) & (lo>>62 | hi<<2)
	y ^= uint64(int64(x<<61)>>63) & (lo>>61 | hi<<3)
	y ^= uint64(int64(x<<60)>>63) & (lo>>60 | hi<<4)
	y ^= uint64(int64(x<<59)>>63) & (lo>>59 | hi<<5)
	y ^= uint64(int64(x<<58)>>63) & (lo>>58 | hi<<6)
	y ^= uint64(int64(x<<57)>>63) & (lo>>57 | hi<<7)
	y ^= uint64(int64(x<<56)>>63) & (lo>>56 | hi<<8)
	y ^= uint64(int64(x<<55)>>63) & (lo>>55 | hi<<9)
	y ^= uint64(int64(x<<54)>>63) & (lo>>54 | hi<<10)
	y ^= uint64(int64(x<<53)>>63) & (lo>>53 | hi<<11)
	y ^= uint64(int64(x<<52)>>63) & (lo>>52 | hi<<12)
	y ^= uint64(int64(x<<51)>>63) & (lo>>51 | hi<<13)
	y ^= uint64(int64(x<<50)>>63) & (lo>>50 | hi<<14)
	y ^= uint64(int64(x<<49)>>63) & (lo>>49 | hi<<15)
	y ^= uint64(int64(x<<48)>>63) & (lo>>48 | hi<<16)
	y ^= uint64(int64(x<<47)>>63) & (lo>>47 | hi<<17)
	y ^= uint64(int64(x<<46)>>63) & (lo>>46 | hi<<18)
	y ^= uint64(int64(x<<45)>>63) & (lo>>45 | hi<<19)
	y ^= uint64(int64(x<<44)>>63) & (lo>>44 | hi<<20)
	y ^= uint64(int64(x<<43)>>63) & (lo>>43 | hi<<21)
	y ^= uint64(int64(x<<42)>>63) & (lo>>42 | hi<<22)
	y ^= uint64(int64(x<<41)>>63) & (lo>>41 | hi<<23)
	y ^= uint64(int64(x<<40)>>63) & (lo>>40 | hi<<24)
	y ^= uint64(int64(x<<39)>>63) & (lo>>39 | hi<<25)
	y ^= uint64(int64(x<<38)>>63) & (lo>>38 | hi<<26)
	y ^= uint64(int64(x<<37)>>63) & (lo>>37 | hi<<27)
	y ^= uint64(int64(x<<36)>>63) & (lo>>36 | hi<<28)
	y ^= uint64(int64(x<<35)>>63) & (lo>>35 | hi<<29)
	y ^= uint64(int64(x<<34)>>63) & (lo>>34 | hi<<30)
	y ^= uint64(int64(x<<33)>>63) & (lo>>33 | hi<<31)
	y ^= uint64(int64(x<<32)>>63) & (lo>>32 | hi<<32)
	y ^= uint64(int64(x<<31)>>63) & (lo>>31 | hi<<33)
	y ^= uint64(int64(x<<30)>>63) & (lo>>30 | hi<<34)
	y ^= uint64(int64(x<<29)>>63) & (lo>>29 | hi<<35)
	y ^= uint64(int64(x<<28)>>63) & (lo>>28 | hi<<36)
	y ^= uint64(int64(x<<27)>>63) & (lo>>27 | hi<<37)
	y ^= uint64(int64(x<<26)>>63) & (lo>>26 | hi<<38)
	y ^= uint64(int64(x<<25)>>63) & (lo>>25 | hi<<39)
	y ^= uint64(int64(x<<24)>>63) & (lo>>24 | hi<<40)
	y ^= uint64(int64(x<<23)>>63) & (lo>>23 | hi<<41)
	y ^= uint64(int64(x<<22)>>63) & (lo>>22 | hi<<42)
	y ^= uint64(int64(x<<21)>>63) & (lo>>21 | hi<<43)
	y ^= uint64(int64(x<<20)>>63) & (lo>>20 | hi<<44)
	y ^= uint64(int64(x<<19)>>63) & (lo>>19 | hi<<45)
	y ^= uint64(int64(x<<18)>>63) & (lo>>18 | hi<<46)
	y ^= uint64(int64(x<<17)>>63) & (lo>>17 | hi<<47)
	y ^= uint64(int64(x<<16)>>63) & (lo>>16 | hi<<48)
	y ^= uint64(int64(x<<15)>>63) & (lo>>15 | hi<<49)
	y ^= uint64(int64(x<<14)>>63) & (lo>>14 | hi<<50)
	y ^= uint64(int64(x<<13)>>63) & (lo>>13 | hi<<51)
	y ^= uint64(int64(x<<12)>>63) & (lo>>12 | hi<<52)
	y ^= uint64(int64(x<<11)>>63) & (lo>>11 | hi<<53)
	y ^= uint64(int64(x<<10)>>63) & (lo>>10 | hi<<54)
	y ^= uint64(int64(x<<9)>>63) & (lo>>9 | hi<<55)
	y ^= uint64(int64(x<<8)>>63) & (lo>>8 | hi<<56)
	y ^= uint64(int64(x<<7)>>63) & (lo>>7 | hi<<57)
	y ^= uint64(int64(x<<6)>>63) & (lo>>6 | hi<<58)
	y ^= uint64(int64(x<<5)>>63) & (lo>>5 | hi<<59)
	y ^= uint64(int64(x<<4)>>63) & (lo>>4 | hi<<60)
	y ^= uint64(int64(x<<3)>>63) & (lo>>3 | hi<<61)
	y ^= uint64(int64(x<<2)>>63) & (lo>>2 | hi<<62)
	y ^= uint64(int64(x<<1)>>63) & (lo>>1 | hi<<63)
	y ^= uint64(int64(x)>>63) & lo
	return y
}
