package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"qkdchat/nearby"
	"qkdchat/reach"
	"qkdchat/redial"
	"qkdchat/session"
	"qkdchat/transport"
)

// Reachability (package reach): the node listens on the address it
// remembers, a hospital announces itself on the LAN while it listens,
// nearby hospitals can be found and joined by name, and pinned contacts
// with anything queued are redialled with back-off until their queue is
// empty, their presence published as EventPresence.

type (
	// Presence is what is known of a contact's reachability.
	Presence = session.Presence
	// ContactPresence is one contact's presence, with its fingerprint.
	ContactPresence = reach.Peer
	// ReachStatus is what a status area shows: where the node listens
	// and the addresses to hand out.
	ReachStatus = reach.Status
	// Hospital is a hospital found on the LAN (not authenticated: the
	// pairing code decides who answers).
	Hospital = nearby.Hospital
)

// EventPresence reports a contact coming online, going offline, or a
// failed redial (Event.Presence).
const EventPresence = session.EventPresence

// DefaultListenAddr is where a node listens when it is given no address
// and remembers none. A hospital that patients on other machines join
// listens on ":7450" (every address) or its LAN address instead.
const DefaultListenAddr = "127.0.0.1:7450"

// Reach is how the node is reached and reaches its contacts. Node.Reach
// returns it; its methods are safe for concurrent use.
type Reach struct {
	n    *Node
	r    *reach.Redialer
	stop context.CancelFunc
	done chan struct{}

	mu     sync.Mutex
	status ReachStatus
	ann    io.Closer
	closed bool
}

// Reach returns the node's reachability: listening, nearby hospitals,
// redial and presence.
func (n *Node) Reach() *Reach { return n.reach }

// startReach starts keeping n's pending contacts connected.
func startReach(n *Node) *Reach {
	life, stop := context.WithCancel(context.Background())
	r := &Reach{n: n, stop: stop, done: make(chan struct{})}
	r.r = reach.New(reach.Config{
		Dialer:  pinnedDialer{n: n, life: life},
		Pending: r.pending,
		Live: func(fp string) (redial.Conn, bool) {
			s, ok := n.peers.find(fp)
			return s, ok
		},
		Name: func(fp string) string {
			c, _ := n.store.Contact(fp)
			return c.Name
		},
		Ended: func(fp string, t time.Time) {
			if err := n.store.SeenAt(fp, t); err != nil {
				n.log.Warn("could not record when a contact was last seen", "peer", fp, "err", err)
			}
		},
		Publish: n.publish,
		Keeper:  redial.Options{Policy: n.opts.Redial},
	})
	events, unsubscribe := n.hub.Subscribe()
	var peers []string
	if cs, err := n.store.Contacts(); err == nil {
		for _, c := range cs {
			peers = append(peers, c.Fingerprint)
		}
	}
	go func() {
		defer close(r.done)
		defer unsubscribe()
		r.r.Run(life, events, peers)
	}()
	return r
}

// close stops redialling and announcing (Node.Close).
func (r *Reach) close() {
	r.stop()
	<-r.done
	r.mu.Lock()
	ann := r.ann
	r.ann, r.closed = nil, true
	r.mu.Unlock()
	if ann != nil {
		ann.Close()
	}
}

// pending reports whether fp is a contact with a dial address and
// something queued.
func (r *Reach) pending(fp string) bool {
	c, ok := r.n.store.Contact(fp)
	if !ok || c.Addr == "" {
		return false
	}
	k, err := r.n.store.Outbox(r.n.recordKey()).Len(fp)
	return err == nil && k > 0
}

// pinnedDialer redials pinned contacts: the dial is cut short by the
// redial's context, the session lives as long as the node.
type pinnedDialer struct {
	n    *Node
	life context.Context
}

func (d pinnedDialer) Dial(ctx context.Context, fp string) (redial.Conn, error) {
	n := d.n
	c, ok := n.store.Contact(fp)
	if !ok || c.Addr == "" {
		return nil, fmt.Errorf("%s has no known address: they connected to us", fp)
	}
	cn := connector{n}
	cfg := cn.config("")
	cfg.PeerKey = c.PublicKey
	n.publish(Event{Type: EventConnecting, Addr: c.Addr, Peer: fp, PeerName: c.Name})
	ts, err := transport.Connect(ctx, c.Addr, cfg)
	if err != nil {
		n.log.Info("redial failed", "peer", fp, "addr", c.Addr, "err", err)
		return nil, errors.New(UserError(err))
	}
	s := cn.start(d.life, ts, c.Addr)
	if s == nil {
		return nil, fmt.Errorf("%s was refused (see the pairing_failed event)", c.Name)
	}
	return s, nil
}

// RememberedAddr is the address the node listens on from start-up (""
// if it never listened).
func (r *Reach) RememberedAddr() (string, error) { return r.n.store.ListenAddr() }

// Listen listens on addr, or when addr is "" on the remembered address
// (DefaultListenAddr if none), remembers the address with the port it got,
// and, for a hospital listening beyond loopback, announces the node on the
// LAN until ctx ends. A failed announcement does not stop the listener;
// the status says why.
func (r *Reach) Listen(ctx context.Context, addr, code string) (ReachStatus, error) {
	n := r.n
	if addr == "" {
		remembered, err := r.RememberedAddr()
		if err != nil {
			return ReachStatus{}, err
		}
		addr = cmpOr(remembered, DefaultListenAddr)
	}
	bound, code, err := n.Listen(ctx, addr, code)
	if err != nil {
		return ReachStatus{}, err
	}
	remember, err := reach.Remember(addr, bound)
	if err == nil {
		err = n.store.SetListenAddr(remember)
	}
	if err != nil {
		n.log.Warn("could not remember the listen address", "addr", addr, "err", err)
	}
	host, _, _ := net.SplitHostPort(addr)
	port := 0
	if _, p, err := net.SplitHostPort(bound.String()); err == nil {
		port, _ = strconv.Atoi(p)
	}
	st := ReachStatus{Listening: true, Addr: bound.String(), Remembered: remember, Code: code,
		LAN: reach.HandOut(host, port, nearby.LocalIPs(nil))}
	var ann io.Closer
	if reach.ShouldAnnounce(string(n.profile.Role), host) {
		announce := n.opts.Announce
		if announce == nil {
			announce = func(a nearby.Announcement) (io.Closer, error) { return nearby.Announce(a) }
		}
		ann, err = announce(nearby.Announcement{Name: n.profile.Name, Port: port, Fingerprint: n.Fingerprint(), IPs: reach.AnnounceIPs(host)})
		if err != nil {
			n.log.Warn("not announcing on the LAN", "err", err)
			st.AnnounceError = err.Error()
		}
		st.Announcing = err == nil
	}
	r.mu.Lock()
	if r.closed && ann != nil {
		ann.Close()
		ann = nil
	}
	old := r.ann
	r.ann, r.status = ann, st
	r.mu.Unlock()
	if old != nil {
		old.Close()
	}
	context.AfterFunc(ctx, func() {
		r.mu.Lock()
		if r.ann == ann {
			r.status.Listening, r.status.Announcing, r.status.Code = false, false, ""
			r.ann = nil
		}
		r.mu.Unlock()
		if ann != nil {
			ann.Close()
		}
	})
	return st, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Status is where the node listens and the addresses to hand out; when
// it does not listen, the address it would listen on.
func (r *Reach) Status() ReachStatus {
	r.mu.Lock()
	st := r.status
	r.mu.Unlock()
	if !st.Listening {
		st.Remembered, _ = r.RememberedAddr()
	}
	st.LAN = append([]string(nil), st.LAN...)
	return st
}

// Presence lists what is known of the contacts seen or wanted since the
// node opened, with their names.
func (r *Reach) Presence() []ContactPresence {
	ps := r.r.Presence()
	for i := range ps {
		r.fill(&ps[i])
	}
	return ps
}

// PresenceOf is what is known of the contact whose fingerprint (as typed)
// or name is given; last seen comes from state.db when this run has not
// seen the contact.
func (r *Reach) PresenceOf(peer string) (ContactPresence, error) {
	c, err := r.n.contactByRef(peer)
	if err != nil {
		return ContactPresence{}, err
	}
	p := ContactPresence{Peer: c.Fingerprint, Presence: r.r.PresenceOf(c.Fingerprint)}
	r.fill(&p)
	return p, nil
}

func (r *Reach) fill(p *ContactPresence) {
	c, ok := r.n.store.Contact(p.Peer)
	if !ok {
		return
	}
	p.Name = c.Name
	if p.LastSeen.IsZero() {
		p.LastSeen = c.LastSeen
	}
}

// Keep keeps the contact (fingerprint or name) connected, redialling it
// with back-off whatever its queue, until release is called: a running
// connect keeps its hospital so.
func (r *Reach) Keep(peer string) (release func(), err error) {
	c, err := r.n.contactByRef(peer)
	if err != nil {
		return nil, err
	}
	return r.r.Keep(c.Fingerprint), nil
}

// Retry redials the contact now if it waits out a back-off (Reconnect
// pressed).
func (r *Reach) Retry(peer string) error {
	c, err := r.n.contactByRef(peer)
	if err != nil {
		return err
	}
	r.r.Retry(c.Fingerprint)
	return nil
}

// Nearby asks the LAN for hospitals, listening for answers for timeout
// (2 s when 0).
func (r *Reach) Nearby(ctx context.Context, timeout time.Duration) ([]Hospital, error) {
	browse := r.n.opts.Browse
	if browse == nil {
		browse = nearby.Browse
	}
	return browse(ctx, nearby.BrowseOptions{Timeout: timeout})
}

// FindNearby asks the LAN for hospitals, listening for answers for
// timeout (2 s when 0); it needs no open node.
func FindNearby(ctx context.Context, timeout time.Duration) ([]Hospital, error) {
	return nearby.Browse(ctx, nearby.BrowseOptions{Timeout: timeout})
}

// JoinNearby finds the nearby hospital called name (or whose fingerprint
// starts so) and pairs with it with code, trying each address it
// announced. A hospital whose key is not the one it announced is left.
func (r *Reach) JoinNearby(ctx context.Context, name, code string, timeout time.Duration) (*Session, Hospital, error) {
	found, err := r.Nearby(ctx, timeout)
	if err != nil {
		return nil, Hospital{}, err
	}
	h, err := reach.PickHospital(found, name)
	if err != nil {
		return nil, Hospital{}, err
	}
	var errs []error
	for _, addr := range h.Addrs {
		s, err := r.n.Connect(ctx, addr, code)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if s == nil {
			return nil, h, fmt.Errorf("%s at %s was refused (see above)", h.Name, addr)
		}
		got := strings.ReplaceAll(s.Peer().Fingerprint, " ", "")
		if h.Fingerprint != "" && got != h.Fingerprint {
			s.CloseWith("not the hospital announced")
			return nil, h, fmt.Errorf("the hospital that answered at %s has key %s, not the %s announced for %s: not joining", addr, got, h.Fingerprint, h.Name)
		}
		return s, h, nil
	}
	return nil, h, fmt.Errorf("join %s: %w", h.Name, errors.Join(errs...))
}
