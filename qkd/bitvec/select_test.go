package bitvec

import (
	"math/rand/v2"
	"testing"
)

func TestSelect(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{9}))
	words := []uint64{1, 1 << 63, ^uint64(0), 0x8000000000000001, 0xff00}
	for range 200 {
		words = append(words, r.Uint64(), r.Uint64()&r.Uint64()&r.Uint64())
	}
	for _, w := range words {
		rank := 0
		for b := range 64 {
			if w>>b&1 == 0 {
				continue
			}
			if got := Select(w, rank); got != b {
				t.Fatalf("Select(%#x, %d) = %d, want %d", w, rank, got, b)
			}
			rank++
		}
		if got := Select(w, rank); got != -1 {
			t.Fatalf("Select(%#x, %d) past the last set bit = %d, want -1", w, rank, got)
		}
	}
}
