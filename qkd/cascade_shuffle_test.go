package qkd

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"
)

// referencePasses builds the passes the way the first implementation did:
// one draw per index, a fresh array per pass, bit by bit. The shuffles are
// part of the protocol, so the faster construction must give the same.
func referencePasses(key []uint64, n int, q float64, seed [32]byte) (perms [][]int32, shufs [][]uint64) {
	s0 := binary.LittleEndian.Uint64(seed[0:])
	s1 := binary.LittleEndian.Uint64(seed[8:])
	for p := range cascadeSchedule(n, q) {
		perm := make([]int32, n)
		for i := range perm {
			perm[i] = int32(i)
		}
		if p > 0 {
			g := rand.NewPCG(s0^uint64(p)*0x9e3779b97f4a7c15, s1+uint64(p))
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
		shuf := make([]uint64, wordsFor(n))
		for i, x := range perm {
			shuf[i>>6] |= uint64(key[x>>6]>>(uint(x)&63)&1) << (uint(i) & 63)
		}
		perms = append(perms, perm)
		shufs = append(shufs, shuf)
	}
	return perms, shufs
}

func TestCascadePassesMatchReference(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{5}))
	for _, n := range []int{0, 1, 2, 3, 63, 64, 65, 127, 1000, 10001, 1 << 16, 1<<16 + 1} {
		key := make([]uint64, wordsFor(n)+1)
		for i := range key {
			key[i] = r.Uint64() // bits beyond n must not leak into the passes
		}
		seed := randomSeed32(r)
		perms, shufs := referencePasses(key, n, 0.02, seed)
		alice := newCascadePasses(key, n, 0.02, seed, false)
		bob := newCascadePasses(key, n, 0.02, seed, true)
		if len(alice) != len(perms) || len(bob) != len(perms) {
			t.Fatalf("n=%d: %d and %d passes, want %d", n, len(alice), len(bob), len(perms))
		}
		for p := range perms {
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

// BenchmarkCascadePasses is the cost of one side's shuffles for 10,000
// bits at 2%.
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
			passes := newCascadePasses(make([]uint64, wordsFor(n)), n, q, [32]byte{}, false)
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
				k := passes[p].k
				for b := 0; b < passes[p].blocks(n); b++ {
					walk(p, b, 1, b*k, min((b+1)*k, n))
				}
			}
		}
	}
}

func TestKnownParitiesSetGet(t *testing.T) {
	passes := newCascadePasses(make([]uint64, wordsFor(1000)), 1000, 0.02, [32]byte{}, false)
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
