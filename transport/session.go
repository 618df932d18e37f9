package transport

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// maxExport bounds Session.Exporter's output.
const maxExport = 1 << 16

// PeerInfo describes the authenticated peer of a Session.
type PeerInfo struct {
	Identity    ed25519.PublicKey // the peer's identity key, proven in the handshake
	Fingerprint string            // identity.Fingerprint(Identity)
	Name, Role  string            // as the peer announced them
	Mode        Mode              // how the peer was authenticated
	NewlyPaired bool              // the key was not pinned before this pairing
	Curve       tls.CurveID       // the TLS key exchange (X25519MLKEM768 unless the peer lacks it)
	Initiator   bool              // true on the side that dialed (Connect), false on the listener
	Addr        net.Addr          // the remote address of the classical connection
	// Nameplate and Grant name the invite the peer paired with, on the
	// listener's side (see Listener.AddInvite); 0 and "" otherwise.
	Nameplate int
	Grant     string
}

// Session is an authenticated connection to one peer: a classical channel
// inside TLS and a raw quantum link beside it.
//
// Send and SendQuantum are safe for concurrent use (writes are serialized
// per channel); Recv and RecvQuantum may be called from any number of
// goroutines, each frame going to one of them. Any failure of either
// channel (the peer leaving, a malformed, oversize or unexpected frame, a
// cancelled write) ends the whole session: both connections are closed and
// every later call returns the cause, also available from Err.
type Session struct {
	peer     PeerInfo
	tc       *tls.Conn
	qc       net.Conn
	maxFrame int
	log      *slog.Logger

	cmu, qmu sync.Mutex // serialize writes per channel

	classical, quantum *frameReader

	done      chan struct{}
	closeOnce sync.Once
	cause     error // why the session ended; read only after done is closed
	closeErr  error
}

// frameReader is one channel's reading goroutine; it hands frames over an
// unbuffered channel, so a slow receiver pushes back on the peer.
type frameReader struct {
	frames chan Frame
	done   chan struct{} // closed when the goroutine ends
}

func newSession(tc *tls.Conn, qc net.Conn, peer PeerInfo, cfg *Config) *Session {
	s := &Session{
		peer:      peer,
		tc:        tc,
		qc:        qc,
		maxFrame:  cfg.MaxFrame,
		log:       cfg.Logger.With("peer", peer.Fingerprint),
		classical: &frameReader{frames: make(chan Frame), done: make(chan struct{})},
		quantum:   &frameReader{frames: make(chan Frame), done: make(chan struct{})},
		done:      make(chan struct{}),
	}
	go s.readLoop(s.classical, tc, "classical", func(t FrameType) bool { return t >= FirstAppFrame })
	go s.readLoop(s.quantum, bufio.NewReaderSize(qc, 64<<10), "quantum", func(t FrameType) bool { return t == FrameQuantum })
	return s
}

func (s *Session) readLoop(r *frameReader, src io.Reader, channel string, allowed func(FrameType) bool) {
	defer close(r.done)
	for {
		f, err := ReadFrame(src, s.maxFrame)
		if err == nil && !allowed(f.Type) {
			err = fmt.Errorf("frame type %#x: %w", f.Type, ErrUnexpectedFrame)
		}
		if err != nil {
			select {
			case <-s.done: // we closed it; the cause is already recorded
			default:
				switch {
				case errors.Is(err, io.EOF):
					s.log.Debug("peer closed the session", "channel", channel)
					err = fmt.Errorf("transport: peer closed the %s channel: %w", channel, io.EOF)
				case isFrameError(err):
					s.log.Warn("session ended: bad frame", "channel", channel, "reason", err)
					err = fmt.Errorf("transport: %s channel: %w", channel, err)
				default:
					s.log.Info("session ended", "channel", channel, "reason", err)
					err = fmt.Errorf("transport: %s channel: %w", channel, err)
				}
				s.closeWith(err)
			}
			return
		}
		select {
		case r.frames <- f:
		case <-s.done:
			return
		}
	}
}

func isFrameError(err error) bool {
	return errors.Is(err, ErrBadVersion) || errors.Is(err, ErrFrameTooLarge) ||
		errors.Is(err, ErrTruncated) || errors.Is(err, ErrUnexpectedFrame)
}

// closeWith ends the session once, recording why. It reports whether this
// call did it.
func (s *Session) closeWith(cause error) bool {
	did := false
	s.closeOnce.Do(func() {
		did = true
		s.cause = cause
		close(s.done)
		// Do not let a peer that stopped reading hold up the close alert.
		s.tc.SetWriteDeadline(time.Now().Add(time.Second))
		s.closeErr = errors.Join(s.tc.Close(), s.qc.Close())
	})
	return did
}

// Peer returns who is at the other end.
func (s *Session) Peer() PeerInfo { return s.peer }

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns why the session ended, or nil while it is up.
func (s *Session) Err() error {
	select {
	case <-s.done:
		return s.cause
	default:
		return nil
	}
}

// Close ends the session and closes both connections. Later calls, and
// calls after the session ended on its own, return nil.
func (s *Session) Close() error {
	if s.closeWith(fmt.Errorf("transport: session closed: %w", ErrClosed)) {
		return s.closeErr
	}
	return nil
}

// Send writes an application frame (Type >= FirstAppFrame) on the
// authenticated channel. A payload over the MaxFrame limit is refused and
// the session stays up. If ctx ends during the write, the frame may be
// half sent, so the session is closed.
func (s *Session) Send(ctx context.Context, f Frame) error {
	if f.Type < FirstAppFrame {
		return fmt.Errorf("transport: send: frame type %#x is reserved: %w", f.Type, ErrUnexpectedFrame)
	}
	return s.write(ctx, &s.cmu, s.tc, f)
}

// Recv returns the next application frame of the authenticated channel.
func (s *Session) Recv(ctx context.Context) (Frame, error) {
	return s.read(ctx, s.classical)
}

// SendQuantum writes payload as one FrameQuantum frame on the quantum
// link, which is neither encrypted nor authenticated.
func (s *Session) SendQuantum(ctx context.Context, payload []byte) error {
	return s.write(ctx, &s.qmu, s.qc, Frame{Type: FrameQuantum, Payload: payload})
}

// RecvQuantum returns the payload of the next quantum link frame.
func (s *Session) RecvQuantum(ctx context.Context) ([]byte, error) {
	f, err := s.read(ctx, s.quantum)
	return f.Payload, err
}

func (s *Session) read(ctx context.Context, r *frameReader) (Frame, error) {
	select {
	case f := <-r.frames:
		return f, nil
	case <-r.done:
		<-s.done
		return Frame{}, s.cause
	case <-s.done:
		return Frame{}, s.cause
	case <-ctx.Done():
		return Frame{}, ctx.Err()
	}
}

func (s *Session) write(ctx context.Context, mu *sync.Mutex, conn net.Conn, f Frame) error {
	if len(f.Payload) > s.maxFrame {
		return fmt.Errorf("transport: send: %d bytes exceed the frame limit of %d: %w", len(f.Payload), s.maxFrame, ErrFrameTooLarge)
	}
	mu.Lock()
	defer mu.Unlock()
	select {
	case <-s.done:
		return s.cause
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetWriteDeadline(dl)
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		conn.SetWriteDeadline(time.Unix(1, 0))
		close(fired)
	})
	err := WriteFrame(conn, f)
	if !stop() {
		<-fired
	}
	conn.SetWriteDeadline(time.Time{})
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("transport: send: %w", ctx.Err())
		}
		s.closeWith(err)
		return err
	}
	return nil
}

// Exporter derives n bytes of keying material bound to this session's TLS
// connection (RFC 8446 section 7.5): both peers get the same bytes for the
// same label and context, and nobody else can compute them.
func (s *Session) Exporter(label string, context []byte, n int) ([]byte, error) {
	if label == bindingLabel {
		return nil, fmt.Errorf("transport: exporter label %q is reserved", label)
	}
	if n <= 0 || n > maxExport {
		return nil, fmt.Errorf("transport: exporter length %d out of range 1..%d", n, maxExport)
	}
	cs := s.tc.ConnectionState()
	b, err := cs.ExportKeyingMaterial(label, context, n)
	if err != nil {
		return nil, fmt.Errorf("transport: exporter: %w", err)
	}
	return b, nil
}
