package node

import (
	"context"
	"net"
	"strconv"
	"time"

	"qkdchat/identity"
	"qkdchat/invite"
	"qkdchat/invitebook"
	"qkdchat/nearby"
	"qkdchat/transport"
)

// EventInvite reports an invite this node issued: created (with its
// invite string, link and code), used, burned by a wrong guess, expired
// or revoked (Event.InviteState), with a line for the inviter (Reason).
const EventInvite EventType = "invite"

// InviteRecord is an invite this node issued (package invitebook).
type InviteRecord = invitebook.Record

// Invite states (InviteRecord.State, Event.InviteState).
const (
	InviteOpen    = invitebook.Open
	InviteUsed    = invitebook.Used
	InviteBurned  = invitebook.Burned
	InviteExpired = invitebook.Expired
	InviteRevoked = invitebook.Revoked

	DefaultInviteTTL  = invitebook.DefaultTTL
	DefaultListenPort = invitebook.DefaultPort
)

// Invites issues, lists and revokes this node's invites, and joins
// another node with one of its invites. Node.Invites returns it.
type Invites struct{ n *Node }

// Invites returns the node's invites.
func (n *Node) Invites() *Invites { return &Invites{n} }

func (iv *Invites) book() invitebook.Book {
	n := iv.n
	return invitebook.Book{Records: n.store.Invites(n.recordKey()),
		Inviter: invitebook.Inviter{Name: n.profile.Name, Fingerprint: identity.FingerprintBytes(n.id.Public())},
		Changed: func(r InviteRecord) {
			e := Event{Type: EventInvite, Code: r.Code, PeerRole: r.Role, Peer: r.Peer, PeerName: r.PeerName, InviteState: r.State, Reason: r.Summary()}
			if r.State == InviteOpen { // just created
				e.Invite, e.Link = r.Invite, r.Link
			}
			n.publish(e)
		}}
}

// Create issues an invite granting role (patient or doctor) once, for
// ttl (DefaultInviteTTL when 0); name labels whom it is for. It names the
// addresses the node listens on (else the address it remembers listening
// on, else DefaultListenPort, on the LAN addresses, 127.0.0.1 last), is kept in state.db, served by every
// listener now and whenever one starts, and announced (EventInvite).
func (iv *Invites) Create(role Role, name string, ttl time.Duration) (InviteRecord, error) {
	n := iv.n
	var bound []net.Addr
	ls := n.peers.listenerList()
	for _, l := range ls {
		bound = append(bound, l.Addr())
	}
	if len(bound) == 0 {
		// Not listening now: name where the node listens at start-up.
		if a := rememberedTCPAddr(n.store); a != nil {
			bound = append(bound, a)
		}
	}
	rec, err := iv.book().Create(role, name, ttl, invitebook.Addrs(bound, nearby.LocalIPs(nil)))
	if err != nil {
		return InviteRecord{}, err
	}
	for _, l := range ls {
		if err := l.AddInvite(rec.Code, rec.Expires, string(rec.Role)); err != nil {
			n.log.Warn("could not serve an invite", "nameplate", rec.Nameplate, "err", err)
		}
	}
	return rec, nil
}

// List returns the invites this node issued, newest first.
func (iv *Invites) List() ([]InviteRecord, error) { return iv.book().List() }

// Revoke withdraws the open invite with this nameplate: whoever tries it
// is told it is no longer valid.
func (iv *Invites) Revoke(nameplate int) error {
	if _, err := iv.book().SetState(nameplate, InviteRevoked, nil); err != nil {
		return err
	}
	for _, l := range iv.n.peers.listenerList() {
		l.RevokeInvite(nameplate)
	}
	return nil
}

// Join pairs with the node that issued the invite s (either form). A
// damaged or expired invite, or one for another role than this node's
// profile, is refused before any dialling; then its addresses are dialled
// in order, accepting only the inviter's key (pinned from the first
// contact), and paired with its code.
func (iv *Invites) Join(ctx context.Context, s string) (*Session, error) {
	inv, err := invitebook.Check(s, iv.n.profile.Role, time.Now())
	if err != nil {
		return nil, err
	}
	c := connector{iv.n}
	cfg := c.config(inv.Code)
	cfg.PeerFingerprint = inv.Fingerprint
	return invitebook.Dial(ctx, inv, func(ctx context.Context, addr string) (*Session, error) { return c.connect(ctx, addr, cfg) })
}

// serve registers the invites with a listener that just started, and is
// its Config.OnInvite.
func (iv *Invites) serve(l *transport.Listener) {
	if err := iv.book().Register(l); err != nil {
		iv.n.log.Warn("could not serve every invite", "err", err)
	}
}

func (iv *Invites) onTransport(e transport.InviteEvent) {
	if err := iv.book().Transport(e); err != nil {
		iv.n.log.Warn("could not record an invite event", "nameplate", e.Nameplate, "err", err)
	}
}

// Invite is an invite as a joiner reads it (package invite).
type Invite = invite.Invite

// ErrNotInvite means text is not an invite at all (an address, a code).
var ErrNotInvite = invite.ErrNotInvite

// ParseInvite reads an invite string or link without dialling (see
// invite.Parse); Join checks its expiry and role.
func ParseInvite(s string) (Invite, error) { return invite.Parse(s) }

// rememberedTCPAddr is the address the node last listened on, or nil if it
// never listened or the address names a host rather than an IP (an invite
// names what the joiner dials, which resolving here would not improve).
func rememberedTCPAddr(st *Store) *net.TCPAddr {
	a, err := st.ListenAddr()
	if err != nil || a == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(a)
	if err != nil {
		return nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return nil
	}
	ip := net.IPv4zero
	if host != "" {
		if ip = net.ParseIP(host); ip == nil {
			return nil
		}
	}
	return &net.TCPAddr{IP: ip, Port: p}
}
