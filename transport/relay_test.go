package transport

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
)

// relay is a man in the middle that terminates TLS toward each side
// separately: the dialer's TLS session ends at the relay and the relay
// opens its own TLS session to the listener. The two TLS connections
// therefore have different exporters, and mid runs the inner handshake
// between them.
type relay struct {
	ln   net.Listener
	wg   sync.WaitGroup
	cert tls.Certificate
}

func startRelay(t *testing.T, target string, mid func(toDialer, toListener *tls.Conn)) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := ephemeralCertificate()
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, cert: cert}
	t.Cleanup(func() { ln.Close(); r.wg.Wait() })
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			r.wg.Add(1)
			go func() {
				defer r.wg.Done()
				defer c.Close()
				if k, err := ReadPreamble(c); err != nil || k != KindClassical {
					return
				}
				a := tls.Server(c, serverTLSConfig(r.cert))
				up, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer up.Close()
				if WritePreamble(up, KindClassical) != nil {
					return
				}
				b := tls.Client(up, clientTLSConfig())
				ctx := context.Background()
				if a.HandshakeContext(ctx) != nil || b.HandshakeContext(ctx) != nil {
					return
				}
				mid(a, b)
			}()
		}
	}()
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

// pipe copies the inner bytes both ways until either side closes.
func pipe(a, b *tls.Conn) {
	done := make(chan struct{}, 2)
	go func() { io.Copy(a, b); a.CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(b, a); b.CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}

// TestRelayWithoutCodeFails: the relay does not know the code, so it can
// only forward the handshake messages unchanged between its two TLS
// sessions. The PAKE then succeeds end to end, but each side's key
// confirmation MACs the exporter of its own TLS connection, and the two
// exporters differ: both sides see a MAC that does not match.
func TestRelayWithoutCodeFails(t *testing.T) {
	l := startListener(t, testConfig("Hospital", "hospital", testCode))
	r := startRelay(t, l.Addr().String(), pipe)
	acc := acceptOne(t, l)
	_, err := Connect(testCtx(t), r.addr(), testConfig("Alice", "patient", testCode))
	if !errors.Is(err, ErrPairingFailed) || !strings.Contains(err.Error(), "pairing failed") {
		t.Errorf("dialer through the relay: %v, want pairing failed", err)
	}
	if res := <-acc; !errors.Is(res.err, ErrPairingFailed) {
		t.Errorf("listener through the relay: %v, want pairing failed", res.err)
	}
}

// TestRelayKnowingCodeFails: the relay knows the code and runs the PAKE
// honestly on each leg, so it holds both PAKE keys and computes valid key
// confirmation MACs for each TLS connection. It forwards the real Hellos
// so that each side believes it talks to the real peer. What it cannot
// produce is the real peer's signature over this leg's transcript: the
// transcript holds the leg's TLS exporter and the leg's PAKE values, both
// different on the other leg, so the forwarded signature fails on both
// sides. (Forwarding the PAKE values unchanged instead would leave the
// relay without the PAKE keys; that case, where only the exporter tells
// the legs apart, is TestRelayWithoutCodeFails.)
//
// What no protocol can stop: a relay that knows the code and presents its
// own identity key pairs with each side as itself, since a shared code is
// the whole secret of pairing. The sides then see the relay's
// fingerprint, not each other's; comparing fingerprints aloud catches it.
func TestRelayKnowingCodeFails(t *testing.T) {
	l := startListener(t, testConfig("Hospital", "hospital", testCode))
	relayErr := make(chan error, 1)
	r := startRelay(t, l.Addr().String(), func(a, b *tls.Conn) {
		relayErr <- runCodeKnowingRelay(a, b, testCode)
	})
	acc := acceptOne(t, l)
	_, err := Connect(testCtx(t), r.addr(), testConfig("Alice", "patient", testCode))
	if !errors.Is(err, ErrPairingFailed) || !strings.Contains(err.Error(), "identity is not bound") {
		t.Errorf("dialer through the relay: %v, want pairing failed on the identity proof", err)
	}
	if res := <-acc; !errors.Is(res.err, ErrPairingFailed) || !strings.Contains(res.err.Error(), "identity is not bound") {
		t.Errorf("listener through the relay: %v, want pairing failed on the identity proof", res.err)
	}
	if err := <-relayErr; err != nil {
		t.Fatalf("the relay itself failed, so the test proves nothing: %v", err)
	}
}

func runCodeKnowingRelay(a, b *tls.Conn, code string) error {
	defer a.Close()
	defer b.Close()
	ab, err := exporterOf(a)
	if err != nil {
		return err
	}
	bb, err := exporterOf(b)
	if err != nil {
		return err
	}
	toD := &hsConn{rw: a, t: newTranscript(ab)}
	toL := &hsConn{rw: b, t: newTranscript(bb)}
	helloD, err := toD.recv(FrameHello, true)
	if err != nil {
		return err
	}
	x, err := toD.recv(FramePake, true)
	if err != nil {
		return err
	}
	if err := toL.send(helloD, true); err != nil {
		return err
	}
	ppL, err := newPakeParty(code, pakeDialer)
	if err != nil {
		return err
	}
	myX, err := ppL.message()
	if err != nil {
		return err
	}
	if err := toL.send(Frame{Type: FramePake, Payload: myX}, true); err != nil {
		return err
	}
	helloL, err := toL.recv(FrameHello, true)
	if err != nil {
		return err
	}
	y, err := toL.recv(FramePake, true)
	if err != nil {
		return err
	}
	keyL, err := ppL.update(y.Payload)
	if err != nil {
		return err
	}
	if err := toD.send(helloL, true); err != nil {
		return err
	}
	ppD, err := newPakeParty(code, pakeListener)
	if err != nil {
		return err
	}
	keyD, err := ppD.update(x.Payload)
	if err != nil {
		return err
	}
	myY, err := ppD.message()
	if err != nil {
		return err
	}
	if err := toD.send(Frame{Type: FramePake, Payload: myY}, true); err != nil {
		return err
	}
	thD, thL := toD.t.sum(), toL.t.sum()
	fD, err := toD.recv(FrameConfirm, false)
	if err != nil {
		return err
	}
	cD, err := parseConfirm(fD.Payload, ModePair)
	if err != nil {
		return err
	}
	// The dialer's MAC is valid for the relay's key on leg D: the PAKE
	// really succeeded there.
	if !equalBytes(cD.MAC, confirmMAC(keyD, sideDialer, thD)) {
		return errors.New("relay: the dialer's MAC does not verify, the PAKE legs are broken")
	}
	// The listener checks the dialer's proof before giving its own, so
	// the relay must send it first: the dialer's MAC redone for leg L
	// with the dialer's signature, which covers leg D.
	forL := confirm{MAC: confirmMAC(keyL, sideDialer, thL), Sig: cD.Sig}
	if err := toL.send(Frame{Type: FrameConfirm, Payload: forL.marshal()}, false); err != nil {
		return err
	}
	// The listener refuses it without ever signing for leg L, so the
	// relay has no listener signature to forward to the dialer either.
	var pa *PeerAbortError
	if _, err := toL.recv(FrameConfirm, false); !errors.As(err, &pa) {
		return fmt.Errorf("relay: the listener answered a forwarded proof with %v, want its abort", err)
	}
	forD := confirm{MAC: confirmMAC(keyD, sideListener, thD), Sig: make([]byte, sigLen)}
	if err := toD.send(Frame{Type: FrameConfirm, Payload: forD.marshal()}, false); err != nil {
		return err
	}
	// Both sides now abort; drain so they can read each other's verdicts.
	go io.Copy(io.Discard, a)
	io.Copy(io.Discard, b)
	return nil
}

func exporterOf(c *tls.Conn) ([]byte, error) {
	cs := c.ConnectionState()
	return cs.ExportKeyingMaterial(bindingLabel, nil, 32)
}

func equalBytes(a, b []byte) bool { return string(a) == string(b) }

// TestRelayPinnedFails: in pinned mode the signatures cover each leg's
// exporter, so forwarding them between two TLS sessions fails.
func TestRelayPinnedFails(t *testing.T) {
	lp := &PinSet{}
	lp.Pin("Alice", "patient", testKey("Alice").Public().(ed25519.PublicKey))
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.Pins = lp
	l := startListener(t, lcfg)
	r := startRelay(t, l.Addr().String(), pipe)
	dp := &PinSet{}
	dp.Pin("Hospital", "hospital", testKey("Hospital").Public().(ed25519.PublicKey))
	dcfg := testConfig("Alice", "patient", "")
	dcfg.Pins = dp
	acc := acceptOne(t, l)
	if _, err := Connect(testCtx(t), r.addr(), dcfg); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("dialer through the relay: %v, want ErrAuthFailed", err)
	}
	if res := <-acc; !errors.Is(res.err, ErrAuthFailed) {
		t.Errorf("listener through the relay: %v, want ErrAuthFailed", res.err)
	}
	// Without the relay the same pins work.
	acc = acceptOne(t, l)
	if _, err := dial(t, l, dcfg); err != nil {
		t.Fatalf("direct pinned connect: %v", err)
	}
	if res := <-acc; res.err != nil {
		t.Fatal(res.err)
	}
}
