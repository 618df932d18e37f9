package toeplitz

import (
	"fmt"
	"math"
	"math/cmplx"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"sync"
	"testing"
)

// TestToeplitzFFTMatchesDFT checks the transforms against the definition,
// a[k] = Σ a[j] e^{-2πijk/N}, for every small length, both parities of
// log2 N: forward output in bit-reversed order, inverse back to N·a.
func TestToeplitzFFTMatchesDFT(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{20}))
	for logN := 1; logN <= 9; logN++ {
		N := 1 << logN
		tw := fftTwiddles(N, newFFTRoots(N))
		in := make([]complex128, N)
		for i := range in {
			in[i] = complex(r.Float64()*2-1, r.Float64()*2-1)
		}
		a := append([]complex128(nil), in...)
		fftForward(a, tw)
		for k := 0; k < N; k++ {
			var want complex128
			for j, v := range in {
				want += v * cmplx.Rect(1, -2*math.Pi*float64(j*k%N)/float64(N))
			}
			got := a[bitReverse(k, logN)]
			if cmplx.Abs(got-want) > 1e-9*float64(N) {
				t.Fatalf("N=%d: bin %d: got %v want %v", N, k, got, want)
			}
		}
		fftInverse(a, tw)
		for j := range a {
			if cmplx.Abs(a[j]/complex(float64(N), 0)-in[j]) > 1e-12*float64(logN) {
				t.Fatalf("N=%d: inverse[%d] = %v, want %v", N, j, a[j]/complex(float64(N), 0), in[j])
			}
		}
	}
}

func bitReverse(k, bits int) int {
	r := 0
	for i := 0; i < bits; i++ {
		r = r<<1 | k>>i&1
	}
	return r
}

// TestToeplitzFFTBlockedMatchesStages checks that the cache-blocked recursion of
// long transforms does exactly (bit for bit) the arithmetic of the plain
// stage-by-stage transform, which the error bound is proven for.
func TestToeplitzFFTBlockedMatchesStages(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{21}))
	for _, logN := range []int{15, 16, 17} {
		N := 1 << logN
		tw := fftTwiddles(N, newFFTRoots(N))
		in := make([]complex128, N)
		for i := range in {
			in[i] = complex(float64(r.IntN(2)), float64(r.IntN(2)))
		}
		blocked := append([]complex128(nil), in...)
		plain := append([]complex128(nil), in...)
		fftForward(blocked, tw)
		fftForwardStages(plain, tw, N/2)
		for i := range plain {
			if blocked[i] != plain[i] {
				t.Fatalf("N=%d: forward bin %d: blocked %v, stages %v", N, i, blocked[i], plain[i])
			}
		}
		fftInverse(blocked, tw)
		fftInverseStages(plain, tw)
		for i := range plain {
			if blocked[i] != plain[i] {
				t.Fatalf("N=%d: inverse %d: blocked %v, stages %v", N, i, blocked[i], plain[i])
			}
		}
	}
}

// TestToeplitzFFTRootsAccurate checks every tabulated root of unity against a
// direct Sincos within the 2^-49 that fftErrorBound assumes.
func TestToeplitzFFTRootsAccurate(t *testing.T) {
	for _, N := range []int{2, 64, 1 << 12, 1 << 17} {
		roots := newFFTRoots(N)
		for q := 0; q < 2*N; q++ {
			sin, cos := math.Sincos(math.Pi / 2 * float64(q) / float64(N))
			if d := cmplx.Abs(roots.at(q) - complex(cos, sin)); d > 0x1p-50 {
				t.Fatalf("N=%d: θ^%d off by %g", N, q, d)
			}
		}
	}
}

// TestToeplitzFFTTablesSharedAndBounded checks that a length's tables are
// built once and shared (the same slices on every call, equal to freshly
// built ones), and that the cache never holds more than fftSizeCacheLen
// lengths however many are asked for.
func TestToeplitzFFTTablesSharedAndBounded(t *testing.T) {
	c := &fftSizeCache{maxLog: 3 * fftSizeCacheLen}
	a, b := c.get(12), c.get(12)
	if a != b || &a.tw[0] != &b.tw[0] {
		t.Fatal("the tables of one length were built twice")
	}
	fresh := fftTwiddles(1<<12, newFFTRoots(1<<12))
	if len(a.tw) != len(fresh) {
		t.Fatalf("cached twiddles have %d values, want %d", len(a.tw), len(fresh))
	}
	for i := range fresh {
		if a.tw[i] != fresh[i] {
			t.Fatalf("cached twiddle %d = %v, freshly built %v", i, a.tw[i], fresh[i])
		}
	}
	for logN := 1; logN <= 3*fftSizeCacheLen; logN++ {
		c.get(logN)
		if c.len() > fftSizeCacheLen {
			t.Fatalf("cache holds %d lengths, bound %d", c.len(), fftSizeCacheLen)
		}
	}
	// The most recent lengths stay; an old one is rebuilt as a new entry.
	last := c.get(3 * fftSizeCacheLen)
	if c.get(3*fftSizeCacheLen) != last {
		t.Fatal("the most recently used length was evicted")
	}
	if c.get(12) == a {
		t.Fatal("an entry beyond the bound was kept")
	}
	// Lengths beyond maxLog get correct tables of their own, not kept.
	long1, long2 := c.get(c.maxLog+1), c.get(c.maxLog+1)
	if long1 == long2 || len(long1.tw) != 1<<(c.maxLog+1) || long1.tw[1] != 1 {
		t.Fatalf("length 2^%d: entries shared %v, %d twiddles", c.maxLog+1, long1 == long2, len(long1.tw))
	}
	for _, e := range c.entries {
		if e.logN > c.maxLog {
			t.Fatalf("cache kept length 2^%d beyond its bound 2^%d", e.logN, c.maxLog)
		}
	}
	if fftSizes.maxLog != fftSizeCacheMaxLog || fftPlanFor(459000, 268000).logN > fftSizeCacheMaxLog {
		t.Fatal("the 1e6-qubit amplification's tables would not be kept")
	}
}

// TestToeplitzConcurrentHashesMatchKaratsuba runs hashes in two goroutines
// at once, as Alice and Bob do in one process, sharing the tables and the
// pooled buffers, with lengths that switch so entries are built, reused
// and evicted while another hash runs. Every result must equal Karatsuba's
// (run it with -race: the shared state must be read-only or pooled).
func TestToeplitzConcurrentHashesMatchKaratsuba(t *testing.T) {
	type job struct {
		n, m    int
		s, x    []uint64
		want    []uint64
		fftUsed bool
	}
	shapes := [][2]int{{60000, 40000}, {20000, 9000}, {60000, 40000}, {5000, 3000}, {33000, 20000}}
	if toeplitzRaceBuild || testing.Short() {
		shapes = [][2]int{{20000, 9000}, {5000, 3000}, {20000, 9000}, {9000, 7000}}
	}
	r := rand.New(rand.NewChaCha8([32]byte{22}))
	var jobs []job
	for _, sh := range shapes {
		n, m := sh[0], sh[1]
		s, x := bitvec.Random(r, n+m-1), bitvec.Random(r, n)
		sw := append([]uint64(nil), s...)
		bitvec.TailMask(sw, n+m-1)
		xw := append([]uint64(nil), x...)
		bitvec.TailMask(xw, n)
		jobs = append(jobs, job{n: n, m: m, s: s, x: x, want: toeplitzKaratsuba(sw, xw, n, m), fftUsed: toeplitzMethodFor(n, m) == methodFFT})
		if !jobs[len(jobs)-1].fftUsed {
			t.Fatalf("%d×%d does not use the FFT; pick FFT shapes", m, n)
		}
	}
	const workers, rounds = 2, 3
	errs := make(chan error, workers*rounds*len(jobs))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				for i := range jobs {
					// The two workers walk the shapes in opposite orders.
					j := jobs[(i+w*(len(jobs)-1-2*i)+len(jobs))%len(jobs)]
					got, err := Hash(j.s, j.x, j.n, j.m)
					if err != nil {
						errs <- err
						continue
					}
					for k := range j.want {
						if got[k] != j.want[k] {
							errs <- fmt.Errorf("worker %d round %d: %d×%d: word %d: got %016x want %016x", w, round, j.m, j.n, k, got[k], j.want[k])
							break
						}
					}
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestToeplitzFFTPooledBuffersPoisoned fills pooled work buffers with NaN
// before a hash: a value read before it is written would make the result
// wrong or the rounding check fail, so the hash must still equal
// Karatsuba's.
func TestToeplitzFFTPooledBuffersPoisoned(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{23}))
	for _, sh := range [][3]int{{100000, 80000, 2}, {9000, 7000, 1}} { // n, m, blocks
		n, m := sh[0], sh[1]
		s, x := bitvec.Random(r, n+m-1), bitvec.Random(r, n)
		p := fftPlanFor(n, m)
		if p.blocks != sh[2] {
			t.Fatalf("%d×%d: plan %+v, want %d blocks", m, n, p, sh[2])
		}
		size := fftSizes.get(p.logN)
		for i := 0; i < 4; i++ { // sync.Pool may drop some under -race
			w := size.getWork()
			for _, b := range [][]complex128{w.acc, w.sb, w.xb} {
				for k := range b {
					b[k] = complex(math.NaN(), math.Inf(1))
				}
			}
			size.putWork(w)
		}
		want := toeplitzKaratsubaMasked(s, x, n, m)
		got, err := Hash(s, x, n, m)
		if err != nil {
			t.Fatal(err)
		}
		if toeplitzMethodFor(n, m) != methodFFT {
			t.Fatalf("%d×%d does not use the FFT", m, n)
		}
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("%d×%d (%d blocks): word %d: got %016x want %016x", m, n, p.blocks, k, got[k], want[k])
			}
		}
	}
}

// toeplitzKaratsubaMasked is the Karatsuba hash of the masked strings, the
// reference for sizes where the row-by-row one is too slow.
func toeplitzKaratsubaMasked(s, x []uint64, n, m int) []uint64 {
	sw := append([]uint64(nil), s[:bitvec.Words(n+m-1)]...)
	bitvec.TailMask(sw, n+m-1)
	xw := append([]uint64(nil), x[:bitvec.Words(n)]...)
	bitvec.TailMask(xw, n)
	return toeplitzKaratsuba(sw, xw, n, m)
}

// TestToeplitzFFTLoadedMatchesUnfused checks that the load fused into the
// first forward pass computes bit for bit what loading and then
// transforming computes, for sources that start before bit 0, at odd bit
// offsets, and end inside a word, in both halves.
func TestToeplitzFFTLoadedMatchesUnfused(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{24}))
	for _, logN := range []int{15, 16} {
		N := 1 << logN
		size := fftSizes.get(logN)
		for _, c := range []struct{ aOff, aBits, bOff, bBits int }{
			{0, 2 * N, 0, 2 * N},
			{-37, 2*N - 5, 3, N - 77},
			{129, N + 1001, -700, 3*N/2 + 63},
			{5, 1, 0, N},
		} {
			v := bitvec.Random(r, 4*N+64)
			ua, ub := fftSource{v, c.aOff, c.aBits}, fftSource{v[7:], c.bOff, c.bBits}
			a1, b1 := make([]complex128, N), make([]complex128, N)
			fftLoadWeighted(a1, ua, b1, ub, size.roots)
			fftForward(a1, size.tw)
			fftForward(b1, size.tw)
			a2, b2 := make([]complex128, N), make([]complex128, N)
			fftForwardLoaded(a2, ua, b2, ub, size.roots, size.tw, nil)
			for i := range a1 {
				if a1[i] != a2[i] || b1[i] != b2[i] {
					t.Fatalf("N=%d %+v: bin %d: fused %v %v, unfused %v %v", N, c, i, a2[i], b2[i], a1[i], b1[i])
				}
			}
		}
	}
}

// TestToeplitzFFTPiecewiseMatchesWhole checks the fused order the hash
// uses: pieces visited during the forward transform, the inverse's stages
// run on each piece, then its outer passes, must give bit for bit the
// result of the whole forward and the whole inverse transform, and the
// visited pieces must tile the array once each, in order.
func TestToeplitzFFTPiecewiseMatchesWhole(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{25}))
	for _, logN := range []int{3, 10, 14, 15, 16, 17} {
		N := 1 << logN
		tw := fftSizes.get(logN).tw
		in := make([]complex128, N)
		for i := range in {
			in[i] = complex(float64(r.IntN(2)), float64(r.IntN(2)))
		}
		whole := append([]complex128(nil), in...)
		fftForward(whole, tw)
		fwd := append([]complex128(nil), whole...)
		fftInverse(whole, tw)
		pieces := append([]complex128(nil), in...)
		next := 0
		fftForwardVisit(pieces, tw, 0, func(lo, hi int) {
			if lo != next || hi <= lo || hi > N {
				t.Fatalf("N=%d: piece [%d,%d) after %d", N, lo, hi, next)
			}
			next = hi
			for i := lo; i < hi; i++ {
				if pieces[i] != fwd[i] {
					t.Fatalf("N=%d: piece [%d,%d) visited before bin %d was final", N, lo, hi, i)
				}
			}
			fftInverseStages(pieces[lo:hi], tw)
		})
		if next != N {
			t.Fatalf("N=%d: pieces cover [0,%d)", N, next)
		}
		fftInverseOuter(pieces, tw)
		for i := range whole {
			if pieces[i] != whole[i] {
				t.Fatalf("N=%d: value %d: piecewise %v, whole %v", N, i, pieces[i], whole[i])
			}
		}
	}
}

// TestToeplitzFFTMatchesTextbookRadix2 checks, bit for bit, that every
// transform path (radix-4 passes, the two-point passes that skip their
// products by exactly 1 and -i, the cache-blocked recursion) computes the
// butterflies of the plain radix-2 transform with every product taken,
// which is what fftErrorBound is proven for; and that the right-angle
// factor the skipped products rely on is exact.
func TestToeplitzFFTMatchesTextbookRadix2(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{26}))
	for _, logN := range []int{1, 2, 3, 4, 5, 8, 11, 15} {
		N := 1 << logN
		tw := fftTwiddles(N, newFFTRoots(N))
		if N >= 4 && (tw[1] != 1 || tw[2] != 1 || tw[3] != complex(0, -1)) {
			t.Fatalf("N=%d: two-point factors %v %v %v, want exactly 1, 1, -i", N, tw[1], tw[2], tw[3])
		}
		in := make([]complex128, N)
		for i := range in {
			in[i] = complex(r.Float64()*2-1, r.Float64()*2-1)
		}
		got := append([]complex128(nil), in...)
		want := append([]complex128(nil), in...)
		fftForward(got, tw)
		for h := N / 2; h >= 1; h >>= 1 { // decimation in frequency
			for base := 0; base < N; base += 2 * h {
				for k := 0; k < h; k++ {
					u, v := want[base+k], want[base+k+h]
					want[base+k], want[base+k+h] = u+v, (u-v)*tw[h+k]
				}
			}
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("N=%d: forward bin %d: %v, textbook %v", N, i, got[i], want[i])
			}
		}
		fftInverse(got, tw)
		for h := 1; h < N; h <<= 1 { // decimation in time, conjugate factors
			for base := 0; base < N; base += 2 * h {
				for k := 0; k < h; k++ {
					w := tw[h+k]
					u, v := want[base+k], want[base+k+h]*complex(real(w), -imag(w))
					want[base+k], want[base+k+h] = u+v, u-v
				}
			}
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("N=%d: inverse %d: %v, textbook %v", N, i, got[i], want[i])
			}
		}
	}
}

// TestWarmBuildsTables checks that warming a cache leaves the tables of
// the hash's transform length built (for a hash in row blocks, the blocks'
// length), ignores sizes that do not run on the FFT, and that a Hash after Warm gives the same
// bits as the reference.
func TestWarmBuildsTables(t *testing.T) {
	n, m := 20000, 15000
	p := fftPlanFor(n, m)
	if toeplitzMethodFor(n, m) != methodFFT {
		t.Fatalf("%d×%d does not run on the FFT; pick another size", m, n)
	}
	c := &fftSizeCache{maxLog: fftSizeCacheMaxLog}
	c.warm(n, 64) // direct method: nothing to prepare
	c.warm(0, 5)  // invalid: ignored
	if c.len() != 0 {
		t.Fatalf("Warm prepared %d lengths for sizes that do not use the FFT", c.len())
	}
	c.warm(n, m)
	if c.len() != 1 || c.entries[0].logN != p.logN || len(c.entries[0].tw) != 1<<p.logN || len(c.entries[0].roots.fine) == 0 {
		t.Fatalf("after Warm the cache holds %d lengths, want the tables of 2^%d", c.len(), p.logN)
	}
	// A hash too long for one transform runs in row blocks: Warm prepares
	// the blocks' length, within the cap.
	bn, bm := 4_000_000, 2_000_000
	if big := fftPlanFor(bn, bm); big.logN <= fftMaxLog {
		t.Fatalf("plan %+v fits one transform; pick a longer size", big)
	}
	c.warm(bn, bm)
	want := fftPlanFor(bn, fftRowsWithin(bn, bm, fftMaxLog)).logN
	if c.len() != 2 || c.entries[0].logN != want || want > fftMaxLog {
		t.Fatalf("after Warm of a row-blocked hash the cache holds %d lengths (newest 2^%d), want 2^%d added", c.len(), c.entries[0].logN, want)
	}
	Warm(n, m) // the process-wide cache, which Hash uses
	r := rand.New(rand.NewChaCha8([32]byte{21}))
	s := bitvec.Random(r, n+m-1)
	x := bitvec.Random(r, n)
	got, err := Hash(s, x, n, m)
	if err != nil {
		t.Fatal(err)
	}
	sw := append([]uint64(nil), s...)
	bitvec.TailMask(sw, n+m-1)
	xw := append([]uint64(nil), x...)
	bitvec.TailMask(xw, n)
	checkSame(t, n, m, toeplitzKaratsuba(sw, xw, n, m), map[string][]uint64{"Hash after Warm": got})
}

// TestToeplitzFFTRowsMatchKaratsuba: a hash too long for the transform cap
// is cut into blocks of rows (toeplitzFFTRows) and must still equal
// Karatsuba's bit for bit, for shapes where the rows divide evenly, leave a
// ragged last block, or need input blocks as well; a cap that even one
// word of rows cannot meet reports failure rather than a wrong hash.
func TestToeplitzFFTRowsMatchKaratsuba(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{23}))
	for _, tc := range []struct{ n, m, maxLog int }{
		{3000, 2048, 10}, {3000, 2100, 10}, {5000, 3333, 11}, {1500, 4000, 10}, {700, 9000, 10}, {20000, 9000, 13},
	} {
		s, x := bitvec.Random(r, tc.n+tc.m-1), bitvec.Random(r, tc.n)
		bitvec.TailMask(s, tc.n+tc.m-1)
		bitvec.TailMask(x, tc.n)
		if fftPlanFor(tc.n, tc.m).logN <= tc.maxLog {
			t.Fatalf("%d×%d fits 2^%d: pick a shape that needs row blocks", tc.m, tc.n, tc.maxLog)
		}
		got, ok := toeplitzFFTRows(s, x, tc.n, tc.m, tc.maxLog)
		if !ok {
			t.Fatalf("%d×%d under 2^%d: no hash", tc.m, tc.n, tc.maxLog)
		}
		want := toeplitzKaratsuba(s, x, tc.n, tc.m)
		if len(got) != len(want) {
			t.Fatalf("%d×%d: %d words, want %d", tc.m, tc.n, len(got), len(want))
		}
		for k := range want {
			if got[k] != want[k] {
				t.Fatalf("%d×%d under 2^%d: word %d: got %016x want %016x", tc.m, tc.n, tc.maxLog, k, got[k], want[k])
			}
		}
	}
	s, x := bitvec.Random(r, 5000+100-1), bitvec.Random(r, 5000)
	if _, ok := toeplitzFFTRows(s, x, 5000, 100, 6); ok {
		t.Fatal("a cap too small for one word of rows still gave a hash")
	}
}
