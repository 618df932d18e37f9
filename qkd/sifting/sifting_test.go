package sifting

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"qkdchat/qkd/bitvec"
	"qkdchat/qkd/channel"
	"qkdchat/qkd/finitekey"
)

func TestSamplePositionsMatchesReference(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{41}))
	for trial := 0; trial < 300; trial++ {
		s := r.IntN(5000)
		k := 0
		if s > 0 {
			k = r.IntN(s + 1)
		}
		if trial%5 == 0 {
			k = s
		}
		var seed [32]byte
		seed[0], seed[1] = byte(trial), byte(trial>>8)
		got, want := SamplePositions(seed, s, k), samplePositionsRef(seed, s, k)
		if !slicesEqual(got, want) {
			t.Fatalf("s=%d k=%d: %v, want %v", s, k, got, want)
		}
	}
}

func slicesEqual(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestCompactBitsMatchesGather(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{42}))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(3000)
		v := bitvec.Random(r, n)
		mask := make([]uint64, bitvec.Words(n))
		density := r.IntN(4) // sparse, half, dense, full
		for i := range mask {
			switch density {
			case 0:
				mask[i] = r.Uint64() & r.Uint64() & r.Uint64()
			case 1:
				mask[i] = r.Uint64()
			case 2:
				mask[i] = r.Uint64() | r.Uint64()
			default:
				mask[i] = ^uint64(0)
			}
		}
		bitvec.TailMask(mask, n)
		lo, hi := r.IntN(n+1), n
		if trial%3 == 0 {
			hi = lo + r.IntN(n-lo+1)
		}
		var pos, notPos []int32
		for i := 0; i < n; i++ {
			if bitvec.Get(mask, i) == 1 {
				if i >= lo && i < hi {
					pos = append(pos, int32(i))
				}
			} else {
				notPos = append(notPos, int32(i))
			}
		}
		got, gn := bitvec.Compact(v, mask, lo, hi)
		if want := gatherBits(v, pos, nil); gn != len(pos) || !reflect.DeepEqual(got, want) && len(pos) > 0 {
			t.Fatalf("n=%d [%d,%d): compactBits %d bits %x, want %d bits %x", n, lo, hi, gn, got, len(pos), want)
		}
		gotNot, nn := bitvec.CompactNot(v, mask, n)
		if want := gatherBits(v, notPos, nil); nn != len(notPos) || !reflect.DeepEqual(gotNot, want) && len(notPos) > 0 {
			t.Fatalf("n=%d: compactNot %d bits, want %d", n, nn, len(notPos))
		}
		// select on the mask finds every set bit.
		ri := bitvec.NewRank(mask, 0, n)
		j := 0
		for i := 0; i < n; i++ {
			if bitvec.Get(mask, i) == 1 {
				if got := ri.Select(j); got != i {
					t.Fatalf("select(%d) = %d, want %d", j, got, i)
				}
				j++
			}
		}
		if ri.Ones() != j {
			t.Fatalf("rank index counts %d ones, want %d", ri.Ones(), j)
		}
	}
}

// TestPackedMatchesReference: on random planes, with and without a trace,
// for symmetric and asymmetric plans, both implementations give the same
// counts, sample bits, error counts, key, true errors and Eve's count.
func TestPackedMatchesReference(t *testing.T) {
	r := rand.New(rand.NewChaCha8([32]byte{44}))
	for trial := 0; trial < 60; trial++ {
		n := 64 + r.IntN(5000)
		det, ab, bb := bitvec.Random(r, n), bitvec.Random(r, n), bitvec.Random(r, n)
		av, bv, eve := bitvec.Random(r, n), bitvec.Random(r, n), bitvec.Random(r, n)
		trace := r.IntN(n / 4)
		pa, pb := NewPacked(det, ab, bb, av, ab, n, trace), NewPacked(det, ab, bb, bv, bb, n, trace)
		ra, rb := NewReference(det, ab, bb, av, ab, n, trace), NewReference(det, ab, bb, bv, bb, n, trace)
		for _, k := range []Key{pb, ra, rb} {
			if a, b, c := k.Counts(); [3]int{a, b, c} != countsOf(pa) || k.PoolLen() != pa.PoolLen() {
				t.Fatalf("trial %d: counts %d %d %d, pool %d; packed %v, pool %d", trial, a, b, c, k.PoolLen(), countsOf(pa), pa.PoolLen())
			}
		}
		pool := pa.PoolLen()
		plan := finitekey.Plan{Symmetric: true, K: r.IntN(pool + 1)}
		if trial%2 == 1 {
			key := channel.Basis(trial / 2 % 2)
			kp := pa.CountBasis(key)
			if rk := ra.CountBasis(key); rk != kp {
				t.Fatalf("trial %d: %d key-basis bits, reference %d", trial, kp, rk)
			}
			plan = finitekey.Plan{Key: key, K: r.IntN(kp + 1), Test: pool - kp}
		}
		seed := [32]byte{byte(trial)}
		pA, pB, rA, rB := pa.Disclose(seed, plan), pb.Disclose(seed, plan), ra.Disclose(seed, plan), rb.Disclose(seed, plan)
		if !reflect.DeepEqual(pA, rA) || !reflect.DeepEqual(pB, rB) {
			t.Fatalf("trial %d (%+v): sample bits differ", trial, plan)
		}
		if pe, re := pa.SampleErrors(pA, pB), ra.SampleErrors(rA, rB); pe != re || pe.Bits[0]+pe.Bits[1] != plan.Size() {
			t.Fatalf("trial %d: sample errors %+v, reference %+v, size %d", trial, pe, re, plan.Size())
		}
		if pa.EveKnown(eve) != 0 {
			t.Fatalf("trial %d: Eve's key bits counted before Record", trial)
		}
		pa.Record()
		ra.Record()
		if pk, rk := pa.RawKey(), ra.RawKey(); !reflect.DeepEqual(pk, rk) && len(rk) > 0 {
			t.Fatalf("trial %d: raw keys differ", trial)
		}
		pe, pn := TrueErrors(pa, pb)
		re, rn := TrueErrors(ra, rb)
		if pe != re || pn != rn || pn != countsOf(pa)[2] || (pn > 100 && pe == 0) {
			t.Fatalf("trial %d: true errors %d of %d, reference %d of %d", trial, pe, pn, re, rn)
		}
		if e, n := TrueErrors(pa, rb); e != 0 || n != 0 {
			t.Fatalf("trial %d: packed against reference: %d of %d, want no comparison", trial, e, n)
		}
		if pk, rk := pa.EveKnown(eve), ra.EveKnown(eve); pk != rk || (pool-plan.Size() > 100 && pk == 0) {
			t.Fatalf("trial %d: Eve knows %d key bits, reference %d", trial, pk, rk)
		}
	}
}

func countsOf(k Key) [3]int {
	a, b, c := k.Counts()
	return [3]int{a, b, c}
}
