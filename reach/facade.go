package reach

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"qkdchat/identity"
	"qkdchat/nearby"
	"qkdchat/session"
	"qkdchat/store"
)

// DefaultListenAddr is where a node listens when it is given no address
// and remembers none. A hospital that patients on other machines join
// listens on ":7450" (every address) or its LAN address instead.
const DefaultListenAddr = "127.0.0.1:7450"

// Node is what Reach needs of its node.
type Node struct {
	Role, Name, Fingerprint string
	Store                   *store.Store // the remembered address, contacts
	Log                     *slog.Logger
	// Listen listens on addr, pairing with code; it returns the bound
	// address and the code.
	Listen func(ctx context.Context, addr, code string) (net.Addr, string, error)
	// Pair dials addr and pairs with code, accepting only the identity key
	// whose fingerprint is peer (identity.FingerprintBytes), or any key
	// when peer is zero; a key refused is never pinned.
	Pair func(ctx context.Context, addr, code string, peer [identity.FingerprintSize]byte) (*session.Session, error)
	// Contact finds a pinned contact by fingerprint (as typed) or name.
	Contact func(ref string) (store.Contact, error)
	// Announce and Browse are package nearby's unless replaced (tests).
	Announce func(nearby.Announcement) (io.Closer, error)
	Browse   func(context.Context, nearby.BrowseOptions) ([]nearby.Hospital, error)
}

// Reach is how a node is reached and reaches its contacts: it listens on
// the remembered address, announces a hospital on the LAN, finds and
// joins nearby hospitals, and keeps contacts connected (Redialer). Its
// methods are safe for concurrent use.
type Reach struct {
	n    Node
	r    *Redialer
	stop context.CancelFunc
	done chan struct{}

	mu     sync.Mutex
	status Status
	ann    io.Closer
	closed bool
}

// Start starts keeping the node's contacts connected (see Redialer.Run)
// until Close; the Redialer's dials are cut short by Close, and life, the
// context its Dialer runs sessions on, should end there too.
func Start(n Node, r *Redialer, life context.Context, stop context.CancelFunc, events <-chan session.Event, peers []string) *Reach {
	if n.Announce == nil {
		n.Announce = func(a nearby.Announcement) (io.Closer, error) { return nearby.Announce(a) }
	}
	if n.Browse == nil {
		n.Browse = nearby.Browse
	}
	x := &Reach{n: n, r: r, stop: stop, done: make(chan struct{})}
	go func() {
		defer close(x.done)
		r.Run(life, events, peers)
	}()
	return x
}

// Close stops redialling and announcing.
func (x *Reach) Close() {
	x.stop()
	<-x.done
	x.mu.Lock()
	ann := x.ann
	x.ann, x.closed = nil, true
	x.mu.Unlock()
	if ann != nil {
		ann.Close()
	}
}

// RememberedAddr is the address the node listens on from start-up (""
// if it never listened).
func (x *Reach) RememberedAddr() (string, error) { return x.n.Store.ListenAddr() }

// Listen listens on addr, or when addr is "" on the remembered address
// (DefaultListenAddr if none), remembers the address with the port it got,
// and, for a hospital listening beyond loopback, announces the node on the
// LAN until ctx ends. A failed announcement does not stop the listener;
// the status says why.
func (x *Reach) Listen(ctx context.Context, addr, code string) (Status, error) {
	if addr == "" {
		remembered, err := x.RememberedAddr()
		if err != nil {
			return Status{}, err
		}
		addr = cmpOr(remembered, DefaultListenAddr)
	}
	bound, code, err := x.n.Listen(ctx, addr, code)
	if err != nil {
		return Status{}, err
	}
	remember, err := Remember(addr, bound)
	if err == nil {
		err = x.n.Store.SetListenAddr(remember)
	}
	if err != nil {
		x.n.Log.Warn("could not remember the listen address", "addr", addr, "err", err)
	}
	host, _, _ := net.SplitHostPort(addr)
	port := 0
	if _, p, err := net.SplitHostPort(bound.String()); err == nil {
		port, _ = strconv.Atoi(p)
	}
	st := Status{Listening: true, Addr: bound.String(), Remembered: remember, Code: code,
		LAN: HandOut(host, port, nearby.LocalIPs(nil))}
	var ann io.Closer
	if ShouldAnnounce(x.n.Role, host) {
		ann, err = x.n.Announce(nearby.Announcement{Name: x.n.Name, Port: port, Fingerprint: x.n.Fingerprint, IPs: AnnounceIPs(host)})
		if err != nil {
			x.n.Log.Warn("not announcing on the LAN", "err", err)
			st.AnnounceError = err.Error()
		}
		st.Announcing = err == nil
	}
	x.mu.Lock()
	if x.closed && ann != nil {
		ann.Close()
		ann = nil
	}
	old := x.ann
	x.ann, x.status = ann, st
	x.mu.Unlock()
	if old != nil {
		old.Close()
	}
	context.AfterFunc(ctx, func() {
		x.mu.Lock()
		if x.ann == ann {
			x.status.Listening, x.status.Announcing, x.status.Code = false, false, ""
			x.ann = nil
		}
		x.mu.Unlock()
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
func (x *Reach) Status() Status {
	x.mu.Lock()
	st := x.status
	x.mu.Unlock()
	if !st.Listening {
		st.Remembered, _ = x.RememberedAddr()
	}
	st.LAN = append([]string(nil), st.LAN...)
	return st
}

// Presence lists what is known of the contacts seen or wanted since the
// node opened, with their names.
func (x *Reach) Presence() []Peer {
	ps := x.r.Presence()
	for i := range ps {
		x.fill(&ps[i])
	}
	return ps
}

// PresenceOf is what is known of the contact whose fingerprint (as typed)
// or name is given; last seen comes from state.db when this run has not
// seen the contact.
func (x *Reach) PresenceOf(peer string) (Peer, error) {
	c, err := x.n.Contact(peer)
	if err != nil {
		return Peer{}, err
	}
	p := Peer{Peer: c.Fingerprint, Presence: x.r.PresenceOf(c.Fingerprint)}
	x.fill(&p)
	return p, nil
}

func (x *Reach) fill(p *Peer) {
	c, ok := x.n.Store.Contact(p.Peer)
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
func (x *Reach) Keep(peer string) (release func(), err error) {
	c, err := x.n.Contact(peer)
	if err != nil {
		return nil, err
	}
	return x.r.Keep(c.Fingerprint), nil
}

// Retry redials the contact now if it waits out a back-off (Reconnect
// pressed).
func (x *Reach) Retry(peer string) error {
	c, err := x.n.Contact(peer)
	if err != nil {
		return err
	}
	x.r.Retry(c.Fingerprint)
	return nil
}

// Nearby asks the LAN for hospitals, listening for answers for timeout
// (2 s when 0).
func (x *Reach) Nearby(ctx context.Context, timeout time.Duration) ([]nearby.Hospital, error) {
	return x.n.Browse(ctx, nearby.BrowseOptions{Timeout: timeout})
}

// JoinNearby finds the nearby hospital called name (or whose fingerprint
// starts so) and pairs with it with code, trying each address it
// announced. A hospital whose key is not the one it announced is refused
// in the handshake, before this node proves itself or pins anything; the
// 16-digit fingerprint of an older version's announcement is checked
// after pairing instead.
func (x *Reach) JoinNearby(ctx context.Context, name, code string, timeout time.Duration) (*session.Session, nearby.Hospital, error) {
	found, err := x.Nearby(ctx, timeout)
	if err != nil {
		return nil, nearby.Hospital{}, err
	}
	h, err := PickHospital(found, name)
	if err != nil {
		return nil, nearby.Hospital{}, err
	}
	want := announcedKey(h.Fingerprint)
	var errs []error
	for _, addr := range h.Addrs {
		s, err := x.n.Pair(ctx, addr, code, want)
		if errors.Is(err, identity.ErrChanged) {
			return nil, h, fmt.Errorf("the hospital that answered at %s does not have the key %s announced for %s: not joining (%w)", addr, h.Fingerprint, h.Name, err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if s == nil {
			return nil, h, fmt.Errorf("%s at %s was refused (see above)", h.Name, addr)
		}
		if h.Fingerprint != "" && !announcedMatches(h.Fingerprint, s.Peer()) {
			got := strings.ReplaceAll(s.Peer().Fingerprint, " ", "")
			s.CloseWith("not the hospital announced")
			return nil, h, fmt.Errorf("the hospital that answered at %s has key %s, not the %s announced for %s: not joining", addr, got, h.Fingerprint, h.Name)
		}
		return s, h, nil
	}
	return nil, h, fmt.Errorf("join %s: %w", h.Name, errors.Join(errs...))
}

// announcedMatches reports whether the fingerprint a nearby hospital
// announced (32 digits, or an older version's 16) names peer's key.
func announcedMatches(fp string, peer store.Contact) bool {
	printed, err := identity.ParseFingerprint(fp)
	return err == nil && identity.Matches(printed, peer.PublicKey)
}

// announcedKey is the fingerprint a nearby hospital announced, as the
// handshake checks it; zero for none, or for an older version's 16 digits.
func announcedKey(fp string) (want [identity.FingerprintSize]byte) {
	b, err := hex.DecodeString(fp)
	if err == nil && len(b) == identity.FingerprintSize {
		copy(want[:], b)
	}
	return want
}
