package redial

import (
	"context"
	"math/rand/v2"
	"sort"
	"sync"
	"time"
)

// Conn is a live connection to a peer: Done is closed when it ends.
type Conn interface {
	Done() <-chan struct{}
}

// Dialer connects to a peer by its fingerprint.
type Dialer interface {
	Dial(ctx context.Context, peer string) (Conn, error)
}

// Presence is what is known of a peer's reachability.
type Presence struct {
	Peer     string
	Online   bool
	LastSeen time.Time // when a connection last ended or is live now; zero if never
	Failures int       // failed dials in a row
	NextTry  time.Time // zero when online or not wanted
	LastErr  error     // the last failed dial's error
}

// Options tune a Keeper. Zero values take the defaults.
type Options struct {
	Policy Policy
	// Now and After replace the clock in tests (time.Now, time.After).
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Rand returns uniform numbers in [0, 1) for the jitter.
	Rand func() float64
	// Changed, when set, is called (without locks held) after a peer's
	// presence changed.
	Changed func(Presence)
}

// Keeper keeps wanted peers connected. Its methods are safe for
// concurrent use.
type Keeper struct {
	dialer Dialer
	opts   Options

	mu      sync.Mutex
	ctx     context.Context // set by Run
	wg      sync.WaitGroup
	peers   map[string]*peerState
	running bool
	loops   uint64 // dial loops started, numbering them
}

type peerState struct {
	p      Presence
	wanted bool
	conn   Conn               // the live connection, if any
	loop   bool               // a dial loop is running
	loopID uint64             // which one: only it may end itself
	wake   chan struct{}      // closed to cut a back-off short
	cancel context.CancelFunc // ends the dial loop
}

// New returns a Keeper that dials through d. Nothing is dialled until Run.
func New(d Dialer, opts Options) *Keeper {
	opts.Policy = opts.Policy.withDefaults()
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Rand == nil {
		opts.Rand = rand.Float64
	}
	return &Keeper{dialer: d, opts: opts, peers: map[string]*peerState{}}
}

func (k *Keeper) state(peer string) *peerState {
	st := k.peers[peer]
	if st == nil {
		st = &peerState{p: Presence{Peer: peer}, wake: make(chan struct{})}
		k.peers[peer] = st
	}
	return st
}

// Run starts keeping peers connected and blocks until ctx ends; then it
// waits for its dial loops to stop.
func (k *Keeper) Run(ctx context.Context) {
	k.mu.Lock()
	k.ctx, k.running = ctx, true
	for peer, st := range k.peers {
		k.startLocked(peer, st)
	}
	k.mu.Unlock()
	<-ctx.Done()
	k.mu.Lock()
	k.running = false
	k.mu.Unlock()
	k.wg.Wait()
}

// Want asks for peer to be kept connected. Wanting a peer again does not
// cut its back-off short (every queued message would otherwise hammer a
// hospital that is down); Retry does.
func (k *Keeper) Want(peer string) {
	k.mu.Lock()
	st := k.state(peer)
	st.wanted = true
	k.startLocked(peer, st)
	k.mu.Unlock()
}

// Retry wants peer and, if it is waiting out a back-off, dials it now: a
// person pressed Reconnect.
func (k *Keeper) Retry(peer string) {
	k.mu.Lock()
	st := k.state(peer)
	st.wanted = true
	if st.loop {
		select {
		case <-st.wake:
		default:
			close(st.wake)
		}
	} else {
		k.startLocked(peer, st)
	}
	k.mu.Unlock()
}

// Unwant stops redialling peer (a live connection is left alone).
func (k *Keeper) Unwant(peer string) {
	var p Presence
	k.mu.Lock()
	st := k.state(peer)
	st.wanted = false
	if st.cancel != nil {
		st.cancel()
	}
	st.p.NextTry = time.Time{}
	p = st.p
	k.mu.Unlock()
	k.changed(p)
}

// Connected records a connection that the peer opened itself (or that was
// dialled outside the Keeper): the peer is online until c is done, and is
// redialled afterwards if it is wanted.
func (k *Keeper) Connected(peer string, c Conn) {
	k.mu.Lock()
	st := k.state(peer)
	k.onlineLocked(st, c)
	p := st.p
	k.mu.Unlock()
	k.changed(p)
	k.watch(peer, c)
}

// Presence returns what is known of every peer seen, sorted by peer.
func (k *Keeper) Presence() []Presence {
	k.mu.Lock()
	out := make([]Presence, 0, len(k.peers))
	for _, st := range k.peers {
		out = append(out, st.p)
	}
	k.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Peer < out[j].Peer })
	return out
}

// PresenceOf returns one peer's presence.
func (k *Keeper) PresenceOf(peer string) Presence {
	k.mu.Lock()
	defer k.mu.Unlock()
	if st, ok := k.peers[peer]; ok {
		return st.p
	}
	return Presence{Peer: peer}
}

func (k *Keeper) changed(p Presence) {
	if k.opts.Changed != nil {
		k.opts.Changed(p)
	}
}

func (k *Keeper) onlineLocked(st *peerState, c Conn) {
	st.conn = c
	st.p.Online = true
	st.p.LastSeen = k.opts.Now()
	st.p.Failures, st.p.NextTry, st.p.LastErr = 0, time.Time{}, nil
}

// watch marks peer offline when c ends and restarts dialling if wanted.
func (k *Keeper) watch(peer string, c Conn) {
	go func() {
		<-c.Done()
		k.mu.Lock()
		st := k.state(peer)
		if st.conn != c {
			k.mu.Unlock()
			return // a newer connection took over
		}
		st.conn = nil
		st.p.Online = false
		st.p.LastSeen = k.opts.Now()
		p := st.p
		if st.wanted {
			k.startLocked(peer, st)
		}
		k.mu.Unlock()
		k.changed(p)
	}()
}

// startLocked starts peer's dial loop if it is wanted, offline, not
// already being dialled, and the Keeper runs.
func (k *Keeper) startLocked(peer string, st *peerState) {
	if !k.running || !st.wanted || st.loop || st.conn != nil {
		return
	}
	ctx, cancel := context.WithCancel(k.ctx)
	k.loops++
	id := k.loops
	st.loop, st.loopID, st.cancel = true, id, cancel
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		defer cancel()
		k.dialLoop(ctx, peer, id)
	}()
}

// endLoopLocked records that dial loop id of st is over, unless a newer
// loop has started since. A loop ends itself in the same critical section
// in which it decides to stop: were it to do so later, a connection that
// dropped in between would find a loop still marked running and not start
// the redial, and the peer would stay offline.
func endLoopLocked(st *peerState, id uint64) {
	if st.loop && st.loopID == id {
		st.loop, st.cancel = false, nil
	}
}

// dialLoop dials peer until it connects, it is no longer wanted, or ctx
// ends, waiting out the back-off between failures.
func (k *Keeper) dialLoop(ctx context.Context, peer string, id uint64) {
	defer func() {
		k.mu.Lock()
		endLoopLocked(k.state(peer), id)
		k.mu.Unlock()
	}()
	for ctx.Err() == nil {
		c, err := k.dialer.Dial(ctx, peer)
		k.mu.Lock()
		st := k.state(peer)
		if err == nil {
			// If the peer also connected to us meanwhile, the newer
			// connection is the one watched.
			k.onlineLocked(st, c)
			endLoopLocked(st, id)
			p := st.p
			k.mu.Unlock()
			k.changed(p)
			k.watch(peer, c)
			return
		}
		if ctx.Err() != nil || !st.wanted {
			endLoopLocked(st, id)
			k.mu.Unlock()
			return
		}
		if st.conn != nil { // connected by the peer while we dialled
			endLoopLocked(st, id)
			k.mu.Unlock()
			return
		}
		st.p.Failures++
		st.p.LastErr = err
		delay := k.opts.Policy.Delay(st.p.Failures, k.opts.Rand())
		st.p.NextTry = k.opts.Now().Add(delay)
		wake := st.wake
		p := st.p
		k.mu.Unlock()
		k.changed(p)
		select {
		case <-ctx.Done():
			return
		case <-k.opts.After(delay):
		case <-wake:
			k.mu.Lock()
			st.wake = make(chan struct{})
			k.mu.Unlock()
		}
	}
}
