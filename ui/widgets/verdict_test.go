package widgets

import (
	"math"
	"strings"
	"testing"
)

func TestVerdict(t *testing.T) {
	nan := math.NaN()
	for _, tc := range []struct {
		qber, thr float64
		aborted   bool
		reason    string
		want      string
	}{
		{0.031, 0.11, false, "", "secure"},
		{0.248, 0.11, true, "", "aborted: eavesdropper suspected, QBER 24.8% > 11%"},
		{0.248, 0.11, true, "  intercept-resend pattern ", "aborted: intercept-resend pattern, QBER 24.8% > 11%"},
		{0.02, 0.11, true, "not enough sifted bits", "aborted: not enough sifted bits"},
		{0.02, 0.11, true, "", "aborted: exchange failed"},
		{0.11, 0.11, true, "", "aborted: exchange failed"}, // not above the threshold
		{0.125, 0.11, true, "", "aborted: eavesdropper suspected, QBER 12.5% > 11%"},
		{nan, 0.11, true, "", "aborted: exchange failed"},
		{0.3, nan, true, "", "aborted: exchange failed"},
		{0.3, 0.11, false, "ignored", "secure"}, // the engine's decision stands
	} {
		if got := Verdict(tc.qber, tc.thr, tc.aborted, tc.reason); got != tc.want {
			t.Errorf("Verdict(%v, %v, %v, %q) = %q, want %q", tc.qber, tc.thr, tc.aborted, tc.reason, got, tc.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want string
	}{
		{0, "0%"},
		{0.11, "11%"},
		{0.248, "24.8%"},
		{0.125, "12.5%"},
		{0.5, "50%"},
		{1, "100%"},
		{0.0004, "0%"},
		{-0.0004, "0%"},
		{-0.05, "-5%"},
		{0.99999, "100%"},
		{math.NaN(), "n/a"},
		{math.Inf(1), "+Inf%"},
		{math.Inf(-1), "-Inf%"},
	} {
		if got := FormatPercent(tc.f); got != tc.want {
			t.Errorf("FormatPercent(%v) = %q, want %q", tc.f, got, tc.want)
		}
	}
}

func FuzzVerdict(f *testing.F) {
	f.Add(0.248, 0.11, true, "")
	f.Add(0.02, 0.11, false, "")
	f.Add(math.NaN(), math.Inf(1), true, "x")
	f.Add(-1.0, 1e308, true, "too few bits")
	f.Fuzz(func(t *testing.T, qber, thr float64, aborted bool, reason string) {
		v := Verdict(qber, thr, aborted, reason)
		if !aborted {
			if v != "secure" {
				t.Fatalf("not aborted but %q", v)
			}
			return
		}
		if !strings.HasPrefix(v, "aborted: ") {
			t.Fatalf("aborted but %q", v)
		}
		if qber > thr && !strings.Contains(v, "QBER "+FormatPercent(qber)+" > "+FormatPercent(thr)) {
			t.Fatalf("%q does not compare the QBER with the threshold", v)
		}
		for _, p := range []float64{qber, thr} {
			s := FormatPercent(p)
			if !strings.HasSuffix(s, "%") && s != "n/a" {
				t.Fatalf("FormatPercent(%v) = %q", p, s)
			}
		}
	})
}
