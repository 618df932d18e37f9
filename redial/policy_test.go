package redial

import (
	"testing"
	"time"
)

func TestPolicyDelay(t *testing.T) {
	p := Policy{Initial: time.Second, Max: 30 * time.Second, Factor: 2, Jitter: 0.2}
	for _, c := range []struct {
		failures int
		u        float64
		want     time.Duration
	}{
		{1, 0.5, time.Second},
		{2, 0.5, 2 * time.Second},
		{3, 0.5, 4 * time.Second},
		{5, 0.5, 16 * time.Second},
		{6, 0.5, 30 * time.Second},    // capped
		{1000, 0.5, 30 * time.Second}, // no overflow
		{0, 0.5, time.Second},         // treated as the first
		{-3, 0.5, time.Second},
		{1, 0, 800 * time.Millisecond}, // jitter's low end
		{6, 0, 24 * time.Second},
		{1, -1, 800 * time.Millisecond}, // out-of-range u is clamped
	} {
		if got := p.Delay(c.failures, c.u); got != c.want {
			t.Errorf("Delay(%d, %v) = %v, want %v", c.failures, c.u, got, c.want)
		}
	}
	if got := p.Delay(6, 1); got > 36*time.Second || got < 35*time.Second {
		t.Errorf("Delay(6, 1) = %v, want just under 36 s", got)
	}
	if got := (Policy{}).Delay(1, 0.5); got != DefaultPolicy.Initial {
		t.Errorf("zero Policy: Delay = %v, want the default %v", got, DefaultPolicy.Initial)
	}
}
