package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"qkdchat/identity"
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
	// Reach is how the node is reached and reaches its contacts.
	Reach = reach.Reach
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

// DefaultListenAddr is where Reach().Listen listens when given no address
// and remembering none (see reach.DefaultListenAddr).
const DefaultListenAddr = reach.DefaultListenAddr

// Reach returns the node's reachability: listening on the remembered
// address, nearby hospitals, redial and presence.
func (n *Node) Reach() *Reach { return n.reach }

// FindNearby asks the LAN for hospitals, listening for answers for
// timeout (2 s when 0); it needs no open node.
func FindNearby(ctx context.Context, timeout time.Duration) ([]Hospital, error) {
	return nearby.Browse(ctx, nearby.BrowseOptions{Timeout: timeout})
}

// startReach starts keeping n's pending contacts connected.
func startReach(n *Node) *Reach {
	life, stop := context.WithCancel(context.Background())
	r := reach.New(reach.Config{
		Dialer: pinnedDialer{n: n, life: life},
		Pending: func(fp string) bool { // a dial address and something queued
			c, ok := n.store.Contact(fp)
			k, err := n.store.Outbox(n.recordKey()).Len(fp)
			return ok && c.Addr != "" && err == nil && k > 0
		},
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
	context.AfterFunc(life, unsubscribe)
	var peers []string
	if cs, err := n.store.Contacts(); err == nil {
		for _, c := range cs {
			peers = append(peers, c.Fingerprint)
		}
	}
	self := reach.Node{Role: string(n.profile.Role), Name: n.profile.Name, Fingerprint: n.Fingerprint(), Store: n.store, Log: n.log,
		Listen: n.Listen, Pair: n.pairWith, Contact: n.contactByRef, Announce: n.opts.Announce, Browse: n.opts.Browse}
	return reach.Start(self, r, life, stop, events, peers)
}

// pairWith dials addr and pairs with code, accepting only the key whose
// fingerprint is peer (any key when zero): reach.Node.Pair.
func (n *Node) pairWith(ctx context.Context, addr, code string, peer [identity.FingerprintSize]byte) (*Session, error) {
	c := connector{n}
	cfg := c.config(code)
	cfg.PeerFingerprint = peer
	return c.connect(ctx, addr, cfg)
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
	if s := cn.start(d.life, ts, c.Addr); s != nil {
		return s, nil
	}
	return nil, fmt.Errorf("%s was refused (see the pairing_failed event)", c.Name)
}
