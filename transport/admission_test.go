package transport

import (
	"crypto/ed25519"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"testing"
	"time"
)

func TestSourceOf(t *testing.T) {
	for _, tc := range []struct{ addr, want string }{
		{"127.0.0.1:4000", "127.0.0.1"},
		{"127.0.0.2:4000", "127.0.0.2"},
		{"[::ffff:10.1.2.3]:80", "10.1.2.3"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::1]:443", "2001:db8:1:3::/64"},
	} {
		a, err := net.ResolveTCPAddr("tcp", tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := sourceOf(a); got != tc.want {
			t.Errorf("sourceOf(%s) = %q, want %q", tc.addr, got, tc.want)
		}
	}
}

// TestAdmission walks the admission through scripted steps: "+src"
// admits a connection from src (named by the step's label), "p label"
// records progress, "v label" proves it, "- label" releases it. Each
// step states the outcome: the refusal, or the label of the handshake
// shed to make room ("" for none).
func TestAdmission(t *testing.T) {
	type step struct {
		op, label, src string
		refused        refusal
		shed           string
	}
	for _, tc := range []struct {
		name                       string
		total, reserved, perSource int
		steps                      []step
		wantGeneral, wantReserve   int
	}{
		{
			name: "per-source limit refuses the excess", total: 10, reserved: 2, perSource: 2,
			steps: []step{
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "a2", src: "A"},
				{op: "+", label: "a3", src: "A", refused: refusedSourceLimit},
				{op: "+", label: "b1", src: "B"},
				{op: "-", label: "a1"},
				{op: "+", label: "a4", src: "A"},
			},
			wantGeneral: 3,
		},
		{
			name: "full: the most idle handshake of the biggest source is shed", total: 5, reserved: 1, perSource: 3,
			steps: []step{
				{op: "+", label: "b1", src: "B"},
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "a2", src: "A"},
				{op: "+", label: "a3", src: "A"},
				{op: "p", label: "a1"}, // a1 progresses: a2 is now A's most idle
				{op: "+", label: "c1", src: "C", shed: "a2"},
				{op: "+", label: "c2", src: "C", shed: "a3"},
				// Now C holds 2, A and B 1 each: C's most idle goes.
				{op: "+", label: "d1", src: "D", shed: "c1"},
			},
			wantGeneral: 4,
		},
		{
			name: "proven handshakes move to the reserve and are never shed", total: 4, reserved: 1, perSource: 3,
			steps: []step{
				{op: "+", label: "p1", src: "P"},
				{op: "+", label: "p2", src: "P"},
				{op: "v", label: "p1"}, // into the reserve
				{op: "v", label: "p2"}, // reserve full: stays in the general slots, unsheddable
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "a2", src: "A"},
				{op: "+", label: "b1", src: "B", shed: "a1"}, // p2 is older but proven
				{op: "-", label: "p1"},
				{op: "+", label: "c1", src: "C", shed: "a2"}, // A and B tie: a2 is older
			},
			wantGeneral: 3,
		},
		{
			name: "full of proven handshakes: refused", total: 3, reserved: 1, perSource: 3,
			steps: []step{
				{op: "+", label: "p1", src: "P"},
				{op: "+", label: "p2", src: "P"},
				{op: "v", label: "p1"},
				{op: "v", label: "p2"},
				{op: "+", label: "p3", src: "P"},
				{op: "v", label: "p3"},
				{op: "+", label: "a1", src: "A", refused: refusedFull},
			},
			wantGeneral: 2, wantReserve: 1,
		},
		{
			name: "a shed handshake cannot be proven afterwards", total: 2, reserved: 1, perSource: 2,
			steps: []step{
				{op: "+", label: "a1", src: "A"},
				{op: "+", label: "b1", src: "B", shed: "a1"},
				{op: "v", label: "a1"},
				{op: "-", label: "a1"},
			},
			wantGeneral: 1,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAdmission(tc.total, tc.reserved, tc.perSource)
			entries := map[string]*hsEntry{}
			var shed []string // labels of the handshakes interrupted
			for i, s := range tc.steps {
				switch s.op {
				case "+":
					shed = shed[:0]
					label := s.label
					e, why := a.admit(s.src, func() { shed = append(shed, label) })
					if why != s.refused || (e == nil) != (s.refused != "") {
						t.Fatalf("step %d: admit %s from %s = %v, %q; want refusal %q", i, s.label, s.src, e, why, s.refused)
					}
					if e != nil {
						entries[s.label] = e
					}
					want := []string{}
					if s.shed != "" {
						want = append(want, s.shed)
					}
					if fmt.Sprint(shed) != fmt.Sprint(want) {
						t.Fatalf("step %d: admitting %s shed %v, want %v", i, s.label, shed, want)
					}
					if s.shed != "" && !a.wasShed(entries[s.shed]) {
						t.Fatalf("step %d: %s interrupted but not marked shed", i, s.shed)
					}
				case "p":
					a.progress(entries[s.label])
				case "v":
					if ok := a.prove(entries[s.label]); ok == a.wasShed(entries[s.label]) {
						t.Fatalf("step %d: prove %s = %v, shed %v", i, s.label, ok, a.wasShed(entries[s.label]))
					}
				case "-":
					a.release(entries[s.label])
				}
			}
			if g, r, _ := a.counts(""); g != tc.wantGeneral || r != tc.wantReserve {
				t.Errorf("slots in use: %d general, %d reserve; want %d, %d", g, r, tc.wantGeneral, tc.wantReserve)
			}
		})
	}
}

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
		g, r, _ := l.adm.counts("")
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
		g, r, _ := l.adm.counts("")
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

// TestLogLimiter: one line for the first event of a quiet period, one
// summary with counts by reason per interval after it, nothing lost.
func TestLogLimiter(t *testing.T) {
	h := newLineCounter()
	r := newLogLimiter(slog.New(h), time.Hour) // ticks are driven by hand
	defer r.close()
	r.event(slog.LevelInfo, "preamble", "connection refused")
	for range 500 {
		r.event(slog.LevelInfo, "source_limit", "connection refused")
	}
	r.event(slog.LevelInfo, "shed", "connection refused")
	if got := h.count(); got != 1 {
		t.Fatalf("%d lines after 502 events in one interval, want 1", got)
	}
	r.tick()
	if got, sum := h.count(), h.summaries; got != 2 || len(sum) != 1 || sum[0]["count"] != 501 || sum[0]["source_limit"] != 500 || sum[0]["shed"] != 1 {
		t.Fatalf("after the interval: %d lines, summaries %v; want one summary of 501 (500 source_limit, 1 shed)", got, sum)
	}
	r.event(slog.LevelInfo, "tls", "connection refused") // still in a busy period: counted
	r.tick()
	r.tick() // a quiet interval: the next event is logged in full
	r.event(slog.LevelInfo, "tls", "connection refused")
	if got := h.count(); got != 4 || h.summaries[1]["tls"] != 1 {
		t.Fatalf("%d lines, summaries %v; want 4 lines, the second summary counting 1 tls", got, h.summaries)
	}
	r.event(slog.LevelWarn, "accept_error", "accept failed")
	r.close()
	if got := h.count(); got != 5 || h.summaries[2]["accept_error"] != 1 {
		t.Fatalf("close: %d lines, summaries %v; want the last summary written", got, h.summaries)
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
