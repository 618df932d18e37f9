package reach

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"qkdchat/redial"
	"qkdchat/session"
)

type conn struct{ done chan struct{} }

func (c *conn) Done() <-chan struct{} { return c.done }

// world is a fake node: its contacts' queues, its live sessions, and a
// dialer that fails while the peer is down.
type world struct {
	mu      sync.Mutex
	pending map[string]bool
	down    map[string]bool
	live    map[string]*conn
	dials   map[string]int
	dialed  chan string
	events  chan session.Event // published presence events
	ended   map[string]time.Time
}

func newWorld() *world {
	return &world{pending: map[string]bool{}, down: map[string]bool{}, live: map[string]*conn{}, dials: map[string]int{},
		dialed: make(chan string, 1000), events: make(chan session.Event, 1000), ended: map[string]time.Time{}}
}

func (w *world) Dial(ctx context.Context, peer string) (redial.Conn, error) {
	w.mu.Lock()
	defer func() { w.mu.Unlock(); w.dialed <- peer }()
	w.dials[peer]++
	if w.down[peer] {
		return nil, errors.New("connection refused")
	}
	c := &conn{done: make(chan struct{})}
	w.live[peer] = c
	return c, nil
}

func (w *world) set(m map[string]bool, peer string, v bool) { w.mu.Lock(); m[peer] = v; w.mu.Unlock() }

func (w *world) hangUp(peer string) {
	w.mu.Lock()
	c := w.live[peer]
	delete(w.live, peer)
	w.mu.Unlock()
	close(c.done)
}

func (w *world) dialCount(peer string) int { w.mu.Lock(); defer w.mu.Unlock(); return w.dials[peer] }

func (w *world) config() Config {
	return Config{
		Dialer:  w,
		Pending: func(p string) bool { w.mu.Lock(); defer w.mu.Unlock(); return w.pending[p] },
		Live: func(p string) (redial.Conn, bool) {
			w.mu.Lock()
			defer w.mu.Unlock()
			c, ok := w.live[p]
			return c, ok
		},
		Name:    func(p string) string { return "name of " + p },
		Ended:   func(p string, t time.Time) { w.mu.Lock(); w.ended[p] = t; w.mu.Unlock() },
		Publish: func(e session.Event) { w.events <- e },
		Keeper:  redial.Options{Policy: redial.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond}},
	}
}

func waitDial(t *testing.T, w *world, peer string) {
	t.Helper()
	for {
		select {
		case p := <-w.dialed:
			if p == peer {
				return
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("%s was not dialled", peer)
		}
	}
}

func waitPresence(t *testing.T, w *world, peer string, ok func(session.Presence) bool) session.Event {
	t.Helper()
	for {
		select {
		case e := <-w.events:
			t.Logf("%s %+v", e.Peer, *e.Presence)
			if e.Type == session.EventPresence && e.Peer == peer && ok(*e.Presence) {
				return e
			}
		case <-time.After(20 * time.Second):
			t.Fatalf("no such presence event for %s", peer)
		}
	}
}

// TestPendingContactsAreRedialledUntilTheirQueueEmpties: a contact with
// something queued is dialled at start-up, redialled after its session
// ends (through refused dials, with presence events saying so), and let
// go once its queue is empty; a contact with nothing queued is never
// dialled; Keep holds one wanted while it runs.
func TestPendingContactsAreRedialledUntilTheirQueueEmpties(t *testing.T) {
	w := newWorld()
	w.pending["hospital"] = true
	r := New(w.config())
	events := make(chan session.Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx, events, []string{"hospital", "idle"}); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	waitDial(t, w, "hospital")
	on := waitPresence(t, w, "hospital", func(p session.Presence) bool { return p.Online })
	if on.PeerName != "name of hospital" || on.Presence.LastSeen.IsZero() {
		t.Fatalf("online event %+v", on)
	}

	// The hospital goes down while something is still queued: it is
	// redialled, and each refused dial is told with its next try.
	w.set(w.down, "hospital", true)
	w.hangUp("hospital")
	events <- session.Event{Type: session.EventDisconnected, Peer: "hospital", Time: time.Now()}
	off := waitPresence(t, w, "hospital", func(p session.Presence) bool { return !p.Online && p.Failures >= 2 })
	if !off.Presence.Redialling || off.Presence.NextTry.IsZero() || off.Presence.LastError == "" {
		t.Fatalf("offline event %+v", off.Presence)
	}
	// Back up: found again with nobody reconnecting by hand.
	w.set(w.down, "hospital", false)
	waitPresence(t, w, "hospital", func(p session.Presence) bool { return p.Online })
	w.mu.Lock()
	ended := w.ended["hospital"]
	w.mu.Unlock()
	if ended.IsZero() {
		t.Fatal("the end of the session was not recorded as last seen")
	}

	// The queue empties: a later drop is not redialled.
	w.set(w.pending, "hospital", false)
	events <- session.Event{Type: session.EventDelivery, Peer: "hospital", State: session.Delivered}
	deadline := time.Now().Add(20 * time.Second)
	for r.PresenceOf("hospital").Redialling || func() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.wanted["hospital"] }() {
		if time.Now().After(deadline) {
			t.Fatal("still wanted after its queue emptied")
		}
		time.Sleep(time.Millisecond)
	}
	before := w.dialCount("hospital")
	w.hangUp("hospital")
	waitPresence(t, w, "hospital", func(p session.Presence) bool { return !p.Online })
	time.Sleep(100 * time.Millisecond) // 20 back-offs of the test policy
	if got := w.dialCount("hospital"); got != before {
		t.Fatalf("dialled %d more times after the queue emptied", got-before)
	}
	if w.dialCount("idle") != 0 {
		t.Fatal("a contact with nothing queued was dialled")
	}

	// Keep holds a contact wanted with nothing queued, until released.
	release := r.Keep("idle")
	waitDial(t, w, "idle")
	waitPresence(t, w, "idle", func(p session.Presence) bool { return p.Online })
	release()
	release() // twice is once
	if r.PresenceOf("idle").Redialling {
		t.Fatal("released contact still redialling")
	}
	before = w.dialCount("idle")
	w.hangUp("idle")
	waitPresence(t, w, "idle", func(p session.Presence) bool { return !p.Online })
	time.Sleep(100 * time.Millisecond)
	if got := w.dialCount("idle"); got != before {
		t.Fatalf("released contact dialled %d more times", got-before)
	}
}

// TestAPeerThatConnectsByItselfIsOnline: a session the peer opened (a
// paired event with a live session) makes it online without a dial.
func TestAPeerThatConnectsByItselfIsOnline(t *testing.T) {
	w := newWorld()
	r := New(w.config())
	events := make(chan session.Event, 10)
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { r.Run(ctx, events, nil); close(stopped) }()
	defer func() { cancel(); <-stopped }()
	c := &conn{done: make(chan struct{})}
	w.mu.Lock()
	w.live["patient"] = c
	w.mu.Unlock()
	events <- session.Event{Type: session.EventPaired, Peer: "patient"}
	waitPresence(t, w, "patient", func(p session.Presence) bool { return p.Online })
	if w.dialCount("patient") != 0 {
		t.Fatal("dialled a peer that connected by itself")
	}
	close(c.done)
	waitPresence(t, w, "patient", func(p session.Presence) bool { return !p.Online && !p.Redialling })
	if ps := r.Presence(); len(ps) != 1 || ps[0].Peer != "patient" || ps[0].Online || ps[0].LastSeen.IsZero() {
		t.Fatalf("Presence() = %+v", ps)
	}
}
