package sifting

import (
	"math/bits"
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
)

// SamplePositions returns k distinct indices into a pool of s, drawn by a
// partial Fisher-Yates shuffle with ChaCha8 keyed by seed: the same as
// samplePositionsRef, without an array of s indices. The first k slots are
// kept in an array (slot i holds its index XOR i, so the zeroed array
// starts as the identity). A slot j >= k holds j until a step swaps into
// it, and only a step drawing j again would read what it holds then: a
// first pass over the draws finds the few slots drawn more than once, and
// only those are tracked, in a small hash table.
func SamplePositions(seed [32]byte, s, k int) []int32 {
	r := rand.New(rand.NewChaCha8(seed))
	out := make([]int32, k) // the draws j_i, then the result
	for i := range out {
		out[i] = int32(i + r.IntN(s-i))
	}
	seen := make([]uint64, bitvec.Words(s-k))
	var again []int32
	for _, j := range out {
		if t := int(j) - k; t >= 0 {
			w, m := t>>6, uint64(1)<<(uint(t)&63)
			if seen[w]&m != 0 {
				again = append(again, j)
			}
			seen[w] |= m
		}
	}
	tail := newSwapTable(len(again))
	for _, j := range again {
		tail.find(j)
	}
	head := make([]int32, k)
	for i, j := range out {
		vi := head[i] ^ int32(i)
		var vj int32
		switch {
		case int(j) < k:
			vj = head[j] ^ j
			head[j] = vi ^ j
		case len(again) == 0:
			vj = j
		default:
			if e := tail.lookup(j); e != nil {
				vj, e.val = e.val, vi
			} else {
				vj = j
			}
		}
		out[i] = vj // step i is the last to touch slot i and draw i
	}
	return out
}

// swapTable holds the value of the pool slots (all positive) that a
// shuffle swaps into more than once. Open addressing with linear probing;
// key 0 marks an empty entry.
type swapTable struct {
	e     []swapEntry
	shift uint
}

type swapEntry struct{ key, val int32 }

func newSwapTable(n int) *swapTable {
	size := 16
	for size < 2*n {
		size <<= 1
	}
	return &swapTable{e: make([]swapEntry, size), shift: uint(32 - bits.TrailingZeros(uint(size)))}
}

// find returns j's entry, adding it (holding j) if absent.
func (t *swapTable) find(j int32) *swapEntry {
	mask := uint32(len(t.e) - 1)
	for h := uint32(j) * 0x9e3779b1 >> t.shift; ; h = (h + 1) & mask {
		switch e := &t.e[h]; e.key {
		case j:
			return e
		case 0:
			e.key, e.val = j, j
			return e
		}
	}
}

// lookup returns j's entry, or nil.
func (t *swapTable) lookup(j int32) *swapEntry {
	mask := uint32(len(t.e) - 1)
	for h := uint32(j) * 0x9e3779b1 >> t.shift; ; h = (h + 1) & mask {
		switch e := &t.e[h]; e.key {
		case j:
			return e
		case 0:
			return nil
		}
	}
}
