package nodetest

import (
	"context"
	"sync"
	"testing"
)

// Inline is the job runner of a test that wants no goroutines: it runs
// the work of a pane (the Jobs of ui/cases, ui/files and ui/exchanges)
// at once on the caller's goroutine, under Ctx (context.Background when
// nil).
type Inline struct{ Ctx context.Context }

// Go runs f now.
func (Inline) Go(f func()) { f() }

// Do runs f now.
func (Inline) Do(f func()) { f() }

// Context is Ctx, or context.Background when Ctx is nil.
func (j Inline) Context() context.Context {
	if j.Ctx == nil {
		return context.Background()
	}
	return j.Ctx
}

// Jobs is the job runner of a test that runs a pane's work as the app
// does: Go on its own goroutine, Do under one lock that stands for the
// UI goroutine (the test reads widgets under it too) and only while the
// test lives. When the test ends it stops running Do and waits for the
// goroutines Go started.
type Jobs struct {
	mu  sync.Locker
	ctx context.Context
	wg  sync.WaitGroup
}

// NewJobs is a Jobs whose Do holds mu.
func NewJobs(t testing.TB, mu sync.Locker) *Jobs {
	ctx, cancel := context.WithCancel(context.Background())
	j := &Jobs{mu: mu, ctx: ctx}
	t.Cleanup(func() { cancel(); j.wg.Wait() })
	return j
}

// Go runs f on a new goroutine.
func (j *Jobs) Go(f func()) {
	j.wg.Add(1)
	go func() { defer j.wg.Done(); f() }()
}

// Do runs f under the lock, unless the test has ended.
func (j *Jobs) Do(f func()) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.ctx.Err() == nil {
		f()
	}
}

// Context ends when the test does.
func (j *Jobs) Context() context.Context { return j.ctx }
