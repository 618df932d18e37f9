package transport

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"qkdchat/identity"
)

// inviteEvents collects a listener's invite events.
type inviteEvents struct {
	mu sync.Mutex
	ev []InviteEvent
}

func (r *inviteEvents) add(e InviteEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ev = append(r.ev, e)
}

func (r *inviteEvents) count(kind InviteEventKind, nameplate int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.ev {
		if e.Kind == kind && e.Nameplate == nameplate {
			n++
		}
	}
	return n
}

func (r *inviteEvents) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.ev)
}

// inviteListener starts a listener with the listener code testCode, pins
// and an event recorder.
func inviteListener(t *testing.T) (*Listener, *inviteEvents, *PinSet) {
	t.Helper()
	ev := &inviteEvents{}
	pins := &PinSet{}
	cfg := testConfig("St Mary", "hospital", testCode)
	cfg.Pins = pins
	cfg.OnInvite = ev.add
	return startListener(t, cfg), ev, pins
}

func addInvite(t *testing.T, l *Listener, code, grant string) {
	t.Helper()
	if err := l.AddInvite(code, time.Now().Add(time.Hour), grant); err != nil {
		t.Fatalf("AddInvite(%s): %v", code, err)
	}
}

// joinWith pairs with code and checks both sides.
func joinWith(t *testing.T, l *Listener, name, code string) (d, s *Session) {
	t.Helper()
	acc := acceptSession(t, l)
	cfg := testConfig(name, "patient", code)
	cfg.PeerKey = testKey("St Mary").Public().(ed25519.PublicKey)
	d, err := dial(t, l, cfg)
	if err != nil {
		t.Fatalf("%s joining with %s: %v", name, code, err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatalf("%s joining with %s, listener: %v", name, code, r.err)
	}
	return d, r.s
}

func TestInviteWorksOnceAndNamesItself(t *testing.T) {
	l, ev, _ := inviteListener(t)
	addInvite(t, l, "4821-amber-falcon", "doctor")
	d, s := joinWith(t, l, "Dr Who", "4821 Amber Falcon")
	if p := s.Peer(); p.Nameplate != 4821 || p.Grant != "doctor" || p.Mode != ModePair || !p.NewlyPaired {
		t.Errorf("listener's PeerInfo %+v: want nameplate 4821, grant doctor", p)
	}
	if p := d.Peer(); p.Grant != "" {
		t.Errorf("the dialer must not learn the grant from the transport: %+v", p)
	}
	exchange(t, d, s)
	if ev.count(InviteUsed, 4821) != 1 {
		t.Errorf("events %+v: want one InviteUsed for 4821", ev.ev)
	}
	if info, ok := l.Invite(4821); !ok || info.State != InviteStateUsed {
		t.Errorf("Invite(4821) = %+v, %v; want used", info, ok)
	}

	// Reuse is refused, on both sides, with words the dialer can show.
	acc := acceptOne(t, l)
	_, err := dial(t, l, testConfig("Mallory", "doctor", "4821-amber-falcon"))
	var pa *PeerAbortError
	if !errors.Is(err, ErrInviteUsed) || !errors.As(err, &pa) || !strings.Contains(err.Error(), "this invite was already used") {
		t.Fatalf("reusing an invite: %v, want ErrInviteUsed from the listener", err)
	}
	if r := <-acc; !errors.Is(r.err, ErrInviteUsed) {
		t.Errorf("listener: %v, want ErrInviteUsed", r.err)
	}
}

func TestInviteExpires(t *testing.T) {
	l, _, _ := inviteListener(t)
	now := time.Now()
	var mu sync.Mutex
	l.invites.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	if err := l.AddInvite("4821-amber-falcon", now.Add(-time.Second), "patient"); !errors.Is(err, ErrInviteExpired) {
		t.Errorf("adding an expired invite: %v, want ErrInviteExpired", err)
	}
	if err := l.AddInvite("4821-amber-falcon", now.Add(72*time.Hour), "patient"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	now = now.Add(72 * time.Hour)
	mu.Unlock()
	acc := acceptOne(t, l)
	_, err := dial(t, l, testConfig("Alice", "patient", "4821-amber-falcon"))
	if !errors.Is(err, ErrInviteExpired) || !strings.Contains(err.Error(), "this invite has expired") {
		t.Fatalf("expired invite: %v, want ErrInviteExpired", err)
	}
	if r := <-acc; !errors.Is(r.err, ErrInviteExpired) {
		t.Errorf("listener: %v, want ErrInviteExpired", r.err)
	}
	if info, _ := l.Invite(4821); info.State != InviteStateExpired {
		t.Errorf("state %v, want expired", info.State)
	}
}

func TestInviteRevoked(t *testing.T) {
	l, _, _ := inviteListener(t)
	addInvite(t, l, "4821-amber-falcon", "patient")
	if !l.RevokeInvite(4821) || l.RevokeInvite(4821) || l.RevokeInvite(4822) {
		t.Fatal("RevokeInvite reports whether a live invite was revoked")
	}
	if _, err := dial(t, l, testConfig("Alice", "patient", "4821-amber-falcon")); !errors.Is(err, ErrInviteRevoked) {
		t.Fatalf("revoked invite: %v, want ErrInviteRevoked", err)
	}
	// The nameplate can be given to a new invite.
	addInvite(t, l, "4821-acorn-almond", "patient")
	joinWith(t, l, "Alice", "4821-acorn-almond")
}

// TestInviteWrongGuessesBurnOnlyThatInvite is the attack of issue 14: ten
// wrong guesses on one invite. The first burns it (reported once, with its
// nameplate); the rest are refused. Another invite, the listener code and
// a pinned contact all keep working.
func TestInviteWrongGuessesBurnOnlyThatInvite(t *testing.T) {
	l, ev, pins := inviteListener(t)
	// A pinned contact, paired earlier with the listener code.
	alice := testConfig("Alice", "patient", testCode)
	_, as := joinWith(t, l, "Alice", testCode)
	pins.Pin("Alice", "patient", as.Peer().Identity)
	hpins := &PinSet{}
	hpins.Pin("St Mary", "hospital", testKey("St Mary").Public().(ed25519.PublicKey))

	addInvite(t, l, "4821-amber-falcon", "doctor")
	addInvite(t, l, "733-acorn-almond", "patient")
	var reported int
	for i := range 10 {
		acc := acceptOne(t, l)
		_, err := dial(t, l, testConfig("Mallory", "doctor", fmt.Sprintf("4821-amber-%s", pairingWords()[i+1])))
		want := ErrPairingFailed
		if i > 0 {
			want = ErrInviteRevoked
		}
		if !errors.Is(err, want) {
			t.Fatalf("guess %d: %v, want %v", i, err, want)
		}
		r := <-acc
		if !errors.Is(r.err, want) {
			t.Fatalf("guess %d, listener: %v, want %v", i, r.err, want)
		}
		var he *HandshakeError
		if errors.As(r.err, &he) {
			reported++
		}
	}
	if n := ev.count(InviteBurned, 4821); n != 1 || ev.total() != 1 {
		t.Errorf("events %+v: want exactly one InviteBurned for 4821", ev.ev)
	}
	if reported != 10 {
		t.Errorf("%d of 10 failures reported by Accept", reported)
	}
	// The right code for the burned invite no longer works...
	if _, err := dial(t, l, testConfig("Dr Who", "doctor", "4821-amber-falcon")); !errors.Is(err, ErrInviteRevoked) ||
		!strings.Contains(err.Error(), "ask for a new one") {
		t.Errorf("right code on a burned invite: %v, want ErrInviteRevoked", err)
	}
	// ...but everything else does.
	joinWith(t, l, "Bob", "733-acorn-almond")
	if l.Code() != testCode {
		t.Errorf("listener code %q after guesses on an invite", l.Code())
	}
	joinWith(t, l, "Carol", testCode)
	alice.Code, alice.Pins = "", hpins
	acc := acceptSession(t, l)
	d, err := dial(t, l, alice)
	if err != nil {
		t.Fatalf("pinned reconnect after the guesses: %v", err)
	}
	if r := <-acc; r.err != nil || d.Peer().Mode != ModePinned {
		t.Fatalf("pinned reconnect: %v, mode %v", r.err, d.Peer().Mode)
	}
}

// TestInviteUnknownNameplateLooksLikeWrongCode: a guess at a nameplate no
// invite holds gets exactly the refusal a wrong code gets, burns nothing
// and costs the listener code nothing.
func TestInviteUnknownNameplateLooksLikeWrongCode(t *testing.T) {
	l, ev, _ := inviteListener(t)
	addInvite(t, l, "4821-amber-falcon", "doctor")
	_, unknownErr := dial(t, l, testConfig("Mallory", "doctor", "5555-amber-falcon"))
	_, wrongErr := dial(t, l, testConfig("Mallory", "doctor", "4821-amber-acorn"))
	if !errors.Is(unknownErr, ErrPairingFailed) || unknownErr.Error() != wrongErr.Error() {
		t.Errorf("unknown nameplate: %v\nwrong code:        %v\nwant the same refusal", unknownErr, wrongErr)
	}
	var pu, pw *PeerAbortError
	if !errors.As(unknownErr, &pu) || !errors.As(wrongErr, &pw) || pu.Reason != pw.Reason {
		t.Errorf("abort reasons differ: %v / %v", unknownErr, wrongErr)
	}
	if ev.count(InviteBurned, 5555) != 0 || ev.count(InviteBurned, 4821) != 1 {
		t.Errorf("events %+v", ev.ev)
	}
	for range DefaultMaxPairFailures + 1 {
		dial(t, l, testConfig("Mallory", "doctor", "6666-amber-falcon"))
	}
	if l.Code() != testCode {
		t.Error("guesses at unknown nameplates disabled the listener code")
	}
}

// TestInviteSurvivesAttemptsThatDieBeforeTheProof: a dialer that stops
// before sending its key confirmation (a relay that drops the connection,
// a peer that goes silent until the handshake timeout) has learnt nothing
// it could test a guess against, so the invite stays usable.
func TestInviteSurvivesAttemptsThatDieBeforeTheProof(t *testing.T) {
	ev := &inviteEvents{}
	cfg := testConfig("St Mary", "hospital", testCode)
	cfg.OnInvite = ev.add
	cfg.HandshakeTimeout = 2 * time.Second
	l := startListener(t, cfg)
	addInvite(t, l, "4821-amber-falcon", "patient")

	// A relay that forwards everything to the listener until its PAKE
	// message and then drops both sides.
	r := startRelay(t, l.Addr().String(), dropAfterPake)
	for i := range 3 {
		acc := acceptOne(t, l)
		dcfg := testConfig("Alice", "patient", "4821-amber-falcon")
		if _, err := Connect(testCtx(t), r.addr(), dcfg); err == nil {
			t.Fatalf("attempt %d through a dropping relay succeeded", i)
		}
		<-acc
	}
	// A peer that sends its Hello and PAKE value, then goes silent until
	// the listener times it out.
	for range 2 {
		acc := acceptOne(t, l)
		tc := rawPairStart(t, l, "4821-amber-falcon")
		// Until it proves the code, the listener sends it nothing keyed
		// by the PAKE: only its Hello and PAKE value, then it gives up.
		for {
			f, err := ReadFrame(tc, hsMaxFrame)
			if err != nil {
				break
			}
			if f.Type != FrameHello && f.Type != FramePake && f.Type != FrameAbort {
				t.Fatalf("the listener sent frame %#x to a peer that has not proved the code", f.Type)
			}
		}
		if res := <-acc; res.err == nil {
			t.Fatal("a silent peer got a session")
		}
		tc.Close()
	}
	if ev.total() != 0 {
		t.Errorf("events %+v after attempts that never proved anything", ev.ev)
	}
	joinWith(t, l, "Alice", "4821-amber-falcon")
}

// dropAfterPake is a relay that forwards the handshake until the
// listener's PAKE value and then drops both sides.
func dropAfterPake(a, b *tls.Conn) {
	defer a.Close()
	defer b.Close()
	toD, toL := &hsConn{rw: a}, &hsConn{rw: b}
	for _, want := range []FrameType{FrameHello, FramePake} {
		f, err := toD.recv(want, false)
		if err != nil || toL.send(f, false) != nil {
			return
		}
	}
	for _, want := range []FrameType{FrameHello, FramePake} {
		f, err := toL.recv(want, false)
		if err != nil || toD.send(f, false) != nil {
			return
		}
	}
}

// TestListenerCodeSurvivesDroppedAttempts: the same holds for the
// listener code, with dialers that know nothing of invites (their
// messages are unchanged): attempts that die before the dialer's proof
// are not counted as failed guesses.
func TestListenerCodeSurvivesDroppedAttempts(t *testing.T) {
	cfg := testConfig("Hospital", "hospital", testCode)
	cfg.MaxPairFailures = 2
	cfg.HandshakeTimeout = 2 * time.Second
	l := startListener(t, cfg)
	r := startRelay(t, l.Addr().String(), dropAfterPake)
	for i := range 3 {
		acc := acceptOne(t, l)
		if _, err := Connect(testCtx(t), r.addr(), testConfig("Alice", "patient", testCode)); err == nil {
			t.Fatalf("attempt %d through a dropping relay succeeded", i)
		}
		<-acc
	}
	acc := acceptOne(t, l)
	tc := rawPairStart(t, l, testCode)
	for {
		f, err := ReadFrame(tc, hsMaxFrame)
		if err != nil {
			break
		}
		if f.Type != FrameHello && f.Type != FramePake && f.Type != FrameAbort {
			t.Fatalf("the listener sent frame %#x to a peer that has not proved the code", f.Type)
		}
	}
	<-acc
	if l.Code() != testCode {
		t.Fatalf("listener code disabled by attempts that never proved anything")
	}
	acc = acceptSession(t, l)
	if _, err := dial(t, l, testConfig("Alice", "patient", testCode)); err != nil {
		t.Fatalf("pairing after dropped attempts: %v", err)
	}
	if r := <-acc; r.err != nil {
		t.Fatal(r.err)
	}
}

// rawPairStart opens a TLS connection and sends a pairing Hello and PAKE
// value for code, then reads nothing more.
func rawPairStart(t *testing.T, l *Listener, code string) *tls.Conn {
	t.Helper()
	c := rawDial(t, l)
	if err := WritePreamble(c, KindClassical); err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(c, clientTLSConfig())
	if err := tc.HandshakeContext(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	cfg, err := testConfig("Silent", "patient", code).withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	h := cfg.hello(ModePair)
	h.Nameplate = CodeNameplate(cfg.Code)
	hb, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	pp, err := newPakeParty(cfg.Code, pakeDialer)
	if err != nil {
		t.Fatal(err)
	}
	x, _ := pp.message()
	if WriteFrame(tc, Frame{Type: FrameHello, Payload: hb}) != nil || WriteFrame(tc, Frame{Type: FramePake, Payload: x}) != nil {
		t.Fatal("write")
	}
	return tc
}

// TestInviteConcurrentGuessesGetOneTry: many wrong guesses at one invite
// at once still burn it once, and every one fails.
func TestInviteConcurrentGuessesGetOneTry(t *testing.T) {
	l, ev, _ := inviteListener(t)
	addInvite(t, l, "4821-amber-falcon", "doctor")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := Connect(testCtx(t), l.Addr().String(), testConfig("Mallory", "doctor", fmt.Sprintf("4821-acorn-%s", pairingWords()[i+1])))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err == nil || !(errors.Is(err, ErrPairingFailed) || errors.Is(err, ErrInviteRevoked)) {
			t.Errorf("concurrent guess: %v", err)
		}
	}
	if ev.count(InviteBurned, 4821) != 1 {
		t.Errorf("events %+v: want one burn", ev.ev)
	}
}

// TestListenerCodeFailuresLeaveInvites: exhausting the listener code does
// not touch invites.
func TestListenerCodeFailuresLeaveInvites(t *testing.T) {
	l, ev, _ := inviteListener(t)
	addInvite(t, l, "4821-amber-falcon", "patient")
	for i := range DefaultMaxPairFailures {
		if _, err := dial(t, l, testConfig("Mallory", "patient", fmt.Sprintf("%d-amber-falcon", 10+i))); !errors.Is(err, ErrPairingFailed) {
			t.Fatal(err)
		}
	}
	if l.Code() != "" {
		t.Fatal("the listener code should be disabled")
	}
	joinWith(t, l, "Alice", "4821-amber-falcon")
	if ev.count(InviteBurned, 4821) != 0 {
		t.Error("listener code guesses burned an invite")
	}
}

func TestInviteRegistration(t *testing.T) {
	l, _, _ := inviteListener(t)
	exp := time.Now().Add(time.Hour)
	for _, code := range []string{"42-amber-falcon", "amber-falcon-acorn", "4821-amber-falcom", "10000-amber-falcon"} {
		if err := l.AddInvite(code, exp, "x"); err == nil {
			t.Errorf("AddInvite(%q) accepted a code that is not an invite code", code)
		}
	}
	addInvite(t, l, "4821-amber-falcon", "patient")
	if err := l.AddInvite("4821-acorn-almond", exp, "patient"); !errors.Is(err, ErrNameplateTaken) {
		t.Errorf("second invite on nameplate 4821: %v", err)
	}
	// A custom listener code may not take an invite's nameplate, nor the
	// reverse.
	if _, err := l.SetCode("4821-acorn-almond"); !errors.Is(err, ErrNameplateTaken) {
		t.Errorf("SetCode on an invite's nameplate: %v", err)
	}
	if _, err := l.SetCode("777-acorn-almond"); err != nil {
		t.Fatal(err)
	}
	if err := l.AddInvite("777-amber-falcon", exp, "patient"); !errors.Is(err, ErrNameplateTaken) {
		t.Errorf("invite on the listener code's nameplate: %v", err)
	}
	seen := map[int]bool{4821: true, 777: true}
	for range 200 {
		code, err := l.NewInvite(exp, "doctor")
		if err != nil {
			t.Fatal(err)
		}
		np := CodeNameplate(code)
		if np == 0 || seen[np] {
			t.Fatalf("NewInvite gave %q: nameplate taken or outside the range", code)
		}
		seen[np] = true
		if info, ok := l.Invite(np); !ok || info.State != InviteStateOpen || info.Grant != "doctor" || !info.Expires.Equal(exp) {
			t.Fatalf("Invite(%d) = %+v", np, info)
		}
	}
	// A custom listener code on nameplate 777 still pairs with it.
	joinWith(t, l, "Alice", "777-acorn-almond")
}

func TestHelloNameplate(t *testing.T) {
	h := Hello{Version: ProtocolVersion, Mode: ModePair, Identity: testKey("a").Public().(ed25519.PublicKey), Name: "Alice", Role: "patient"}
	old, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	h.Nameplate = 4821
	b, err := h.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if string(b[:len(old)]) != string(old) || len(b) != len(old)+3 {
		t.Fatalf("the nameplate must be an optional field after today's Hello: %x / %x", old, b)
	}
	got, err := ParseHello(b)
	if err != nil || got.Nameplate != 4821 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	if got, err := ParseHello(old); err != nil || got.Nameplate != 0 {
		t.Fatalf("today's Hello: %+v, %v", got, err)
	}
	for name, mut := range map[string]func([]byte) []byte{
		"nameplate 99":      func(b []byte) []byte { b[len(b)-2], b[len(b)-1] = 0, 99; return b },
		"nameplate 10000":   func(b []byte) []byte { b[len(b)-2], b[len(b)-1] = 0x27, 0x10; return b },
		"unknown field":     func(b []byte) []byte { b[len(b)-3] = 2; return b },
		"cut field":         func(b []byte) []byte { return b[:len(b)-1] },
		"trailing byte":     func(b []byte) []byte { return append(b, 0) },
		"in pinned mode":    func(b []byte) []byte { b[1] = byte(ModePinned); return b },
		"field given twice": func(b []byte) []byte { return append(b, b[len(b)-3:]...) },
	} {
		if _, err := ParseHello(mut(append([]byte(nil), b...))); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v, want ErrMalformed", name, err)
		}
	}
}

// TestDialerChecksInviterKeyBeforeProof: a dialer that knows the
// inviter's key refuses another listener before sending its key
// confirmation, so an impostor at the invite's address learns nothing it
// could test a guess of the code against.
func TestDialerChecksInviterKeyBeforeProof(t *testing.T) {
	impostor := startListener(t, testConfig("St Mary", "hospital", testCode))
	if err := impostor.AddInvite("4821-amber-falcon", time.Now().Add(time.Hour), "doctor"); err != nil {
		t.Fatal(err)
	}
	acc := acceptOne(t, impostor)
	cfg := testConfig("Alice", "patient", "4821-amber-falcon")
	cfg.PeerKey = testKey("the real St Mary").Public().(ed25519.PublicKey)
	if _, err := dial(t, impostor, cfg); !errors.Is(err, identity.ErrChanged) {
		t.Fatalf("dialer: %v, want ErrIdentityChanged", err)
	}
	r := <-acc
	var pa *PeerAbortError
	if !errors.As(r.err, &pa) || pa.Reason != AbortIdentityChanged {
		t.Errorf("impostor: %v; want the dialer's abort before any confirmation", r.err)
	}
	if info, _ := impostor.Invite(4821); info.State != InviteStateOpen {
		t.Errorf("impostor's invite %+v", info)
	}
}

// TestInviteTableAnswersAlike: once an invite is burned, claimed or used,
// a concurrent attempt gets the same answer whether its proof held or
// not, so racing guesses learn nothing from each other.
func TestInviteTableAnswersAlike(t *testing.T) {
	for _, finish := range []string{"burned", "pairing", "used", "revoked"} {
		tab := newInviteTable(nil)
		if err := tab.add("4821-amber-falcon", time.Now().Add(time.Hour), "g", func(int) bool { return false }); err != nil {
			t.Fatal(err)
		}
		var b1, b2, b3 bool
		first, err := tab.acquire(4821, nil, &b1)
		if err != nil {
			t.Fatal(err)
		}
		right, _ := tab.acquire(4821, nil, &b2)
		wrong, _ := tab.acquire(4821, nil, &b3)
		switch finish {
		case "burned":
			first.proved(false)
		case "pairing":
			first.proved(true)
		case "used":
			first.proved(true)
			first.release(true)
		case "revoked":
			tab.revoke(4821)
		}
		e1, e2 := right.proved(true), wrong.proved(false)
		if e1 == nil || e2 == nil || e1.Error() != e2.Error() || b2 || b3 {
			t.Errorf("%s: right proof %v, wrong proof %v; want the same refusal and no second burn", finish, e1, e2)
		}
	}
}

// TestDialerChecksInviteFingerprint: an invite carries only the 128-bit
// fingerprint of the inviter's key; a dialer given it (PeerFingerprint)
// refuses any other listener before its proof, and pairs with the right
// one.
func TestDialerChecksInviteFingerprint(t *testing.T) {
	fp := func(name string) [16]byte {
		sum := sha256.Sum256(testKey(name).Public().(ed25519.PublicKey))
		return [16]byte(sum[:16])
	}
	impostor := startListener(t, testConfig("St Mary", "hospital", testCode))
	if err := impostor.AddInvite("4821-amber-falcon", time.Now().Add(time.Hour), "doctor"); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig("Alice", "patient", "4821-amber-falcon")
	cfg.PeerFingerprint = fp("the real St Mary")
	acc := acceptOne(t, impostor)
	if _, err := dial(t, impostor, cfg); !errors.Is(err, identity.ErrChanged) {
		t.Fatalf("dialer: %v, want ErrIdentityChanged", err)
	}
	var pa *PeerAbortError
	if r := <-acc; !errors.As(r.err, &pa) || pa.Reason != AbortIdentityChanged {
		t.Errorf("impostor: %v; want the dialer's abort before any confirmation", r.err)
	}
	if info, _ := impostor.Invite(4821); info.State != InviteStateOpen {
		t.Errorf("impostor's invite %+v", info)
	}
	cfg.PeerFingerprint = fp("St Mary")
	acc = acceptSession(t, impostor)
	d, err := dial(t, impostor, cfg)
	if err != nil {
		t.Fatalf("the right fingerprint: %v", err)
	}
	if r := <-acc; r.err != nil || !d.Peer().NewlyPaired {
		t.Fatalf("listener: %v", r.err)
	}
}

// TestDialerToListenerWithoutInvites: a listener of a version without
// invites refuses a Hello with a nameplate as malformed; the dialer says
// what that probably means.
func TestDialerToListenerWithoutInvites(t *testing.T) {
	l := startListener(t, testConfig("Hospital", "hospital", testCode))
	r := startRelay(t, l.Addr().String(), func(a, _ *tls.Conn) {
		toD := &hsConn{rw: a}
		if _, err := toD.recv(FrameHello, false); err == nil {
			WriteFrame(a, Frame{Type: FrameAbort, Payload: []byte{byte(AbortProtocol)}})
			a.CloseWrite()
			io.Copy(io.Discard, a)
		}
	})
	_, err := Connect(testCtx(t), r.addr(), testConfig("Alice", "patient", "4821-amber-falcon"))
	if err == nil || !strings.Contains(err.Error(), "a version without invites") {
		t.Errorf("old listener: %v", err)
	}
}
