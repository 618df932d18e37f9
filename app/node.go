package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sort"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/transport"
)

// Options configure a Node. Zero values take the defaults in parentheses.
type Options struct {
	Dir    string       // data directory (required)
	Logger *slog.Logger // (discard)

	BB84 BB84Settings // key exchange parameters

	RekeyMessages int           // rekey after this many messages in a session (1000)
	RekeyInterval time.Duration // and after this long (10 min); <0 disables
	TokenTTL      time.Duration // refuse tokens sealed longer ago than this (5 min)
	SendTimeout   time.Duration // how long Send waits for a first key (30 s)
	MaxAttachment int64         // largest attachment accepted, in bytes (25 MB)
	// PartialTTL is how long an incoming attachment may go without a new
	// chunk before its partial file is removed when the node opens (14
	// days; <0 keeps them). A transfer that resumes later starts over.
	PartialTTL time.Duration
}

func (o *Options) withDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.RekeyMessages == 0 {
		o.RekeyMessages = 1000
	}
	if o.RekeyInterval == 0 {
		o.RekeyInterval = 10 * time.Minute
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = 5 * time.Minute
	}
	if o.SendTimeout == 0 {
		o.SendTimeout = 30 * time.Second
	}
	if o.MaxAttachment <= 0 {
		o.MaxAttachment = DefaultMaxAttachment
	}
	if o.PartialTTL == 0 {
		o.PartialTTL = 14 * 24 * time.Hour
	}
	o.BB84.withDefaults()
}

// Node is the local party: its identity, profile, ledger, contacts and
// live sessions. All methods are safe for concurrent use.
type Node struct {
	opts    Options
	log     *slog.Logger
	profile Profile
	id      *identity.Identity
	ledger  *ledger.Ledger
	store   *Store
	hub     *Hub

	mu        sync.Mutex
	bb84      BB84Settings
	sessions  map[string]*Session // by peer fingerprint
	listeners []*transport.Listener
	closed    bool
	wg        sync.WaitGroup
}

// Open opens the node whose data directory is opts.Dir. The directory
// must hold a profile (SaveProfile); the identity and databases are
// created on first use.
func Open(opts Options) (*Node, error) {
	opts.withDefaults()
	if opts.Dir == "" {
		return nil, errors.New("app: no data directory given")
	}
	if err := EnsureDataDir(opts.Dir); err != nil {
		return nil, err
	}
	profile, err := LoadProfile(opts.Dir)
	if err != nil {
		if errors.Is(err, ErrNoProfile) {
			return nil, fmt.Errorf("app: %s has no profile yet: set a name and role first", opts.Dir)
		}
		return nil, err
	}
	id, lg, st, err := openDataDir(opts.Dir)
	if err != nil {
		return nil, err
	}
	if opts.PartialTTL > 0 {
		if n, err := st.expirePartials(time.Now().Add(-opts.PartialTTL)); err != nil {
			opts.Logger.Warn("could not remove stale partial attachments", "err", err)
		} else if n > 0 {
			opts.Logger.Info("removed stale partial attachments", "count", n, "older_than", opts.PartialTTL)
		}
	}
	return &Node{
		opts:     opts,
		log:      opts.Logger,
		profile:  profile,
		id:       id,
		ledger:   lg,
		store:    st,
		hub:      NewHub(),
		bb84:     opts.BB84,
		sessions: map[string]*Session{},
	}, nil
}

// BB84 returns the key exchange settings used by the next exchange this
// node starts.
func (n *Node) BB84() BB84Settings {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.bb84
}

// SetBB84 changes the settings of later exchanges (the demo's sliders).
func (n *Node) SetBB84(b BB84Settings) error {
	b.withDefaults()
	if err := b.Validate(); err != nil {
		return err
	}
	n.mu.Lock()
	n.bb84 = b
	n.mu.Unlock()
	return nil
}

// Profile returns who this node is.
func (n *Node) Profile() Profile { return n.profile }

// Identity returns the node's identity key pair.
func (n *Node) Identity() *identity.Identity { return n.id }

// Fingerprint returns the node's key fingerprint.
func (n *Node) Fingerprint() string { return n.id.Fingerprint() }

// Ledger returns the node's ledger.
func (n *Node) Ledger() *ledger.Ledger { return n.ledger }

// Store returns the node's local state database.
func (n *Node) Store() *Store { return n.store }

// Events subscribes to the node's events; call the returned function to
// stop.
func (n *Node) Events() (<-chan Event, func()) { return n.hub.Subscribe() }

func (n *Node) publish(e Event) { n.hub.Publish(e) }

// Contacts lists the pinned contacts.
func (n *Node) Contacts() ([]Contact, error) { return n.store.Contacts() }

// Sessions lists the live sessions, by peer name.
func (n *Node) Sessions() []*Session {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*Session, 0, len(n.sessions))
	for _, s := range n.sessions {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].peer.Name < out[j].peer.Name })
	return out
}

// Session returns the live session with the peer whose fingerprint or
// name is given.
func (n *Node) Session(peer string) (*Session, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if s, ok := n.sessions[peer]; ok {
		return s, true
	}
	for _, s := range n.sessions {
		if s.peer.Name == peer {
			return s, true
		}
	}
	if c, err := n.store.contactByFingerprint(peer); err == nil && n.sessions[c.Fingerprint] != nil {
		return n.sessions[c.Fingerprint], true
	}
	return nil, false
}

func (n *Node) transportConfig(code string) transport.Config {
	return transport.Config{
		Identity: n.id.PrivateKey(),
		Name:     n.profile.Name,
		Role:     string(n.profile.Role),
		Code:     code,
		Pins:     pins{n.store},
		Logger:   n.log,
	}
}

// Listen accepts peers on addr ("host:port"; port 0 picks one). Peers
// pair with code (generated when empty) or reconnect with a pinned key. It
// returns the bound address and the pairing code to show the user.
func (n *Node) Listen(ctx context.Context, addr, code string) (net.Addr, string, error) {
	l, err := transport.Listen(ctx, addr, n.transportConfig(code))
	if err != nil {
		return nil, "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		l.Close()
		return nil, "", errors.New("app: node is closed")
	}
	n.listeners = append(n.listeners, l)
	n.mu.Unlock()
	n.publish(Event{Type: EventListening, Addr: l.Addr().String(), Code: l.Code()})
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			ts, err := l.Accept(ctx)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, transport.ErrClosed) {
					return
				}
				n.publishPairingFailure("", err)
				continue
			}
			n.startSession(ctx, ts, "")
		}
	}()
	return l.Addr(), l.Code(), nil
}

// Connect dials addr and pairs with code, or, when code is empty,
// reconnects as a pinned contact.
func (n *Node) Connect(ctx context.Context, addr, code string) (*Session, error) {
	return n.connect(ctx, addr, n.transportConfig(code))
}

func (n *Node) connect(ctx context.Context, addr string, cfg transport.Config) (*Session, error) {
	n.publish(Event{Type: EventConnecting, Addr: addr})
	ts, err := transport.Connect(ctx, addr, cfg)
	if err != nil {
		n.publishPairingFailure(addr, err)
		return nil, err
	}
	return n.startSession(ctx, ts, addr), nil
}

// Reconnect dials a pinned contact at its last known address.
func (n *Node) Reconnect(ctx context.Context, fingerprint string) (*Session, error) {
	c, err := n.store.contactByFingerprint(fingerprint)
	if err != nil {
		return nil, fmt.Errorf("no contact with fingerprint %s: %w", fingerprint, err)
	}
	if c.Addr == "" {
		return nil, fmt.Errorf("%s has no known address: they connected to us; ask them to connect again", c.Name)
	}
	cfg := n.transportConfig("")
	cfg.PeerKey = c.PublicKey
	return n.connect(ctx, c.Addr, cfg)
}

func (n *Node) publishPairingFailure(addr string, err error) {
	n.log.Warn("pairing failed", "addr", addr, "err", err)
	n.publish(Event{Type: EventPairingFailed, Addr: addr, Reason: UserError(err)})
}

func (n *Node) startSession(ctx context.Context, ts *transport.Session, dialAddr string) *Session {
	info := ts.Peer()
	role, _ := ParseRole(info.Role)
	c := Contact{
		Fingerprint: info.Fingerprint,
		PublicKey:   info.Identity,
		Name:        info.Name,
		Role:        role,
		Addr:        dialAddr,
		LastSeen:    time.Now(),
	}
	if err := n.store.PinContact(c); err != nil {
		n.log.Warn("refusing peer", "peer", c.Fingerprint, "err", err)
		n.publish(Event{Type: EventPairingFailed, Peer: c.Fingerprint, PeerName: c.Name, Reason: UserError(err)})
		ts.Close()
		return nil
	}
	s := newSession(n, ts, c, dialAddr != "")
	n.mu.Lock()
	if old := n.sessions[c.Fingerprint]; old != nil {
		go old.closeWith("replaced by a new connection from the same contact")
	}
	n.sessions[c.Fingerprint] = s
	n.mu.Unlock()
	n.publish(Event{Type: EventPaired, Peer: c.Fingerprint, PeerName: c.Name, PeerRole: c.Role, Addr: dialAddr,
		Reason: pairingMode(info.NewlyPaired)})
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		s.run(ctx)
		n.mu.Lock()
		if n.sessions[c.Fingerprint] == s {
			delete(n.sessions, c.Fingerprint)
		}
		n.mu.Unlock()
	}()
	return s
}

func pairingMode(newlyPaired bool) string {
	if newlyPaired {
		return "paired with code"
	}
	return "pinned contact"
}

// Close ends every session (exchanging final checkpoints where possible),
// stops the listeners and closes the databases.
func (n *Node) Close() error {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil
	}
	n.closed = true
	ls := n.listeners
	ss := make([]*Session, 0, len(n.sessions))
	for _, s := range n.sessions {
		ss = append(ss, s)
	}
	n.mu.Unlock()
	for _, l := range ls {
		l.Close()
	}
	var wg sync.WaitGroup
	for _, s := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.Close()
		}()
	}
	wg.Wait()
	n.wg.Wait()
	n.hub.Close()
	return errors.Join(n.ledger.Close(), n.store.Close())
}

// pins lets the transport check pinned identity keys against the store.
type pins struct{ st *Store }

func (p pins) Pinned(pub ed25519.PublicKey) bool {
	_, ok := p.st.Contact(identity.Fingerprint(pub))
	return ok
}

// recordKey is the key under which this node seals records only it needs
// to read back (key-event summaries, stored message keys). It is derived
// from the identity key, so it protects those records exactly as well as
// the identity file (mode 0600) is protected, and no better.
func (n *Node) recordKey() *fernet.Key { return recordKeyFor(n.id) }

// PinnedKey implements transport.NamePins: a peer that presents the name
// and role of a pinned contact with another key is refused before any
// session exists.
func (p pins) PinnedKey(name, role string) (ed25519.PublicKey, bool) {
	cs, err := p.st.Contacts()
	if err != nil {
		return nil, false
	}
	for _, c := range cs {
		if c.Name == name && string(c.Role) == role {
			return c.PublicKey, true
		}
	}
	return nil, false
}

// journalLossError explains a ledger journal loss found when the node
// opens, and how to go on. It wraps err, so callers can still branch on
// *ledger.JournalLossError.
func journalLossError(dir string, err error) error {
	var le *ledger.JournalLossError
	if !errors.As(err, &le) {
		return fmt.Errorf("app: check the ledger in %s: %w", dir, err)
	}
	return fmt.Errorf("app: not starting: %w. Messages already confirmed are (or may be) missing from the ledger because its journal was damaged; run 'qkdchat ledger verify --data %s' for the details, and 'qkdchat ledger ack-loss --data %s' to accept the loss and start", err, dir, dir)
}
