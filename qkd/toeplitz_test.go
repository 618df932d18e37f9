package qkd

import (
	"math/rand/v2"
	"testing"
)

func TestToeplitzMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{7}))
	for _, c := range [][2]int{{1, 1}, {1, 64}, {63, 5}, {64, 64}, {100, 37}, {1000, 700}, {3000, 2500}, {5000, 64}, {130, 3000}} {
		n, m := c[0], c[1]
		s := randWords(r, n+m-1)
		x := randWords(r, n)
		got, err := toeplitzHash(s, x, n, m)
		if err != nil {
			t.Fatal(err)
		}
		want := toeplitzHashNaive(s, x, n, m)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%d×%d: word %d: got %x want %x", m, n, i, got[i], want[i])
			}
		}
	}
}

func TestClmulSchoolbookKnownProduct(t *testing.T) {
	// (z^63 + 1)(z + 1) = z^64 + z^63 + z + 1.
	out := make([]uint64, 2)
	schoolbook(out, []uint64{1<<63 | 1}, []uint64{3})
	if out[0] != 1<<63|3 || out[1] != 1 {
		t.Fatalf("got %x %x", out[0], out[1])
	}
}

// TestToeplitzIsLinear checks T(x ^ y) = T x ^ T y, which a wrong index
// mapping would typically still satisfy, and that distinct seeds give
// different hashes of the same input (which a constant function would not).
func TestToeplitzLinearAndSeedDependent(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{8}))
	n, m := 2000, 300
	s1, s2 := randWords(r, n+m-1), randWords(r, n+m-1)
	x, y := randWords(r, n), randWords(r, n)
	xy := make([]uint64, len(x))
	for i := range x {
		xy[i] = x[i] ^ y[i]
	}
	hx, _ := toeplitzHash(s1, x, n, m)
	hy, _ := toeplitzHash(s1, y, n, m)
	hxy, _ := toeplitzHash(s1, xy, n, m)
	for i := range hx {
		if hx[i]^hy[i] != hxy[i] {
			t.Fatal("not linear")
		}
	}
	h2, _ := toeplitzHash(s2, x, n, m)
	same := true
	for i := range hx {
		same = same && hx[i] == h2[i]
	}
	if same {
		t.Fatal("hash does not depend on the seed")
	}
}

func TestToeplitzRejectsBadSizes(t *testing.T) {
	if _, err := toeplitzHash(nil, nil, 0, 1); err == nil {
		t.Fatal("n=0 accepted")
	}
	if _, err := toeplitzHash(make([]uint64, 1), make([]uint64, 2), 100, 10); err == nil {
		t.Fatal("short seed accepted")
	}
}

func BenchmarkToeplitz1e5(b *testing.B) {
	r := rand.New(rand.NewChaCha8([32]byte{9}))
	n := 100000
	m := 80000 // a typical final length for 1e5 bits at 2% QBER
	s := randWords(r, n+m-1)
	x := randWords(r, n)
	b.SetBytes(int64(n / 8))
	for b.Loop() {
		if _, err := toeplitzHash(s, x, n, m); err != nil {
			b.Fatal(err)
		}
	}
}
