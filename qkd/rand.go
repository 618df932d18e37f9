package qkd

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
)

// NewRand returns the random generator for one party or purpose. With seed
// nil it draws from crypto/rand; otherwise it is a ChaCha8 stream derived
// from the seed and label, so that runs are reproducible and distinct
// labels ("alice", "bob", "eve") give independent streams.
func NewRand(seed *uint64, label string) *rand.Rand {
	if seed == nil {
		return rand.New(&cryptoSource{})
	}
	var in [8]byte
	binary.LittleEndian.PutUint64(in[:], *seed)
	h := sha256.New()
	h.Write([]byte("qkdchat/qkd rand v1\x00"))
	h.Write(in[:])
	h.Write([]byte(label))
	var key [32]byte
	copy(key[:], h.Sum(nil))
	return rand.New(rand.NewChaCha8(key))
}

// cryptoSource is a rand.Source reading crypto/rand in blocks.
type cryptoSource struct {
	buf [512]byte
	off int
}

func (s *cryptoSource) Uint64() uint64 {
	if s.off == 0 || s.off >= len(s.buf) {
		// crypto/rand.Read never returns an error on supported platforms
		// (it crashes the program instead), so the error is ignored.
		_, _ = crand.Read(s.buf[:])
		s.off = 0
	}
	v := binary.LittleEndian.Uint64(s.buf[s.off:])
	s.off += 8
	return v
}

// randomSeed32 draws a 32-byte seed for a public shuffle or hash from r.
func randomSeed32(r *rand.Rand) [32]byte {
	var s [32]byte
	for i := 0; i < 4; i++ {
		binary.LittleEndian.PutUint64(s[8*i:], r.Uint64())
	}
	return s
}

// fixedProb is a probability in 32-bit fixed point; fixedOne means 1.
type fixedProb uint64

const fixedOne fixedProb = 1 << 32

func toFixed(p float64) fixedProb {
	switch {
	case !(p > 0): // also NaN
		return 0
	case p >= 1:
		return fixedOne
	}
	return fixedProb(p*float64(fixedOne) + 0.5)
}

// bernoulliWord returns 64 independent bits, each 1 with probability p
// (to 32-bit precision). It reads the binary expansion of p from the least
// significant bit b_32 up to b_1 (the 1/2 bit): after processing b_t a mask
// bit is 1 with probability 0.b_t...b_32 in binary, so it costs one random
// word per bit from the lowest set bit of p up, and nothing for p = 0 or 1.
func bernoulliWord(r *rand.Rand, p fixedProb) uint64 {
	switch {
	case p == 0:
		return 0
	case p >= fixedOne:
		return ^uint64(0)
	}
	v := uint64(p)
	var m uint64
	for i := bits.TrailingZeros64(v); i < 32; i++ {
		u := r.Uint64()
		if v>>i&1 != 0 {
			m |= u
		} else {
			m &= u
		}
	}
	return m
}
