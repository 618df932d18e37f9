package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"time"

	"qkdchat/identity"
)

// Connect dials the listener at addr and authenticates: with cfg.Code it
// pairs, without it reconnects as a pinned contact (cfg.Pins or
// cfg.PeerKey must then say whom to accept). It then opens the quantum
// link to the same address. Everything is bounded by cfg.HandshakeTimeout
// and ctx.
func Connect(ctx context.Context, addr string, cfg Config) (*Session, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Code == "" && cfg.Pins == nil && cfg.PeerKey == nil {
		return nil, fmt.Errorf("transport: connect %s: no pairing code and no pinned contacts", addr)
	}
	s, err := connect(ctx, addr, &cfg, &net.Dialer{})
	if err != nil {
		return nil, fmt.Errorf("transport: connect %s: %w", addr, err)
	}
	cfg.Logger.Info("peer authenticated", "remote", s.peer.Addr.String(), "peer", s.peer.Fingerprint, "mode", s.peer.Mode.String())
	return s, nil
}

// connect is Connect with cfg defaulted, dialing both connections with d.
func connect(ctx context.Context, addr string, cfg *Config, d *net.Dialer) (_ *Session, err error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	defer func() { err = ctxErr(ctx, err) }()
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	stop := interruptOnDone(ctx, c)
	ok := false
	defer func() {
		if !ok {
			stop()
			c.Close()
		}
	}()
	if err := WritePreamble(c, KindClassical); err != nil {
		return nil, err
	}
	tc := tls.Client(c, clientTLSConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	cs := tc.ConnectionState()
	if cs.NegotiatedProtocol != alpn {
		return nil, fmt.Errorf("TLS server does not speak %s", alpn)
	}
	binding, err := cs.ExportKeyingMaterial(bindingLabel, nil, 32)
	if err != nil {
		return nil, fmt.Errorf("channel binding: %w", err)
	}
	res, err := dialHandshake(tc, cfg, binding)
	if err != nil {
		lingerClose(tc, c)
		return nil, err
	}

	// The quantum link goes to the address the classical one reached.
	qc, err := d.DialContext(ctx, "tcp", c.RemoteAddr().String())
	if err != nil {
		return nil, fmt.Errorf("quantum link: %w", err)
	}
	qstop := interruptOnDone(ctx, qc)
	qok := false
	defer func() {
		if !qok {
			qstop()
			qc.Close()
		}
	}()
	if err := WritePreamble(qc, KindQuantum); err != nil {
		return nil, fmt.Errorf("quantum link: %w", err)
	}
	if err := WriteLinkToken(qc, res.token); err != nil {
		return nil, fmt.Errorf("quantum link: %w", err)
	}
	hc := &hsConn{rw: tc}
	if _, err := hc.recv(FrameLinkUp, false); err != nil {
		return nil, fmt.Errorf("quantum link: %w", err)
	}
	if !stop() || !qstop() {
		return nil, ctx.Err()
	}
	c.SetDeadline(time.Time{})
	qc.SetDeadline(time.Time{})
	ok, qok = true, true
	info := PeerInfo{
		Identity:    res.peer.Identity,
		Fingerprint: identity.Fingerprint(res.peer.Identity),
		Name:        res.peer.Name,
		Role:        res.peer.Role,
		Mode:        res.mode,
		NewlyPaired: res.newlyPaired,
		Curve:       cs.CurveID,
		Initiator:   true,
		Addr:        c.RemoteAddr(),
	}
	return newSession(tc, qc, info, cfg), nil
}

// interruptOnDone bounds c's reads and writes by ctx: its deadline, and
// at once when ctx is cancelled. The returned stop reports whether ctx
// had not ended yet.
func interruptOnDone(ctx context.Context, c net.Conn) (stop func() bool) {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	return context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
}

// ctxErr prefers the context's error over the I/O timeout it caused. The
// connection's deadline equals the context's, so the timeout may be seen
// a moment before the context reports it.
func ctxErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	cerr := ctx.Err()
	if dl, ok := ctx.Deadline(); cerr == nil && ok && !time.Now().Before(dl) {
		cerr = context.DeadlineExceeded
	}
	var ne net.Error
	if cerr != nil && !errors.Is(err, cerr) && errors.As(err, &ne) && ne.Timeout() {
		return fmt.Errorf("%w (%v)", cerr, err)
	}
	return err
}
