package transport

import (
	"crypto/ed25519"
	"crypto/tls"
	"fmt"
	"net"
	"testing"
	"time"
)

func rawDialFrom(t *testing.T, l *Listener, src string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}}
	c, err := d.DialContext(testCtx(t), "tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// waitSlots waits until the listener's admission shows general slots in
// use (the accept loop runs on its own).
func waitSlots(t *testing.T, l *Listener, general, reserve int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		g, r, _ := l.adm.Counts("")
		if g == general && r == reserve {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slots in use: %d general, %d reserve; want %d, %d", g, r, general, reserve)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestListenerShedsIdleKeepsProven: a listener with 4 general slots and
// 2 reserved ones. A pinned contact authenticates and takes its time to
// open its quantum link; an attacker claims the same pinned key in its
// Hello but cannot sign, and stalls; idle connections from many sources
// keep arriving. Each new connection sheds the most idle unproven
// handshake, the fake claimant first: claiming a pinned key does not
// reach the reserve, proving it does. The pinned contact, the oldest of
// all, is never shed and its session comes up.
func TestListenerShedsIdleKeepsProven(t *testing.T) {
	alice := testKey("Alice").Public().(ed25519.PublicKey)
	hospital := testKey("Hospital").Public().(ed25519.PublicKey)
	pins := &PinSet{}
	pins.Pin("Alice", "patient", alice)
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.Pins = pins
	lcfg.MaxHandshakes, lcfg.ReservedHandshakes, lcfg.MaxHandshakesPerSource = 6, 2, 4
	l := startListener(t, lcfg)
	acc := acceptOne(t, l)

	// Alice authenticates from 127.0.0.2 and does not open her link yet.
	cfg := testConfig("Alice", "patient", "")
	cfg.PeerKey = hospital
	cfg, _ = cfg.withDefaults()
	pc := rawDialFrom(t, l, "127.0.0.2")
	WritePreamble(pc, KindClassical)
	ptc := tls.Client(pc, clientTLSConfig())
	if err := ptc.HandshakeContext(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	b, _ := exporterOf(ptc)
	res, err := dialHandshake(ptc, &cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	waitSlots(t, l, 0, 1)

	// Mallory claims Alice's key, receives the listener's Hello and
	// confirmation, and stalls instead of signing.
	fc := rawDialFrom(t, l, "127.0.1.1")
	WritePreamble(fc, KindClassical)
	ftc := tls.Client(fc, clientTLSConfig())
	if err := ftc.HandshakeContext(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	hb, _ := Hello{Version: ProtocolVersion, Mode: ModePinned, Identity: alice, Name: "Alice", Role: "patient"}.MarshalBinary()
	if err := WriteFrame(ftc, Frame{Type: FrameHello, Payload: hb}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []FrameType{FrameHello, FrameConfirm} {
		ftc.SetReadDeadline(time.Now().Add(20 * time.Second))
		if f, err := ReadFrame(ftc, 0); err != nil || f.Type != want {
			t.Fatalf("fake claimant: got %v %v, want frame %#x", f.Type, err, want)
		}
	}
	waitSlots(t, l, 1, 1)

	// Three idle connections fill the general slots.
	var idle []net.Conn
	for i := range 3 {
		idle = append(idle, rawDialFrom(t, l, fmt.Sprintf("127.0.1.%d", 10+i)))
	}
	waitSlots(t, l, 4, 1)
	// From now on each new connection sheds the most idle unproven
	// handshake: the claimant first, then the idle ones in order.
	victims := append([]net.Conn{ftc}, idle...)
	for i := range 6 {
		idle = append(idle, rawDialFrom(t, l, fmt.Sprintf("127.0.1.%d", 20+i)))
		expectClosed(t, victims[0], fmt.Sprintf("most idle handshake when connection %d arrived", i))
		victims = append(victims[1:], idle[len(idle)-1])
		g, r, _ := l.adm.Counts("")
		if g > 4 || r != 1 {
			t.Fatalf("slots in use: %d general, %d reserve", g, r)
		}
	}

	// Alice opens her link at last, from yet another address.
	q := rawDialFrom(t, l, "127.0.0.3")
	WritePreamble(q, KindQuantum)
	WriteLinkToken(q, res.token)
	ptc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if f, err := ReadFrame(ptc, 0); err != nil || f.Type != FrameLinkUp {
		t.Fatalf("Alice after her token: %v %v, want LinkUp", f.Type, err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatalf("Accept = %v, want Alice's session (a shed handshake must not be reported as a failure)", r.err)
	}
	if !r.s.Peer().Identity.Equal(alice) || r.s.Peer().Mode != ModePinned {
		t.Errorf("Accept: %s in %v mode, want Alice pinned", r.s.Peer().Fingerprint, r.s.Peer().Mode)
	}
}

func TestListenerLimitDefaults(t *testing.T) {
	for _, tc := range []struct {
		name                         string
		max, reserved, perSource     int
		wantMax, wantRes, wantPerSrc int
		wantErr                      bool
	}{
		{name: "defaults", wantMax: 512, wantRes: 64, wantPerSrc: 128},
		{name: "small listener", max: 40, wantMax: 40, wantRes: 5, wantPerSrc: 10},
		{name: "tiny listener", max: 2, wantMax: 2, wantRes: 0, wantPerSrc: 1},
		{name: "explicit", max: 100, reserved: 10, perSource: 7, wantMax: 100, wantRes: 10, wantPerSrc: 7},
		{name: "reserve leaves nothing", max: 10, reserved: 10, wantErr: true},
	} {
		cfg := testConfig("Hospital", "hospital", "")
		cfg.MaxHandshakes, cfg.ReservedHandshakes, cfg.MaxHandshakesPerSource = tc.max, tc.reserved, tc.perSource
		got, err := cfg.withDefaults()
		if (err != nil) != tc.wantErr {
			t.Errorf("%s: err = %v, want error %v", tc.name, err, tc.wantErr)
			continue
		}
		if err == nil && (got.MaxHandshakes != tc.wantMax || got.ReservedHandshakes != tc.wantRes || got.MaxHandshakesPerSource != tc.wantPerSrc || got.LogInterval != DefaultLogInterval) {
			t.Errorf("%s: limits %d/%d/%d every %v, want %d/%d/%d every %v", tc.name,
				got.MaxHandshakes, got.ReservedHandshakes, got.MaxHandshakesPerSource, got.LogInterval,
				tc.wantMax, tc.wantRes, tc.wantPerSrc, DefaultLogInterval)
		}
	}
}
