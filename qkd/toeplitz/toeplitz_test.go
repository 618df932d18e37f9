package toeplitz

import (
	"fmt"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"testing"
)

func TestToeplitzMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{7}))
	for _, c := range [][2]int{{1, 1}, {1, 64}, {63, 5}, {64, 64}, {100, 37}, {1000, 700}, {3000, 2500}, {5000, 64}, {130, 3000}} {
		n, m := c[0], c[1]
		s := bitvec.Random(r, n+m-1)
		x := bitvec.Random(r, n)
		got, err := Hash(s, x, n, m)
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
	s1, s2 := bitvec.Random(r, n+m-1), bitvec.Random(r, n+m-1)
	x, y := bitvec.Random(r, n), bitvec.Random(r, n)
	xy := make([]uint64, len(x))
	for i := range x {
		xy[i] = x[i] ^ y[i]
	}
	hx, _ := Hash(s1, x, n, m)
	hy, _ := Hash(s1, y, n, m)
	hxy, _ := Hash(s1, xy, n, m)
	for i := range hx {
		if hx[i]^hy[i] != hxy[i] {
			t.Fatal("not linear")
		}
	}
	h2, _ := Hash(s2, x, n, m)
	same := true
	for i := range hx {
		same = same && hx[i] == h2[i]
	}
	if same {
		t.Fatal("hash does not depend on the seed")
	}
}

func TestToeplitzRejectsBadSizes(t *testing.T) {
	if _, err := Hash(nil, nil, 0, 1); err == nil {
		t.Fatal("n=0 accepted")
	}
	if _, err := Hash(make([]uint64, 1), make([]uint64, 2), 100, 10); err == nil {
		t.Fatal("short seed accepted")
	}
}

// toeplitzAll computes the hash of s, x with every method, masked as
// Hash masks them, keyed by name. The FFT entry is missing only if
// its error bound refused the size.
func toeplitzAll(t *testing.T, s, x []uint64, n, m int) map[string][]uint64 {
	t.Helper()
	return toeplitzAllPlans(t, s, x, n, m, 3)
}

// toeplitzAllPlans is toeplitzAll with FFT plans of 1 … maxBlocks blocks
// besides the one Hash picks.
func toeplitzAllPlans(t *testing.T, s, x []uint64, n, m, maxBlocks int) map[string][]uint64 {
	t.Helper()
	sw := append([]uint64(nil), s[:bitvec.Words(n+m-1)]...)
	bitvec.TailMask(sw, n+m-1)
	xw := append([]uint64(nil), x[:bitvec.Words(n)]...)
	bitvec.TailMask(xw, n)
	h, err := Hash(s, x, n, m)
	if err != nil {
		t.Fatalf("%d×%d: %v", m, n, err)
	}
	res := map[string][]uint64{
		"Hash":      h,
		"karatsuba": toeplitzKaratsuba(sw, xw, n, m),
		"direct":    toeplitzDirect(sw, xw, n, m),
	}
	// The FFT with the plan Hash would use and with 1 to
	// maxBlocks blocks.
	plans := map[string]fftPlan{"fft": fftPlanFor(n, m)}
	for B := 1; B <= maxBlocks && B <= n; B++ {
		plans[fmt.Sprintf("fft-%d-blocks", B)] = fftPlanBlocks(n, m, B)
	}
	for name, p := range plans {
		out, maxErr := toeplitzFFTErr(sw, xw, n, m, p)
		if out == nil {
			t.Fatalf("%d×%d: FFT error bound refused the size", m, n)
		}
		if bound := toeplitzFFTBound(sw, xw, n, m, p); maxErr > bound {
			t.Fatalf("%d×%d: %s rounding error %g exceeds the proven bound %g", m, n, name, maxErr, bound)
		}
		res[name] = out
	}
	return res
}

// checkSame fails unless every method's output equals want word for word.
func checkSame(t *testing.T, n, m int, want []uint64, got map[string][]uint64) {
	t.Helper()
	for name, g := range got {
		if len(g) != len(want) {
			t.Fatalf("%d×%d: %s returned %d words, want %d", m, n, name, len(g), len(want))
		}
		for i := range want {
			if g[i] != want[i] {
				t.Fatalf("%d×%d: %s word %d: got %016x want %016x", m, n, name, i, g[i], want[i])
			}
		}
	}
}

// TestToeplitzFastPathsMatchNaiveEdgeSizes checks every method bit for bit
// against the row-by-row reference on all pairs of sizes around word
// boundaries (1, 63, 64, 65, …), where shifts and tail masks go wrong.
func TestToeplitzFastPathsMatchNaiveEdgeSizes(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{10}))
	sizes := []int{1, 2, 3, 63, 64, 65, 127, 128, 129, 191, 192, 193, 255, 256, 257}
	for _, n := range sizes {
		for _, m := range sizes {
			s := bitvec.Random(r, n+m-1)
			x := bitvec.Random(r, n)
			checkSame(t, n, m, toeplitzHashNaive(s, x, n, m), toeplitzAll(t, s, x, n, m))
		}
	}
}

// TestToeplitzFastPathsMatchNaiveShapes covers m > n, m close to n, and
// n+m-1 on either side of the FFT's power-of-two lengths.
func TestToeplitzFastPathsMatchNaiveShapes(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{11}))
	shapes := [][2]int{
		{5, 700}, {64, 3000}, {1, 1000}, {999, 1000}, {1000, 1000}, {1001, 1000},
		{1000, 999}, {2000, 1999}, {1024, 1025}, {1025, 1024}, // n+m-1 = 2048, 2049
		{2048, 2048}, {2049, 2048}, {2048, 2050}, // 4095, 4096, 4097
		{3000, 64}, {3000, 65}, {3000, 128}, {3000, 129}, {4097, 1},
		{40000, 200}, // N = 2^15: the FFT's cache-blocked recursion
	}
	for _, c := range shapes {
		n, m := c[0], c[1]
		s := bitvec.Random(r, n+m-1)
		x := bitvec.Random(r, n)
		checkSame(t, n, m, toeplitzHashNaive(s, x, n, m), toeplitzAll(t, s, x, n, m))
	}
}

// TestToeplitzFastPathsMatchNaiveRandomSizes draws seeded random sizes and
// inputs (including sparse and dense ones) and checks every method against
// the reference.
func TestToeplitzFastPathsMatchNaiveRandomSizes(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{12}))
	trials, maxN := 120, 1500
	if toeplitzRaceBuild || testing.Short() {
		trials, maxN = 25, 700
	}
	for i := 0; i < trials; i++ {
		n, m := 1+r.IntN(maxN), 1+r.IntN(maxN)
		s := bitvec.Random(r, n+m-1)
		x := bitvec.Random(r, n)
		switch i % 4 {
		case 1: // sparse x
			for j := range x {
				x[j] &= r.Uint64() & r.Uint64() & r.Uint64()
			}
		case 2: // dense x and s: the largest integer coefficients
			for j := range x {
				x[j] |= r.Uint64() | r.Uint64() | r.Uint64()
			}
			for j := range s {
				s[j] |= r.Uint64() | r.Uint64()
			}
			bitvec.TailMask(x, n)
			bitvec.TailMask(s, n+m-1)
		}
		checkSame(t, n, m, toeplitzHashNaive(s, x, n, m), toeplitzAll(t, s, x, n, m))
	}
}

// TestToeplitzIgnoresBitsBeyondLengths gives seed and input words with
// every bit set past n+m-1 and n: the hash must equal that of the masked
// strings, whichever method runs.
func TestToeplitzIgnoresBitsBeyondLengths(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{13}))
	for _, c := range [][2]int{{100, 37}, {460, 64}, {5000, 4000}, {70000, 64}, {9001, 3000}} {
		n, m := c[0], c[1]
		s := bitvec.Random(r, n+m-1)
		x := bitvec.Random(r, n)
		want := toeplitzHashNaive(s, x, n, m)
		sd := append(append([]uint64(nil), s...), ^uint64(0))
		xd := append(append([]uint64(nil), x...), ^uint64(0))
		if rr := uint(n+m-1) & 63; rr != 0 {
			sd[len(s)-1] |= ^uint64(0) << rr
		}
		if rr := uint(n) & 63; rr != 0 {
			xd[len(x)-1] |= ^uint64(0) << rr
		}
		got := toeplitzAll(t, sd, xd, n, m)
		checkSame(t, n, m, want, got)
	}
}

// TestToeplitzFastPathsMatchKaratsubaLarge checks the fast paths against
// the previous (Karatsuba) implementation at the protocol's sizes, with
// random and with all-ones inputs (every integer coefficient at its
// largest, the worst case for FFT rounding).
func TestToeplitzFastPathsMatchKaratsubaLarge(t *testing.T) {
	type shape struct {
		n, m  int
		dense bool // all ones: every integer coefficient at its largest
	}
	shapes := []shape{{460000, 64, false}, {459000, 268000, false}, {459000, 268000, true}, {100000, 80000, false}}
	if toeplitzRaceBuild || testing.Short() {
		shapes = []shape{{50000, 64, false}, {50000, 40000, true}}
	}
	r := rand.New(rand.NewChaCha8([32]byte{14}))
	for _, c := range shapes {
		n, m := c.n, c.m
		s := bitvec.Random(r, n+m-1)
		x := bitvec.Random(r, n)
		if c.dense {
			for i := range s {
				s[i] = ^uint64(0)
			}
			for i := range x {
				x[i] = ^uint64(0)
			}
			bitvec.TailMask(s, n+m-1)
			bitvec.TailMask(x, n)
		}
		got := toeplitzAllPlans(t, s, x, n, m, 1)
		want := got["karatsuba"]
		// Spot-check Karatsuba itself against the reference on a few rows.
		for _, i := range []int{0, m / 2, m - 1} {
			var b uint8
			for j := 0; j < n; j++ {
				b ^= bitvec.Get(s, i-j+n-1) & bitvec.Get(x, j)
			}
			if bitvec.Get(want, i) != b {
				t.Fatalf("%d×%d: karatsuba row %d wrong", m, n, i)
			}
		}
		checkSame(t, n, m, want, got)
	}
}

// TestToeplitzMethodFor pins which method runs for the protocol's shapes, so
// a change to the cost model cannot silently put the slow path back.
func TestToeplitzMethodFor(t *testing.T) {
	for _, c := range []struct {
		n, m int
		want toeplitzMethod
	}{
		{460000, 64, methodDirect},        // verification tag at 1e6 qubits
		{5000, 64, methodDirect},          // verification tag, small run
		{459000, 268000, methodFFT},       // privacy amplification at 1e6 qubits
		{100000, 80000, methodFFT},        // amplification at 1e5
		{200, 128, methodDirect},          // tiny keys
		{4_000_000, 2_000_000, methodFFT}, // larger than any run today
	} {
		if got := toeplitzMethodFor(c.n, c.m); got != c.want {
			t.Errorf("%d×%d: method %d, want %d", c.m, c.n, got, c.want)
		}
	}
	// The 1e6-qubit amplification splits its input in two blocks, which
	// halves the transform length (2^18 instead of 2^19).
	if p := fftPlanFor(459000, 268000); p.blocks != 2 || p.logN != 18 {
		t.Errorf("amplification plan %+v, want 2 blocks of length 2^18", p)
	}
	if p := fftPlanFor(100000, 80000); p.blocks != 2 || p.logN != 16 {
		t.Errorf("1e5 plan %+v, want 2 blocks of length 2^16", p)
	}
}

// TestToeplitzFFTErrorBound checks that the proven bound leaves the FFT usable far
// beyond the protocol's sizes, grows with size, and refuses sizes where it
// could no longer guarantee exact rounding.
func TestToeplitzFFTErrorBound(t *testing.T) {
	// 2^24 bits of seed and input, all ones: 16× the largest run today.
	if b := fftErrorBound(24, 1<<24, 1<<24); b >= fftRoundLimit/4 {
		t.Fatalf("bound %g at 2^24 bits leaves no room", b)
	}
	if a, b := fftErrorBound(18, 1<<18, 1<<18), fftErrorBound(19, 1<<19, 1<<19); !(a < b) {
		t.Fatalf("bound does not grow with size: %g, %g", a, b)
	}
	if b := fftErrorBound(50, 1<<50, 1<<50); b < fftRoundLimit {
		t.Fatalf("bound %g at 2^50 bits would be accepted", b)
	}
}

// reportCPU adds a cpu-ns/op metric (process CPU time per iteration, GC
// included) to a benchmark: on a shared machine wall time per op also
// counts the time other processes held the cores. Use as
// defer reportCPU(b)() before the b.Loop.
func reportCPU(b *testing.B) func() {
	start, ok := processCPU()
	return func() {
		end, ok2 := processCPU()
		if ok && ok2 && b.N > 0 {
			b.ReportMetric(float64((end-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
		}
	}
}

func BenchmarkToeplitz(b *testing.B) {
	shapes := []struct {
		name string
		n, m int
	}{
		{"verify-460k", 460000, 64},
		{"amplify-459k", 459000, 268000},
		{"1e5", 100000, 80000}, // a typical final length for 1e5 bits at 2% QBER
	}
	for _, sh := range shapes {
		r := rand.New(rand.NewChaCha8([32]byte{9}))
		s := bitvec.Random(r, sh.n+sh.m-1)
		x := bitvec.Random(r, sh.n)
		sw := append([]uint64(nil), s...)
		xw := append([]uint64(nil), x...)
		b.Run(fmt.Sprintf("%s/karatsuba", sh.name), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				toeplitzKaratsuba(sw, xw, sh.n, sh.m)
			}
		})
		b.Run(fmt.Sprintf("%s/new", sh.name), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				if _, err := Hash(s, x, sh.n, sh.m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkToeplitzMethods times the direct and FFT methods on their own
// over a range of shapes; its figures set directWordNs and fftButterflyNs.
func BenchmarkToeplitzMethods(b *testing.B) {
	for _, sh := range [][2]int{{460000, 64}, {460000, 1024}, {460000, 4096}, {20000, 20000}, {100000, 80000}} {
		n, m := sh[0], sh[1]
		r := rand.New(rand.NewChaCha8([32]byte{9}))
		s := bitvec.Random(r, n+m-1)
		x := bitvec.Random(r, n)
		b.Run(fmt.Sprintf("%dx%d/direct", m, n), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				toeplitzDirect(s, x, n, m)
			}
		})
		b.Run(fmt.Sprintf("%dx%d/fft", m, n), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				toeplitzFFT(s, x, n, m)
			}
		})
	}
}

// toeplitzHashNaive computes the same hash row by row; it is the reference
// the tests check the fast path against.
func toeplitzHashNaive(s []uint64, x []uint64, n, m int) []uint64 {
	out := make([]uint64, bitvec.Words(m))
	for i := 0; i < m; i++ {
		var b uint8
		for j := 0; j < n; j++ {
			b ^= bitvec.Get(s, i-j+n-1) & bitvec.Get(x, j)
		}
		bitvec.Set(out, i, b)
	}
	return out
}

// TestWindowXorMatchesBitByBit checks the unrolled word kernel of the
// direct method against its definition, one bit of x at a time, on seeded
// random words and on the words with one bit set.
func TestWindowXorMatchesBitByBit(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{17}))
	slow := func(x, lo, hi uint64) uint64 {
		var y uint64
		for b := 0; b < 64; b++ {
			if x>>uint(b)&1 == 1 {
				w := lo >> uint(63-b)
				if b < 63 {
					w |= hi << uint(b+1)
				}
				y ^= w
			}
		}
		return y
	}
	check := func(x, lo, hi uint64) {
		t.Helper()
		if got, want := windowXor(x, lo, hi), slow(x, lo, hi); got != want {
			t.Fatalf("windowXor(%016x, %016x, %016x) = %016x, want %016x", x, lo, hi, got, want)
		}
	}
	for b := 0; b < 64; b++ {
		check(1<<uint(b), r.Uint64(), r.Uint64())
	}
	for range 20000 {
		check(r.Uint64(), r.Uint64(), r.Uint64())
	}
}

// TestToeplitzDirectMatchesNaiveRandom checks the direct method alone
// against the row-by-row reference on seeded random sizes, with the
// 64-bit tag's m = 64 and every input length modulo 64 represented.
func TestToeplitzDirectMatchesNaiveRandom(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{18}))
	for i := range 300 {
		n := 1 + r.IntN(1500)
		m := 64
		if i%3 != 0 {
			m = 1 + r.IntN(200)
		}
		if i < 64 {
			n = 64*(1+r.IntN(8)) + i // every n mod 64
		}
		s := bitvec.Random(r, n+m-1+64) // bits past n+m-1 must be ignored
		x := bitvec.Random(r, n+64)
		sw := append([]uint64(nil), s[:bitvec.Words(n+m-1)]...)
		bitvec.TailMask(sw, n+m-1)
		xw := append([]uint64(nil), x[:bitvec.Words(n)]...)
		bitvec.TailMask(xw, n)
		checkSame(t, n, m, toeplitzHashNaive(s, x, n, m), map[string][]uint64{"direct": toeplitzDirect(sw, xw, n, m)})
	}
}
