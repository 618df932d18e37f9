package session

import (
	"testing"
	"time"
)

func TestPeerRekeyWait(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name            string
		start, end, now time.Time
		want            time.Duration
	}{
		{"no exchange yet", time.Time{}, time.Time{}, t0, 0},
		{"short exchange: the one-second floor", t0, t0.Add(100 * time.Millisecond), t0.Add(100 * time.Millisecond), time.Second},
		{"short exchange, floor half gone", t0, t0.Add(100 * time.Millisecond), t0.Add(600 * time.Millisecond), 500 * time.Millisecond},
		{"long exchange: three times its length", t0, t0.Add(2 * time.Second), t0.Add(2 * time.Second), 6 * time.Second},
		{"gap over", t0, t0.Add(2 * time.Second), t0.Add(9 * time.Second), -time.Second},
	}
	for _, c := range cases {
		if got := peerRekeyWait(c.start, c.end, c.now); got != c.want {
			t.Errorf("%s: wait %v, want %v", c.name, got, c.want)
		}
	}
}
