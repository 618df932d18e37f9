package transport

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"qkdchat/transport/paircode"
)

// Errors about invites, as both sides of a refused pairing see them. They
// are wrapped with context; test them with errors.Is.
var (
	// ErrInviteUsed means the invite already paired someone: it works once.
	ErrInviteUsed = errors.New("this invite was already used: ask for a new one")
	// ErrInviteExpired means the invite's expiry time has passed.
	ErrInviteExpired = errors.New("this invite has expired: ask for a new one")
	// ErrInviteRevoked means the inviter withdrew the invite, or it was
	// burned because someone tried a wrong code with it.
	ErrInviteRevoked = errors.New("this invite is no longer valid (withdrawn, or burned by a wrong code): ask for a new one")
	// ErrNameplateTaken means another invite, or the listener code, has
	// this nameplate.
	ErrNameplateTaken = errors.New("nameplate already in use")
)

// Abort reasons for invites, after those of errors.go.
const (
	AbortInviteUsed    AbortReason = 7
	AbortInviteExpired AbortReason = 8
	AbortInviteRevoked AbortReason = 9

	lastAbortReason = AbortInviteRevoked
)

func inviteReasonErr(r AbortReason) error {
	switch r {
	case AbortInviteUsed:
		return ErrInviteUsed
	case AbortInviteExpired:
		return ErrInviteExpired
	case AbortInviteRevoked:
		return ErrInviteRevoked
	}
	return nil
}

func inviteAbortReason(err error) (AbortReason, bool) {
	switch {
	case errors.Is(err, ErrInviteUsed):
		return AbortInviteUsed, true
	case errors.Is(err, ErrInviteExpired):
		return AbortInviteExpired, true
	case errors.Is(err, ErrInviteRevoked):
		return AbortInviteRevoked, true
	}
	return 0, false
}

// InviteEventKind says what happened to an invite.
type InviteEventKind uint8

// Invite events.
const (
	// InviteUsed: a peer paired with the invite; it is consumed.
	InviteUsed InviteEventKind = 1
	// InviteBurned: a peer failed the PAKE with the invite (a wrong code,
	// or a relay in the middle); it is revoked, and the inviter should
	// issue a new one.
	InviteBurned InviteEventKind = 2
)

func (k InviteEventKind) String() string {
	switch k {
	case InviteUsed:
		return "used"
	case InviteBurned:
		return "burned"
	default:
		return fmt.Sprintf("invite event %d", uint8(k))
	}
}

// InviteEvent is passed to Config.OnInvite.
type InviteEvent struct {
	Kind      InviteEventKind
	Nameplate int
	Grant     string
	Remote    net.Addr // the peer that used or burned the invite
}

// InviteState is where an invite is in its life.
type InviteState uint8

// Invite states.
const (
	InviteStateOpen    InviteState = 1 // waiting for its peer
	InviteStatePairing InviteState = 2 // a peer proved the code; the session is being set up
	InviteStateUsed    InviteState = 3
	InviteStateExpired InviteState = 4
	InviteStateRevoked InviteState = 5 // by RevokeInvite
	InviteStateBurned  InviteState = 6 // by a failed PAKE
)

func (s InviteState) String() string {
	switch s {
	case InviteStateOpen:
		return "open"
	case InviteStatePairing:
		return "pairing"
	case InviteStateUsed:
		return "used"
	case InviteStateExpired:
		return "expired"
	case InviteStateRevoked:
		return "revoked"
	case InviteStateBurned:
		return "burned"
	default:
		return fmt.Sprintf("invite state %d", uint8(s))
	}
}

// InviteInfo describes an invite registered with a Listener.
type InviteInfo struct {
	Nameplate int
	Expires   time.Time
	Grant     string
	State     InviteState
}

// maxInviteTombstones bounds how many finished invites a listener
// remembers, to tell a dialer that its invite was used, expired or
// revoked. Older ones are forgotten: a dialer then gets the refusal of a
// wrong code.
const maxInviteTombstones = 4096

type inviteEntry struct {
	code    string
	expires time.Time
	grant   string
	state   InviteState
	seq     uint64 // when it died, to match its place in the tombstone queue
}

// inviteTable holds a listener's invites: open ones, and tombstones of
// finished ones.
type inviteTable struct {
	now     func() time.Time
	onEvent func(InviteEvent)

	mu      sync.Mutex
	byPlate map[int]*inviteEntry
	dead    []tombRef // oldest first
	seq     uint64
}

type tombRef struct {
	nameplate int
	seq       uint64
}

func newInviteTable(onEvent func(InviteEvent)) *inviteTable {
	if onEvent == nil {
		onEvent = func(InviteEvent) {}
	}
	return &inviteTable{now: time.Now, onEvent: onEvent, byPlate: map[int]*inviteEntry{}}
}

func (s InviteState) live() bool { return s == InviteStateOpen || s == InviteStatePairing }

// finish moves e into a final state and queues its tombstone. Caller
// holds mu.
func (t *inviteTable) finish(np int, e *inviteEntry, st InviteState) {
	e.state = st
	t.seq++
	e.seq = t.seq
	t.dead = append(t.dead, tombRef{np, e.seq})
	for len(t.dead) > maxInviteTombstones {
		old := t.dead[0]
		t.dead = t.dead[1:]
		if x, ok := t.byPlate[old.nameplate]; ok && !x.state.live() && x.seq == old.seq {
			delete(t.byPlate, old.nameplate)
		}
	}
}

// expire finishes e if its time has passed. Caller holds mu.
func (t *inviteTable) expire(np int, e *inviteEntry) {
	if e.state == InviteStateOpen && !t.now().Before(e.expires) {
		t.finish(np, e, InviteStateExpired)
	}
}

// add registers an invite. taken reports nameplates it may not use (the
// listener code's).
func (t *inviteTable) add(code string, expires time.Time, grant string, taken func(int) bool) error {
	np, _, _, err := InviteCodeParts(code)
	if err != nil {
		return err
	}
	code, _ = NormalizeCode(code)
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.now().Before(expires) {
		return fmt.Errorf("transport: invite %d: %w", np, ErrInviteExpired)
	}
	if e, ok := t.byPlate[np]; ok {
		t.expire(np, e)
		if e.state.live() {
			return fmt.Errorf("transport: invite %d: %w by another invite", np, ErrNameplateTaken)
		}
	}
	if taken(np) {
		return fmt.Errorf("transport: invite %d: %w by the listener code", np, ErrNameplateTaken)
	}
	t.byPlate[np] = &inviteEntry{code: code, expires: expires, grant: grant, state: InviteStateOpen}
	return nil
}

// newInvite registers an invite with a fresh code on a free nameplate,
// preferring nameplates no recent invite had.
func (t *inviteTable) newInvite(expires time.Time, grant string, taken func(int) bool) (string, error) {
	free := func(np int, allowTomb bool) bool {
		if taken(np) {
			return false
		}
		e, ok := t.byPlate[np]
		if !ok {
			return true
		}
		t.expire(np, e)
		return allowTomb && !e.state.live()
	}
	t.mu.Lock()
	np := 0
	for range 64 {
		n, err := paircode.RandomNameplate()
		if err != nil {
			t.mu.Unlock()
			return "", err
		}
		if free(n, false) {
			np = n
			break
		}
	}
	if np == 0 { // crowded: take any nameplate that is not live
		start, err := paircode.RandomNameplate()
		if err != nil {
			t.mu.Unlock()
			return "", err
		}
		for i := range LastInviteNameplate - FirstInviteNameplate + 1 {
			n := FirstInviteNameplate + (start-FirstInviteNameplate+i)%(LastInviteNameplate-FirstInviteNameplate+1)
			if free(n, true) {
				np = n
				break
			}
		}
	}
	t.mu.Unlock()
	if np == 0 {
		return "", fmt.Errorf("transport: every invite nameplate is in use: %w", ErrNameplateTaken)
	}
	code, err := NewInviteCode(np)
	if err != nil {
		return "", err
	}
	if err := t.add(code, expires, grant, taken); err != nil {
		return "", err
	}
	return code, nil
}

func (t *inviteTable) revoke(np int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.byPlate[np]
	if !ok {
		return false
	}
	t.expire(np, e)
	if !e.state.live() {
		return false
	}
	t.finish(np, e, InviteStateRevoked)
	return true
}

func (t *inviteTable) info(np int) (InviteInfo, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.byPlate[np]
	if !ok {
		return InviteInfo{}, false
	}
	t.expire(np, e)
	return InviteInfo{Nameplate: np, Expires: e.expires, Grant: e.grant, State: e.state}, true
}

// has reports whether a live invite holds np.
func (t *inviteTable) has(np int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.byPlate[np]
	if ok {
		t.expire(np, e)
	}
	return ok && e.state.live()
}

// stateErr is the refusal for an invite that is not open.
func stateErr(np int, st InviteState) error {
	switch st {
	case InviteStateUsed, InviteStatePairing:
		return fmt.Errorf("invite %d: %w", np, ErrInviteUsed)
	case InviteStateExpired:
		return fmt.Errorf("invite %d: %w", np, ErrInviteExpired)
	default:
		return fmt.Errorf("invite %d: %w", np, ErrInviteRevoked)
	}
}

// acquire returns the pairing slot for a dialer that named np. An open
// invite gives its code; a finished one is refused with why; a nameplate
// the listener never heard of gets a slot with a random code, so the
// dialer fails exactly as with a wrong code. burned is set when the
// attempt burns the invite.
func (t *inviteTable) acquire(np int, remote net.Addr, burned *bool) (pairSlot, error) {
	t.mu.Lock()
	e, ok := t.byPlate[np]
	if ok {
		t.expire(np, e)
	}
	var st InviteState
	if ok {
		st = e.state
	}
	t.mu.Unlock()
	if !ok {
		code, err := NewInviteCode(np)
		if err != nil {
			return pairSlot{}, err
		}
		// Any real code differs from this one, so the proof fails; and
		// should a dialer guess it, it is refused all the same.
		return pairSlot{code: code, release: func(bool) {}, proved: func(bool) error {
			return fmt.Errorf("%w: key confirmation does not match (wrong code, or a relay in the middle)", ErrPairingFailed)
		}}, nil
	}
	if st != InviteStateOpen {
		return pairSlot{}, stateErr(np, st)
	}
	claimed := false
	slot := pairSlot{code: e.code, nameplate: np, grant: e.grant}
	slot.proved = func(ok bool) error {
		t.mu.Lock()
		t.expire(np, e)
		if e.state != InviteStateOpen {
			// Finished or claimed meanwhile: the same refusal whether this
			// dialer's proof held or not, so it learns nothing of its guess.
			st := e.state
			t.mu.Unlock()
			return stateErr(np, st)
		}
		if !ok {
			t.finish(np, e, InviteStateBurned)
			t.mu.Unlock()
			*burned = true
			t.onEvent(InviteEvent{Kind: InviteBurned, Nameplate: np, Grant: e.grant, Remote: remote})
			return nil
		}
		e.state = InviteStatePairing
		claimed = true
		t.mu.Unlock()
		return nil
	}
	var once sync.Once
	slot.release = func(ok bool) {
		once.Do(func() {
			if !claimed {
				return
			}
			t.mu.Lock()
			if e.state != InviteStatePairing {
				t.mu.Unlock()
				return
			}
			if !ok { // proven, then the connection failed: the peer may retry
				e.state = InviteStateOpen
				t.mu.Unlock()
				return
			}
			t.finish(np, e, InviteStateUsed)
			t.mu.Unlock()
			t.onEvent(InviteEvent{Kind: InviteUsed, Nameplate: np, Grant: e.grant, Remote: remote})
		})
	}
	return slot, nil
}
