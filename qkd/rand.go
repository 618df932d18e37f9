package qkd

import (
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/binary"
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
