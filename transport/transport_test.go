package transport

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"qkdchat/identity"
)

const testCode = "4-amber-falcon"

// testKey is a deterministic identity key per name.
func testKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("test identity " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func testConfig(name, role, code string) Config {
	return Config{Identity: testKey(name), Name: name, Role: role, Code: code, HandshakeTimeout: 10 * time.Second}
}

func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startListener(t *testing.T, cfg Config) *Listener {
	t.Helper()
	l, err := Listen(testCtx(t), "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

type acceptResult struct {
	s   *Session
	err error
}

// acceptOne collects the listener's next result in the background.
func acceptOne(t *testing.T, l *Listener) <-chan acceptResult {
	t.Helper()
	ch := make(chan acceptResult, 1)
	ctx := testCtx(t)
	go func() {
		s, err := l.Accept(ctx)
		if s != nil {
			t.Cleanup(func() { s.Close() })
		}
		ch <- acceptResult{s, err}
	}()
	return ch
}

// acceptSession is acceptOne that skips reported handshake failures.
func acceptSession(t *testing.T, l *Listener) <-chan acceptResult {
	t.Helper()
	ch := make(chan acceptResult, 1)
	ctx := testCtx(t)
	go func() {
		for {
			s, err := l.Accept(ctx)
			var he *HandshakeError
			if errors.As(err, &he) {
				continue
			}
			if s != nil {
				t.Cleanup(func() { s.Close() })
			}
			ch <- acceptResult{s, err}
			return
		}
	}()
	return ch
}

func dial(t *testing.T, l *Listener, cfg Config) (*Session, error) {
	t.Helper()
	s, err := Connect(testCtx(t), l.Addr().String(), cfg)
	if s != nil {
		t.Cleanup(func() { s.Close() })
	}
	return s, err
}

// exchange checks that frames flow both ways on both channels.
func exchange(t *testing.T, a, b *Session) {
	t.Helper()
	ctx := testCtx(t)
	msg := []byte("hello " + a.Peer().Name)
	errc := make(chan error, 2)
	go func() { errc <- a.Send(ctx, Frame{Type: FirstAppFrame, Payload: msg}) }()
	go func() { errc <- a.SendQuantum(ctx, []byte{1, 0, 1, 1}) }()
	f, err := b.Recv(ctx)
	if err != nil || f.Type != FirstAppFrame || !bytes.Equal(f.Payload, msg) {
		t.Fatalf("Recv = %v %q, %v", f.Type, f.Payload, err)
	}
	q, err := b.RecvQuantum(ctx)
	if err != nil || !bytes.Equal(q, []byte{1, 0, 1, 1}) {
		t.Fatalf("RecvQuantum = %v, %v", q, err)
	}
	for range 2 {
		if err := <-errc; err != nil {
			t.Fatalf("send: %v", err)
		}
	}
}

func TestPairingSucceeds(t *testing.T) {
	var logs lockedBuffer
	lcfg := testConfig("St Mary Hospital", "hospital", testCode)
	lcfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	l := startListener(t, lcfg)
	if l.Code() != testCode {
		t.Fatalf("Code() = %q", l.Code())
	}
	acc := acceptOne(t, l)
	dcfg := testConfig("Alice", "patient", "4 Amber  FALCON") // typed loosely
	dcfg.Logger = lcfg.Logger
	d, err := dial(t, l, dcfg)
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatalf("Accept: %v", r.err)
	}
	s := r.s
	dp, sp := d.Peer(), s.Peer()
	if !dp.Identity.Equal(testKey("St Mary Hospital").Public()) || dp.Name != "St Mary Hospital" || dp.Role != "hospital" {
		t.Errorf("dialer sees %+v", dp)
	}
	if !sp.Identity.Equal(testKey("Alice").Public()) || sp.Name != "Alice" || sp.Role != "patient" {
		t.Errorf("listener sees %+v", sp)
	}
	for _, p := range []PeerInfo{dp, sp} {
		if p.Mode != ModePair || !p.NewlyPaired || p.Curve != tls.X25519MLKEM768 || p.Fingerprint != identity.Fingerprint(p.Identity) {
			t.Errorf("peer info %+v: want pair mode, newly paired, X25519MLKEM768", p)
		}
	}
	if !dp.Initiator || sp.Initiator {
		t.Errorf("Initiator: dialer %v, listener %v", dp.Initiator, sp.Initiator)
	}
	exchange(t, d, s)
	exchange(t, s, d)

	k1, err := d.Exporter("EXPORTER-qkdchat-test", []byte("ctx"), 32)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := s.Exporter("EXPORTER-qkdchat-test", []byte("ctx"), 32)
	if err != nil {
		t.Fatal(err)
	}
	k3, _ := s.Exporter("EXPORTER-qkdchat-other", []byte("ctx"), 32)
	if !bytes.Equal(k1, k2) || bytes.Equal(k1, k3) {
		t.Errorf("exporter: both sides must agree per label: %x %x %x", k1, k2, k3)
	}
	if _, err := d.Exporter(bindingLabel, nil, 32); err == nil {
		t.Error("the channel binding label must be reserved")
	}
	d.Close()
	if _, err := s.Recv(testCtx(t)); !errors.Is(err, io.EOF) {
		t.Errorf("Recv after the peer closed = %v, want EOF", err)
	}
	if _, err := d.Recv(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Recv after Close = %v, want ErrClosed", err)
	}
	if strings.Contains(logs.String(), "amber") || strings.Contains(logs.String(), "falcon") {
		t.Errorf("the pairing code leaked into the log:\n%s", logs.String())
	}
}

func TestWrongCodeFailsOnBothSides(t *testing.T) {
	var logs lockedBuffer
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	l := startListener(t, lcfg)
	acc := acceptOne(t, l)
	d, err := dial(t, l, testConfig("Mallory", "patient", "5-amber-falcon"))
	if d != nil || !errors.Is(err, ErrPairingFailed) || !strings.Contains(err.Error(), "pairing failed") {
		t.Fatalf("dialer: session %v, err %v; want pairing failed", d, err)
	}
	r := <-acc
	var he *HandshakeError
	if r.s != nil || !errors.As(r.err, &he) || !errors.Is(r.err, ErrPairingFailed) || !strings.Contains(r.err.Error(), "pairing failed") {
		t.Fatalf("listener: session %v, err %v; want a HandshakeError with pairing failed", r.s, r.err)
	}
	if !strings.Contains(logs.String(), "pairing failed") {
		t.Errorf("the listener should log why: %s", logs.String())
	}
	if strings.Contains(logs.String(), "amber") {
		t.Errorf("a pairing code leaked into the log:\n%s", logs.String())
	}
	// The listener still pairs the right peer.
	acc = acceptOne(t, l)
	if _, err := dial(t, l, testConfig("Alice", "patient", testCode)); err != nil {
		t.Fatalf("right code after a wrong one: %v", err)
	}
	if r := <-acc; r.err != nil {
		t.Fatal(r.err)
	}
}

func TestCodeDisabledAfterFailures(t *testing.T) {
	cfg := testConfig("Hospital", "hospital", testCode)
	cfg.MaxPairFailures = 2
	l := startListener(t, cfg)
	for i := range 2 {
		if _, err := dial(t, l, testConfig("Mallory", "patient", fmt.Sprintf("%d-amber-falcon", 10+i))); !errors.Is(err, ErrPairingFailed) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	if l.Code() != "" {
		t.Errorf("Code() = %q after the limit, want empty", l.Code())
	}
	// Even the right code is refused now, and the dialer is told why.
	_, err := dial(t, l, testConfig("Alice", "patient", testCode))
	var pa *PeerAbortError
	if !errors.Is(err, ErrCodeExhausted) || !errors.As(err, &pa) {
		t.Fatalf("right code on a disabled listener: %v, want ErrCodeExhausted from the peer", err)
	}
	code, err := l.SetCode("")
	if err != nil || code == testCode || l.Code() != code {
		t.Fatalf("SetCode: %q, %v (Code %q)", code, err, l.Code())
	}
	acc := acceptSession(t, l)
	if _, err := dial(t, l, testConfig("Alice", "patient", code)); err != nil {
		t.Fatalf("pairing with the new code: %v", err)
	}
	if r := <-acc; r.err != nil {
		t.Fatal(r.err)
	}
}

// pairAndPin pairs a dialer and a listener once and returns PinSets in
// which each has pinned the other, as the app does after pairing.
func pairAndPin(t *testing.T, l *Listener, lcfg, dcfg Config) (lp, dp *PinSet) {
	t.Helper()
	acc := acceptOne(t, l)
	d, err := dial(t, l, dcfg)
	if err != nil {
		t.Fatalf("pairing: %v", err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatalf("pairing: %v", r.err)
	}
	lp, dp = &PinSet{}, &PinSet{}
	dp.Pin(d.Peer().Name, d.Peer().Role, d.Peer().Identity)
	lp.Pin(r.s.Peer().Name, r.s.Peer().Role, r.s.Peer().Identity)
	d.Close()
	r.s.Close()
	return lp, dp
}

func TestPinnedReconnect(t *testing.T) {
	lcfg := testConfig("Hospital", "hospital", testCode)
	lpins := &PinSet{}
	lcfg.Pins = lpins
	l := startListener(t, lcfg)
	dcfg := testConfig("Alice", "patient", testCode)
	got, dpins := pairAndPin(t, l, lcfg, dcfg)
	lpins.Pin("Alice", "patient", testKey("Alice").Public().(ed25519.PublicKey))
	if !got.Pinned(testKey("Alice").Public().(ed25519.PublicKey)) {
		t.Fatal("pairAndPin did not pin the dialer")
	}

	dcfg.Code = ""
	dcfg.Pins = dpins
	acc := acceptOne(t, l)
	d, err := dial(t, l, dcfg)
	if err != nil {
		t.Fatalf("pinned reconnect: %v", err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatalf("pinned reconnect, listener: %v", r.err)
	}
	for _, p := range []PeerInfo{d.Peer(), r.s.Peer()} {
		if p.Mode != ModePinned || p.NewlyPaired || p.Curve != tls.X25519MLKEM768 {
			t.Errorf("peer info %+v: want pinned, not newly paired", p)
		}
	}
	exchange(t, d, r.s)

	// A reconnect that names the expected key works without Pins too.
	acc = acceptOne(t, l)
	if _, err := dial(t, l, Config{Identity: dcfg.Identity, Name: "Alice", Role: "patient",
		PeerKey: testKey("Hospital").Public().(ed25519.PublicKey)}); err != nil {
		t.Fatalf("reconnect with PeerKey: %v", err)
	}
	if r := <-acc; r.err != nil {
		t.Fatal(r.err)
	}
}

func TestChangedIdentityRefused(t *testing.T) {
	lpins := &PinSet{}
	lpins.Pin("Alice", "patient", testKey("Alice").Public().(ed25519.PublicKey))
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.Pins = lpins
	l := startListener(t, lcfg)
	dpins := &PinSet{}
	dpins.Pin("Hospital", "hospital", testKey("Hospital").Public().(ed25519.PublicKey))

	impostor := testConfig("Alice", "patient", "")
	impostor.Identity = testKey("Alice reinstalled")
	impostor.Pins = dpins
	for _, mode := range []string{"pinned", "pair"} {
		if mode == "pair" {
			impostor.Code = testCode // knowing the code does not help either
		}
		acc := acceptOne(t, l)
		_, err := dial(t, l, impostor)
		if !errors.Is(err, identity.ErrChanged) || !strings.Contains(err.Error(), "this contact's identity key changed") {
			t.Errorf("%s mode, dialer: %v, want identity.ErrChanged", mode, err)
		}
		if r := <-acc; !errors.Is(r.err, identity.ErrChanged) {
			t.Errorf("%s mode, listener: %v, want identity.ErrChanged", mode, r.err)
		}
	}

	// The dialer refuses a listener whose key is not the one it expects.
	dcfg := testConfig("Alice", "patient", "")
	dcfg.PeerKey = testKey("Some other hospital").Public().(ed25519.PublicKey)
	acc := acceptOne(t, l)
	if _, err := dial(t, l, dcfg); !errors.Is(err, identity.ErrChanged) {
		t.Errorf("unexpected listener key, dialer: %v", err)
	}
	if r := <-acc; !errors.Is(r.err, identity.ErrChanged) {
		t.Errorf("unexpected listener key, listener: %v", r.err)
	}
}

func TestUnknownContactRefused(t *testing.T) {
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.Pins = &PinSet{}
	l := startListener(t, lcfg)
	dpins := &PinSet{}
	dpins.Pin("Hospital", "hospital", testKey("Hospital").Public().(ed25519.PublicKey))
	dcfg := testConfig("Bob", "patient", "")
	dcfg.Pins = dpins
	acc := acceptOne(t, l)
	_, err := dial(t, l, dcfg)
	if !errors.Is(err, ErrUnknownContact) || !strings.Contains(err.Error(), "unknown contact: pair with a code first") {
		t.Errorf("dialer: %v", err)
	}
	if r := <-acc; !errors.Is(r.err, ErrUnknownContact) {
		t.Errorf("listener: %v", r.err)
	}
	// A listener without pins refuses pinned mode the same way.
	l2 := startListener(t, testConfig("Clinic", "hospital", testCode))
	if _, err := dial(t, l2, dcfg); !errors.Is(err, ErrUnknownContact) {
		t.Errorf("listener without pins: %v", err)
	}
	// And a dialer refuses a listener it has not pinned.
	if _, err := Connect(testCtx(t), l.Addr().String(), Config{Identity: testKey("Bob"), Name: "Bob", Pins: &PinSet{}}); !errors.Is(err, ErrUnknownContact) {
		t.Errorf("dialer without the listener pinned: %v", err)
	}
}

func TestSendLimits(t *testing.T) {
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.MaxFrame = 100
	l := startListener(t, lcfg)
	acc := acceptOne(t, l)
	dcfg := testConfig("Alice", "patient", testCode)
	dcfg.MaxFrame = 100
	d, err := dial(t, l, dcfg)
	if err != nil {
		t.Fatal(err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	ctx := testCtx(t)
	if err := d.Send(ctx, Frame{Type: FrameHello, Payload: []byte("x")}); !errors.Is(err, ErrUnexpectedFrame) {
		t.Errorf("reserved type: %v", err)
	}
	if err := d.Send(ctx, Frame{Type: FirstAppFrame, Payload: make([]byte, 101)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversize send: %v", err)
	}
	if err := d.SendQuantum(ctx, make([]byte, 101)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversize quantum send: %v", err)
	}
	if d.Err() != nil {
		t.Fatalf("a refused send must not end the session: %v", d.Err())
	}
	exchange(t, d, r.s)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := d.Recv(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Recv with a cancelled context: %v", err)
	}
	if err := d.Send(cctx, Frame{Type: FirstAppFrame}); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with a cancelled context: %v", err)
	}
	exchange(t, d, r.s) // a Recv given up by its context loses nothing
}

// lockedBuffer is a log sink the listener's goroutines may write while the
// test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
