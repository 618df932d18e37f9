package invitebook

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"qkdchat/invite"
	"qkdchat/party"
	"qkdchat/store"
	"qkdchat/transport"
	"qkdchat/transport/paircode"
)

// Invite states, as Record.State holds them.
const (
	Open    = "open"
	Used    = "used"
	Burned  = "burned"
	Expired = "expired"
	Revoked = "revoked"
)

// DefaultTTL is how long an invite works unless told otherwise.
const DefaultTTL = 72 * time.Hour

// Record is an invite the node issued, as state.db keeps it (sealed: it
// holds the code).
type Record struct {
	Nameplate int        `json:"nameplate"`
	Code      string     `json:"code"`
	Role      party.Role `json:"role"`           // the role it grants
	Name      string     `json:"name,omitempty"` // whom it is for (a label)
	Addrs     []string   `json:"addrs"`
	Invite    string     `json:"invite"` // the string to paste
	Link      string     `json:"link"`   // the qkdchat: link form
	Created   time.Time  `json:"created"`
	Expires   time.Time  `json:"expires"`
	State     string     `json:"state"`
	Changed   time.Time  `json:"changed,omitempty"`
	Peer      string     `json:"peer,omitempty"` // who used it (fingerprint)
	PeerName  string     `json:"peer_name,omitempty"`
	Remote    string     `json:"remote,omitempty"` // who used or burned it, by address
}

// Summary says in one line what became of the invite, for the inviter.
func (r Record) Summary() string {
	s := fmt.Sprintf("invite %d for a %s", r.Nameplate, r.Role)
	if r.Name != "" {
		s += " (" + r.Name + ")"
	}
	switch r.State {
	case Open:
		return s + " is open until " + r.Expires.Local().Format("2006-01-02 15:04")
	case Used:
		return s + " was used by " + firstOf(r.PeerName, r.Remote, "a peer")
	case Burned:
		from := ""
		if r.Remote != "" {
			from = " from " + r.Remote
		}
		return s + " was burned by a wrong guess" + from + " — issue a new one"
	case Expired:
		return s + " expired unused — issue a new one if it is still needed"
	case Revoked:
		return s + " was revoked"
	}
	return s + " is " + r.State
}

func firstOf(xs ...string) string {
	for _, x := range xs {
		if x != "" {
			return x
		}
	}
	return ""
}

// Inviter is who issues the invites: the name and key fingerprint a new
// invite carries.
type Inviter struct {
	Name        string
	Fingerprint [16]byte
}

// Book is the invites of one node. Changed, when set, is told of every
// record that changed state (to announce it).
type Book struct {
	Records store.Records // the invites bucket, under the node's record key
	Inviter Inviter
	Changed func(Record)
}

// ErrNotOpen means the invite has already been used, burned, expired or
// revoked.
var ErrNotOpen = errors.New("invite is not open")

// Create issues an invite granting role (patient or doctor) once, for
// ttl (DefaultTTL when 0), naming addrs, and stores it.
func (b Book) Create(role party.Role, name string, ttl time.Duration, addrs []string) (Record, error) {
	if role != "patient" && role != "doctor" {
		return Record{}, fmt.Errorf("an invite grants the role patient or doctor, not %q", role)
	}
	if ttl == 0 {
		ttl = DefaultTTL
	}
	if ttl < 0 {
		return Record{}, fmt.Errorf("an invite's lifetime must be positive, not %s", ttl)
	}
	now := time.Now()
	rec := Record{Role: role, Name: name, Addrs: addrs, Created: now, Expires: now.Add(ttl).Truncate(time.Second), State: Open, Changed: now}
	rs, err := b.List()
	if err != nil {
		return Record{}, err
	}
	live := map[int]bool{}
	for _, r := range rs {
		live[r.Nameplate] = r.State == Open
	}
	for range 64 {
		np, err := paircode.RandomNameplate()
		if err != nil {
			return Record{}, err
		}
		if !live[np] {
			rec.Nameplate = np
			break
		}
	}
	if rec.Nameplate == 0 {
		return Record{}, errors.New("too many open invites: revoke some first")
	}
	if rec.Code, err = paircode.NewInvite(rec.Nameplate); err != nil {
		return Record{}, err
	}
	inv := invite.Invite{Code: rec.Code, Addrs: addrs, Fingerprint: b.Inviter.Fingerprint, Name: b.Inviter.Name,
		Role: invite.Role(role), Expires: rec.Expires}
	if rec.Invite, err = invite.Encode(inv); err != nil {
		return Record{}, err
	}
	if rec.Link, err = invite.Link(inv); err != nil {
		return Record{}, err
	}
	var old Record
	err = b.Records.Update(strconv.Itoa(rec.Nameplate), &old, func(found bool) error {
		if found && old.State == Open && now.Before(old.Expires) {
			return fmt.Errorf("invite %d: %w", rec.Nameplate, transport.ErrNameplateTaken)
		}
		old = rec
		return nil
	})
	if err != nil {
		return Record{}, fmt.Errorf("store invite %d: %w", rec.Nameplate, err)
	}
	b.changed(rec)
	return rec, nil
}

// List returns every invite issued, newest first. Open ones whose time
// has passed are marked expired (and announced).
func (b Book) List() ([]Record, error) {
	var out []Record
	now := time.Now()
	err := b.Records.Each(func(k []byte, open func(any) error) error {
		var r Record
		if err := open(&r); err != nil {
			return fmt.Errorf("invite %s: %w", k, err)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read invites: %w", err)
	}
	for i, r := range out {
		if r.State == Open && !now.Before(r.Expires) {
			if nr, err := b.SetState(r.Nameplate, Expired, nil); err == nil {
				out[i] = nr
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Created.After(out[j].Created) })
	return out, nil
}

// SetState moves the open invite np to state (edit, if set, adds
// details), stores it and announces it. An invite that is not open is
// left as it was, with ErrNotOpen.
func (b Book) SetState(np int, state string, edit func(*Record)) (Record, error) {
	var r Record
	err := b.Records.Update(strconv.Itoa(np), &r, func(found bool) error {
		if !found {
			return fmt.Errorf("no invite %d: %w", np, store.ErrNotFound)
		}
		if r.State != Open {
			return fmt.Errorf("invite %d is %s: %w", np, r.State, ErrNotOpen)
		}
		r.State, r.Changed = state, time.Now()
		if edit != nil {
			edit(&r)
		}
		return nil
	})
	if err != nil {
		return r, err
	}
	b.changed(r)
	return r, nil
}

func (b Book) changed(r Record) {
	if b.Changed != nil {
		b.Changed(r)
	}
}

// Transport records what a listener reports of an invite
// (transport.Config.OnInvite).
func (b Book) Transport(e transport.InviteEvent) error {
	remote := ""
	if e.Remote != nil {
		remote = e.Remote.String()
	}
	state := Used
	if e.Kind == transport.InviteBurned {
		state = Burned
	}
	_, err := b.SetState(e.Nameplate, state, func(r *Record) { r.Remote = remote })
	if errors.Is(err, ErrNotOpen) {
		return nil // already recorded, by Paired
	}
	return err
}

// Paired records who used invite np (the listener's used event may come
// before or after) and announces it.
func (b Book) Paired(np int, peer, peerName string) error {
	var r Record
	err := b.Records.Update(strconv.Itoa(np), &r, func(found bool) error {
		if !found {
			return fmt.Errorf("no invite %d: %w", np, store.ErrNotFound)
		}
		if r.State != Open && r.State != Used {
			return fmt.Errorf("invite %d is %s: %w", np, r.State, ErrNotOpen)
		}
		r.State, r.Changed, r.Peer, r.PeerName = Used, time.Now(), peer, peerName
		return nil
	})
	if err != nil {
		return err
	}
	b.changed(r)
	return nil
}

// Registrar is the part of a transport.Listener that serves invites.
type Registrar interface {
	AddInvite(code string, expires time.Time, grant string) error
	RevokeInvite(nameplate int) bool
}

// Register adds the open invites to l, and the finished ones that have
// not expired as revoked, so that a dialer using one after a restart is
// told it is no longer valid rather than that its code is wrong. It
// returns the errors of invites it could not add.
func (b Book) Register(l Registrar) error {
	rs, err := b.List()
	if err != nil {
		return err
	}
	var errs []error
	now := time.Now()
	for _, r := range rs {
		if !now.Before(r.Expires) {
			continue
		}
		if err := l.AddInvite(r.Code, r.Expires, string(r.Role)); err != nil {
			errs = append(errs, fmt.Errorf("invite %d: %w", r.Nameplate, err))
			continue
		}
		if r.State != Open {
			l.RevokeInvite(r.Nameplate)
		}
	}
	return errors.Join(errs...)
}
