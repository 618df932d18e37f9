package bitvec

import (
	"math/bits"
	"sort"
)

// Select returns the position of the set bit of w of rank r (0 for the
// lowest), or -1 if w has no more than r set bits.
func Select(w uint64, r int) int {
	for b := 0; b < 64; b += 8 {
		c := bits.OnesCount8(uint8(w >> b))
		if r < c {
			x := w >> b
			for ; r > 0; r-- {
				x &= x - 1
			}
			return b + bits.TrailingZeros64(x)
		}
		r -= c
	}
	return -1
}

// Rank answers select queries on a packed mask (v XOR flip, first n bits):
// per word, it keeps the number of ones before it.
type Rank struct {
	v      []uint64
	flip   uint64
	n      int
	before []int32
	ones   int
}

// NewRank indexes the first n bits of v XOR flip (flip is 0 or all ones).
func NewRank(v []uint64, flip uint64, n int) *Rank {
	r := &Rank{v: v, flip: flip, n: n, before: make([]int32, Words(n))}
	for i := range r.before {
		r.before[i] = int32(r.ones)
		r.ones += bits.OnesCount64(r.word(i))
	}
	return r
}

// Ones returns the number of set bits of the mask.
func (r *Rank) Ones() int { return r.ones }

func (r *Rank) word(i int) uint64 { return (r.v[i] ^ r.flip) & LowMask(r.n-64*i) }

// Select returns the position of the set bit of rank j (from 0); j must be
// below Ones.
func (r *Rank) Select(j int) int {
	i := sort.Search(len(r.before), func(i int) bool { return int(r.before[i]) > j }) - 1
	return 64*i + Select(r.word(i), j-int(r.before[i]))
}
