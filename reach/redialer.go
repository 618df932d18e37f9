package reach

import (
	"context"
	"sync"
	"time"

	"qkdchat/redial"
	"qkdchat/session"
)

// Config is what a Redialer needs of its node.
type Config struct {
	// Dialer is the node's pinned reconnect.
	Dialer redial.Dialer
	// Pending reports whether peer is a pinned contact the node has a
	// dial address for and with anything queued in its outbox.
	Pending func(peer string) bool
	// Live returns the live session with peer, if there is one.
	Live func(peer string) (redial.Conn, bool)
	// Name returns peer's display name, for events.
	Name func(peer string) string
	// Ended records that a session with peer ended at t (its last seen).
	Ended func(peer string, t time.Time)
	// Publish publishes a node event.
	Publish func(session.Event)
	// Keeper tunes the redial Keeper (tests replace its clock); its
	// Changed is called after the Redialer's own.
	Keeper redial.Options
}

// Peer is one contact's presence.
type Peer struct {
	Peer string `json:"peer"`
	Name string `json:"name,omitempty"`
	session.Presence
}

// Redialer keeps a node's pending contacts connected and publishes their
// presence. Its methods are safe for concurrent use.
type Redialer struct {
	cfg Config
	k   *redial.Keeper

	refresh sync.Mutex // orders want decisions, so a stale one never wins

	mu     sync.Mutex
	held   map[string]int              // Keep calls not released, by peer
	wanted map[string]bool             // the last decision, by peer
	last   map[string]session.Presence // the last published, by peer
}

// New returns a Redialer; nothing is dialled until Run.
func New(cfg Config) *Redialer {
	r := &Redialer{cfg: cfg, held: map[string]int{}, wanted: map[string]bool{}, last: map[string]session.Presence{}}
	opts := cfg.Keeper
	next := opts.Changed
	opts.Changed = func(p redial.Presence) {
		r.changed(p)
		if next != nil {
			next(p)
		}
	}
	r.k = redial.New(cfg.Dialer, opts)
	return r
}

// Run keeps contacts connected until ctx ends. peers are the contacts at
// start-up (each pending one is wanted at once); events are the node's,
// from which it learns that something was queued or delivered, that a
// session started or ended. It returns once its dials have stopped.
func (r *Redialer) Run(ctx context.Context, events <-chan session.Event, peers []string) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.k.Run(ctx)
	}()
	for _, p := range peers {
		r.Refresh(p)
	}
	for {
		select {
		case <-ctx.Done():
			<-done
			return
		case e, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			r.handle(e)
		}
	}
}

// handle follows one node event.
func (r *Redialer) handle(e session.Event) {
	if e.Peer == "" {
		return
	}
	switch e.Type {
	case session.EventPaired:
		if c, ok := r.cfg.Live(e.Peer); ok {
			r.k.Connected(e.Peer, c)
		}
		r.Refresh(e.Peer)
	case session.EventDisconnected:
		if r.cfg.Ended != nil {
			r.cfg.Ended(e.Peer, e.Time)
		}
		r.Refresh(e.Peer)
	case session.EventDelivery, session.EventRejected:
		r.Refresh(e.Peer)
	}
}

// Refresh decides again whether peer is wanted: while a Keep holds it or
// it is pending.
func (r *Redialer) Refresh(peer string) {
	r.refresh.Lock()
	defer r.refresh.Unlock()
	r.mu.Lock()
	want := r.held[peer] > 0
	r.mu.Unlock()
	if !want && r.cfg.Pending != nil {
		want = r.cfg.Pending(peer)
	}
	r.mu.Lock()
	was := r.wanted[peer]
	r.wanted[peer] = want
	r.mu.Unlock()
	if !want && !was {
		return // never wanted: nothing to stop, and nothing to announce
	}
	if want {
		// A session the Keeper has not heard of yet (its paired event
		// is still on its way) is not dialled a second time.
		if r.cfg.Live != nil && !r.k.PresenceOf(peer).Online {
			if c, ok := r.cfg.Live(peer); ok {
				r.k.Connected(peer, c)
			}
		}
		r.k.Want(peer)
	} else {
		r.k.Unwant(peer)
	}
}

// Keep holds peer wanted, whatever its queue, until release is called (a
// running connect keeps its hospital so).
func (r *Redialer) Keep(peer string) (release func()) {
	r.mu.Lock()
	r.held[peer]++
	r.mu.Unlock()
	r.Refresh(peer)
	var once sync.Once
	return func() {
		once.Do(func() {
			r.mu.Lock()
			if r.held[peer]--; r.held[peer] <= 0 {
				delete(r.held, peer)
			}
			r.mu.Unlock()
			r.Refresh(peer)
		})
	}
}

// Retry dials peer now if it is waiting out a back-off (a person pressed
// Reconnect).
func (r *Redialer) Retry(peer string) {
	r.mu.Lock()
	r.wanted[peer] = true
	r.mu.Unlock()
	r.k.Retry(peer)
}

// PresenceOf returns what is known of peer.
func (r *Redialer) PresenceOf(peer string) session.Presence {
	p := r.k.PresenceOf(peer)
	r.mu.Lock()
	defer r.mu.Unlock()
	return presence(p, r.wanted[peer])
}

// Presence lists what is known of every contact seen or wanted.
func (r *Redialer) Presence() []Peer {
	ps := r.k.Presence()
	out := make([]Peer, 0, len(ps))
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		out = append(out, Peer{Peer: p.Peer, Presence: presence(p, r.wanted[p.Peer])})
	}
	return out
}

// presence is the node's view of the Keeper's.
func presence(p redial.Presence, wanted bool) session.Presence {
	out := session.Presence{Online: p.Online, LastSeen: p.LastSeen, Redialling: wanted && !p.Online,
		NextTry: p.NextTry, Failures: p.Failures}
	if p.LastErr != nil {
		out.LastError = p.LastErr.Error()
	}
	return out
}

// changed publishes a presence that differs from the last one published
// for the peer in more than its last seen.
func (r *Redialer) changed(p redial.Presence) {
	r.mu.Lock()
	cur := presence(p, r.wanted[p.Peer])
	prev, seen := r.last[p.Peer]
	same := seen && prev.Online == cur.Online && prev.Redialling == cur.Redialling &&
		prev.Failures == cur.Failures && prev.NextTry.Equal(cur.NextTry)
	r.last[p.Peer] = cur
	r.mu.Unlock()
	if same || r.cfg.Publish == nil {
		return
	}
	name := ""
	if r.cfg.Name != nil {
		name = r.cfg.Name(p.Peer)
	}
	r.cfg.Publish(session.Event{Type: session.EventPresence, Time: time.Now(), Peer: p.Peer, PeerName: name, Presence: &cur})
}
