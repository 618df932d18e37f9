package cascade

import (
	"math/bits"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
)

// The late Cascade passes use blocks of half the key: their only job is to
// catch the few pairs of errors that stayed together in every earlier
// block. For that a pass needs one thing from its permutation: which half
// each bit falls in. A random split, a public random mask with one
// independent fair bit per key position, separates every pair of positions
// with chance 1/2, as a uniform shuffle cut in two does (n/(2n-2)). The
// order of the bits within a half does not matter: bisecting a block costs
// about log2 of its size parities wherever its odd bit sits. So a two-block
// pass keeps no permutation at all and orders each half by key position:
// block 0 is the positions whose mask bit is 0 in increasing order, block 1
// those whose mask bit is 1. The pass is the key's stable partition by the
// mask, and drawing it costs one random word per 64 bits instead of a
// Fisher-Yates shuffle of every bit and, on Bob's side, two index arrays.
//
// The halves have binomial sizes (about n/2 ± sqrt(n)/2) rather than
// exactly n/2, which made no measurable difference to the efficiency, the
// round trips or the runs left with errors; block bounds come from the
// mask. The partition is not materialised either: the pass reads the
// key in place (pass 0's bits, which Bob corrects as he goes), and a
// parity of pass indices [lo, hi) is the parity of the masked key between
// the positions of lo and hi-1. A pass index maps to its key position by
// a select query (binary search over per-word popcounts of the mask, then
// a select within the word), only needed for the ends of a parity range or
// a corrected bit. The other way round only the block of a key position is
// ever needed (to recheck it after a correction), and that is its mask
// bit; there is nothing to flip, so no rank query either.

// splitPass is a two-block pass split by a random mask.
type splitPass struct {
	n     int
	key   []uint64 // the key in position order, read in place
	mask  []uint64 // bit x set: position x is in block 1; zero beyond n
	ones  []uint32 // ones[w]: set mask bits in words [0, w); len words+1
	zeros int      // size of block 0, the first index of block 1
}

// newSplitPass draws the mask of a split pass of n bits from g, one word
// per 64 positions (the bits beyond n are cleared), and indexes it. key is
// read, never written.
func newSplitPass(key []uint64, n int, g *rand.PCG) *splitPass {
	w := bitvec.Words(n)
	s := &splitPass{n: n, key: key[:w:w], mask: make([]uint64, w), ones: make([]uint32, w+1)}
	for i := range s.mask {
		s.mask[i] = g.Uint64()
	}
	bitvec.TailMask(s.mask, n)
	c := 0
	for i, m := range s.mask {
		c += bits.OnesCount64(m)
		s.ones[i+1] = uint32(c)
	}
	s.zeros = n - c
	return s
}

// bounds returns the pass indices [lo, hi) of block b (0 or 1).
func (s *splitPass) bounds(b int) (lo, hi int) {
	if b == 0 {
		return 0, s.zeros
	}
	return s.zeros, s.n
}

// blockAt returns the block of key position x: its mask bit.
func (s *splitPass) blockAt(x int) int { return int(bitvec.Get(s.mask, x)) }

// position returns the key position of pass index i, 0 <= i < n (a select
// query).
func (s *splitPass) position(i int) int {
	ones := i >= s.zeros
	r := i // rank of the position among its block's
	if ones {
		r -= s.zeros
	}
	// count(w) is the number of block members in words [0, w); find the
	// last word w with count(w) <= r.
	count := func(w int) int {
		if ones {
			return int(s.ones[w])
		}
		return 64*w - int(s.ones[w])
	}
	lo, hi := 0, len(s.mask) // count(lo) <= r < count(hi)
	for hi-lo > 1 {
		mid := int(uint(lo+hi) >> 1)
		if count(mid) <= r {
			lo = mid
		} else {
			hi = mid
		}
	}
	m := s.mask[lo]
	if !ones {
		m = ^m
	}
	return 64*lo + bitvec.Select(m, r-count(lo))
}

// parity returns the XOR of the bits at pass indices [lo, hi), 0 <= lo,
// hi <= n; 0 for an empty range. A range across both blocks (which only a
// dishonest peer asks for) is the XOR of its two parts.
func (s *splitPass) parity(lo, hi int) uint8 {
	if lo >= hi {
		return 0
	}
	if lo < s.zeros && hi > s.zeros {
		return s.parity(lo, s.zeros) ^ s.parity(s.zeros, hi)
	}
	var flip uint64 // block 0 reads the positions whose mask bit is 0
	if lo < s.zeros {
		flip = ^uint64(0)
	}
	a, b := s.position(lo), s.position(hi-1)
	wl, wh := a>>6, b>>6
	ml := ^uint64(0) << (uint(a) & 63)
	mh := ^uint64(0) >> (63 - uint(b)&63)
	if wl == wh {
		return uint8(bits.OnesCount64(s.key[wl]&(s.mask[wl]^flip)&ml&mh) & 1)
	}
	acc := s.key[wl]&(s.mask[wl]^flip)&ml ^ s.key[wh]&(s.mask[wh]^flip)&mh
	key, mask := s.key[wl+1:wh], s.mask[wl+1:wh]
	for i, k := range key {
		acc ^= k & (mask[i] ^ flip)
	}
	return uint8(bits.OnesCount64(acc) & 1)
}
