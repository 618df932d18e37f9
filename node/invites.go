package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"
	"time"

	"qkdchat/identity"
	"qkdchat/invite"
	"qkdchat/nearby"
	"qkdchat/store"
	"qkdchat/telehealth"
	"qkdchat/transport"
	"qkdchat/transport/paircode"
)

// EventInvite reports an invite this node issued: created, used, burned
// by a wrong guess, expired or revoked (Event.InviteState), with its
// code, and when created its invite string and link.
const EventInvite EventType = "invite"

// Invite states, as InviteRecord.State and Event.InviteState hold them.
const (
	InviteOpen    = "open"
	InviteUsed    = "used"
	InviteBurned  = "burned"
	InviteExpired = "expired"
	InviteRevoked = "revoked"
)

// DefaultListenPort is the port an invite names when the node is not
// listening (the CLI's listen default).
const DefaultListenPort = 7450

// DefaultInviteTTL is how long an invite works unless told otherwise.
const DefaultInviteTTL = 72 * time.Hour

// InviteRecord is an invite this node issued, as state.db keeps it
// (sealed under the record key: it holds the code).
type InviteRecord struct {
	Nameplate int       `json:"nameplate"`
	Code      string    `json:"code"`
	Role      Role      `json:"role"`           // the role it grants
	Name      string    `json:"name,omitempty"` // whom it is for (a label)
	Addrs     []string  `json:"addrs"`
	Invite    string    `json:"invite"` // the string to paste
	Link      string    `json:"link"`   // the qkdchat: link form
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	State     string    `json:"state"`
	Changed   time.Time `json:"changed,omitempty"`
	Peer      string    `json:"peer,omitempty"` // who used it
	PeerName  string    `json:"peer_name,omitempty"`
	Remote    string    `json:"remote,omitempty"` // who used or burned it, by address
}

// Summary says what the invite is in one line for the inviter.
func (r InviteRecord) Summary() string {
	who := ""
	if r.Name != "" {
		who = " (" + r.Name + ")"
	}
	s := fmt.Sprintf("invite %d for a %s%s", r.Nameplate, r.Role, who)
	switch r.State {
	case InviteOpen:
		return s + " is open until " + r.Expires.Local().Format("2006-01-02 15:04")
	case InviteUsed:
		return s + " was used by " + cmpOr(r.PeerName, r.Remote, "a peer")
	case InviteBurned:
		return s + " was burned by a wrong guess" + from(r.Remote) + " — issue a new one"
	case InviteExpired:
		return s + " expired unused — issue a new one if still needed"
	case InviteRevoked:
		return s + " was revoked"
	}
	return s + " is " + r.State
}

func from(remote string) string {
	if remote == "" {
		return ""
	}
	return " from " + remote
}

func cmpOr(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// Invites issues, lists and revokes this node's invites, and joins
// another node with one of its invites. Node.Invites returns it.
type Invites struct{ n *Node }

// Invites returns the node's invites.
func (n *Node) Invites() *Invites { return &Invites{n} }

func (iv *Invites) records() store.Records { return iv.n.store.Invites(iv.n.recordKey()) }

// Create issues an invite granting role (patient or doctor) to whoever
// joins with it, once, until expires from now (DefaultInviteTTL when 0).
// name labels whom it is for. The invite names the addresses the node
// listens on, or, when it is not listening, DefaultListenPort on this
// machine's LAN addresses and 127.0.0.1 last. It is kept in state.db and
// registered with every listener of the node, now and whenever one
// starts.
func (iv *Invites) Create(role Role, name string, expires time.Duration) (InviteRecord, error) {
	n := iv.n
	if role != RolePatient && role != RoleDoctor {
		return InviteRecord{}, fmt.Errorf("an invite grants the role patient or doctor, not %q", role)
	}
	if expires == 0 {
		expires = DefaultInviteTTL
	}
	if expires < 0 {
		return InviteRecord{}, fmt.Errorf("an invite's lifetime must be positive, not %s", expires)
	}
	now := time.Now()
	rec := InviteRecord{Role: role, Name: name, Addrs: iv.addrs(), Created: now, Expires: now.Add(expires).Truncate(time.Second),
		State: InviteOpen, Changed: now}
	taken, err := iv.liveNameplates()
	if err != nil {
		return InviteRecord{}, err
	}
	for range 64 {
		np, err := paircode.RandomNameplate()
		if err != nil {
			return InviteRecord{}, err
		}
		if !taken[np] {
			rec.Nameplate = np
			break
		}
	}
	if rec.Nameplate == 0 {
		return InviteRecord{}, errors.New("too many open invites: revoke some first")
	}
	if rec.Code, err = paircode.NewInvite(rec.Nameplate); err != nil {
		return InviteRecord{}, err
	}
	inv := invite.Invite{Code: rec.Code, Addrs: rec.Addrs, Fingerprint: identity.FingerprintBytes(n.id.Public()), Name: n.profile.Name,
		Role: invite.Role(role), Expires: rec.Expires}
	if rec.Invite, err = invite.Encode(inv); err != nil {
		return InviteRecord{}, err
	}
	if rec.Link, err = invite.Link(inv); err != nil {
		return InviteRecord{}, err
	}
	var old InviteRecord
	err = iv.records().Update(strconv.Itoa(rec.Nameplate), &old, func(found bool) error {
		if found && old.State == InviteOpen && now.Before(old.Expires) {
			return fmt.Errorf("invite %d: %w", rec.Nameplate, transport.ErrNameplateTaken)
		}
		old = rec
		return nil
	})
	if err != nil {
		return InviteRecord{}, fmt.Errorf("store invite %d: %w", rec.Nameplate, err)
	}
	for _, l := range n.peers.listenerList() {
		if err := l.AddInvite(rec.Code, rec.Expires, string(rec.Role)); err != nil {
			n.log.Warn("could not register an invite with the listener", "nameplate", rec.Nameplate, "err", err)
		}
	}
	n.publish(iv.event(rec, "created"))
	return rec, nil
}

// event announces rec; reason says what happened.
func (iv *Invites) event(rec InviteRecord, what string) Event {
	e := Event{Type: EventInvite, Time: time.Now(), Code: rec.Code, PeerRole: rec.Role, Peer: rec.Peer, PeerName: rec.PeerName,
		InviteState: rec.State, Reason: rec.Summary()}
	if what == "created" {
		e.Invite, e.Link = rec.Invite, rec.Link
		e.Reason = fmt.Sprintf("invite %d for a %s created, valid until %s", rec.Nameplate, rec.Role, rec.Expires.Local().Format("2006-01-02 15:04"))
	}
	return e
}

// addrs are the addresses a new invite names.
func (iv *Invites) addrs() []string {
	var out []string
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] && len(out) < invite.MaxAddrs {
			seen[a] = true
			out = append(out, a)
		}
	}
	port := DefaultListenPort
	var loop []string
	for _, l := range iv.n.peers.listenerList() {
		ta, ok := l.Addr().(*net.TCPAddr)
		if !ok {
			continue
		}
		port = ta.Port
		switch {
		case ta.IP.IsUnspecified():
		case ta.IP.IsLoopback():
			loop = append(loop, ta.String())
		default:
			add(ta.String())
		}
	}
	// A wildcard listener, or none: the machine's LAN addresses.
	if len(out) == 0 {
		for _, ip := range nearby.LocalIPs(nil) {
			if !ip.IsLoopback() {
				add(net.JoinHostPort(ip.String(), strconv.Itoa(port)))
			}
		}
	}
	for _, a := range loop {
		add(a)
	}
	add(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	return out
}

// liveNameplates are the nameplates of open invites.
func (iv *Invites) liveNameplates() (map[int]bool, error) {
	rs, err := iv.List()
	if err != nil {
		return nil, err
	}
	out := map[int]bool{}
	for _, r := range rs {
		if r.State == InviteOpen {
			out[r.Nameplate] = true
		}
	}
	return out, nil
}

// List returns every invite this node issued, newest first. Open ones
// whose time has passed are marked expired (and announced).
func (iv *Invites) List() ([]InviteRecord, error) {
	var out []InviteRecord
	var expired []int
	now := time.Now()
	err := iv.records().Each(func(k []byte, open func(any) error) error {
		var r InviteRecord
		if err := open(&r); err != nil {
			return fmt.Errorf("invite %s: %w", k, err)
		}
		if r.State == InviteOpen && !now.Before(r.Expires) {
			expired = append(expired, r.Nameplate)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read invites: %w", err)
	}
	for i, r := range out {
		for _, np := range expired {
			if r.Nameplate == np {
				if nr, changed, err := iv.setState(np, InviteExpired, nil); err == nil && changed {
					out[i] = nr
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// Revoke withdraws the open invite with this nameplate: whoever tries it
// is told it is no longer valid.
func (iv *Invites) Revoke(nameplate int) error {
	_, changed, err := iv.setState(nameplate, InviteRevoked, nil)
	if err != nil {
		return err
	}
	if !changed {
		return fmt.Errorf("invite %d is not open", nameplate)
	}
	for _, l := range iv.n.peers.listenerList() {
		l.RevokeInvite(nameplate)
	}
	return nil
}

// setState moves the open invite np to state (edit, if set, adds
// details), stores it and announces it. changed is false when the invite
// was not open (it is then left as it was).
func (iv *Invites) setState(np int, state string, edit func(*InviteRecord)) (InviteRecord, bool, error) {
	var r InviteRecord
	changed := false
	errUnchanged := errors.New("unchanged")
	err := iv.records().Update(strconv.Itoa(np), &r, func(found bool) error {
		if !found {
			return fmt.Errorf("no invite %d: %w", np, store.ErrNotFound)
		}
		if r.State != InviteOpen {
			return errUnchanged
		}
		r.State, r.Changed = state, time.Now()
		if edit != nil {
			edit(&r)
		}
		changed = true
		return nil
	})
	if errors.Is(err, errUnchanged) {
		return r, false, nil
	}
	if err != nil {
		return r, false, err
	}
	iv.n.publish(iv.event(r, state))
	return r, changed, nil
}

// onTransport records what the listener reports of an invite (Config.OnInvite).
func (iv *Invites) onTransport(e transport.InviteEvent) {
	remote := ""
	if e.Remote != nil {
		remote = e.Remote.String()
	}
	var err error
	switch e.Kind {
	case transport.InviteBurned:
		_, _, err = iv.setState(e.Nameplate, InviteBurned, func(r *InviteRecord) { r.Remote = remote })
	case transport.InviteUsed:
		_, _, err = iv.setState(e.Nameplate, InviteUsed, func(r *InviteRecord) { r.Remote = remote })
	}
	if err != nil {
		iv.n.log.Warn("could not record an invite event", "nameplate", e.Nameplate, "err", err)
	}
}

// paired records who used invite np (the transport's used event may
// come before or after).
func (iv *Invites) paired(np int, c Contact) {
	var r InviteRecord
	err := iv.records().Update(strconv.Itoa(np), &r, func(found bool) error {
		if !found {
			return store.ErrNotFound
		}
		if r.State != InviteOpen && r.State != InviteUsed {
			return nil
		}
		r.State, r.Changed, r.Peer, r.PeerName = InviteUsed, time.Now(), c.Fingerprint, c.Name
		return nil
	})
	if err != nil {
		iv.n.log.Warn("could not record who used an invite", "nameplate", np, "err", err)
		return
	}
	iv.n.publish(iv.event(r, InviteUsed))
}

// register adds the open invites to l, and the finished ones that have
// not expired as revoked, so that a dialer using one after a restart is
// told it is no longer valid rather than that its code is wrong.
func (iv *Invites) register(l *transport.Listener) {
	rs, err := iv.List()
	if err != nil {
		iv.n.log.Warn("could not read the invites to register them", "err", err)
		return
	}
	now := time.Now()
	for _, r := range rs {
		if !now.Before(r.Expires) {
			continue
		}
		if err := l.AddInvite(r.Code, r.Expires, string(r.Role)); err != nil {
			iv.n.log.Warn("could not register an invite with the listener", "nameplate", r.Nameplate, "err", err)
			continue
		}
		if r.State != InviteOpen {
			l.RevokeInvite(r.Nameplate)
		}
	}
}

// Join pairs with the node that issued the invite s (either form): it
// checks the invite (damaged, expired, or for another role than this
// node's profile: a clear error before any dialling), then dials its
// addresses in order, accepting only the inviter's key, and pairs with
// its code. A refusal by the inviter (used, expired, revoked, wrong
// code) ends the attempt; an address that does not answer, or answers
// with another key, is skipped for the next.
func (iv *Invites) Join(ctx context.Context, s string) (*Session, error) {
	n := iv.n
	inv, err := invite.Parse(s)
	if err != nil {
		return nil, err
	}
	if err := inv.Check(time.Now()); err != nil {
		return nil, err
	}
	if err := telehealth.CheckJoinRole(n.profile.Role, Role(inv.Role)); err != nil {
		return nil, err
	}
	c := connector{n}
	cfg := c.config(inv.Code)
	cfg.PeerFingerprint = inv.Fingerprint
	var errs []error
	for _, addr := range inv.Addrs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		s, err := c.connect(ctx, addr, cfg)
		if err == nil {
			return s, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", addr, err))
		if joinFinal(err) {
			break
		}
	}
	return nil, fmt.Errorf("join %s: %w", inv.Name, errors.Join(errs...))
}

// joinFinal reports whether err is the inviter's answer, so that trying
// its other addresses is pointless (and could only burn guesses).
func joinFinal(err error) bool {
	return errors.Is(err, transport.ErrInviteUsed) || errors.Is(err, transport.ErrInviteExpired) ||
		errors.Is(err, transport.ErrInviteRevoked) || errors.Is(err, transport.ErrPairingFailed) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// InviteSummary is what a front end shows of an invite before joining.
type InviteSummary struct {
	Inviter string    // the inviter's name
	Role    Role      // the role it grants
	Addrs   []string  // where the inviter is
	Code    string    // its pairing code
	Expires time.Time // when it stops working
}

// ErrNotInvite means text is not an invite at all (an address, a code).
var ErrNotInvite = invite.ErrNotInvite

// ParseInvite reads an invite string or link without dialling; it
// fails with ErrNotInvite for text that is not one, and with a clear
// error for a damaged one. It does not check the expiry (Join does).
func ParseInvite(s string) (InviteSummary, error) {
	inv, err := invite.Parse(s)
	if err != nil {
		return InviteSummary{}, err
	}
	return InviteSummary{Inviter: inv.Name, Role: Role(inv.Role), Addrs: inv.Addrs, Code: inv.Code, Expires: inv.Expires}, nil
}
