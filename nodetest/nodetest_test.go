package nodetest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

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

// TestJobsRunUnderTheLockWhileTheTestLives: Do runs under the lock while
// the test lives; when it ends, the goroutines Go started are waited for
// and Do no longer runs.
func TestJobsRunUnderTheLockWhileTheTestLives(t *testing.T) {
	var mu sync.Mutex
	var j *Jobs
	finished := false
	t.Run("live", func(t *testing.T) {
		j = NewJobs(t, &mu)
		held := false
		j.Do(func() { held = !mu.TryLock() })
		if !held {
			t.Error("Do ran f without the lock")
		}
		release := make(chan struct{})
		j.Go(func() { <-release; finished = true })
		close(release)
		if j.Context().Err() != nil {
			t.Error("the context ended while the test lives")
		}
	})
	if !finished {
		t.Error("the test ended before the goroutine Go started")
	}
	if j.Context().Err() == nil {
		t.Error("the context outlived the test")
	}
	ran := false
	j.Do(func() { ran = true })
	if ran {
		t.Error("Do ran after the test ended")
	}
}

// TestWalkReachesEveryKindOfParent: FindButton finds a button below each
// kind of parent Walk descends into, and nil for a label none has.
func TestWalkReachesEveryKindOfParent(t *testing.T) {
	test.NewTempApp(t)
	b := func(s string) *widget.Button { return widget.NewButton(s, nil) }
	tree := container.NewVBox(
		widget.NewCard("card", "", b("in card")),
		widget.NewForm(widget.NewFormItem("form", b("in form"))),
		container.NewVScroll(b("in scroll")),
		container.NewHSplit(b("leading"), b("trailing")),
		container.NewAppTabs(container.NewTabItem("one", b("tab one")), container.NewTabItem("two", b("tab two"))),
	)
	for _, text := range []string{"in card", "in form", "in scroll", "leading", "trailing", "tab one", "tab two"} {
		if got := FindButton(tree, text); got == nil || got.Text != text {
			t.Errorf("FindButton(%q) = %v", text, got)
		}
	}
	if got := FindButton(tree, "absent"); got != nil {
		t.Errorf("FindButton found %q for an absent label", got.Text)
	}
}
