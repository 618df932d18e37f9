package eve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"

	"qkdchat/qkd"
	"qkdchat/session"
	"qkdchat/transport"
)

// Options configure an eavesdropper between two peers.
type Options struct {
	Listen    string  // where the victim dials (HOST:PORT)
	Forward   string  // the real listener
	Intercept float64 // fraction of photons measured and resent, 0..1
	Seed      *uint64 // reproducible basis choices; nil = crypto/rand
	Logger    *slog.Logger
}

// Stats is what Eve has done so far on all quantum links.
type Stats struct {
	Links        int `json:"links"`         // quantum links seen
	Relayed      int `json:"relayed"`       // classical connections relayed unread
	Photons      int `json:"photons"`       // photons that passed
	Intercepted  int `json:"intercepted"`   // photons measured and resent
	BasisMatched int `json:"basis_matched"` // measured in the photon's own basis
}

// Eve is a man in the middle on the quantum link. Classical connections
// are relayed byte for byte: they are TLS, and Eve cannot read or alter
// them without failing the pairing. Photon frames are decoded, a fraction
// is intercepted and resent (qkd.InterceptResend), and the result goes on.
type Eve struct {
	opts  Options
	ln    net.Listener
	rng   *rand.Rand
	mu    sync.Mutex
	stats Stats
	wg    sync.WaitGroup
	notes chan Stats
}

// New starts listening; Serve relays.
func New(opts Options) (*Eve, error) {
	if opts.Intercept < 0 || opts.Intercept > 1 {
		return nil, fmt.Errorf("eve: intercept fraction %g is not in [0, 1]", opts.Intercept)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return nil, fmt.Errorf("eve: listen on %s: %w", opts.Listen, err)
	}
	return &Eve{opts: opts, ln: ln, rng: qkd.NewRand(opts.Seed, "eve"), notes: make(chan Stats, 64)}, nil
}

// SetIntercept changes the fraction of photons Eve attacks from now on.
func (e *Eve) SetIntercept(p float64) error {
	if p < 0 || p > 1 || p != p {
		return fmt.Errorf("eve: intercept fraction %g is not in [0, 1]", p)
	}
	e.mu.Lock()
	e.opts.Intercept = p
	e.mu.Unlock()
	return nil
}

// Addr is where Eve listens.
func (e *Eve) Addr() net.Addr { return e.ln.Addr() }

// Stats returns what Eve has done so far.
func (e *Eve) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.stats
}

// Updates delivers a snapshot of the stats after every intercepted frame.
// Snapshots are dropped when nobody reads them.
func (e *Eve) Updates() <-chan Stats { return e.notes }

// Serve relays connections until ctx ends.
func (e *Eve) Serve(ctx context.Context) error {
	go func() {
		<-ctx.Done()
		e.ln.Close()
	}()
	for {
		c, err := e.ln.Accept()
		if err != nil {
			e.wg.Wait()
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("eve: accept: %w", err)
		}
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			if err := e.relay(ctx, c); err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				e.opts.Logger.Info("eve: relay ended", "err", err)
			}
		}()
	}
}

func (e *Eve) relay(ctx context.Context, victim net.Conn) error {
	defer victim.Close()
	in := bufio.NewReader(victim)
	kind, err := transport.ReadPreamble(in)
	if err != nil {
		return err
	}
	var d net.Dialer
	target, err := d.DialContext(ctx, "tcp", e.opts.Forward)
	if err != nil {
		return fmt.Errorf("eve: forward to %s: %w", e.opts.Forward, err)
	}
	defer target.Close()
	go func() {
		<-ctx.Done()
		victim.Close()
		target.Close()
	}()
	if err := transport.WritePreamble(target, kind); err != nil {
		return err
	}
	// Whatever the server says goes back unread.
	go io.Copy(victim, target)
	if kind != transport.KindQuantum {
		e.mu.Lock()
		e.stats.Relayed++
		e.mu.Unlock()
		_, err := io.Copy(target, in)
		return err
	}
	tok, err := transport.ReadLinkToken(in)
	if err != nil {
		return err
	}
	if err := transport.WriteLinkToken(target, tok); err != nil {
		return err
	}
	e.mu.Lock()
	e.stats.Links++
	e.mu.Unlock()
	for {
		f, err := transport.ReadFrame(in, transport.DefaultMaxFrame)
		if err != nil {
			return err
		}
		if f.Type == transport.FrameQuantum {
			f.Payload = e.intercept(f.Payload)
		}
		if err := transport.WriteFrame(target, f); err != nil {
			return err
		}
	}
}

// intercept attacks the photons of one quantum-link payload. A payload it
// cannot parse goes on unchanged: Eve wants to stay unnoticed.
func (e *Eve) intercept(payload []byte) []byte {
	if len(payload) < session.BB84HeaderLen {
		return payload
	}
	m, err := qkd.UnmarshalMessage(payload[session.BB84HeaderLen:])
	if err != nil {
		return payload
	}
	pf, ok := m.(*qkd.PhotonFrame)
	if !ok {
		return payload
	}
	e.mu.Lock()
	st, err := (&qkd.InterceptResend{Fraction: e.opts.Intercept}).Apply(pf, e.rng)
	e.mu.Unlock()
	if err != nil {
		return payload
	}
	body, err := qkd.MarshalMessage(pf)
	if err != nil {
		return payload
	}
	e.mu.Lock()
	e.stats.Photons += pf.Count
	e.stats.Intercepted += st.Intercepted
	e.stats.BasisMatched += st.BasisMatched
	snap := e.stats
	e.mu.Unlock()
	select {
	case e.notes <- snap:
	default:
	}
	return append(payload[:session.BB84HeaderLen:session.BB84HeaderLen], body...)
}
