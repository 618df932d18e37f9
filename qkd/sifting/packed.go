package sifting

import (
	"math/bits"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
)

// Packed keeps everything as packed bit strings: the sifted mask over the
// N time slots, and the pool's bits and bases compacted in order. The
// only index list is the sample's order, which is sent.
type Packed struct {
	keep              []uint64 // per slot: detected and same basis
	own               []uint64 // per slot: this side's bit
	trace             int
	det, same, sifted int
	pool, poolBasis   []uint64 // own bit and basis of each pool position
	poolN             int
	sampleBasis       []uint64 // basis of each sample bit, in send order
	inSample          []uint64 // per pool position: disclosed
	recorded          bool
	size              int
}

// NewPacked sifts (Eq. 6-7) n slots: the kept slots are those Bob
// detected in which both bases agree; the pool is the kept slots from
// trace on. own is this side's bit per slot and ownBasis its basis.
func NewPacked(detected, aBasis, bBasis, own, ownBasis []uint64, n, trace int) *Packed {
	sf := &Packed{keep: make([]uint64, bitvec.Words(n)), own: own, trace: trace}
	for i := range sf.keep {
		same := ^(aBasis[i] ^ bBasis[i]) & bitvec.LowMask(n-64*i)
		d := detected[i] & bitvec.LowMask(n-64*i)
		sf.det += bits.OnesCount64(d)
		sf.same += bits.OnesCount64(same)
		sf.keep[i] = same & d
		sf.sifted += bits.OnesCount64(sf.keep[i])
	}
	sf.pool, sf.poolBasis, sf.poolN = bitvec.CompactPair(own, ownBasis, sf.keep, trace, n)
	return sf
}

// Counts implements Key.
func (sf *Packed) Counts() (int, int, int) { return sf.det, sf.same, sf.sifted }

// PoolLen implements Key.
func (sf *Packed) PoolLen() int { return sf.poolN }

// Kept returns the sifted mask over the slots and this side's pool bits.
func (sf *Packed) Kept() (keep, pool []uint64) { return sf.keep, sf.pool }

// CountBasis implements Key.
func (sf *Packed) CountBasis(b channel.Basis) int {
	x := bitvec.Count(sf.poolBasis, sf.poolN)
	if b == channel.X {
		return x
	}
	return sf.poolN - x
}

// Disclose implements Key.
func (sf *Packed) Disclose(seed [32]byte, p finitekey.Plan) []uint64 {
	order := sf.positions(seed, p)
	sf.size = len(order)
	out := make([]uint64, bitvec.Words(len(order)))
	sf.sampleBasis = make([]uint64, bitvec.Words(len(order)))
	sf.inSample = make([]uint64, bitvec.Words(sf.poolN))
	for i, o := range order {
		w, sh := o>>6, uint(o)&63
		out[i>>6] |= (sf.pool[w] >> sh & 1) << (uint(i) & 63)
		sf.sampleBasis[i>>6] |= (sf.poolBasis[w] >> sh & 1) << (uint(i) & 63)
		sf.inSample[w] |= 1 << sh
	}
	return out
}

// positions is positionsRef over the packed pool: the test-basis
// positions in pool order, then the key-basis ones chosen by the shuffle,
// found by rank and select instead of an index per key-basis bit.
func (sf *Packed) positions(seed [32]byte, p finitekey.Plan) []int32 {
	if p.Symmetric {
		return SamplePositions(seed, sf.poolN, p.K)
	}
	out := make([]int32, 0, p.Size())
	var flip uint64 // XOR turning a basis word into a key-basis mask
	if p.Key == channel.Z {
		flip = ^uint64(0)
	}
	key := bitvec.NewRank(sf.poolBasis, flip, sf.poolN)
	for i, w := range sf.poolBasis {
		t := (w ^ flip ^ ^uint64(0)) & bitvec.LowMask(sf.poolN-64*i) // test basis
		for t != 0 {
			out = append(out, int32(64*i+bits.TrailingZeros64(t)))
			t &= t - 1
		}
	}
	for _, j := range SamplePositions(seed, key.Ones(), p.K) {
		out = append(out, int32(key.Select(int(j))))
	}
	return out
}

// SampleErrors implements Key.
func (sf *Packed) SampleErrors(aBits, bBits []uint64) finitekey.SampleErrors {
	var e finitekey.SampleErrors
	for i := range aBits {
		d := (aBits[i] ^ bBits[i]) & bitvec.LowMask(sf.size-64*i)
		x := sf.sampleBasis[i] & bitvec.LowMask(sf.size-64*i)
		e.Errs[channel.X] += bits.OnesCount64(d & x)
		e.Errs[channel.Z] += bits.OnesCount64(d &^ x)
		e.Bits[channel.X] += bits.OnesCount64(x)
	}
	e.Bits[channel.Z] = sf.size - e.Bits[channel.X]
	return e
}

// Record implements Key.
func (sf *Packed) Record() { sf.recorded = sf.inSample != nil }

// RawKey implements Key.
func (sf *Packed) RawKey() []uint64 {
	key, _ := bitvec.CompactNot(sf.pool, sf.inSample, sf.poolN)
	return key
}

// trueErrors is TrueErrors over the packed planes, a word at a time.
func (sf *Packed) trueErrors(b *Packed) (errs, sifted int) {
	if sf.sifted != b.sifted || sf.sifted == 0 || len(sf.own) != len(b.own) {
		return 0, 0
	}
	for i, k := range sf.keep {
		errs += bits.OnesCount64((sf.own[i] ^ b.own[i]) & k)
	}
	return errs, sf.sifted
}

// EveKnown implements Key.
func (sf *Packed) EveKnown(eve []uint64) int {
	if eve == nil || !sf.recorded {
		return 0
	}
	known, n := bitvec.Compact(eve, sf.keep, sf.trace, len(sf.keep)*64)
	c := 0
	for i, w := range known {
		c += bits.OnesCount64(w &^ sf.inSample[i] & bitvec.LowMask(n-64*i))
	}
	return c
}
