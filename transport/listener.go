package transport

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"qkdchat/identity"
)

// preambleTimeout bounds how long a new connection may take to send its
// preamble (a dialer sends it at once), so silent connections free their
// slot early. HandshakeTimeout still bounds the whole handshake.
const preambleTimeout = 5 * time.Second

// maxReportedFailures bounds the handshake failures Accept reports per
// Config.LogInterval: anyone can fail a handshake, and the application
// logs and shows each one it gets. Failed attempts at the pairing code
// are always reported (the code guard bounds them); the rest beyond the
// bound are counted in the listener's log summary only.
const maxReportedFailures = 10

// lingerTimeout bounds how long a failed handshake waits for the peer to
// read our abort frame before the connection is closed.
const lingerTimeout = 2 * time.Second

// Listener accepts peers on one TCP port: their classical connections and
// their quantum links. It serves any number of peers at once; a failing
// peer never stops it.
type Listener struct {
	cfg     Config
	log     *slog.Logger
	ln      net.Listener
	tlsConf *tls.Config
	guard   *codeGuard
	invites *inviteTable
	adm     *admission
	logs    *logLimiter // what remote peers can trigger goes through it

	ctx    context.Context // done when the listener closes
	cancel context.CancelFunc

	sessions chan *Session
	failures chan error

	mu      sync.Mutex
	pending map[LinkToken]chan net.Conn // quantum links awaited by handshakes

	failMu    sync.Mutex
	failSince time.Time // start of the current reporting interval
	failN     int       // failures reported in it

	wg        sync.WaitGroup
	closeOnce sync.Once
	closeErr  error
}

// Listen starts accepting peers on addr ("host:port"; port 0 picks one).
// The listener closes when ctx ends or Close is called. If cfg.Code is
// empty a pairing code is generated (see Code).
func Listen(ctx context.Context, addr string, cfg Config) (*Listener, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Code == "" {
		if cfg.Code, err = NewPairingCode(); err != nil {
			return nil, err
		}
	}
	cert, err := ephemeralCertificate()
	if err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen on %s: %w", addr, err)
	}
	lctx, cancel := context.WithCancel(ctx)
	l := &Listener{
		cfg:      cfg,
		log:      cfg.Logger,
		ln:       ln,
		tlsConf:  serverTLSConfig(cert),
		guard:    newCodeGuard(cfg.Code, cfg.MaxPairFailures, cfg.Logger),
		invites:  newInviteTable(cfg.OnInvite),
		ctx:      lctx,
		cancel:   cancel,
		sessions: make(chan *Session),
		failures: make(chan error, 16),
		adm:      newAdmission(cfg.MaxHandshakes, cfg.ReservedHandshakes, cfg.MaxHandshakesPerSource),
		logs:     newLogLimiter(cfg.Logger, cfg.LogInterval),
		pending:  map[LinkToken]chan net.Conn{},
	}
	l.cfg.Code = "" // the guard owns the code
	context.AfterFunc(lctx, func() { ln.Close() })
	l.wg.Add(1)
	go l.acceptLoop()
	l.log.Info("listening", "addr", ln.Addr().String())
	return l, nil
}

// Addr returns the address the listener is bound to.
func (l *Listener) Addr() net.Addr { return l.ln.Addr() }

// Code returns the pairing code to show the user, or "" once it has been
// disabled after Config.MaxPairFailures failed attempts.
func (l *Listener) Code() string { return l.guard.current() }

// SetCode replaces the pairing code (a new one is generated when code is
// empty) and forgets past failures. It returns the code now in force.
func (l *Listener) SetCode(code string) (string, error) {
	var err error
	if code == "" {
		code, err = NewPairingCode()
	} else {
		code, err = NormalizeCode(code)
	}
	if err != nil {
		return "", err
	}
	if np := CodeNameplate(code); np != 0 && l.invites.has(np) {
		return "", fmt.Errorf("transport: pairing code: %w by an invite", ErrNameplateTaken)
	}
	l.guard.set(code)
	return code, nil
}

// AddInvite registers an invite: a code of the form NAMEPLATE-WORD-WORD
// (see NewInviteCode) that pairs one peer before expires. grant is opaque
// to the transport (the node puts the granted role there); the session's
// PeerInfo carries it. Invites work beside the listener code and never
// affect it: a dialer whose code names the invite's nameplate runs the
// PAKE with that invite's code only. An invite works once; the first
// failed proof burns it (see Config.OnInvite); an attempt that ends
// before the dialer's proof costs it nothing. It fails with
// ErrNameplateTaken if an open invite or the listener code has the
// nameplate, and ErrInviteExpired if expires has passed.
func (l *Listener) AddInvite(code string, expires time.Time, grant string) error {
	return l.invites.add(code, expires, grant, l.codeNameplate)
}

// NewInvite registers an invite with a fresh code on a free nameplate
// and returns the code.
func (l *Listener) NewInvite(expires time.Time, grant string) (code string, err error) {
	return l.invites.newInvite(expires, grant, l.codeNameplate)
}

// RevokeInvite withdraws the open invite with this nameplate; dialers
// that use it are told ErrInviteRevoked. It reports whether there was
// one to withdraw.
func (l *Listener) RevokeInvite(nameplate int) bool { return l.invites.revoke(nameplate) }

// Invite describes the invite with this nameplate, open or finished (the
// listener remembers the last few thousand finished ones).
func (l *Listener) Invite(nameplate int) (InviteInfo, bool) { return l.invites.info(nameplate) }

// codeNameplate reports whether np is the listener code's nameplate.
func (l *Listener) codeNameplate(np int) bool { return np == CodeNameplate(l.guard.rawCode()) }

// Accept returns the next authenticated session. A peer that reached the
// authenticated handshake and failed it (wrong code, changed identity...)
// is reported as a *HandshakeError, after which Accept may be called
// again; failures nobody collects are dropped (they are logged). Failed
// attempts at the pairing code are all reported; other failures at most 10 per
// Config.LogInterval, so a peer failing on purpose cannot flood the
// caller (the rest are counted in the log). Once the
// listener is closed Accept returns an error wrapping ErrClosed.
func (l *Listener) Accept(ctx context.Context) (*Session, error) {
	select {
	case s := <-l.sessions:
		return s, nil
	case err := <-l.failures:
		return nil, err
	case <-l.ctx.Done():
		return nil, fmt.Errorf("transport: accept: %w", ErrClosed)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops the listener and the handshakes in progress and waits for
// them. Sessions already returned by Accept stay up.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() {
		l.cancel()
		if err := l.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			l.closeErr = err
		}
		l.wg.Wait()
		l.logs.close()
	})
	return l.closeErr
}

func (l *Listener) acceptLoop() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			if l.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			l.logs.event(slog.LevelWarn, "accept_error", "accept failed", "err", err)
			select {
			case <-time.After(50 * time.Millisecond):
			case <-l.ctx.Done():
				return
			}
			continue
		}
		// Admission never blocks: the connection gets a slot now, possibly
		// by shedding an idle handshake, or is closed now.
		cctx, cancel := context.WithCancel(l.ctx)
		e, why := l.adm.admit(sourceOf(c.RemoteAddr()), cancel)
		if e == nil {
			cancel()
			l.logs.event(slog.LevelInfo, string(why), "connection refused", "remote", c.RemoteAddr().String(), "reason", why.String())
			c.Close()
			continue
		}
		l.wg.Add(1)
		go l.serve(cctx, cancel, c, e)
	}
}

// report hands a handshake failure to Accept, within the bound of
// maxReportedFailures per interval. Failures nobody collects are dropped.
func (l *Listener) report(err *HandshakeError) {
	if !err.codeAttempt {
		l.failMu.Lock()
		now := time.Now()
		if now.Sub(l.failSince) >= l.cfg.LogInterval {
			l.failSince, l.failN = now, 0
		}
		ok := l.failN < maxReportedFailures
		if ok {
			l.failN++
		}
		l.failMu.Unlock()
		if !ok {
			return
		}
	}
	select {
	case l.failures <- err:
	default:
	}
}

// refused logs a connection that ended before its peer was authenticated
// (rate-limited: remote peers trigger it at will).
func (l *Listener) refused(e *hsEntry, kind, msg, remote string, err error) {
	if l.adm.wasShed(e) {
		l.logs.event(slog.LevelInfo, string(refusedShed), msg, "remote", remote, "reason", refusedShed.String())
		return
	}
	l.logs.event(slog.LevelInfo, kind, msg, "remote", remote, "reason", err)
}

// serve reads a connection's preamble and handles it as its kind says.
// ctx ends when the listener closes or the handshake is shed; e is the
// connection's admission slot.
func (l *Listener) serve(ctx context.Context, cancel context.CancelFunc, c net.Conn, e *hsEntry) {
	defer l.wg.Done()
	defer cancel()
	var releaseOnce sync.Once
	release := func() { releaseOnce.Do(func() { l.adm.release(e) }) }
	defer release()

	remote := c.RemoteAddr().String()
	start := time.Now()
	deadline := start.Add(l.cfg.HandshakeTimeout)
	c.SetDeadline(start.Add(min(l.cfg.HandshakeTimeout, preambleTimeout)))
	// Closing the listener, or shedding this handshake, interrupts every
	// read and write of c.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	kind, err := ReadPreamble(c)
	if err == nil {
		l.adm.progress(e)
		c.SetDeadline(deadline)
		if ctx.Err() != nil { // interrupted before the new deadline was set
			err = fmt.Errorf("transport: preamble: %w", ctx.Err())
		}
	}
	if err != nil {
		stop()
		l.refused(e, "preamble", "connection refused", remote, err)
		c.Close()
		return
	}
	if kind == KindQuantum {
		l.attachQuantum(c, remote, stop, e, release)
		return
	}
	s, err := l.handshake(ctx, c, deadline, stop, e)
	if err != nil {
		var he *HandshakeError
		switch {
		case l.adm.wasShed(e):
			l.refused(e, "", "connection refused", remote, err)
		case errors.As(err, &he):
			l.logs.event(slog.LevelInfo, "handshake_failed", "handshake failed", "remote", remote, "reason", he.Err)
			l.report(he)
		default:
			l.refused(e, "tls", "connection refused", remote, err)
		}
		return
	}
	release()
	l.log.Info("peer authenticated", "remote", remote, "peer", s.peer.Fingerprint, "mode", s.peer.Mode.String())
	select {
	case l.sessions <- s:
	case <-l.ctx.Done():
		s.Close()
	}
}

// handshake runs TLS and the authenticated handshake on c, then waits for
// the peer's quantum link. Errors after the TLS handshake are
// *HandshakeErrors; c is closed on any error.
func (l *Listener) handshake(ctx context.Context, c net.Conn, deadline time.Time, stop func() bool, e *hsEntry) (*Session, error) {
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	tc := tls.Server(c, l.tlsConf)
	if err := tc.HandshakeContext(ctx); err != nil {
		stop()
		c.Close()
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	l.adm.progress(e)
	if cs := tc.ConnectionState(); cs.NegotiatedProtocol != alpn {
		stop()
		c.Close()
		return nil, fmt.Errorf("TLS client does not speak %s", alpn)
	}
	codeAttempt := false // a pairing attempt took one of the code guard's slots
	fail := func(err error) (*Session, error) {
		if ctx.Err() != nil {
			// Shed, closing or out of time: no abort frame was sent, so
			// there is nothing to wait for, and lingering would let
			// shed connections hold descriptors.
			c.Close()
		} else {
			lingerClose(tc, c)
		}
		stop()
		return nil, &HandshakeError{Remote: c.RemoteAddr(), Err: err, codeAttempt: codeAttempt}
	}
	cs := tc.ConnectionState()
	binding, err := cs.ExportKeyingMaterial(bindingLabel, nil, 32)
	if err != nil {
		return fail(fmt.Errorf("channel binding: %w", err))
	}

	var token LinkToken
	if _, err := rand.Read(token[:]); err != nil {
		return fail(fmt.Errorf("link token: %w", err))
	}
	link := make(chan net.Conn, 1)
	l.mu.Lock()
	l.pending[token] = link
	l.mu.Unlock()
	defer func() {
		l.mu.Lock()
		delete(l.pending, token)
		l.mu.Unlock()
		select { // attachQuantum sends under l.mu, so nothing arrives after this
		case qc := <-link:
			qc.Close()
		default:
		}
	}()

	acquire := func(nameplate int) (pairSlot, error) {
		if nameplate != 0 && !l.codeNameplate(nameplate) {
			// An invite, or a nameplate we do not know: either way the
			// listener code is not at stake. codeAttempt is set if the
			// attempt burns the invite, so Accept reports it.
			return l.invites.acquire(nameplate, c.RemoteAddr(), &codeAttempt)
		}
		slot, err := l.guard.acquire(ctx)
		if err != nil {
			return slot, err
		}
		// The listener code counts a failed guess only when the dialer's
		// proof arrived and did not hold: an attempt that ends earlier
		// (a relay that drops, a timeout) saw nothing to test a guess
		// against. Only those guesses bypass Accept's report limit.
		guessed := false
		release := slot.release
		slot.proved = func(ok bool) error {
			if !ok {
				guessed, codeAttempt = true, true
			}
			return nil
		}
		slot.release = func(bool) { release(!guessed) }
		return slot, nil
	}
	hooks := hsHooks{
		step:   func() { l.adm.progress(e) },
		proven: func() { l.adm.prove(e) },
	}
	res, err := listenHandshakeHooked(tc, &l.cfg, binding, acquire, token, hooks)
	if err != nil {
		return fail(err)
	}
	var qc net.Conn
	select {
	case qc = <-link:
	case <-ctx.Done():
		return fail(fmt.Errorf("the peer did not open its quantum link in time: %w", ctx.Err()))
	}
	if err := WriteFrame(tc, Frame{Type: FrameLinkUp}); err != nil {
		qc.Close()
		return fail(err)
	}
	if !stop() {
		qc.Close()
		return fail(fmt.Errorf("listener closing: %w", ErrClosed))
	}
	c.SetDeadline(time.Time{})
	info := PeerInfo{
		Identity:    res.peer.Identity,
		Fingerprint: identity.Fingerprint(res.peer.Identity),
		Name:        res.peer.Name,
		Role:        res.peer.Role,
		Mode:        res.mode,
		NewlyPaired: res.newlyPaired,
		Curve:       cs.CurveID,
		Initiator:   false,
		Addr:        c.RemoteAddr(),
		Nameplate:   res.nameplate,
		Grant:       res.grant,
	}
	return newSession(tc, qc, info, &l.cfg), nil
}

// attachQuantum hands a quantum connection to the handshake that issued
// its token. Unknown and already used tokens are refused. The
// connection keeps its admission slot until its token is read.
func (l *Listener) attachQuantum(c net.Conn, remote string, stop func() bool, e *hsEntry, release func()) {
	tok, err := ReadLinkToken(c)
	if err != nil {
		stop()
		l.refused(e, "quantum_link", "quantum link refused", remote, err)
		c.Close()
		return
	}
	if !stop() {
		l.refused(e, "quantum_link", "quantum link refused", remote, ErrClosed)
		c.Close()
		return
	}
	release()
	c.SetDeadline(time.Time{})
	l.mu.Lock()
	link, ok := l.pending[tok]
	if ok {
		delete(l.pending, tok)
		link <- c // buffered, and the token was just removed: never blocks
	}
	l.mu.Unlock()
	if !ok { // logged outside l.mu, which every handshake takes
		l.logs.event(slog.LevelInfo, "quantum_link", "quantum link refused: unknown or already used token", "remote", remote)
		c.Close()
	}
}

// lingerClose closes a connection after a failed handshake, giving the
// peer a moment to read our abort frame: closing a socket with unread
// input resets it, and a reset can destroy data the peer has not read.
func lingerClose(tc *tls.Conn, raw net.Conn) {
	tc.CloseWrite()
	if tcp, ok := raw.(interface{ CloseWrite() error }); ok {
		tcp.CloseWrite()
	}
	raw.SetReadDeadline(time.Now().Add(lingerTimeout))
	io.Copy(io.Discard, io.LimitReader(raw, 64<<10))
	raw.Close()
}
