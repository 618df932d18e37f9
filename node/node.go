package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/delivery"
	"qkdchat/identity"
	"qkdchat/internal/fanout"
	"qkdchat/ledger"
	"qkdchat/nearby"
	"qkdchat/redial"
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

	// Redial is the back-off between redials of contacts with queued
	// messages (redial.DefaultPolicy: 1 s doubling to 30 s, ±20%).
	Redial redial.Policy
	// Announce and Browse replace package nearby's (tests).
	Announce func(nearby.Announcement) (io.Closer, error)
	Browse   func(context.Context, nearby.BrowseOptions) ([]nearby.Hospital, error)
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
	o.BB84.WithDefaults()
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
	hub     *fanout.Hub[Event]

	clinic *Clinic // the telehealth workflow (clinic.go)
	reach  *Reach  // listening, nearby and redial (reach.go)

	mu    sync.Mutex
	bb84  BB84Settings
	peers peers // live sessions and listeners (peers.go)

	receipts delivery.PeerLocks // one contact's messages recorded one session at a time
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
		if n, err := st.Attachments(nil).ExpirePartials(time.Now().Add(-opts.PartialTTL)); err != nil {
			opts.Logger.Warn("could not remove stale partial attachments", "err", err)
		} else if n > 0 {
			opts.Logger.Info("removed stale partial attachments", "count", n, "older_than", opts.PartialTTL)
		}
	}
	n := &Node{
		opts:    opts,
		log:     opts.Logger,
		profile: profile,
		id:      id,
		ledger:  lg,
		store:   st,
		hub:     fanout.New[Event](),
		bb84:    opts.BB84,
		peers:   peers{sessions: map[string]*Session{}},
	}
	n.clinic = &Clinic{n}
	n.reach = startReach(n)
	return n, nil
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
	b.WithDefaults()
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

// Fingerprint returns the node's key fingerprint.
func (n *Node) Fingerprint() string { return n.id.Fingerprint() }

// Ledger returns the node's ledger.
func (n *Node) Ledger() *ledger.Ledger { return n.ledger }

// Events subscribes to the node's events; call the returned function to
// stop.
func (n *Node) Events() (<-chan Event, func()) { return n.hub.Subscribe() }

// publish hands e to every subscriber of Events, stamped with the time
// if it has none.
func (n *Node) publish(e Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	n.hub.Publish(e)
}

// Contacts lists the pinned contacts.
func (n *Node) Contacts() ([]Contact, error) { return n.store.Contacts() }

// Sessions lists the live sessions, by peer name.
func (n *Node) Sessions() []*Session { return n.peers.list() }

// Session returns the live session with the peer whose fingerprint (as
// typed: see store.ContactByFingerprint) or name is given.
func (n *Node) Session(peer string) (*Session, bool) {
	if s, ok := n.peers.find(peer); ok {
		return s, true
	}
	if c, err := n.store.ContactByFingerprint(peer); err == nil {
		return n.peers.find(c.Fingerprint)
	}
	return nil, false
}

// Listen accepts peers on addr ("host:port"; port 0 picks one). Peers
// pair with code (generated when empty) or reconnect with a pinned key. It
// returns the bound address and the pairing code to show the user.
func (n *Node) Listen(ctx context.Context, addr, code string) (net.Addr, string, error) {
	c := connector{n}
	cfg := c.config(code)
	cfg.OnInvite = n.Invites().onTransport
	l, err := transport.Listen(ctx, addr, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("listen on %s: %w", addr, err)
	}
	if !n.peers.addListener(l) {
		l.Close()
		return nil, "", errors.New("app: node is closed")
	}
	n.Invites().serve(l)
	n.publish(Event{Type: EventListening, Addr: l.Addr().String(), Code: l.Code()})
	n.peers.wg.Add(1)
	go func() {
		defer n.peers.wg.Done()
		for {
			ts, err := l.Accept(ctx)
			if err != nil {
				if ctx.Err() != nil || errors.Is(err, transport.ErrClosed) {
					return
				}
				c.pairingFailed("", err)
				continue
			}
			c.start(ctx, ts, "")
		}
	}()
	return l.Addr(), l.Code(), nil
}

// Connect dials addr and pairs with code, or, when code is empty,
// reconnects as a pinned contact.
func (n *Node) Connect(ctx context.Context, addr, code string) (*Session, error) {
	c := connector{n}
	return c.connect(ctx, addr, c.config(code))
}

// Reconnect dials a pinned contact at its last known address.
func (n *Node) Reconnect(ctx context.Context, fingerprint string) (*Session, error) {
	c, err := n.store.ContactByFingerprint(fingerprint)
	if err != nil {
		return nil, fmt.Errorf("no contact with fingerprint %s: %w", fingerprint, err)
	}
	if c.Addr == "" {
		return nil, fmt.Errorf("%s has no known address: they connected to us; ask them to connect again", c.Name)
	}
	cn := connector{n}
	cfg := cn.config("")
	cfg.PeerKey = c.PublicKey
	return cn.connect(ctx, c.Addr, cfg)
}

// Close ends every session (exchanging final checkpoints where possible),
// stops the listeners and closes the databases.
func (n *Node) Close() error {
	n.reach.Close() // no redial races the shutdown
	ls, ss, ok := n.peers.shutdown()
	if !ok {
		return nil
	}
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
	n.peers.wg.Wait()
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
