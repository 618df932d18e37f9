package cascade

import (
	"math"
	"os"
	"slices"
	"strconv"
	"testing"
)

func TestThirdBlockFactor(t *testing.T) {
	for _, c := range []struct{ n, want int }{
		{1, 64}, {10000, 64}, {49999, 64}, {50000, 256}, {100000, 256}, {1 << 22, 256},
	} {
		if got := thirdBlockFactor(c.n); got != c.want {
			t.Errorf("thirdBlockFactor(%d) = %d, want %d", c.n, got, c.want)
		}
	}
	for _, c := range []struct {
		n    int
		q    float64
		want []int
	}{
		{10000, 0.05, []int{16, 48, 1024}},
		{10000, 0.01, []int{64, 256, 4096}},
		{100000, 0.05, []int{16, 64, 4096}},
		{100000, 0.02, []int{32, 128, 8192}},
		{100000, 0.01, []int{64, 256, 16384}},
		{100000, 0.001, []int{512, 2048, 100000}}, // capped at the key
	} {
		got := cascadeSchedule(c.n, c.q)
		if len(got) != cascadePasses || !slices.Equal(got[:3], c.want) {
			t.Errorf("schedule(%d, %v) = %v, want %v then splits", c.n, c.q, got, c.want)
		}
		for _, k := range got[3:] {
			if k != splitBlocks {
				t.Errorf("schedule(%d, %v) = %v: a shuffled pass after the third", c.n, c.q, got)
			}
		}
	}
}

// scheduleBefore is the schedule of protocol version 3: a third pass of
// 64 first blocks at every key size.
func scheduleBefore(n int, q float64) []int {
	q = math.Min(math.Max(q, 1e-4), 0.25)
	k1 := 1 << max(0, int(math.Round(math.Log2(0.7/q))))
	m2 := 4
	if k1 <= 16 && n < 50000 {
		m2 = 3
	}
	sizes := []int{k1, m2 * k1, 64 * k1}
	for i := range sizes {
		sizes[i] = max(1, min(sizes[i], n))
	}
	for len(sizes) < cascadePasses {
		sizes = append(sizes, splitBlocks)
	}
	return sizes
}

// withSchedule runs f with cascadeSchedule set to s. Tests that call it
// must not run in parallel.
func withSchedule(s func(int, float64) []int, f func()) {
	old := cascadeSchedule
	defer func() { cascadeSchedule = old }()
	cascadeSchedule = s
	f()
}

// TestLongKeysBeatVersion3 reconciles the same seeded 10^5-bit keys with
// the version 3 schedule and this one, from the true QBER: mean f must be
// lower at 1, 2 and 5%, within the bound of 1.06 with at most 120
// round trips, and no run may end with errors. 40 runs per QBER (6 under
// -short or the race detector, with fastSlack).
func TestLongKeysBeatVersion3(t *testing.T) {
	const n = 100000
	runs, slackF, slackRT := 40, 0.0, 1.0
	if testing.Short() || raceEnabled {
		runs, slackF, slackRT = 6, fastSlackF, fastSlackRT
	}
	for _, q := range []float64{0.01, 0.02, 0.05} {
		var fb, rtb, fa, rta float64
		var resb, resa int
		withSchedule(scheduleBefore, func() { fb, rtb, resb = cascadeRuns(t, n, q, runs, 13) })
		fa, rta, resa = cascadeRuns(t, n, q, runs, 13)
		t.Logf("n=%d q=%.2f: version 3 f %.4f, %.1f round trips; now f %.4f, %.1f round trips (%d runs)", n, q, fb, rtb, fa, rta, runs)
		if fa >= fb || fa > 1.06+slackF || rta > 120*slackRT || resa > 0 || resb > 0 {
			t.Errorf("n=%d q=%.2f: f %.4f (version 3: %.4f, max 1.06), %.1f round trips (max 120), %d and %d runs left errors",
				n, q, fa, fb, rta, resa, resb)
		}
	}
}

// TestLongKeysResidualErrorRuns counts the 10^5-bit runs left with errors
// under the version 3 schedule and this one, on the same seeded keys, and
// wants no more now. By default 200 runs per QBER (skipped under -short
// and the race detector). The full 10,000 per QBER left errors in no run
// under either schedule at 1, 2 or 5% (2026-11-30); they take about half
// an hour on a loaded 2-core machine:
//
//	CASCADE_RESIDUAL_RUNS=10000 go test -count=1 -timeout 60m -run TestLongKeysResidualErrorRuns -v ./qkd/cascade/
func TestLongKeysResidualErrorRuns(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("runs of 10^5 bits; run without -short and -race")
	}
	runs := 200
	if s := os.Getenv("CASCADE_RESIDUAL_RUNS"); s != "" {
		var err error
		if runs, err = strconv.Atoi(s); err != nil || runs < 1 {
			t.Fatalf("CASCADE_RESIDUAL_RUNS=%q: want a positive count", s)
		}
	}
	const n = 100000
	for _, q := range []float64{0.01, 0.02, 0.05} {
		var fb, rtb, fa, rta float64
		var resb, resa int
		withSchedule(scheduleBefore, func() { fb, rtb, resb = cascadeRuns(t, n, q, runs, 14) })
		fa, rta, resa = cascadeRuns(t, n, q, runs, 14)
		t.Logf("n=%d q=%.2f, %d runs: version 3 %d left errors (f %.4f, %.1f round trips); now %d (f %.4f, %.1f round trips)",
			n, q, runs, resb, fb, rtb, resa, fa, rta)
		if resa > resb {
			t.Errorf("n=%d q=%.2f: %d of %d runs left errors, version 3 %d", n, q, resa, runs, resb)
		}
	}
}
