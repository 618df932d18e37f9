package toeplitz

import (
	"math"
	"math/bits"
	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/hugepage"
)

// Floating-point FFT evaluation for long hashes (privacy amplification).
//
// The hash is coefficients n-1 … n+m-2 of the product s(z)·x(z) over GF(2).
// Over the integers, with one bit per coefficient, that product has
// coefficients c_k = #{j : s_{k-j} = x_j = 1} ∈ [0, n], and the GF(2)
// coefficient is c_k mod 2. So we compute the integer product with a
// complex FFT, round every wanted coefficient to the nearest integer and
// keep its low bit. The result is exact as long as every rounding error is
// below 1/2, which fftErrorBound proves before the transform runs (and
// which is checked again on every coefficient after it).
//
// Sizes. The product has 2n+m-2 coefficients, but only the middle m are
// wanted: computed modulo z^L + 1 with L ≥ n+m-1, coefficient k picks up
// -c_{k+L}, and for the wanted k ≤ n+m-2 that index is beyond the last
// one, 2n+m-3, so it is zero. The negacyclic product of length L = 2N is
// done as a "right-angle" weighted transform of complex length N
// (Crandall–Fagin; Percival 2003): a real polynomial a = a_lo + z^N a_hi
// maps to A = a_lo + i·a_hi in C[z]/(z^N - i), where z^2N = -1; with
// z = θy, θ = e^{iπ/2N}, that ring is C[y]/(y^N - 1), a cyclic
// convolution: weight by θ^j, FFT, multiply, inverse FFT, unweight. The
// real part of output j is c_j and the imaginary part c_{j+N}.

// fftRoundLimit is how far from an integer a computed coefficient may lie
// before the FFT result is thrown away and the hash is recomputed with
// Karatsuba. The a-priori bound is far smaller (below 2^-20 for every size
// the protocol uses); this is the run-time check that the bound holds.
const fftRoundLimit = 0.25

// fftRoundMagic is 1.5·2^52, the round-to-integer constant of toeplitzFFTErr.
// Coefficients are at most n < 2^51, far inside its range.
const fftRoundMagic = 0x1.8p52

// fftErrorBound bounds the absolute error of every coefficient of one
// product computed with complex length 2^logN, for inputs with popS and
// popX set bits. It is Percival's bound for a radix-2 FFT product
// (Math. Comp. 72 (2003), Theorem 5.1),
//
//	‖z' - z‖∞ ≤ ‖a‖·‖b‖·((1+ε)^3k (1+ε√5)^(3k+1) (1+β)^3k - 1),
//
// with k = logN, ε = 2^-53 the unit round-off, β a bound on the error of
// each precomputed root of unity, and ‖a‖ the Euclidean norm of the input
// (√popcount for 0/1 inputs, unchanged by unit-modulus weights), with three
// more factors (1+ε)(1+ε√5)(1+β) for the weight on each input and on the
// output, and one (1+ε) for adding the spectra of the blocks. The error of
// a sum of block products is at most the sum of their bounds.
func fftErrorBound(logN, popS, popX int) float64 {
	const eps = 0x1p-53
	const beta = 0x1p-49 // error of each root of unity (see fftRoots)
	k := float64(logN)
	f := math.Pow(1+eps, 3*k+4) * math.Pow(1+eps*math.Sqrt(5), 3*k+4) * math.Pow(1+beta, 3*k+3)
	return math.Sqrt(float64(popS)) * math.Sqrt(float64(popX)) * (f - 1)
}

// fftLogLen returns log2 of the complex transform length N for an n×m hash:
// the least N ≥ 2 with 2N ≥ n+m-1.
func fftLogLen(n, m int) int {
	l := bits.Len(uint(n + m - 2)) // 2^l ≥ n+m-1
	return max(l-1, 1)
}

// fftPlan is how toeplitzFFT splits an n×m hash: T x = Σ_b T_b x_b over
// blocks x_b of nb input bits, each T_b an m×nb Toeplitz matrix, with the
// products summed in the frequency domain so that one inverse transform
// serves them all. Two blocks of half the length can need a transform half
// as long (2·2+1 = 5 transforms of N/2 instead of 3 of N): for the 1e6-qubit
// amplification, 459k → 268k bits, N drops from 2^19 to 2^18.
type fftPlan struct {
	blocks, nb, logN int
}

// fftPlanFor picks the number of blocks (1 to 4) with the fewest butterflies.
func fftPlanFor(n, m int) fftPlan {
	best := fftPlanBlocks(n, m, 1)
	for B := 2; B <= 4 && B <= n; B++ {
		if p := fftPlanBlocks(n, m, B); p.cost() < best.cost() {
			best = p
		}
	}
	return best
}

// fftPlanBlocks is the plan with B ≤ n blocks.
func fftPlanBlocks(n, m, B int) fftPlan {
	nb := (n + B - 1) / B
	return fftPlan{blocks: B, nb: nb, logN: fftLogLen(nb, m)}
}

// cost estimates the plan's run time in butterflies.
func (p fftPlan) cost() float64 {
	return float64(2*p.blocks+1) * float64(int(1)<<p.logN) / 2 * float64(p.logN+2)
}

// toeplitzFFT returns T x for sw, xw masked to n+m-1 and n bits, or false
// if the floating-point result cannot be guaranteed exact (then the caller
// uses Karatsuba).
func toeplitzFFT(sw, xw []uint64, n, m int) ([]uint64, bool) {
	return toeplitzFFTRows(sw, xw, n, m, fftMaxLog)
}

// fftMaxLog caps a hash's transforms at 2^fftMaxLog complex points (three
// 16 MiB work buffers and the length's tables). Without a cap a 1e7-qubit
// run's amplification (4.6M → 3.1M bits) took a 2^22-point transform and
// the process 577 MB; a longer hash is cut into blocks of rows instead,
// each a smaller Toeplitz hash, for about three times the butterflies.
const fftMaxLog = 20

// toeplitzFFTRows is toeplitzFFT with transforms of at most 2^maxLog
// points: rows i0 … i0+mb-1 of T are the mb×n Toeplitz matrix of the seed
// bits i0 … i0+mb+n-2, so T x is the concatenation of those blocks' hashes.
// Blocks start on word boundaries, so their words are copied into place.
func toeplitzFFTRows(sw, xw []uint64, n, m, maxLog int) ([]uint64, bool) {
	if p := fftPlanFor(n, m); p.logN <= maxLog {
		out, maxErr := toeplitzFFTErr(sw, xw, n, m, p)
		return out, out != nil && maxErr < fftRoundLimit
	}
	mb := fftRowsWithin(n, m, maxLog)
	if mb == 0 {
		return nil, false // even one word of rows needs a longer transform
	}
	out := make([]uint64, bitvec.Words(m))
	for i0 := 0; i0 < m; i0 += mb {
		rows := min(mb, m-i0)
		part, maxErr := toeplitzFFTErr(bitvec.Extract(sw, i0, rows+n-1), xw, n, rows, fftPlanFor(n, rows))
		if part == nil || maxErr >= fftRoundLimit {
			return nil, false
		}
		copy(out[i0/64:], part)
	}
	return out, true
}

// fftRowsWithin returns the most rows, a multiple of 64 below m, whose
// hash of n input bits plans transforms of at most 2^maxLog points; 0 if
// none does.
func fftRowsWithin(n, m, maxLog int) int {
	lo, hi := 0, (m-1)/64 // in words; hi words of rows stay below m
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if fftPlanFor(n, 64*mid).logN <= maxLog {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return 64 * lo
}

// toeplitzFFTBound is the a-priori error bound of plan p for these inputs.
func toeplitzFFTBound(sw, xw []uint64, n, m int, p fftPlan) float64 {
	var bound float64
	for b := 0; b < p.blocks; b++ {
		j0 := b * p.nb
		sOff, sLen, xLen := fftBlock(n, m, p.nb, j0)
		popX := countRange(xw, j0, xLen)
		popS := countRange(sw, sOff, sLen)
		bound += fftErrorBound(p.logN, popS, popX)
	}
	return bound
}

// fftBlock returns, for the block of nb input bits starting at j0, where
// its seed window starts in s (possibly before bit 0, which reads as zero)
// and how many seed and input bits it has. Every block is treated as nb
// bits long (the last one padded with zeros), so that the wanted
// coefficients of every block product sit at the same places, nb-1 …
// nb+m-2: T_b[i][t] = s[i-(j0+t)+n-1] = s_b[i-t+nb-1] for
// s_b[u] = s[u + n-j0-nb].
func fftBlock(n, m, nb, j0 int) (sOff, sLen, xLen int) {
	return n - j0 - nb, nb + m - 1, min(nb, n-j0)
}

// toeplitzFFTErr computes T x with plan p and also returns the largest
// distance of a computed coefficient from its nearest integer (for tests).
// It returns nil if the a-priori bound does not allow the transform.
func toeplitzFFTErr(sw, xw []uint64, n, m int, p fftPlan) ([]uint64, float64) {
	if toeplitzFFTBound(sw, xw, n, m, p) >= fftRoundLimit/4 {
		return nil, 0
	}
	N := 1 << p.logN
	size := fftSizes.get(p.logN)
	roots, tw := size.roots, size.tw
	// Every value of the work buffers is written before it is read: the
	// load sets all of sb and xb, the first block sets all of acc.
	work := size.getWork()
	defer size.putWork(work)
	acc, sb, xb := work.acc[:N], work.sb[:N], work.xb[:N]
	if p.blocks == 1 {
		sb = acc
	}
	for b := 0; b < p.blocks; b++ {
		j0 := b * p.nb
		sOff, sLen, xLen := fftBlock(n, m, p.nb, j0)
		// As each cache-sized piece of xb's transform is done (sb's is by
		// then), multiply it into acc while it is in cache, and after the
		// last block run the inverse's stages on that piece of acc; the
		// inverse's outer passes follow once all pieces are done.
		first, last := b == 0, b == p.blocks-1
		product := func(lo, hi int) {
			acc := acc[lo:hi]
			sp, xp := sb[lo:hi], xb[lo:hi]
			sp, xp = sp[:len(acc)], xp[:len(acc)]
			if first {
				for i, v := range xp {
					acc[i] = sp[i] * v
				}
			} else {
				for i, v := range xp {
					acc[i] += sp[i] * v
				}
			}
			if last {
				fftInverseStages(acc, tw)
			}
		}
		fftForwardLoaded(sb, fftSource{sw, sOff, sLen}, xb, fftSource{xw, j0, xLen}, roots, tw, product)
	}
	fftInverseOuter(acc, tw)

	out := make([]uint64, bitvec.Words(m))
	scale := 1 / float64(N) // a power of two: exact
	var maxErr float64
	for i := 0; i < m; i++ {
		k := p.nb - 1 + i
		j := k & (N - 1)
		// Unweight: multiply by conj(θ^j), then scale.
		w := roots.at(j)
		c := acc[j] * complex(real(w), -imag(w))
		v := real(c)
		if k >= N {
			v = imag(c)
		}
		v *= scale
		// Round to the nearest integer without a branch on its size: for
		// |v| < 2^51, adding 1.5·2^52 leaves no fraction bits, so the sum
		// is rounded to an integer and subtracting restores it exactly.
		r := (v + fftRoundMagic) - fftRoundMagic
		maxErr = max(maxErr, math.Abs(v-r))
		out[i>>6] |= uint64(int64(r)&1) << (uint(i) & 63)
	}
	return out, maxErr
}

// bitsAt returns bits p … p+63 of v, reading bits before 0 and past the
// end of v as zero.
func bitsAt(v []uint64, p int) uint64 {
	if p <= -64 || p >= len(v)<<6 {
		return 0
	}
	if p < 0 {
		return v[0] << uint(-p)
	}
	w, sh := p>>6, uint(p)&63
	lo := v[w] >> sh
	if sh != 0 && w+1 < len(v) {
		lo |= v[w+1] << (64 - sh)
	}
	return lo
}

// countRange returns the number of set bits among bits off … off+count-1
// of v (bits before 0 or past the end count as zero).
func countRange(v []uint64, off, count int) int {
	c := 0
	for t := 0; t < count; t += 64 {
		w := bitsAt(v, off+t)
		if r := count - t; r < 64 {
			w &= 1<<uint(r) - 1
		}
		c += bits.OnesCount64(w)
	}
	return c
}

// fftRootStep is the fine grid of fftRoots: θ^q = coarse[q/fftRootStep] ·
// fine[q%fftRootStep].
const fftRootStep = 256

// fftForwardLoaded reads one coarse root per 64 bits: 64 must divide
// fftRootStep (this fails to compile otherwise).
var _ [-(fftRootStep % 64)]struct{}

// fftRoots gives θ^q = e^{iπq/2N} (the 4N-th roots of unity) for
// 0 ≤ q < 2N as the product of two tabulated Sincos values, so a transform
// of length N needs about 2N/256 + 256 Sincos calls, not N. Each root is
// within 2^-49 of the true value: each Sincos result is within about
// 3.5·2^-53 (its own ~1 ulp plus the rounding of the angle), and the
// product adds at most √5·2^-53 (Brent, Percival and Zimmermann 2007).
type fftRoots struct {
	coarse, fine []complex128
}

func newFFTRoots(N int) fftRoots {
	angle := func(q int) complex128 {
		sin, cos := math.Sincos(math.Pi / 2 * float64(q) / float64(N))
		return complex(cos, sin)
	}
	r := fftRoots{
		coarse: make([]complex128, (2*N+fftRootStep-1)/fftRootStep),
		fine:   make([]complex128, fftRootStep),
	}
	for i := range r.coarse {
		r.coarse[i] = angle(i * fftRootStep)
	}
	for i := range r.fine {
		r.fine[i] = angle(i)
	}
	return r
}

// at returns θ^q for 0 ≤ q < 2N.
func (r fftRoots) at(q int) complex128 {
	c := r.coarse[q/fftRootStep]
	if q%fftRootStep == 0 {
		return c
	}
	return c * r.fine[q%fftRootStep]
}

// fftTwiddles returns the twiddle factors of every stage of a length-N
// transform: tw[h+k] = e^{-2πik/2h} for each half-length h = 1, 2, … N/2
// and k < h, so a stage reads its factors contiguously. The top stage is
// e^{-2πik/N} = conj(θ^4k); each lower stage copies every other factor of
// the one above.
func fftTwiddles(N int, roots fftRoots) []complex128 {
	tw := hugepage.Make[complex128](N)
	if N < 2 {
		return tw
	}
	h := N / 2
	top := tw[h:N]
	for k := range top {
		w := roots.at(4 * k)
		top[k] = complex(real(w), -imag(w))
	}
	// The factor at a right angle, e^{-iπ/2} = -i, exactly (Sincos gives
	// a real part of about 6e-17). With it, the factors of the two-point
	// stages, tw[1] = tw[2] = 1 and tw[3] = -i, are exact, and the last
	// forward and first inverse passes replace their multiplications by
	// the exact swaps of parts they are equal to (fftForwardPass).
	if h >= 2 {
		top[h/2] = complex(0, -1)
	}
	for h >>= 1; h >= 1; h >>= 1 {
		up := tw[2*h : 4*h]
		lo := tw[h : 2*h]
		for k := range lo {
			lo[k] = up[2*k]
		}
	}
	return tw
}

// fftSource is a string of nbits ≤ 2N bits that starts at bit off of v
// (bits of v before 0 or past its end read as zero).
type fftSource struct {
	v          []uint64
	off, nbits int
}

// chunk returns bits j … j+63 of the string, cut at nbits.
func (u fftSource) chunk(j int) uint64 {
	if j >= u.nbits {
		return 0
	}
	w := bitsAt(u.v, u.off+j)
	if r := u.nbits - j; r < 64 {
		w &= 1<<uint(r) - 1
	}
	return w
}

// fftLoadWeighted sets a[j] = (u_j + i·u_{j+N})·θ^j and b[j] likewise for
// the string ub, sharing each weight between the two. With bits lo, hi ∈
// {0, 1} that is (lo·c - hi·s) + i(lo·s + hi·c) for θ^j = c + is: exact for
// one bit set, one rounding per part for both, and no branch on the bits.
func fftLoadWeighted(a []complex128, ua fftSource, b []complex128, ub fftSource, roots fftRoots) {
	N := len(a)
	b = b[:N]
	for j0 := 0; j0 < N; j0 += fftRootStep {
		c := roots.coarse[j0/fftRootStep]
		end := min(j0+fftRootStep, N)
		ba, bb := a[j0:end], b[j0:end]
		bb = bb[:len(ba)]
		var alo, ahi, blo, bhi uint64
		for t := range ba {
			j := j0 + t
			if t&63 == 0 || N < 64 {
				alo, ahi = ua.chunk(j), ua.chunk(j+N)
				blo, bhi = ub.chunk(j), ub.chunk(j+N)
			}
			w := c
			if t != 0 {
				w = c * roots.fine[t]
			}
			wr, wi := real(w), imag(w)
			l, h := float64(alo&1), float64(ahi&1)
			ba[t] = complex(l*wr-h*wi, l*wi+h*wr)
			l, h = float64(blo&1), float64(bhi&1)
			bb[t] = complex(l*wr-h*wi, l*wi+h*wr)
			alo, ahi, blo, bhi = alo>>1, ahi>>1, blo>>1, bhi>>1
		}
	}
}

// fftCacheBlock is the length (in complex values, 256 KiB) below which a
// transform runs stage after stage over the whole slice; longer ones do
// their outermost radix-4 pass and recurse into the four quarters, so that
// all but a few passes run on data that stays in cache. The order of the
// butterflies changes, not their arithmetic: every path computes exactly
// the radix-2 butterflies of the textbook transform.
const fftCacheBlock = 1 << 14

// fftForward is an in-place decimation-in-frequency transform,
// a[k] ← Σ a[j] e^{-2πijk/N}, from natural to bit-reversed order. tw is
// from fftTwiddles for len(a) or any larger power of two.
func fftForward(a, tw []complex128) {
	L := len(a)
	if L <= fftCacheBlock || L < 8 {
		fftForwardStages(a, tw, L/2)
		return
	}
	fftForwardPass(a, tw, L/2)
	q := L / 4
	for i := 0; i < 4; i++ {
		fftForward(a[i*q:(i+1)*q], tw)
	}
}

// fftForwardVisit is fftForward on a = whole[off:off+len(a)], calling
// visit(lo, hi) (if not nil) as soon as each piece whole[lo:hi] that runs
// its stages in cache is finished: the pieces are final output, as the
// outer passes run before the recursion.
func fftForwardVisit(a, tw []complex128, off int, visit func(lo, hi int)) {
	L := len(a)
	if L <= fftCacheBlock || L < 8 {
		fftForwardStages(a, tw, L/2)
		if visit != nil {
			visit(off, off+L)
		}
		return
	}
	fftForwardPass(a, tw, L/2)
	q := L / 4
	for i := 0; i < 4; i++ {
		fftForwardVisit(a[i*q:(i+1)*q], tw, off+i*q, visit)
	}
}

// fftForwardStages runs the DIF stages h, h/2, … 1 on a, fused in pairs
// (radix 4) to halve the passes over memory.
func fftForwardStages(a, tw []complex128, h int) {
	for ; h >= 2; h >>= 2 {
		fftForwardPass(a, tw, h)
	}
	if h == 1 {
		for base := 0; base+1 < len(a); base += 2 {
			u, v := a[base], a[base+1]
			a[base], a[base+1] = u+v, u-v
		}
	}
}

// fftForwardPass runs the DIF stages h and h/2 on every block of 2h values.
func fftForwardPass(a, tw []complex128, h int) {
	N := len(a)
	if h == 2 {
		// The last pass has blocks of four and the factors t1a = w = 1,
		// t1b = -i, exactly (fftTwiddles). A product by 1 + 0i is the
		// value itself and one by -i swaps the parts, d·(0 - i) =
		// (di, -dr), in IEEE arithmetic too (up to the sign of a zero,
		// which no later step can turn into anything but a zero), so
		// this is the same arithmetic as the general case below.
		for base := 0; base+3 < N; base += 4 {
			x := a[base : base+4 : base+4]
			a0, a1, a2, a3 := x[0], x[1], x[2], x[3]
			b0 := a0 + a2
			b2 := a0 - a2
			b1 := a1 + a3
			d := a1 - a3
			b3 := complex(imag(d), -real(d))
			x[0] = b0 + b1
			x[1] = b0 - b1
			x[2] = b2 + b3
			x[3] = b2 - b3
		}
		return
	}
	q := h / 2
	t1 := tw[h : 2*h]
	t1a, t1b := t1[:q], t1[q:2*q]
	t2 := tw[q : 2*q]
	for base := 0; base < N; base += 2 * h {
		x0 := a[base : base+q]
		x1 := a[base+q : base+2*q]
		x2 := a[base+2*q : base+3*q]
		x3 := a[base+3*q : base+4*q]
		x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
		t1a, t1b, t2 := t1a[:len(x0)], t1b[:len(x0)], t2[:len(x0)]
		for k, a0 := range x0 {
			a1, a2, a3 := x1[k], x2[k], x3[k]
			b0 := a0 + a2
			b2 := (a0 - a2) * t1a[k]
			b1 := a1 + a3
			b3 := (a1 - a3) * t1b[k]
			w := t2[k]
			x0[k] = b0 + b1
			x1[k] = (b0 - b1) * w
			x2[k] = b2 + b3
			x3[k] = (b2 - b3) * w
		}
	}
}

// fftInverse is the in-place decimation-in-time inverse of fftForward
// without the 1/N scale (twiddles conjugated): bit-reversed order in,
// natural order out.
func fftInverse(a, tw []complex128) {
	L := len(a)
	if L <= fftCacheBlock || L < 8 {
		fftInverseStages(a, tw)
		return
	}
	q := L / 4
	for i := 0; i < 4; i++ {
		fftInverse(a[i*q:(i+1)*q], tw)
	}
	fftInversePass(a, tw, q)
}

// fftInverseOuter is fftInverse for an a whose pieces have already run
// fftInverseStages: the pieces are those fftForwardVisit visits (both
// recursions split by four down to fftCacheBlock), and the outer passes
// read them only after all are done, so the arithmetic is fftInverse's.
func fftInverseOuter(a, tw []complex128) {
	L := len(a)
	if L <= fftCacheBlock || L < 8 {
		return
	}
	q := L / 4
	for i := 0; i < 4; i++ {
		fftInverseOuter(a[i*q:(i+1)*q], tw)
	}
	fftInversePass(a, tw, q)
}

// fftInverseStages runs the DIT stages 1, 2, … len(a)/2 on a, fused in
// pairs.
func fftInverseStages(a, tw []complex128) {
	N := len(a)
	h := 1
	if bits.TrailingZeros(uint(N))&1 == 1 {
		for base := 0; base+1 < N; base += 2 {
			u, v := a[base], a[base+1]
			a[base], a[base+1] = u+v, u-v
		}
		h = 2
	}
	for ; h < N; h <<= 2 {
		fftInversePass(a, tw, h)
	}
}

// fftInversePass runs the DIT stages q and 2q on every block of 4q values:
// stage q on pairs (x0,x1), (x2,x3), then stage 2q on (x0,x2), (x1,x3).
func fftInversePass(a, tw []complex128, q int) {
	N := len(a)
	if q == 1 {
		// The first pass has blocks of four and the conjugated factors
		// w = wa = 1, wb = i, exactly; as in fftForwardPass the products
		// are the values themselves and b3·i = (-b3i, b3r).
		for base := 0; base+3 < N; base += 4 {
			x := a[base : base+4 : base+4]
			a0, v1 := x[0], x[1]
			b0, b1 := a0+v1, a0-v1
			a2, v3 := x[2], x[3]
			c2, b3 := a2+v3, a2-v3
			c3 := complex(-imag(b3), real(b3))
			x[0], x[2] = b0+c2, b0-c2
			x[1], x[3] = b1+c3, b1-c3
		}
		return
	}
	t1 := tw[q : 2*q]
	t2 := tw[2*q : 4*q]
	t2a, t2b := t2[:q], t2[q:2*q]
	for base := 0; base < N; base += 4 * q {
		x0 := a[base : base+q]
		x1 := a[base+q : base+2*q]
		x2 := a[base+2*q : base+3*q]
		x3 := a[base+3*q : base+4*q]
		x1, x2, x3 = x1[:len(x0)], x2[:len(x0)], x3[:len(x0)]
		t1, t2a, t2b := t1[:len(x0)], t2a[:len(x0)], t2b[:len(x0)]
		for k, a0 := range x0 {
			w := t1[k]
			w = complex(real(w), -imag(w))
			v1 := x1[k] * w
			v3 := x3[k] * w
			b0, b1 := a0+v1, a0-v1
			a2 := x2[k]
			b2, b3 := a2+v3, a2-v3
			wa, wb := t2a[k], t2b[k]
			c2 := b2 * complex(real(wa), -imag(wa))
			c3 := b3 * complex(real(wb), -imag(wb))
			x0[k], x2[k] = b0+c2, b0-c2
			x1[k], x3[k] = b1+c3, b1-c3
		}
	}
}

// fftForwardLoaded is fftLoadWeighted(a, ua, b, ub) followed by
// fftForward on a and on b, with the load fused into the first radix-4
// pass of long transforms: the weighted inputs go straight from registers
// into the butterflies instead of through a pass that writes both arrays
// and one that reads them back. Every value is computed by exactly the
// same operations as in the unfused order, so the result is bit for bit
// the same (TestToeplitzFFTLoadedMatchesUnfused).
//
// visit, if not nil, is called as by fftForwardVisit on b's pieces; a's
// piece at the same place is transformed by then.
func fftForwardLoaded(a []complex128, ua fftSource, b []complex128, ub fftSource, roots fftRoots, tw []complex128, visit func(lo, hi int)) {
	N := len(a)
	b = b[:N]
	if N <= fftCacheBlock || N < 8 || N%(4*fftRootStep) != 0 {
		fftLoadWeighted(a, ua, b, ub, roots)
		fftForward(a, tw)
		fftForwardVisit(b, tw, 0, visit)
		return
	}
	h := N / 2
	q := h / 2 // a multiple of fftRootStep and of 64
	t1a, t1b, t2 := tw[h:h+q], tw[h+q:2*h], tw[q:2*q]
	// weighted returns (lo + i·hi)·w as fftLoadWeighted computes it.
	weighted := func(lo, hi uint64, wr, wi float64) complex128 {
		l, h := float64(lo&1), float64(hi&1)
		return complex(l*wr-h*wi, l*wi+h*wr)
	}
	for k0 := 0; k0 < q; k0 += 64 {
		// Bits k0 … k0+63 of each quarter, low (j) and high (j+N) half.
		// and the coarse roots of the four places (64 divides fftRootStep,
		// so they hold for the whole chunk).
		var alo, ahi, blo, bhi [4]uint64
		var coarse [4]complex128
		for i := range 4 {
			j := k0 + i*q
			alo[i], ahi[i] = ua.chunk(j), ua.chunk(j+N)
			blo[i], bhi[i] = ub.chunk(j), ub.chunk(j+N)
			coarse[i] = roots.coarse[j/fftRootStep]
		}
		for k := k0; k < k0+64; k++ {
			ft := k % fftRootStep // the same fine index in every quarter
			var wr, wi [4]float64
			for i := range 4 {
				w := coarse[i]
				if ft != 0 {
					w *= roots.fine[ft]
				}
				wr[i], wi[i] = real(w), imag(w)
			}
			tA, tB, w := t1a[k], t1b[k], t2[k]
			// The radix-4 butterfly of fftForwardPass on each array.
			a0 := weighted(alo[0], ahi[0], wr[0], wi[0])
			a1 := weighted(alo[1], ahi[1], wr[1], wi[1])
			a2 := weighted(alo[2], ahi[2], wr[2], wi[2])
			a3 := weighted(alo[3], ahi[3], wr[3], wi[3])
			b0 := a0 + a2
			b2 := (a0 - a2) * tA
			b1 := a1 + a3
			b3 := (a1 - a3) * tB
			a[k], a[k+q], a[k+2*q], a[k+3*q] = b0+b1, (b0-b1)*w, b2+b3, (b2-b3)*w
			a0 = weighted(blo[0], bhi[0], wr[0], wi[0])
			a1 = weighted(blo[1], bhi[1], wr[1], wi[1])
			a2 = weighted(blo[2], bhi[2], wr[2], wi[2])
			a3 = weighted(blo[3], bhi[3], wr[3], wi[3])
			b0 = a0 + a2
			b2 = (a0 - a2) * tA
			b1 = a1 + a3
			b3 = (a1 - a3) * tB
			b[k], b[k+q], b[k+2*q], b[k+3*q] = b0+b1, (b0-b1)*w, b2+b3, (b2-b3)*w
			for i := range 4 {
				alo[i], ahi[i], blo[i], bhi[i] = alo[i]>>1, ahi[i]>>1, blo[i]>>1, bhi[i]>>1
			}
		}
	}
	for i := range 4 {
		fftForward(a[i*q:(i+1)*q], tw)
		fftForwardVisit(b[i*q:(i+1)*q], tw, i*q, visit)
	}
}
