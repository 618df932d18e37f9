package nodetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"qkdchat/ledger"
	"qkdchat/node"
)

// TestPairGivesBothAKey: two nodes made by New and paired by Pair each
// hold a session with the other, with the profile New saved.
func TestPairGivesBothAKey(t *testing.T) {
	alice, adir := New(t, "Alice", node.RolePatient, node.BB84Settings{})
	bob, _ := New(t, "Bob", node.RoleHospital, node.BB84Settings{})
	if p, err := node.LoadProfile(adir); err != nil || p.Name != "Alice" || p.Role != node.RolePatient {
		t.Fatalf("profile in %s: %+v %v", adir, p, err)
	}
	Pair(t, alice, bob)
	if _, ok := alice.Session(bob.Fingerprint()); !ok {
		t.Error("Alice has no session with Bob")
	}
	if _, ok := bob.Session(alice.Fingerprint()); !ok {
		t.Error("Bob has no session with Alice")
	}
}

// TestJournalLostRefusesToOpen: the directory JournalLost makes is one a
// node refuses to open until the loss is acknowledged.
func TestJournalLostRefusesToOpen(t *testing.T) {
	dir := JournalLost(t, node.Profile{Name: "Dr Ada", Role: node.RoleDoctor})
	if _, err := node.Open(node.Options{Dir: dir}); !errors.Is(err, ledger.ErrJournalLoss) {
		t.Fatalf("open: %v, want a journal loss", err)
	}
}

// fatalRecorder is a testing.TB whose Fatalf records the message and
// ends the goroutine, as the real one does.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (*fatalRecorder) Helper() {}

func (f *fatalRecorder) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// failure runs f with a recorder and returns the message it failed with.
func failure(t *testing.T, f func(testing.TB)) string {
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() { defer close(done); f(r) }()
	<-done
	return r.msg
}

// TestWaitsSayWhatTheyWaitedFor: a closed event stream fails WaitEvent
// at once with what it waited for; WaitEvent returns the first event
// that matches, and Eventually returns once its condition holds.
func TestWaitsSayWhatTheyWaitedFor(t *testing.T) {
	ch := make(chan node.Event, 2)
	ch <- node.Event{Type: node.EventPaired}
	ch <- node.Event{Type: node.EventKeyEstablished, Epoch: 3}
	if e := WaitEvent(t, ch, "a key", IsType(node.EventKeyEstablished)); e.Epoch != 3 {
		t.Fatalf("WaitEvent returned %+v", e)
	}
	close(ch)
	if msg := failure(t, func(tb testing.TB) { WaitEvent(tb, ch, "Bob's key", IsType(node.EventKeyEstablished)) }); msg != "event stream closed while waiting for Bob's key" {
		t.Errorf("failure %q", msg)
	}
	var mu sync.Mutex
	n := 0
	go func() {
		for range 3 {
			mu.Lock()
			n++
			mu.Unlock()
		}
	}()
	Eventually(t, "three increments", Under(Locked(&mu), func() bool { return n == 3 }))
}

// TestInlineRunsAtOnce: Inline runs work before Go and Do return, under
// its context or context.Background.
func TestInlineRunsAtOnce(t *testing.T) {
	ran := 0
	Inline{}.Go(func() { ran++ })
	Inline{}.Do(func() { ran++ })
	if ran != 2 {
		t.Fatalf("%d of 2 jobs ran before Go and Do returned", ran)
	}
	if (Inline{}).Context() != context.Background() {
		t.Error("a zero Inline's context is not context.Background")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if (Inline{Ctx: ctx}).Context() != ctx {
		t.Error("Inline{Ctx: ctx} does not give ctx")
	}
}
