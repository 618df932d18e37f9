package ui

import (
	"sync"

	"fyne.io/fyne/v2"
)

// uiThread runs updates that come from background goroutines (the event
// controller, a BB84 exchange, a ledger verification) on the Fyne UI
// goroutine through fyne.Do.
//
// It also serialises them with a mutex. In the real app that lock is never
// contended, because fyne.Do already runs everything on one goroutine. The
// headless test driver, however, runs fyne.Do callbacks on the calling
// goroutine; tests then wrap their own taps and reads in run, which takes
// the same lock, so the race detector sees a consistent order.
//
// Code that already runs on the UI goroutine (a button's callback) must
// never call do itself: it would deadlock under the test driver.
type uiThread struct {
	mu sync.Mutex
}

// do runs f on the UI goroutine, without waiting.
func (t *uiThread) do(f func()) {
	fyne.Do(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		f()
	})
}

// doAndWait runs f on the UI goroutine and waits for it.
func (t *uiThread) doAndWait(f func()) {
	fyne.DoAndWait(func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		f()
	})
}

// run runs f on the calling goroutine under the lock. Tests use it to act
// on widgets while the controller may be updating them.
func (t *uiThread) run(f func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	f()
}
