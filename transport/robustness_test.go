package transport

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// expectClosed reads from c until the listener closes it.
func expectClosed(t *testing.T, c net.Conn, what string) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Errorf("%s: the listener did not close the connection", what)
	}
}

func rawDial(t *testing.T, l *Listener) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// rawHandshake authenticates like Connect but stops before the quantum
// link, returning the TLS connection and the link token.
func rawHandshake(t *testing.T, l *Listener, cfg Config) (*tls.Conn, LinkToken) {
	t.Helper()
	cfg, err := cfg.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	c := rawDial(t, l)
	if err := WritePreamble(c, KindClassical); err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(c, clientTLSConfig())
	if err := tc.HandshakeContext(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	b, err := exporterOf(tc)
	if err != nil {
		t.Fatal(err)
	}
	res, err := dialHandshake(tc, &cfg, b)
	if err != nil {
		t.Fatal(err)
	}
	return tc, res.token
}

// establishedPair returns a dialer session to l and the listener's side.
func establishedPair(t *testing.T, l *Listener, name string) (d, s *Session) {
	t.Helper()
	acc := acceptOne(t, l)
	d, err := dial(t, l, testConfig(name, "patient", testCode))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatalf("%s: %v", name, r.err)
	}
	return d, r.s
}

func TestGarbageClosesOnlyThatConnection(t *testing.T) {
	lcfg := testConfig("Hospital", "hospital", testCode)
	lcfg.MaxFrame = 1 << 10
	l := startListener(t, lcfg)
	// A peer that stays connected through everything below.
	bystander, bs := establishedPair(t, l, "Bystander")

	for _, tc := range []struct{ name, data string }{
		{"HTTP request", "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"preamble of another version", "QKDC\x09\x01"},
		{"preamble of an unknown kind", "QKDC\x01\x07"},
		{"classical preamble then not TLS", "QKDC\x01\x01this is not a TLS client hello........"},
		{"truncated preamble", "QKD"},
	} {
		c := rawDial(t, l)
		io.WriteString(c, tc.data)
		if tc.name == "truncated preamble" {
			c.(*net.TCPConn).CloseWrite()
		}
		expectClosed(t, c, tc.name)
	}

	// A TLS client that does not offer our application protocol is
	// dropped once TLS is up, without a reported handshake failure.
	{
		c := rawDial(t, l)
		WritePreamble(c, KindClassical)
		tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
		if err := tc.HandshakeContext(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		expectClosed(t, tc, "TLS without ALPN")
	}

	// Valid TLS, then a malformed Hello: the listener reports a
	// handshake error and tells the peer.
	{
		acc := acceptOne(t, l)
		c := rawDial(t, l)
		WritePreamble(c, KindClassical)
		tc := tls.Client(c, clientTLSConfig())
		if err := tc.HandshakeContext(testCtx(t)); err != nil {
			t.Fatal(err)
		}
		WriteFrame(tc, Frame{Type: FrameHello, Payload: []byte("hello?")})
		f, err := ReadFrame(tc, 0)
		if err != nil || f.Type != FrameAbort || AbortReason(f.Payload[0]) != AbortProtocol {
			t.Errorf("malformed Hello: got %v %v, want an abort frame", f, err)
		}
		if r := <-acc; !errors.Is(r.err, ErrMalformed) {
			t.Errorf("malformed Hello: Accept = %v", r.err)
		}
	}

	// Established sessions fed bad frames: each ends with the reason, on
	// the listener's side, and the peer sees its session end.
	hdr := func(version, typ byte, n uint32) []byte {
		b := []byte{version, typ, 0, 0, 0, 0}
		binary.BigEndian.PutUint32(b[2:], n)
		return b
	}
	for _, bad := range []struct {
		name    string
		quantum bool
		data    []byte
		want    error
	}{
		{"frame of another version", false, append(hdr(7, byte(FirstAppFrame), 1), 'x'), ErrBadVersion},
		{"oversize frame", false, hdr(FrameVersion, byte(FirstAppFrame), 1<<30), ErrFrameTooLarge},
		{"handshake frame after the handshake", false, hdr(FrameVersion, byte(FrameHello), 0), ErrUnexpectedFrame},
		{"truncated frame", false, append(hdr(FrameVersion, byte(FirstAppFrame), 100), "short"...), ErrTruncated},
		{"garbage on the quantum link", true, []byte("garbage garbage"), ErrBadVersion},
		{"oversize quantum frame", true, hdr(FrameVersion, byte(FrameQuantum), 1<<20), ErrFrameTooLarge},
		{"classical frame on the quantum link", true, hdr(FrameVersion, byte(FirstAppFrame), 0), ErrUnexpectedFrame},
	} {
		d, s := establishedPair(t, l, "Mallory")
		conn := net.Conn(d.tc)
		if bad.quantum {
			conn = d.qc
		}
		conn.Write(bad.data)
		if bad.want == ErrTruncated {
			d.tc.CloseWrite()
		}
		_, err := s.Recv(testCtx(t))
		if !errors.Is(err, bad.want) {
			t.Errorf("%s: listener's Recv = %v, want %v", bad.name, err, bad.want)
		}
		if _, err := s.RecvQuantum(testCtx(t)); !errors.Is(err, bad.want) {
			t.Errorf("%s: the whole session must end with the cause, RecvQuantum = %v", bad.name, err)
		}
		if _, err := d.Recv(testCtx(t)); err == nil {
			t.Errorf("%s: the offender's session must end", bad.name)
		}
	}

	// The bystander never noticed, and new peers are still served.
	exchange(t, bystander, bs)
	exchange(t, bs, bystander)
	d, s := establishedPair(t, l, "Newcomer")
	exchange(t, d, s)
}

func TestQuantumLinkToken(t *testing.T) {
	l := startListener(t, testConfig("Hospital", "hospital", testCode))
	acc := acceptOne(t, l)
	tc, token := rawHandshake(t, l, testConfig("Alice", "patient", testCode))

	openLink := func(tok []byte) net.Conn {
		q := rawDial(t, l)
		WritePreamble(q, KindQuantum)
		q.Write(tok)
		return q
	}
	var wrong LinkToken
	rand.Read(wrong[:])
	expectClosed(t, openLink(wrong[:]), "wrong token")
	short := openLink(token[:10])
	short.(*net.TCPConn).CloseWrite()
	expectClosed(t, short, "truncated token")

	// The right token attaches the link and the listener confirms it.
	q := openLink(token[:])
	tc.SetReadDeadline(time.Now().Add(20 * time.Second))
	if f, err := ReadFrame(tc, 0); err != nil || f.Type != FrameLinkUp {
		t.Fatalf("after the right token: %v %v, want LinkUp", f, err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	if err := WriteFrame(q, Frame{Type: FrameQuantum, Payload: []byte{1, 1, 0}}); err != nil {
		t.Fatal(err)
	}
	if p, err := r.s.RecvQuantum(testCtx(t)); err != nil || string(p) != "\x01\x01\x00" {
		t.Fatalf("RecvQuantum = %v, %v", p, err)
	}
	// A token works once.
	expectClosed(t, openLink(token[:]), "replayed token")
	if r.s.Err() != nil {
		t.Errorf("a replayed token must not disturb the session: %v", r.s.Err())
	}
}

func TestHandshakeTimeouts(t *testing.T) {
	cfg := testConfig("Hospital", "hospital", testCode)
	cfg.HandshakeTimeout = 300 * time.Millisecond
	l := startListener(t, cfg)

	silent := rawDial(t, l)
	WritePreamble(silent, KindClassical)
	expectClosed(t, silent, "a peer that never starts TLS")

	// Authenticated, but never opens the quantum link.
	acc := acceptOne(t, l)
	tc, _ := rawHandshake(t, l, testConfig("Alice", "patient", testCode))
	expectClosed(t, tc, "a peer that never opens its quantum link")
	if r := <-acc; !errors.Is(r.err, context.DeadlineExceeded) {
		t.Errorf("Accept = %v, want a deadline", r.err)
	}

	// A dialer facing a server that never answers gives up with ctx.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		c, err := mute.Accept()
		if err == nil {
			defer c.Close()
			io.Copy(io.Discard, c)
		}
	}()
	ctx, cancel := context.WithTimeout(testCtx(t), 300*time.Millisecond)
	defer cancel()
	if _, err := Connect(ctx, mute.Addr().String(), testConfig("Alice", "patient", testCode)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Connect to a mute server = %v, want DeadlineExceeded", err)
	}
}

func TestListenerClose(t *testing.T) {
	l, err := Listen(testCtx(t), "127.0.0.1:0", testConfig("Hospital", "hospital", testCode))
	if err != nil {
		t.Fatal(err)
	}
	pending := rawDial(t, l)
	WritePreamble(pending, KindClassical)
	acc := acceptOne(t, l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, pending, "a handshake in progress at Close")
	if r := <-acc; !errors.Is(r.err, ErrClosed) {
		t.Errorf("Accept after Close = %v", r.err)
	}
	if _, err := net.Dial("tcp", l.Addr().String()); err == nil {
		t.Error("the port still accepts after Close")
	}

	// Cancelling Listen's context closes the listener too.
	ctx, cancel := context.WithCancel(context.Background())
	l2, err := Listen(ctx, "127.0.0.1:0", testConfig("Hospital", "hospital", testCode))
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	cancel()
	if _, err := l2.Accept(testCtx(t)); !errors.Is(err, ErrClosed) {
		t.Errorf("Accept after cancel = %v", err)
	}
}

// TestConcurrentPeers: 100 peers pair at once (five PAKE attempts at a
// time, as the guessing limit allows) and each exchanges frames on both
// channels with an echoing listener.
func TestConcurrentPeers(t *testing.T) {
	const peers = 100
	l := startListener(t, testConfig("Hospital", "hospital", testCode))
	ctx := testCtx(t)
	var echoes sync.WaitGroup
	acceptErr := make(chan error, 1)
	go func() {
		for range peers {
			s, err := l.Accept(ctx)
			if err != nil {
				acceptErr <- err
				return
			}
			echoes.Add(1)
			go func() {
				defer echoes.Done()
				defer s.Close()
				f, err := s.Recv(ctx)
				if err != nil {
					return
				}
				q, err := s.RecvQuantum(ctx)
				if err != nil {
					return
				}
				s.SendQuantum(ctx, q)
				s.Send(ctx, f)
				s.Recv(ctx) // until the peer leaves
			}()
		}
		acceptErr <- nil
	}()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, peers)
	for i := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := "peer " + string(rune('A'+i%26)) + string(rune('a'+i/26))
			d, err := Connect(ctx, l.Addr().String(), testConfig(name, "patient", testCode))
			if err != nil {
				errs <- err
				return
			}
			defer d.Close()
			msg := []byte(name)
			if err := d.Send(ctx, Frame{Type: FirstAppFrame + 1, Payload: msg}); err != nil {
				errs <- err
				return
			}
			if err := d.SendQuantum(ctx, msg); err != nil {
				errs <- err
				return
			}
			q, err := d.RecvQuantum(ctx)
			if err != nil || string(q) != name {
				errs <- errors.Join(errors.New("quantum echo of "+name), err)
				return
			}
			f, err := d.Recv(ctx)
			if err != nil || string(f.Payload) != name || d.Peer().Name != "Hospital" {
				errs <- errors.Join(errors.New("classical echo of "+name), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := <-acceptErr; err != nil {
		t.Fatal(err)
	}
	echoes.Wait()
	t.Logf("%d peers paired and echoed in %v", peers, time.Since(start))
}
