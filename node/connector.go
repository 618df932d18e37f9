package node

import (
	"context"
	"time"

	"qkdchat/delivery"
	"qkdchat/ledger"
	"qkdchat/session"
	"qkdchat/telehealth"
	"qkdchat/transport"
)

// connector turns the node's transport connections into sessions: it
// configures the transport with the node's identity and pins, pins the
// peer that authenticated, and composes the peer's session with its
// courier (package delivery) and the workflow's rules.
type connector struct{ n *Node }

// config is the transport configuration of this node, pairing with code
// (or, when empty, accepting pinned contacts only).
func (c connector) config(code string) transport.Config {
	n := c.n
	return transport.Config{
		Identity: n.id.PrivateKey(),
		Name:     n.profile.Name,
		Role:     string(n.profile.Role),
		Code:     code,
		Pins:     pins{n.store},
		Logger:   n.log,
	}
}

// connect dials addr with cfg and starts the session.
func (c connector) connect(ctx context.Context, addr string, cfg transport.Config) (*Session, error) {
	c.n.publish(Event{Type: EventConnecting, Addr: addr})
	ts, err := transport.Connect(ctx, addr, cfg)
	if err != nil {
		c.pairingFailed(addr, err)
		return nil, err
	}
	return c.start(ctx, ts, addr), nil
}

func (c connector) pairingFailed(addr string, err error) {
	c.n.log.Warn("pairing failed", "addr", addr, "err", err)
	c.n.publish(Event{Type: EventPairingFailed, Addr: addr, Reason: UserError(err)})
}

// start pins the peer of ts and runs its session until it ends.
func (c connector) start(ctx context.Context, ts *transport.Session, dialAddr string) *Session {
	n := c.n
	info := ts.Peer()
	g := grantedRole(n.store, info)
	ct := Contact{
		Fingerprint: info.Fingerprint,
		PublicKey:   info.Identity,
		Name:        info.Name,
		Role:        g.Role,
		RoleBasis:   g.Basis,
		Addr:        dialAddr,
		LastSeen:    time.Now(),
	}
	if err := n.store.PinContact(ct); err != nil {
		n.log.Warn("refusing peer", "peer", ct.Fingerprint, "err", err)
		n.publish(Event{Type: EventPairingFailed, Peer: ct.Fingerprint, PeerName: ct.Name, Reason: UserError(err)})
		ts.Close()
		return nil
	}
	if info.Nameplate != 0 {
		if err := n.Invites().book().Paired(info.Nameplate, ct.Fingerprint, ct.Name); err != nil {
			n.log.Warn("could not record who used an invite", "nameplate", info.Nameplate, "err", err)
		}
	}
	s := c.session(ts, ct, dialAddr != "")
	old, ok := n.peers.put(ct.Fingerprint, s)
	if !ok {
		ts.Close() // the node closed meanwhile
		return nil
	}
	if old != nil {
		go old.CloseWith("replaced by a new connection from the same contact")
	}
	n.publish(Event{Type: EventPaired, Peer: ct.Fingerprint, PeerName: ct.Name, PeerRole: ct.Role, Addr: dialAddr,
		Reason: pairingMode(info.NewlyPaired)})
	n.peers.wg.Add(1)
	go func() {
		defer n.peers.wg.Done()
		s.Run(ctx)
		n.peers.drop(ct.Fingerprint, s)
	}()
	return s
}

// session makes the session with peer over ts, its courier delivering
// the outbox and handing what the peer sends to the workflow.
func (c connector) session(ts *transport.Session, peer Contact, initiator bool) *Session {
	n := c.n
	rk := n.recordKey()
	return session.New(session.Config{
		Transport: ts,
		Peer:      peer,
		Initiator: initiator,
		Identity:  n.id,
		LocalName: n.profile.Name,
		Ledger:    n.ledger,
		Keys:      n.store.Keys(rk),
		RecordKey: rk,
		Settings: session.Settings{RekeyMessages: n.opts.RekeyMessages, RekeyInterval: n.opts.RekeyInterval,
			TokenTTL: n.opts.TokenTTL, SendTimeout: n.opts.SendTimeout},
		BB84:    n.BB84,
		Publish: n.publish,
		Log:     n.log,
		Handler: func(s *session.Session) session.Handler {
			acc := workflowAcceptor{n}
			return delivery.New(s, delivery.Config{
				Store:         n.store,
				RecordKey:     rk,
				Ledger:        n.ledger,
				Accept:        acc,
				Refused:       acc.refused,
				MaxAttachment: n.opts.MaxAttachment,
				NoFile:        func(r ledger.AttachmentRef) bool { return r.Name == reportDigestRef },
				Fingerprint:   n.Fingerprint(),
				Name:          n.profile.Name,
				Log:           n.log,
				Receipts:      &n.receipts,
			})
		},
	})
}

// courierOf returns the courier of a session.
func courierOf(s *Session) (*delivery.Courier, bool) {
	c, ok := s.Handler().(*delivery.Courier)
	return c, ok
}

func pairingMode(newlyPaired bool) string {
	if newlyPaired {
		return "paired with code"
	}
	return "pinned contact"
}

// grantedRole is the role the peer of info holds: an invite's grant wins
// over the role its hello claims, and a role granted before (by invite
// or approval) is kept (telehealth.PairedRole).
func grantedRole(st *Store, info transport.PeerInfo) telehealth.Grant {
	claimed, _ := ParseRole(info.Role)
	grant, _ := ParseRole(info.Grant)
	var prior *telehealth.Grant
	if c, ok := st.Contact(info.Fingerprint); ok {
		prior = &telehealth.Grant{Role: c.Role, Basis: c.RoleBasis}
	}
	return telehealth.PairedRole(claimed, grant, prior)
}
