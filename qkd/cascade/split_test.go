package cascade

import (
	"math"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"slices"
	"testing"
)

// TestSplitPassMatchesNaive builds split passes for sizes around word
// boundaries and checks select, the blocks and range parities against a
// naive stable partition of the key by the mask.
func TestSplitPassMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{8}))
	for _, n := range []int{1, 2, 3, 5, 63, 64, 65, 100, 127, 128, 129, 1000, 4097, 10001} {
		for seed := range 4 {
			key := make([]uint64, bitvec.Words(n)+1)
			for i := range key {
				key[i] = r.Uint64()
			}
			view := slices.Clone(key[:bitvec.Words(n)])
			bitvec.TailMask(view, n)
			s := newSplitPass(view, n, rand.NewPCG(uint64(seed), uint64(n)))
			perm, zeros := referenceSplit(n, rand.NewPCG(uint64(seed), uint64(n)))
			if s.zeros != zeros {
				t.Fatalf("n=%d: %d zeros, want %d", n, s.zeros, zeros)
			}
			if tail := uint(n) & 63; tail != 0 && s.mask[len(s.mask)-1]>>tail != 0 {
				t.Fatalf("n=%d: mask bits set beyond n", n)
			}
			shuf := make([]uint64, bitvec.Words(n))
			for i, x := range perm {
				if got := s.position(i); got != int(x) {
					t.Fatalf("n=%d: index %d at position %d, want %d", n, i, got, x)
				}
				shuf[i>>6] |= uint64(bitvec.Get(key, int(x))) << (uint(i) & 63)
			}
			checkRangeParities(t, n, s.parity, shuf, r)

			// The pass reads the key in place: a flip of the view shows.
			x := r.IntN(n)
			bitvec.Flip(view, x)
			i := slices.Index(perm, int32(x))
			bitvec.Flip(shuf, i)
			lo, hi := s.bounds(s.blockAt(x))
			if s.parity(lo, hi) != bitvec.Parity(shuf, lo, hi) || s.parity(i, i+1) != bitvec.Get(view, x) {
				t.Fatalf("n=%d: flip of position %d not seen by the pass", n, x)
			}
		}
	}
}

// TestSplitMasks checks the split masks are derived from the seed alone
// (Alice and Bob get the same), differ between passes and between seeds,
// and split the key about in half.
func TestSplitMasks(t *testing.T) {
	const n = 100000
	key := make([]uint64, bitvec.Words(n))
	masks := func(seed [32]byte, withIndex bool) [][]uint64 {
		var out [][]uint64
		for _, p := range newCascadePasses(key, n, 0.02, seed, withIndex) {
			if p.split != nil {
				out = append(out, p.split.mask)
			}
		}
		return out
	}
	seed := [32]byte{1, 2, 3}
	a, b := masks(seed, false), masks(seed, true)
	if len(a) != cascadePasses-3 {
		t.Fatalf("%d split passes, want %d", len(a), cascadePasses-3)
	}
	other := seed
	other[15] ^= 1
	c := masks(other, false)
	for i := range a {
		if !slices.Equal(a[i], b[i]) {
			t.Fatalf("split %d: Alice's and Bob's masks differ", i)
		}
		if slices.Equal(a[i], c[i]) {
			t.Fatalf("split %d: same mask for different seeds", i)
		}
		for j := range i {
			if slices.Equal(a[i], a[j]) {
				t.Fatalf("splits %d and %d have the same mask", j, i)
			}
		}
		// Binomial(n, 1/2): standard deviation sqrt(n)/2, allow 6 of them.
		if d := math.Abs(float64(bitvec.Count(a[i], n)) - n/2); d > 3*math.Sqrt(n) {
			t.Errorf("split %d: %d ones of %d", i, bitvec.Count(a[i], n), n)
		}
	}
}

// TestCascadeSmallKeys runs Cascade on small keys: one error is always
// corrected, and two errors (which pass 0 cannot see when both are in one
// of its blocks) are found by the later passes nearly always. A 1-bit key
// has an empty block in every split pass. (Between 2 and about 40 bits the
// top-level parities alone are more than Alice lets Bob learn.)
func TestCascadeSmallKeys(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{10}))
	missed, tries := 0, 0
	sizes := []int{1}
	for n := 64; n < 300; n++ {
		sizes = append(sizes, n)
	}
	for _, n := range sizes {
		for errs := 1; errs <= min(2, n); errs++ {
			alice := make([]uint64, bitvec.Words(n))
			for i := range alice {
				alice[i] = r.Uint64()
			}
			bitvec.TailMask(alice, n)
			bob := slices.Clone(alice)
			for _, x := range r.Perm(n)[:errs] {
				bitvec.Flip(bob, x)
			}
			o := reconcileDirect(t, alice, bob, n, 0.05, seed32(r))
			switch {
			case errs == 1 && !o.equal:
				t.Fatalf("n=%d: a single error was not corrected", n)
			case errs == 2:
				tries++
				if !o.equal {
					missed++
				}
			}
		}
	}
	// A pair in one pass-0 block survives the twelve splits with chance
	// 2^-12 (and the shuffled passes, at these sizes, about as often).
	t.Logf("two errors left in %d of %d runs", missed, tries)
	if missed > tries/20 {
		t.Errorf("two errors left in %d of %d runs", missed, tries)
	}
}

// TestCascadeBobRejectsOddEmptyBlock: a split pass of a 1-bit key has an
// empty block, whose parity can only be 0. Alice sends the parity of the
// first block of a split pass; the second is implied by the whole key's
// parity, so flipping the sent one makes one of the two blocks, the empty
// one, odd, whichever it is.
func TestCascadeBobRejectsOddEmptyBlock(t *testing.T) {
	a := NewAlice([]uint64{1}, 1, 0.02, [32]byte{})
	start := a.Start()
	j, tried := 0, 0
	for p := range a.passes {
		for b := 0; b < sentParities(a.passes, p, 1); b++ {
			if a.passes[p].split != nil {
				bad := *start
				bad.Parities = slices.Clone(start.Parities)
				bad.Parities[j>>6] ^= 1 << (uint(j) & 63)
				if _, err := NewBob([]uint64{1}, 1, 0.02, &bad); err == nil {
					t.Fatalf("odd parity of an empty block of pass %d accepted", p)
				}
				tried++
			}
			j++
		}
	}
	if tried == 0 {
		t.Fatal("no split pass in a 1-bit key")
	}
	if _, err := NewBob([]uint64{1}, 1, 0.02, start); err != nil {
		t.Fatal(err)
	}
}
