package finitekey

import (
	"math"
	"qkdchat/qkd/channel"
	"testing"
)

func TestKeyBasisQBER(t *testing.T) {
	for _, tc := range []struct {
		errKey, bitsKey, errTest, bitsTest int
		want                               float64
	}{
		{30, 3000, 100, 10000, 130.0 / 13000}, // agree: pooled
		{300, 3000, 0, 10000, 0.1},            // Eve scrambled the key basis only
		{0, 3000, 1000, 10000, 0},             // Eve in the key basis: its own rate
		{0, 0, 100, 10000, 0.01},              // no key-basis sample
		{5, 100, 0, 0, 0.05},                  // no test bits
	} {
		if got := KeyBasisQBER(tc.errKey, tc.bitsKey, tc.errTest, tc.bitsTest); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("%+v: %v, want %v", tc, got, tc.want)
		}
	}
}

// TestEstimatePhase: a symmetric plan bounds the phase error by the whole
// sample's error rate; an asymmetric one by the test basis alone, checks
// the worse basis against the threshold and sizes Cascade by the key
// basis (pooled with the test basis when they agree).
func TestEstimatePhase(t *testing.T) {
	e := SampleErrors{Errs: [2]int{30, 100}, Bits: [2]int{3000, 10000}}    // Z: 1%, X: 1%
	eve := SampleErrors{Errs: [2]int{30, 2500}, Bits: [2]int{3000, 10000}} // X: 25%
	for _, tc := range []struct {
		name string
		p    Plan
		e    SampleErrors
		want PhaseEstimate
	}{
		{"symmetric", Plan{Symmetric: true, K: 13000}, e,
			PhaseEstimate{QBERZ: 0.01, QBERX: 0.01, Checked: 0.01, Phase: 0.01, PhaseBits: 13000, EC: 0.01, Errs: 130}},
		{"asymmetric, bases agree", Plan{Key: channel.Z, K: 3000, Test: 10000}, e,
			PhaseEstimate{QBERZ: 0.01, QBERX: 0.01, Checked: 0.01, Phase: 0.01, PhaseBits: 10000, EC: 0.01, Errs: 130}},
		{"asymmetric, Eve in X", Plan{Key: channel.Z, K: 3000, Test: 10000}, eve,
			PhaseEstimate{QBERZ: 0.01, QBERX: 0.25, Checked: 0.25, Phase: 0.25, PhaseBits: 10000, EC: 0.01, Errs: 2530}},
	} {
		got := EstimatePhase(tc.p, tc.e)
		all := float64(tc.want.Errs) / 13000
		if tc.p.Symmetric {
			tc.want.Checked, tc.want.Phase, tc.want.EC = all, all, all
		}
		if math.Abs(got.QBERZ-tc.want.QBERZ) > 1e-12 || math.Abs(got.QBERX-tc.want.QBERX) > 1e-12 ||
			math.Abs(got.Checked-tc.want.Checked) > 1e-12 || math.Abs(got.Phase-tc.want.Phase) > 1e-12 ||
			math.Abs(got.EC-tc.want.EC) > 1e-12 || got.PhaseBits != tc.want.PhaseBits || got.Errs != tc.want.Errs {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}
