package sweep

import (
	"math"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		want int
	}{
		{"0:60:20", true, 4}, {"5:5:1", true, 1}, {"0:0.3:0.1", true, 4}, {"0:10:3", true, 4},
		{"0:60", false, 0}, {"a:60:20", false, 0}, {"60:0:20", false, 0}, {"0:60:0", false, 0},
		{"0:1000:1", false, 0}, {"0:2000:100", false, 0}, {"-1:5:1", false, 0},
	} {
		r, err := Parse(tc.in, 1000)
		if (err == nil) != tc.ok || tc.ok && len(r.Km()) != tc.want {
			t.Errorf("%q: %v, %v", tc.in, r.Km(), err)
		}
	}
	if km := (Range{0, 10, 3}).Km(); km[3] != 9 {
		t.Errorf("0:10:3 gives %v", km)
	}
}

// TestPointStandardError: the rate is the mean of the runs' rates, an
// abort counting 0, and RateErr the standard error of that mean.
func TestPointStandardError(t *testing.T) {
	var p Point
	p.Add(100, 1000) // 0.1
	if p.RateErr != 0 || p.Rate != 0.1 {
		t.Fatalf("one run: %+v", p)
	}
	p.Add(0, 1000)   // abort: 0
	p.Add(200, 1000) // 0.2
	mean := 0.1
	sd := math.Sqrt((0 + 0.01 + 0.01) / 2) // sample standard deviation
	if p.Keys != 2 || p.KeyBits != 300 || math.Abs(p.Rate-mean) > 1e-15 || math.Abs(p.RateErr-sd/math.Sqrt(3)) > 1e-12 {
		t.Fatalf("%+v, want rate %v ± %v", p, mean, sd/math.Sqrt(3))
	}
}
