package finitekey

import (
	"math"
	"testing"
)

func TestBinaryEntropy(t *testing.T) {
	for _, tc := range []struct{ p, want float64 }{
		{0, 0}, {1, 0}, {-0.1, 0}, {1.5, 0},
		{0.5, 1},
		{0.25, 0.8112781244591328}, // 2 - (3/4) log2 3
		{0.11, 0.499915958164528},  // the textbook 11% threshold: h = 1/2
	} {
		if got := BinaryEntropy(tc.p); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("h(%v) = %v, want %v", tc.p, got, tc.want)
		}
		if tc.p > 0 && tc.p < 1 {
			if got, sym := BinaryEntropy(tc.p), BinaryEntropy(1-tc.p); math.Abs(got-sym) > 1e-12 {
				t.Errorf("h(%v) = %v but h(%v) = %v", tc.p, got, 1-tc.p, sym)
			}
		}
	}
}

func TestMuAndKeyLength(t *testing.T) {
	if !math.IsInf(Mu(0, 10, 1e-10), 1) || !math.IsInf(Mu(10, 0, 1e-10), 1) {
		t.Fatal("mu of an empty key or sample is not +Inf")
	}
	// Eq. 2 of Tomamichel et al. by hand for n = k = 10,000, eps = 1e-10.
	want := math.Sqrt(2.0 / 10000 * 10001.0 / 10000 * math.Log(2e10))
	if got := Mu(10000, 10000, 1e-10); math.Abs(got-want) > 1e-15 {
		t.Fatalf("mu = %v, want %v", got, want)
	}
	l, mu := KeyLength(10000, 10000, 0.02, 1000, 1e-10, 1e-10)
	wantL := 10000*(1-BinaryEntropy(0.02+want)) - 1000 - math.Log2(2/(1e-20*1e-10))
	if mu != Mu(10000, 10000, 1e-10) || math.Abs(l-wantL) > 1e-9 {
		t.Fatalf("key length %v (mu %v), want %v", l, mu, wantL)
	}
	if l, _ := KeyLength(100, 100, 0.45, 0, 1e-10, 1e-10); !math.IsInf(l, -1) {
		t.Fatalf("key length %v with Q+mu past 1/2, want -Inf", l)
	}
}

// TestBestSampleIsTheMaximum checks the ternary search against every
// sample size.
func TestBestSampleIsTheMaximum(t *testing.T) {
	for _, tc := range []struct {
		s int
		q float64
	}{{2000, 0.02}, {5000, 0.01}, {20000, 0.05}, {800, 0.03}} {
		k, l := BestSample(tc.s, tc.q, 1e-10, 1e-10)
		bestK, bestL := 0, math.Inf(-1)
		for c := 1; c < tc.s; c++ {
			v, _ := KeyLength(tc.s-c, c, tc.q, PredictedLeak(tc.s-c, tc.q), 1e-10, 1e-10)
			if v > bestL {
				bestK, bestL = c, v
			}
		}
		if l != bestL {
			t.Errorf("s=%d q=%v: BestSample k=%d l=%v, exhaustive k=%d l=%v", tc.s, tc.q, k, l, bestK, bestL)
		}
	}
}

func TestEfficiency(t *testing.T) {
	if f := Efficiency(100, 1000, 0); f != 0 {
		t.Errorf("f at q=0 is %v, want 0", f)
	}
	if f := Efficiency(100, 0, 0.1); f != 0 {
		t.Errorf("f of an empty key is %v, want 0", f)
	}
	if f, want := Efficiency(1100, 10000, 0.11), 1100/(10000*BinaryEntropy(0.11)); f != want {
		t.Errorf("f = %v, want %v", f, want)
	}
}
