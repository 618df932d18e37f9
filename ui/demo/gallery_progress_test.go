package demo

import (
	"context"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qkdchat/qkd"
	"qkdchat/ui"
)

func TestGalleryFraction(t *testing.T) {
	for _, tc := range []struct {
		p     qkd.Progress
		total int
		want  float64
	}{
		{qkd.Progress{Phase: qkd.PhasePrepare}, 1000, 0},
		{qkd.Progress{Phase: qkd.PhaseTransmit, Sent: 500}, 1000, 0.45},
		{qkd.Progress{Phase: qkd.PhaseTransmit, Sent: 1000}, 1000, 0.9},
		{qkd.Progress{Phase: qkd.PhaseTransmit, Sent: 5000}, 1000, 0.9}, // never past sending's share
		{qkd.Progress{Phase: qkd.PhaseTransmit, Sent: 5}, 0, 0},
		{qkd.Progress{Phase: qkd.PhaseSift}, 1000, 0.92},
		{qkd.Progress{Phase: qkd.PhaseAmplify}, 1000, 0.99},
		{qkd.Progress{Phase: qkd.PhaseDone}, 1000, 1},
		{qkd.Progress{Phase: qkd.PhaseAborted, Sent: 10}, 1000, 1},
	} {
		if got := galleryFraction(tc.p, tc.total); got < tc.want-1e-12 || got > tc.want+1e-12 {
			t.Errorf("galleryFraction(%+v, %d) = %v, want %v", tc.p, tc.total, got, tc.want)
		}
	}
}

// TestProgressThrottle: nothing before the delay, then at most one update
// per interval, never backwards.
func TestProgressThrottle(t *testing.T) {
	now := time.Unix(0, 0)
	thr := newProgressThrottle(1000, time.Second, 100*time.Millisecond, func() time.Time { return now })
	step := func(d time.Duration, sent int, wantOK bool, wantV float64) {
		t.Helper()
		now = now.Add(d)
		v, ok := thr.update(qkd.Progress{Phase: qkd.PhaseTransmit, Sent: sent})
		if ok != wantOK || (ok && (v < wantV-1e-12 || v > wantV+1e-12)) {
			t.Fatalf("at %v sent %d: (%v, %v), want (%v, %v)", now.Sub(time.Unix(0, 0)), sent, v, ok, wantV, wantOK)
		}
	}
	step(500*time.Millisecond, 100, false, 0) // under a second: no bar
	step(600*time.Millisecond, 200, true, 0.18)
	step(50*time.Millisecond, 300, false, 0)   // 50 ms after the last
	step(50*time.Millisecond, 100, true, 0.27) // Bob behind Alice: the bar keeps her 300
	step(time.Millisecond, 1000, false, 0)
	step(100*time.Millisecond, 1000, true, 0.9)
}

// TestGalleryProgressBar drives the pane headless: the bar shows while a
// run goes on, never moves backwards, and is full and hidden when the
// outcome shows; updates of an earlier run never move the bar of a newer
// one, nor of an ended run.
func TestGalleryProgressBar(t *testing.T) {
	test.NewTempApp(t)
	th := &ui.Thread{}
	jobs := ui.NewJobs(context.Background(), th)
	defer func() { jobs.Stop(); jobs.Wait() }()
	var g *Gallery
	type barState struct {
		shown bool
		value float64
	}
	outcomes := make(chan barState, 4)
	th.Run(func() {
		g = NewGallery(jobs, 7)
		g.barDelay = 0 // show at once: the test must not depend on the run's speed
		g.OnOutcome = func(GalleryOutcome) { outcomes <- barState{g.bar.Visible(), g.bar.Value} }
	})
	wait := func(watch func(barState)) barState {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case o := <-outcomes:
				return o
			case <-deadline:
				t.Fatal("no gallery outcome after 60 s")
			case <-time.After(5 * time.Millisecond):
				var b barState
				th.Run(func() { b = barState{g.bar.Visible(), g.bar.Value} })
				watch(b)
			}
		}
	}
	var (
		first barState
		seen  int
		prev  float64
	)
	th.Run(func() { g.Preset(AttackNone, false, false, false, 10) })
	end := wait(func(b barState) {
		if !b.shown {
			return
		}
		if seen == 0 {
			first = b
		}
		seen++
		if b.value < prev {
			t.Errorf("bar went back from %v to %v", prev, b.value)
		}
		prev = b.value
	})
	if seen == 0 || first.value >= 1 {
		t.Fatalf("bar never shown while running (first shown state %+v)", first)
	}
	if end.shown || end.value != 1 {
		t.Fatalf("bar when the outcome showed: %+v, want full and hidden", end)
	}
	t.Logf("bar seen %d times while running, last at %.2f", seen, prev)

	var old uint64
	th.Run(func() {
		old = g.runID
		g.setProgress(old, 0.5) // a late update of the ended run
	})
	var late barState
	th.Run(func() { late = barState{g.bar.Visible(), g.bar.Value} })
	if late.shown {
		t.Fatalf("an ended run's update showed the bar: %+v", late)
	}

	var super, cur barState
	th.Run(func() {
		g.barDelay = time.Hour // the new run itself shows nothing
		g.Preset(AttackInterceptResend, false, false, false, 10)
		g.setProgress(old, 0.7) // the superseded run
		super = barState{g.bar.Visible(), g.bar.Value}
		g.setProgress(g.runID, 0.5) // the current run
		cur = barState{g.bar.Visible(), g.bar.Value}
	})
	if super.shown || super.value != 0 {
		t.Fatalf("a superseded run's update moved the new bar: %+v", super)
	}
	if !cur.shown || cur.value != 0.5 {
		t.Fatalf("the current run's update: %+v, want shown at 0.5", cur)
	}
	if end = wait(func(barState) {}); end.shown || end.value != 1 {
		t.Fatalf("bar when the second outcome showed: %+v, want full and hidden", end)
	}
}
