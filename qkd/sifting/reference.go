package sifting

// The reference sifting and estimation: the straightforward code Packed
// replaced, one index per sifted bit. It is kept as the specification
// Packed is tested against, bit for bit, and as the baseline of `qkdchat
// bench qkd` (qkd.SimulateReference).

import (
	"math/bits"
	"math/rand/v2"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
)

// Reference is the reference Key.
type Reference struct {
	all      []int32 // every sifted position
	pool     []int32 // sifted positions outside the trace: sample and key
	det      int
	same     int
	own      []uint64
	basis    []uint64
	order    []int32
	siftBits []uint64 // this side's bit at each sifted position
	keyPos   []int32  // positions of the key, after Record
}

// NewReference is NewPacked with one index per sifted bit.
func NewReference(detected, aBasis, bBasis, own, ownBasis []uint64, n, trace int) *Reference {
	sf := &Reference{own: own, basis: ownBasis}
	sf.det = bitvec.Count(detected, n)
	for i := range detected {
		same := ^(aBasis[i] ^ bBasis[i]) & bitvec.LowMask(n-64*i)
		sf.same += bits.OnesCount64(same)
		w := same & detected[i]
		for w != 0 {
			b := bits.TrailingZeros64(w)
			w &= w - 1
			sf.all = append(sf.all, int32(64*i+b))
		}
	}
	for i, p := range sf.all {
		if int(p) >= trace {
			sf.pool = sf.all[i:]
			break
		}
	}
	sf.siftBits = gatherBits(own, sf.all, nil)
	return sf
}

// Counts implements Key.
func (sf *Reference) Counts() (int, int, int) { return sf.det, sf.same, len(sf.all) }

// PoolLen implements Key.
func (sf *Reference) PoolLen() int { return len(sf.pool) }

// CountBasis implements Key.
func (sf *Reference) CountBasis(b channel.Basis) int {
	n := 0
	for _, x := range sf.pool {
		if channel.Basis(bitvec.Get(sf.basis, int(x))) == b {
			n++
		}
	}
	return n
}

// Disclose implements Key.
func (sf *Reference) Disclose(seed [32]byte, p finitekey.Plan) []uint64 {
	sf.order = positionsRef(p, seed, sf.pool, sf.basis)
	return gatherBits(sf.own, sf.pool, sf.order)
}

// SampleErrors implements Key.
func (sf *Reference) SampleErrors(aBits, bBits []uint64) finitekey.SampleErrors {
	var e finitekey.SampleErrors
	for i, o := range sf.order {
		b := bitvec.Get(sf.basis, int(sf.pool[o]))
		e.Bits[b]++
		e.Errs[b] += int(bitvec.Get(aBits, i) ^ bitvec.Get(bBits, i))
	}
	return e
}

// Record builds the key positions, as the reference did before its abort
// checks.
func (sf *Reference) Record() {
	inSample := make([]bool, len(sf.pool))
	for _, o := range sf.order {
		inSample[o] = true
	}
	var keyPos []int32
	for i, p := range sf.pool {
		if !inSample[i] {
			keyPos = append(keyPos, p)
		}
	}
	sf.keyPos = keyPos
}

// RawKey implements Key.
func (sf *Reference) RawKey() []uint64 { return gatherBits(sf.own, sf.keyPos, nil) }

// samplePositionsRef returns k distinct indices into a pool of s, drawn by
// a partial Fisher-Yates shuffle with ChaCha8 keyed by seed.
func samplePositionsRef(seed [32]byte, s, k int) []int32 {
	r := rand.New(rand.NewChaCha8(seed))
	idx := make([]int32, s)
	for i := range idx {
		idx[i] = int32(i)
	}
	for i := 0; i < k; i++ {
		j := i + r.IntN(s-i)
		idx[i], idx[j] = idx[j], idx[i]
	}
	return idx[:k]
}

// positionsRef returns the disclosed pool indices, in the order their bits
// are sent: for a symmetric run, k random ones; for an asymmetric run,
// every test-basis position in pool order, then k random key-basis ones.
func positionsRef(p finitekey.Plan, seed [32]byte, pool []int32, basis []uint64) []int32 {
	if p.Symmetric {
		return samplePositionsRef(seed, len(pool), p.K)
	}
	out := make([]int32, 0, p.Size())
	keyIdx := make([]int32, 0, len(pool)-p.Test)
	for i, x := range pool {
		if channel.Basis(bitvec.Get(basis, int(x))) == p.Key {
			keyIdx = append(keyIdx, int32(i))
		} else {
			out = append(out, int32(i))
		}
	}
	for _, j := range samplePositionsRef(seed, len(keyIdx), p.K) {
		out = append(out, keyIdx[j])
	}
	return out
}

// gatherBits returns the bits of v at positions pos[order[i]] (or pos[i]
// when order is nil), packed.
func gatherBits(v []uint64, pos []int32, order []int32) []uint64 {
	n := len(pos)
	if order != nil {
		n = len(order)
	}
	out := make([]uint64, bitvec.Words(n))
	for i := 0; i < n; i++ {
		p := i
		if order != nil {
			p = int(order[i])
		}
		x := pos[p]
		out[i>>6] |= uint64(v[x>>6]>>(uint(x)&63)&1) << (uint(i) & 63)
	}
	return out
}

// trueErrors is TrueErrors over the index arrays.
func (sf *Reference) trueErrors(b *Reference) (errs, sifted int) {
	if len(sf.all) != len(b.all) || len(sf.all) == 0 {
		return 0, 0
	}
	for i := range sf.siftBits {
		errs += bits.OnesCount64(sf.siftBits[i] ^ b.siftBits[i])
	}
	return errs, len(sf.all)
}

// EveKnown implements Key.
func (sf *Reference) EveKnown(eve []uint64) int {
	c := 0
	if eve != nil {
		for _, p := range sf.keyPos {
			c += int(bitvec.Get(eve, int(p)))
		}
	}
	return c
}
