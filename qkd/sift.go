package qkd

import (
	"math/bits"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/finitekey"
)

// siftedKey is one side's sifted string, from sifting to the raw key that
// enters error correction. Both implementations (packed here, the
// reference in reference.go) give the same counts, sample and key bits for
// the same inputs and seed.
type siftedKey interface {
	counts() (detected, matches, sifted int)
	poolLen() int
	// countBasis counts the pool positions whose basis is b.
	countBasis(b Basis) int
	// disclose derives the sample from seed and the plan and returns this
	// side's sample bits, in the order they are sent.
	disclose(seed [32]byte, p finitekey.Plan) []uint64
	// sampleErrors counts the differing sample bits by basis.
	sampleErrors(aBits, bBits []uint64) finitekey.SampleErrors
	// record keeps what the simulator needs about the key positions.
	record(res *Result)
	// rawKey returns this side's key: the pool minus the sample.
	rawKey(res *Result) []uint64
}

// packedSift keeps everything as packed bit strings: the sifted mask over
// the N time slots, and the pool's bits and bases compacted in order. The
// only index list is the sample's order, which is sent.
type packedSift struct {
	keep              []uint64 // per slot: detected and same basis
	det, same, sifted int
	pool, poolBasis   []uint64 // own bit and basis of each pool position
	poolN             int
	sampleBasis       []uint64 // basis of each sample bit, in send order
	inSample          []uint64 // per pool position: disclosed
	size              int
}

// newPackedSift sifts (Eq. 6-7): the kept slots are those Bob detected in
// which both bases agree; the pool is the kept slots from trace on.
func newPackedSift(detected, aBasis, bBasis, own, ownBasis []uint64, N, trace int, res *Result) *packedSift {
	sf := &packedSift{keep: make([]uint64, bitvec.Words(N))}
	for i := range sf.keep {
		same := ^(aBasis[i] ^ bBasis[i]) & bitvec.LowMask(N-64*i)
		d := detected[i] & bitvec.LowMask(N-64*i)
		sf.det += bits.OnesCount64(d)
		sf.same += bits.OnesCount64(same)
		sf.keep[i] = same & d
		sf.sifted += bits.OnesCount64(sf.keep[i])
	}
	sf.pool, sf.poolBasis, sf.poolN = bitvec.CompactPair(own, ownBasis, sf.keep, trace, N)
	res.packed.keep, res.packed.own, res.packed.sifted, res.packed.trace = sf.keep, own, sf.sifted, trace
	return sf
}

func (sf *packedSift) counts() (int, int, int) { return sf.det, sf.same, sf.sifted }
func (sf *packedSift) poolLen() int            { return sf.poolN }

func (sf *packedSift) countBasis(b Basis) int {
	x := bitvec.Count(sf.poolBasis, sf.poolN)
	if b == X {
		return x
	}
	return sf.poolN - x
}

func (sf *packedSift) disclose(seed [32]byte, p finitekey.Plan) []uint64 {
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
func (sf *packedSift) positions(seed [32]byte, p finitekey.Plan) []int32 {
	if p.Symmetric {
		return samplePositions(seed, sf.poolN, p.K)
	}
	out := make([]int32, 0, p.Size())
	var flip uint64 // XOR turning a basis word into a key-basis mask
	if p.Key == Z {
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
	for _, j := range samplePositions(seed, key.Ones(), p.K) {
		out = append(out, int32(key.Select(int(j))))
	}
	return out
}

func (sf *packedSift) sampleErrors(aBits, bBits []uint64) finitekey.SampleErrors {
	var e finitekey.SampleErrors
	for i := range aBits {
		d := (aBits[i] ^ bBits[i]) & bitvec.LowMask(sf.size-64*i)
		x := sf.sampleBasis[i] & bitvec.LowMask(sf.size-64*i)
		e.Errs[X] += bits.OnesCount64(d & x)
		e.Errs[Z] += bits.OnesCount64(d &^ x)
		e.Bits[X] += bits.OnesCount64(x)
	}
	e.Bits[Z] = sf.size - e.Bits[X]
	return e
}

func (sf *packedSift) record(res *Result) { res.packed.inSample = sf.inSample }

func (sf *packedSift) rawKey(*Result) []uint64 {
	key, _ := bitvec.CompactNot(sf.pool, sf.inSample, sf.poolN)
	return key
}

// packedTruths is fillTruths over the packed planes: the sifted slots'
// errors and Eve's known key bits, counted a word at a time.
func packedTruths(rep *Report, a, b *Result) {
	pa, pb := &a.packed, &b.packed
	if pa.sifted == pb.sifted && pa.sifted > 0 && len(pa.own) == len(pb.own) {
		errs := 0
		for i, k := range pa.keep {
			errs += bits.OnesCount64((pa.own[i] ^ pb.own[i]) & k)
		}
		rep.QBERTrue = float64(errs) / float64(pa.sifted)
	}
	if a.eveKnown != nil && pa.inSample != nil {
		eve, n := bitvec.Compact(a.eveKnown, pa.keep, pa.trace, len(pa.keep)*64)
		for i, w := range eve {
			rep.EveInfoBits += bits.OnesCount64(w &^ pa.inSample[i] & bitvec.LowMask(n-64*i))
		}
	}
}

// samplePositions returns k distinct indices into a pool of s, drawn by a
// partial Fisher-Yates shuffle with ChaCha8 keyed by seed: the same as
// samplePositionsRef, without an array of s indices. The first k slots are
// kept in an array (slot i holds its index XOR i, so the zeroed array
// starts as the identity). A slot j >= k holds j until a step swaps into
// it, and only a step drawing j again would read what it holds then: a
// first pass over the draws finds the few slots drawn more than once, and
// only those are tracked, in a small hash table.
func samplePositions(seed [32]byte, s, k int) []int32 {
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
