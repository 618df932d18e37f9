package session

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/internal/sendorder"
	"qkdchat/internal/usererror"
	"qkdchat/ledger"
	"qkdchat/store"
	"qkdchat/transport"
)

// Ledger is what a session needs of the node's ledger: appends of the
// messages and key events it records, and the checkpoint exchanges.
// *ledger.Ledger implements it.
type Ledger interface {
	Append(ctx context.Context, tx *ledger.Transaction) (ledger.Receipt, error)
	Checkpoint() (note []byte, size int64, err error)
	ConsistencyProof(oldSize, newSize int64) ([][]byte, error)
	CosignPeer(msg []byte, peer ed25519.PublicKey, fromSize int64, proof [][]byte) ([]byte, error)
	StoreCosignature(cosigned []byte, peers ...ed25519.PublicKey) (int64, error)
	RecordReportedConflict(peer ed25519.PublicKey, reason string) error
	PeerCheckpointSize(peer ed25519.PublicKey) int64
}

// KeyStore keeps the message keys a session makes, for the ledger
// browser (store.Keys implements it).
type KeyStore interface {
	Put(peer string, key *fernet.Key, made time.Time) error
}

// Handler takes the frames of a session that the session does not handle
// itself (package delivery's). Run runs for the session's life, from the
// start; HandleFrame is called by the classical reader, in arrival order,
// and an error ends the session.
type Handler interface {
	Run(ctx context.Context)
	HandleFrame(ctx context.Context, f transport.Frame) error
}

// Settings are the node's session parameters (see node.Options).
type Settings struct {
	RekeyMessages int           // rekey after this many messages
	RekeyInterval time.Duration // and after this long; <0 disables
	TokenTTL      time.Duration // refuse tokens sealed longer ago than this
	SendTimeout   time.Duration // how long Send waits for a first key
}

// Config is what a session is made of.
type Config struct {
	Transport *transport.Session
	Peer      store.Contact
	Initiator bool // this side dialled, and so plays Alice

	Identity  *identity.Identity // signs the transactions
	LocalName string             // this user's display name
	Ledger    Ledger
	Keys      KeyStore
	RecordKey *fernet.Key // seals the key-event summaries in the ledger
	Settings  Settings
	BB84      func() BB84Settings // the settings of the next exchange
	Publish   func(Event)         // the node's event stream
	Log       *slog.Logger
	// Handler makes the session's Handler (nil: frames beyond the
	// session's own end it).
	Handler func(*Session) Handler
}

// Session is a live, authenticated connection to one peer: the key
// exchanges, the chat and the checkpoint exchanges run over it. The side
// that dialled runs Alice in every exchange, so exchanges never collide.
type Session struct {
	cfg       Config
	ts        *transport.Session
	peer      store.Contact
	initiator bool
	log       *slog.Logger
	handler   Handler

	done chan struct{}

	mu          sync.Mutex
	cancel      context.CancelFunc
	closeReason string
	closeOnce   sync.Once

	keys   *keyring         // epoch keys and the BB84 runs (keyring.go, exchange.go)
	order  *sendorder.Order // sequence numbers and the wire order of Send
	window replayGuard      // received sequence numbers (envelope.go)
	in     *chatIn          // the receive pipeline (pipeline.go)
	acks   *chatAcks        // sent and delivered events of chat messages (chatacks.go)
	ck     *checkpointer    // checkpoint exchanges (checkpoint.go)
	wg     sync.WaitGroup
}

// New makes the session of cfg; Run drives it.
func New(cfg Config) *Session {
	s := &Session{
		cfg:       cfg,
		ts:        cfg.Transport,
		peer:      cfg.Peer,
		initiator: cfg.Initiator,
		log:       cfg.Log.With("peer", cfg.Peer.Fingerprint, "peer_name", cfg.Peer.Name),
		done:      make(chan struct{}),
		order:     sendorder.New(),
		acks:      newChatAcks(),
	}
	s.keys = newKeyring(s)
	s.in = &chatIn{s: s, inbox: make(chan *inbound, maxInflight)}
	s.ck = newCheckpointer(s)
	if cfg.Handler != nil {
		s.handler = cfg.Handler(s)
	}
	return s
}

// Peer returns the contact at the other end.
func (s *Session) Peer() store.Contact { return s.peer }

// Initiator reports whether this side dialled (and so plays Alice).
func (s *Session) Initiator() bool { return s.initiator }

// Handler returns the session's handler of delivery frames (nil if none).
func (s *Session) Handler() Handler { return s.handler }

// Epoch returns the current key epoch (0 before the first key).
func (s *Session) Epoch() uint32 { e, _ := s.keys.current(); return e }

// Exchanges returns the BB84 exchanges of this session, oldest first.
func (s *Session) Exchanges() []*KeyExchange { return s.keys.exchanges() }

// Exchanging reports whether a BB84 exchange is running.
func (s *Session) Exchanging() bool {
	s.keys.mu.Lock()
	defer s.keys.mu.Unlock()
	return s.keys.exchanging
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// KeyReady is closed when the session has its first key.
func (s *Session) KeyReady() <-chan struct{} { return s.keys.ready() }

// Event publishes e as an event of this session's peer.
func (s *Session) Event(e Event) {
	e.Peer, e.PeerName, e.PeerRole = s.peer.Fingerprint, s.peer.Name, s.peer.Role
	s.cfg.Publish(e)
}

// Run drives the session until the peer leaves, a frame is malformed or
// ctx ends. The first key exchange starts at once.
func (s *Session) Run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	s.mu.Lock()
	s.cancel = cancel // read by CloseWith, which may run at once
	s.mu.Unlock()
	defer close(s.done)
	defer cancel()

	errc := make(chan error, 4)
	drained := make(chan struct{})
	go func() { errc <- s.readClassical(ctx) }()
	go func() { errc <- s.readQuantum(ctx) }()
	go func() {
		if err := s.ck.loop(ctx); err != nil {
			errc <- err
		}
	}()
	go func() {
		defer close(drained)
		if err := s.in.deliver(ctx); err != nil {
			errc <- err
		}
	}()
	if s.initiator {
		go s.Rekey(ctx)
	}
	go s.keys.rekeyTimer(ctx)
	if s.handler != nil {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.handler.Run(ctx)
		}()
	}

	err := <-errc
	reason := s.reasonFor(err)
	cancel()
	s.ts.Close()
	// Messages accepted before the end still reach the ledger and the user.
	<-drained
	s.keys.failLinks(errors.New("session ended: " + reason))
	s.ck.reportPeerLeftEarly()
	s.log.Info("session ended", "reason", reason)
	s.Event(Event{Type: EventDisconnected, Reason: reason})
	s.wg.Wait()
}

func (s *Session) reasonFor(err error) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closeReason != "" {
		return s.closeReason
	}
	return UserError(err)
}

// Close says goodbye after a last checkpoint exchange and ends the session.
func (s *Session) Close() error {
	s.CloseWith("closed")
	return nil
}

// CloseWith is Close, telling the peer reason.
func (s *Session) CloseWith(reason string) {
	s.closeOnce.Do(func() {
		select {
		case <-s.done:
			return // already over (the peer left, or the link died): nothing to exchange
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), finalCheckpointTimeout)
		defer cancel()
		if err := s.ck.finalExchange(ctx); err != nil {
			s.log.Warn("final checkpoint exchange incomplete", "err", err)
			s.Event(Event{Type: EventCheckpointIncomplete, Reason: "final checkpoint exchange incomplete: " + err.Error()})
		}
		ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.mu.Lock()
		s.closeReason = reason
		s.mu.Unlock()
		if s.ts.Send(ctx, transport.Frame{Type: FrameBye, Payload: []byte(reason)}) == nil {
			// Let the peer read the goodbye and hang up first: closing at
			// once could make its quantum reader see the end before its
			// classical reader sees why.
			select {
			case <-s.ts.Done():
			case <-time.After(500 * time.Millisecond):
			}
		}
		s.mu.Lock()
		stop := s.cancel
		s.mu.Unlock()
		if stop != nil {
			stop()
		}
		s.ts.Close()
	})
	<-s.done
}

// SendFrame puts a frame on the classical channel.
func (s *Session) SendFrame(ctx context.Context, typ transport.FrameType, payload []byte) error {
	return s.ts.Send(ctx, transport.Frame{Type: typ, Payload: payload})
}

// errPeerLeft ends a session whose peer said goodbye.
var errPeerLeft = errors.New("peer left")

// readClassical handles frames from the TLS channel. A frame that does not
// parse ends the session (never the process), with the reason logged.
func (s *Session) readClassical(ctx context.Context) error {
	defer close(s.in.inbox)
	for {
		f, err := s.ts.Recv(ctx)
		if err != nil {
			return err
		}
		if err := s.handleFrame(ctx, f); err != nil {
			if errors.Is(err, errPeerLeft) {
				return err // a goodbye, not a bad frame
			}
			s.log.Warn("ending session on a bad frame", "type", f.Type, "err", err)
			s.Event(Event{Type: EventRejected, Reason: err.Error()})
			return err
		}
	}
}

func (s *Session) handleFrame(ctx context.Context, f transport.Frame) error {
	switch f.Type {
	case FrameBB84:
		return s.keys.deliverBB84(ctx, f.Payload, false)
	case FrameKeyResult:
		var r keyResult
		if err := json.Unmarshal(f.Payload, &r); err != nil {
			return fmt.Errorf("malformed key result: %w", err)
		}
		s.keys.handleKeyResult(ctx, r)
		return nil
	case FrameRekeyRequest:
		if s.initiator {
			s.keys.peerRequested(ctx)
		}
		return nil
	case FrameChat:
		return s.in.receive(ctx, f.Payload)
	case FrameAck:
		s.acks.acknowledged(s, string(f.Payload))
		return nil
	case FrameCkptRequest, FrameCheckpoint, FrameCosign, FrameCkptRefused:
		// Checkpoints wait for ledger commits: handled off the reader, so
		// that chat frames behind them are not held up; rate-limited.
		return s.ck.admitFrame(ctx, f)
	case FrameBye:
		s.mu.Lock()
		s.closeReason = "peer left: " + string(f.Payload)
		s.mu.Unlock()
		return errPeerLeft
	}
	if s.handler != nil {
		return s.handler.HandleFrame(ctx, f)
	}
	return fmt.Errorf("unknown frame type 0x%02x", f.Type)
}

// readQuantum handles photon frames from the quantum link.
func (s *Session) readQuantum(ctx context.Context) error {
	for {
		p, err := s.ts.RecvQuantum(ctx)
		if err != nil {
			return err
		}
		if err := s.keys.deliverBB84(ctx, p, true); err != nil {
			// The quantum link is open to anyone; garbage on it spoils the
			// running exchange but does not end the authenticated session.
			s.log.Warn("bad frame on the quantum link", "err", err)
		}
	}
}

// NewMessageID returns a random 128-bit message ID in hex.
func NewMessageID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// UserError phrases err in words a user understands, for the UI and the
// CLI (package internal/usererror). The full error stays in the log.
func UserError(err error) string { return usererror.Phrase(err) }
