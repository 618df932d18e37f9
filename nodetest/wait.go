package nodetest

import (
	"sync"
	"testing"
	"time"

	"qkdchat/node"
)

// Timeout is how long the helpers wait before they fail a test: long, as
// a key exchange on a loaded 2-core machine under -race takes seconds.
const Timeout = 40 * time.Second

// pollEvery is how often Eventually checks its condition.
const pollEvery = 20 * time.Millisecond

// WaitEvent reads events from ch until one satisfies ok and returns it;
// it fails the test, naming what, if the stream closes or none comes
// within Timeout.
func WaitEvent(t testing.TB, ch <-chan node.Event, what string, ok func(node.Event) bool) node.Event {
	t.Helper()
	deadline := time.After(Timeout)
	for {
		select {
		case e, open := <-ch:
			if !open {
				t.Fatalf("event stream closed while waiting for %s", what)
			}
			if ok(e) {
				return e
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// IsType is the WaitEvent condition "an event of type typ".
func IsType(typ node.EventType) func(node.Event) bool {
	return func(e node.Event) bool { return e.Type == typ }
}

// Eventually polls cond until it holds, or fails the test after Timeout
// saying it timed out waiting for what.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	EventuallyShowing(t, what, cond, nil)
}

// EventuallyShowing is Eventually that, on a timeout, adds what state
// (if not nil) describes at that moment to the failure.
func EventuallyShowing(t testing.TB, what string, cond func() bool, state func() string) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	for !cond() {
		if time.Now().After(deadline) {
			if state != nil {
				t.Fatalf("timed out waiting for %s\n%s", what, state())
			}
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(pollEvery)
	}
}

// Under returns cond run through run, which runs a function where the
// test may read what cond reads: a UI thread's Run, or Locked(mu).
func Under(run func(func()), cond func() bool) func() bool {
	return func() bool {
		var ok bool
		run(func() { ok = cond() })
		return ok
	}
}

// Locked returns a run function for Under that holds mu around f.
func Locked(mu sync.Locker) func(func()) {
	return func(f func()) {
		mu.Lock()
		defer mu.Unlock()
		f()
	}
}
