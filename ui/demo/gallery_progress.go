package demo

import (
	"sync"
	"time"

	"qkdchat/qkd"
)

// Progress display of a gallery run: the bar appears once a run has taken
// galleryProgressDelay and moves at most once per galleryProgressEvery.
const (
	galleryProgressDelay = time.Second
	galleryProgressEvery = 100 * time.Millisecond
	// gallerySendShare is the part of the bar for sending the pulses; the
	// phases after it (sifting, estimation, reconciliation, privacy
	// amplification) share the rest.
	gallerySendShare = 0.9
)

// galleryFraction is how far a run of total pulses is, in [0, 1], from one
// of its progress snapshots.
func galleryFraction(p qkd.Progress, total int) float64 {
	switch p.Phase {
	case qkd.PhaseSift:
		return gallerySendShare + 0.02
	case qkd.PhaseEstimate:
		return gallerySendShare + 0.04
	case qkd.PhaseReconcile:
		return gallerySendShare + 0.06
	case qkd.PhaseVerify:
		return gallerySendShare + 0.08
	case qkd.PhaseAmplify:
		return gallerySendShare + 0.09
	case qkd.PhaseDone, qkd.PhaseAborted:
		return 1
	}
	if total <= 0 || p.Sent <= 0 {
		return 0
	}
	return gallerySendShare * min(1, float64(p.Sent)/float64(total))
}

// progressThrottle passes one run's progress on: nothing before delay
// from its start, then at most once per every, never backwards. Alice's
// and Bob's goroutines both call update.
type progressThrottle struct {
	total        int
	delay, every time.Duration
	now          func() time.Time

	mu     sync.Mutex
	start  time.Time
	last   time.Time
	best   float64
	posted bool
}

func newProgressThrottle(total int, delay, every time.Duration, now func() time.Time) *progressThrottle {
	return &progressThrottle{total: total, delay: delay, every: every, now: now, start: now()}
}

// update takes a snapshot and says whether to show the bar at v now.
func (t *progressThrottle) update(p qkd.Progress) (v float64, show bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.best = max(t.best, galleryFraction(p, t.total))
	now := t.now()
	if now.Sub(t.start) < t.delay || (t.posted && now.Sub(t.last) < t.every) {
		return 0, false
	}
	t.last, t.posted = now, true
	return t.best, true
}
