package ui

import (
	"context"
	"sync"

	"fyne.io/fyne/v2"
)

// Thread runs updates that come from background goroutines (the event
// controller, a BB84 exchange, a ledger verification) on the Fyne UI
// goroutine through fyne.Do. All windows of one app share one Thread.
//
// It also serialises them with a mutex. In the real app that lock is never
// contended, because fyne.Do already runs everything on one goroutine. The
// headless test driver, however, runs fyne.Do callbacks on the calling
// goroutine; tests then wrap their own taps and reads in Run, which takes
// the same lock, so the race detector sees a consistent order.
//
// Code that already runs on the UI goroutine (a button's callback) must
// never call Do itself: it would deadlock under the test driver.
type Thread struct {
	mu sync.Mutex
}

// Do runs f on the UI goroutine, without waiting.
func (t *Thread) Do(f func()) {
	fyne.Do(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		f()
	})
}

// DoAndWait runs f on the UI goroutine and waits for it.
func (t *Thread) DoAndWait(f func()) {
	fyne.DoAndWait(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		f()
	})
}

// Run runs f on the calling goroutine under the lock. Tests use it to act
// on widgets while the controller may be updating them.
func (t *Thread) Run(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f()
}

// Jobs is the background work of one window: slow calls run on goroutines
// of their own (Go) and report back on the UI goroutine (Do) until Stop;
// Wait waits for them to end.
type Jobs struct {
	th     *Thread
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// NewJobs starts a set of jobs that report through th and end with ctx or
// Stop.
func NewJobs(ctx context.Context, th *Thread) *Jobs {
	j := &Jobs{th: th}
	j.ctx, j.cancel = context.WithCancel(ctx)
	return j
}

// Context ends when the jobs are stopped.
func (j *Jobs) Context() context.Context { return j.ctx }

// Go runs f on a goroutine of its own, which Wait waits for.
func (j *Jobs) Go(f func()) {
	j.wg.Add(1)
	go func() {
		defer j.wg.Done()
		f()
	}()
}

// Do runs f on the UI goroutine unless the jobs have been stopped.
func (j *Jobs) Do(f func()) {
	if j.ctx.Err() != nil {
		return
	}
	j.th.Do(func() {
		if j.ctx.Err() == nil {
			f()
		}
	})
}

// Stop cancels the jobs' context; Do does nothing from then on.
func (j *Jobs) Stop() { j.cancel() }

// Wait waits for every goroutine started by Go. It must not be called on
// the UI goroutine.
func (j *Jobs) Wait() { j.wg.Wait() }
