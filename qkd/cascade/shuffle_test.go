package cascade

import (
	"encoding/binary"
	"math/rand/v2"
	"qkdchat/qkd/bitvec"
	"slices"
	"testing"
)

// referencePasses builds the passes the way the first implementation did:
// one draw per index, a fresh array per pass, bit by bit; a split pass is
// drawn bit by bit too and materialised as the permutation that lists the
// positions of mask bit 0, then those of mask bit 1. The shuffles and
// splits are part of the protocol, so the faster construction must give
// the same. zeros[p] is the size of block 0 of a split pass, -1 otherwise.
func referencePasses(key []uint64, n int, q float64, seed [32]byte) (perms [][]int32, shufs [][]uint64, zeros []int) {
	s0 := binary.LittleEndian.Uint64(seed[0:])
	s1 := binary.LittleEndian.Uint64(seed[8:])
	for p, k := range cascadeSchedule(n, q) {
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		g := rand.NewPCG(s0^uint64(p)*0x9e3779b97f4a7c15, s1+uint64(p))
		z := -1
		if k == splitBlocks {
			perm, z = referenceSplit(n, g)
		} else if p > 0 {
			var spare uint64
			have := false
			for i := n - 1; i > 0; i-- {
				var x uint64
				if have {
					x, have = spare, false
				} else {
					r := g.Uint64()
					x, spare, have = r&0xffffffff, r>>32, true
				}
				j := int(x * uint64(i+1) >> 32)
				perm[i], perm[j] = perm[j], perm[i]
			}
		}
		shuf := make([]uint64, bitvec.Words(n))
		for i, x := range perm {
			shuf[i>>6] |= uint64(key[x>>6]>>(uint(x)&63)&1) << (uint(i) & 63)
		}
		perms = append(perms, perm)
		shufs = append(shufs, shuf)
		zeros = append(zeros, z)
	}
	return perms, shufs, zeros
}

// referenceSplit draws a split mask bit by bit (bit i is bit i%64 of the
// (i/64)th output of g) and returns the positions of its zeros then those
// of its ones, in increasing order, and the number of zeros.
func referenceSplit(n int, g *rand.PCG) (perm []int32, zeros int) {
	mask := make([]uint8, n)
	var w uint64
	for i := range mask {
		if i%64 == 0 {
			w = g.Uint64()
		}
		mask[i] = uint8(w >> (i % 64) & 1)
	}
	for _, b := range []uint8{0, 1} {
		for i, m := range mask {
			if m == b {
				perm = append(perm, int32(i))
			}
		}
		if b == 0 {
			zeros = len(perm)
		}
	}
	return perm, zeros
}

func TestCascadePassesMatchReference(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{5}))
	for _, n := range []int{0, 1, 2, 3, 63, 64, 65, 127, 1000, 10001, 1 << 16, 1<<16 + 1} {
		key := make([]uint64, bitvec.Words(n)+1)
		for i := range key {
			key[i] = r.Uint64() // bits beyond n must not leak into the passes
		}
		seed := seed32(r)
		perms, shufs, zeros := referencePasses(key, n, 0.02, seed)
		alice := newCascadePasses(key, n, 0.02, seed, false)
		bob := newCascadePasses(key, n, 0.02, seed, true)
		if len(alice) != len(perms) || len(bob) != len(perms) {
			t.Fatalf("n=%d: %d and %d passes, want %d", n, len(alice), len(bob), len(perms))
		}
		for p := range perms {
			if zeros[p] >= 0 {
				checkSplitPass(t, n, p, alice[p], bob[p], perms[p], shufs[p], zeros[p], r)
				continue
			}
			if alice[p].split != nil || bob[p].split != nil {
				t.Fatalf("n=%d pass %d: split, want shuffled", n, p)
			}
			if !slices.Equal(alice[p].shuf, shufs[p]) || !slices.Equal(bob[p].shuf, shufs[p]) {
				t.Fatalf("n=%d pass %d: shuffled key differs from the reference", n, p)
			}
			if a := alice[p]; a.perm.small != nil || a.perm.large != nil || a.inv.small != nil || a.inv.large != nil {
				t.Errorf("n=%d pass %d: Alice keeps index arrays", n, p)
			}
			if alice[p].k != bob[p].k {
				t.Errorf("n=%d pass %d: block sizes %d and %d", n, p, alice[p].k, bob[p].k)
			}
			for i, x := range perms[p] {
				if got := bob[p].perm.at(i); got != int(x) {
					t.Fatalf("n=%d pass %d: index %d maps to %d, want %d", n, p, i, got, x)
				}
				if got := bob[p].inv.at(int(x)); got != i {
					t.Fatalf("n=%d pass %d: position %d maps to %d, want %d", n, p, x, got, i)
				}
			}
		}
	}
}

// checkSplitPass compares both sides' split pass p with the reference: the
// block bounds, the position of every index, the block of every position
// and the parities of ranges (all of them for small n).
func checkSplitPass(t *testing.T, n, p int, alice, bob cascadePass, perm []int32, shuf []uint64, zeros int, r *rand.Rand) {
	t.Helper()
	for _, side := range []cascadePass{alice, bob} {
		if side.split == nil || side.shuf != nil || side.perm.small != nil || side.perm.large != nil || side.inv.small != nil || side.inv.large != nil {
			t.Fatalf("n=%d pass %d: not a bare split pass", n, p)
		}
		if side.blocks(n) != 2 {
			t.Fatalf("n=%d pass %d: %d blocks", n, p, side.blocks(n))
		}
		if lo, hi := side.bounds(0, n); lo != 0 || hi != zeros {
			t.Fatalf("n=%d pass %d: block 0 is [%d,%d), want [0,%d)", n, p, lo, hi, zeros)
		}
		if lo, hi := side.bounds(1, n); lo != zeros || hi != n {
			t.Fatalf("n=%d pass %d: block 1 is [%d,%d), want [%d,%d)", n, p, lo, hi, zeros, n)
		}
		if m := side.maxBlock(n); m != max(zeros, n-zeros) {
			t.Fatalf("n=%d pass %d: largest block %d, want %d", n, p, m, max(zeros, n-zeros))
		}
		for i, x := range perm {
			if got := side.position(i); got != int(x) {
				t.Fatalf("n=%d pass %d: index %d at position %d, want %d", n, p, i, got, x)
			}
			want := 0
			if i >= zeros {
				want = 1
			}
			if got := side.split.blockAt(int(x)); got != want {
				t.Fatalf("n=%d pass %d: position %d in block %d, want %d", n, p, x, got, want)
			}
		}
		checkRangeParities(t, n, side.parity, shuf, r)
	}
}

// checkRangeParities compares parity with parityRange over shuf: every
// range for n <= 150, else 2000 random ones and the ends.
func checkRangeParities(t *testing.T, n int, parity func(lo, hi int) uint8, shuf []uint64, r *rand.Rand) {
	t.Helper()
	check := func(lo, hi int) {
		if got, want := parity(lo, hi), bitvec.Parity(shuf, lo, hi); got != want {
			t.Fatalf("n=%d: parity of [%d,%d) is %d, want %d", n, lo, hi, got, want)
		}
	}
	if n <= 150 {
		for lo := 0; lo < n; lo++ {
			for hi := lo + 1; hi <= n; hi++ {
				check(lo, hi)
			}
		}
		return
	}
	check(0, n)
	check(0, 1)
	check(n-1, n)
	for range 2000 {
		lo := r.IntN(n)
		check(lo, lo+1+r.IntN(n-lo))
	}
}

// BenchmarkCascadePasses is the cost of one side's shuffles and splits
// for 10,000 bits at 2%.
func BenchmarkCascadePasses(b *testing.B) {
	r := rand.New(rand.NewChaCha8([32]byte{6}))
	key, _, _ := noisyPair(r, 10000, 0)
	for _, side := range []struct {
		name  string
		index bool
	}{{"alice", false}, {"bob", true}} {
		b.Run(side.name, func(b *testing.B) {
			for b.Loop() {
				newCascadePasses(key, 10000, 0.02, [32]byte{1}, side.index)
			}
		})
	}
}

// TestKnownParitiesSlots walks the whole bisection tree of every block of
// every pass and checks each node has its own slot, in range, so no
// disclosed parity can be read back for another range.
func TestKnownParitiesSlots(t *testing.T) {
	for _, n := range []int{1, 2, 3, 100, 1000, 4099, 10000} {
		for _, q := range []float64{0.001, 0.02, 0.11, 0.3} {
			passes := newCascadePasses(make([]uint64, bitvec.Words(n)), n, q, [32]byte{}, false)
			kp := newKnownParities(passes, n)
			seen := make(map[int]bool)
			var walk func(p, block, node, lo, hi int)
			walk = func(p, block, node, lo, hi int) {
				s := kp.slot(p, block, node)
				if node >= 1<<kp.shift[p] || s < 0 || s >= 64*len(kp.known) || seen[s] {
					t.Fatalf("n=%d q=%v pass %d block %d: node %d of [%d,%d) has slot %d (shift %d, taken %v)",
						n, q, p, block, node, lo, hi, s, kp.shift[p], seen[s])
				}
				seen[s] = true
				if hi-lo > 1 {
					mid := lo + (hi-lo)/2
					walk(p, block, 2*node, lo, mid)
					walk(p, block, 2*node+1, mid, hi)
				}
			}
			for p := range passes {
				for b := 0; b < passes[p].blocks(n); b++ {
					lo, hi := passes[p].bounds(b, n)
					walk(p, b, 1, lo, hi)
				}
			}
		}
	}
}

func TestKnownParitiesSetGet(t *testing.T) {
	passes := newCascadePasses(make([]uint64, bitvec.Words(1000)), 1000, 0.02, [32]byte{}, false)
	kp := newKnownParities(passes, 1000)
	if _, ok := kp.get(1, 2, 5); ok {
		t.Fatal("fresh node is known")
	}
	kp.set(1, 2, 5, 1)
	kp.set(1, 2, 4, 0)
	if v, ok := kp.get(1, 2, 5); !ok || v != 1 {
		t.Fatalf("node 5: %d %v, want 1 true", v, ok)
	}
	if v, ok := kp.get(1, 2, 4); !ok || v != 0 {
		t.Fatalf("node 4: %d %v, want 0 true", v, ok)
	}
	if _, ok := kp.get(1, 3, 5); ok {
		t.Fatal("setting a node of block 2 made block 3's known")
	}
}
