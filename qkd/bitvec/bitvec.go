package bitvec

import (
	"math/bits"
	"math/rand/v2"
	"sync"
)

// Words returns the number of words that hold n bits.
func Words(n int) int { return (n + 63) / 64 }

// Get returns bit i of v.
func Get(v []uint64, i int) uint8 { return uint8(v[i>>6] >> (uint(i) & 63) & 1) }

// Set sets bit i of v to the low bit of b.
func Set(v []uint64, i int, b uint8) {
	m := uint64(1) << (uint(i) & 63)
	if b&1 == 1 {
		v[i>>6] |= m
	} else {
		v[i>>6] &^= m
	}
}

// Flip inverts bit i of v.
func Flip(v []uint64, i int) { v[i>>6] ^= 1 << (uint(i) & 63) }

// Parity returns the XOR of bits [lo, hi) of v.
func Parity(v []uint64, lo, hi int) uint8 {
	if lo >= hi {
		return 0
	}
	wl, wh := lo>>6, (hi-1)>>6
	ml := ^uint64(0) << (uint(lo) & 63)
	mh := ^uint64(0) >> (63 - (uint(hi-1) & 63))
	if wl == wh {
		return uint8(bits.OnesCount64(v[wl]&ml&mh) & 1)
	}
	acc := v[wl]&ml ^ v[wh]&mh
	for _, w := range v[wl+1 : wh] {
		acc ^= w
	}
	return uint8(bits.OnesCount64(acc) & 1)
}

// Count returns the number of set bits among the first n bits of v.
func Count(v []uint64, n int) int {
	c := 0
	full := n >> 6
	for _, w := range v[:full] {
		c += bits.OnesCount64(w)
	}
	if r := uint(n) & 63; r != 0 {
		c += bits.OnesCount64(v[full] & (1<<r - 1))
	}
	return c
}

// TailMask clears the bits of v beyond n, so that packed strings compare
// and hash canonically.
func TailMask(v []uint64, n int) {
	if r := uint(n) & 63; r != 0 && len(v) > n>>6 {
		v[n>>6] &= 1<<r - 1
	}
	for i := Words(n); i < len(v); i++ {
		v[i] = 0
	}
}

// Extract returns bits [off, off+n) of v as a new packed string.
func Extract(v []uint64, off, n int) []uint64 {
	out := make([]uint64, Words(n))
	sh := uint(off) & 63
	base := off >> 6
	for i := range out {
		w := v[base+i] >> sh
		if sh != 0 && base+i+1 < len(v) {
			w |= v[base+i+1] << (64 - sh)
		}
		out[i] = w
	}
	TailMask(out, n)
	return out
}

// Bytes returns the packed bit string as bytes, bit i of the string
// being bit i%8 of byte i/8; n bits give ceil(n/8) bytes.
func Bytes(v []uint64, n int) []byte {
	out := make([]byte, (n+7)/8)
	for i := range out {
		out[i] = byte(v[i>>3] >> (uint(i&7) * 8))
	}
	if r := uint(n) & 7; r != 0 {
		out[len(out)-1] &= 1<<r - 1
	}
	return out
}

// pext8 is the 8-bit parallel bit extract: entry m<<8|x holds the bits of
// x at the set bits of m, packed low. Built once, read-only.
var pext8 = sync.OnceValue(func() *[1 << 16]uint8 {
	var t [1 << 16]uint8
	for m := 0; m < 256; m++ {
		for x := 0; x < 256; x++ {
			var r, k uint8
			for b := 0; b < 8; b++ {
				if m>>b&1 == 1 {
					r |= uint8(x>>b&1) << k
					k++
				}
			}
			t[m<<8|x] = r
		}
	}
	return &t
})

// extractWord returns the bits of x at the set bits of m, packed low (the
// PEXT instruction), and their number.
func extractWord(t *[1 << 16]uint8, x, m uint64) (uint64, uint) {
	if m == ^uint64(0) {
		return x, 64
	}
	var r uint64
	var sh uint
	for ; m != 0; m, x = m>>8, x>>8 {
		if mb := uint8(m); mb != 0 {
			r |= uint64(t[uint16(mb)<<8|uint16(uint8(x))]) << sh
			sh += uint(bits.OnesCount8(mb))
		}
	}
	return r, sh
}

// bitAppender builds a packed string by appending runs of bits.
type bitAppender struct {
	out []uint64
	n   int
}

// put appends the k low bits of w (its higher bits must be zero).
func (a *bitAppender) put(w uint64, k uint) {
	if k == 0 {
		return
	}
	sh := uint(a.n) & 63
	a.out[a.n>>6] |= w << sh
	if sh != 0 && sh+k > 64 {
		a.out[a.n>>6+1] |= w >> (64 - sh)
	}
	a.n += int(k)
}

// Compact returns the bits of v at the set bits of mask among
// positions [lo, hi), in order, packed, and their number.
func Compact(v, mask []uint64, lo, hi int) ([]uint64, int) {
	return compact(v, mask, 0, lo, hi)
}

// CompactNot returns the first n bits of v where mask is clear, packed,
// and their number.
func CompactNot(v, mask []uint64, n int) ([]uint64, int) {
	return compact(v, mask, ^uint64(0), 0, n)
}

// compact is Compact of mask XOR flip.
func compact(v, mask []uint64, flip uint64, lo, hi int) ([]uint64, int) {
	if lo >= hi {
		return nil, 0
	}
	m := rangeMask(mask, flip, lo, hi)
	wl, wh := lo>>6, (hi-1)>>6
	total := 0
	for i := wl; i <= wh; i++ {
		total += bits.OnesCount64(m(i))
	}
	a := bitAppender{out: make([]uint64, Words(total))}
	t := pext8()
	for i := wl; i <= wh; i++ {
		a.put(extractWord(t, v[i], m(i)))
	}
	return a.out, a.n
}

// CompactPair is Compact of two strings with one mask, in one pass.
func CompactPair(v, w, mask []uint64, lo, hi int) (cv, cw []uint64, n int) {
	if lo >= hi {
		return nil, nil, 0
	}
	m := rangeMask(mask, 0, lo, hi)
	wl, wh := lo>>6, (hi-1)>>6
	total := 0
	for i := wl; i <= wh; i++ {
		total += bits.OnesCount64(m(i))
	}
	a := bitAppender{out: make([]uint64, Words(total))}
	b := bitAppender{out: make([]uint64, Words(total))}
	t := pext8()
	for i := wl; i <= wh; i++ {
		mi := m(i)
		a.put(extractWord(t, v[i], mi))
		b.put(extractWord(t, w[i], mi))
	}
	return a.out, b.out, a.n
}

// rangeMask returns word i of mask XOR flip, cleared outside [lo, hi).
func rangeMask(mask []uint64, flip uint64, lo, hi int) func(i int) uint64 {
	wl, wh := lo>>6, (hi-1)>>6
	return func(i int) uint64 {
		w := mask[i] ^ flip
		if i == wl {
			w &= ^uint64(0) << (uint(lo) & 63)
		}
		if i == wh {
			w &= LowMask(hi - 64*i)
		}
		return w
	}
}

// LowMask returns a mask of the low n bits (all bits for n >= 64).
func LowMask(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<uint(n) - 1
}

// PutWord ORs the 64 bits of w into v starting at bit position pos; v's
// bits there must be zero.
func PutWord(v []uint64, pos int, w uint64) {
	sh := uint(pos) & 63
	v[pos>>6] |= w << sh
	if sh != 0 && w>>(64-sh) != 0 {
		v[pos>>6+1] |= w >> (64 - sh)
	}
}

// Random returns n random bits from r, packed.
func Random(r *rand.Rand, n int) []uint64 {
	v := make([]uint64, Words(n))
	for i := range v {
		v[i] = r.Uint64()
	}
	TailMask(v, n)
	return v
}
