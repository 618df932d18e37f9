package app

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
	"qkdchat/transport"
)

// App frame types on the classical channel (the transport keeps the types
// below transport.FirstAppFrame for its handshake).
const (
	frameBB84         transport.FrameType = 0x40 // classical BB84 message: bb84Header + qkd encoding
	frameKeyResult    transport.FrameType = 0x41 // JSON keyResult
	frameRekeyRequest transport.FrameType = 0x42 // empty: the responder asks the initiator to rekey
	frameChat         transport.FrameType = 0x50 // 4-byte epoch + signed ledger transaction
	frameAck          transport.FrameType = 0x51 // message ID
	frameCkptRequest  transport.FrameType = 0x60 // 8-byte size of the peer's tree we last cosigned
	frameCheckpoint   transport.FrameType = 0x61 // JSON checkpointOffer
	frameCosign       transport.FrameType = 0x62 // our checkpoint, cosigned by the peer
	frameCkptRefused  transport.FrameType = 0x63 // JSON checkpointRefusal: our checkpoint was not cosigned
	frameBye          transport.FrameType = 0x6f // UTF-8 reason
)

// Session is a live, authenticated connection to one peer: the key
// exchanges, the chat and the checkpoint exchanges run over it. The side
// that dialled runs Alice in every exchange, so exchanges never collide.
type Session struct {
	node      *Node
	ts        *transport.Session
	peer      Contact
	initiator bool
	log       loggerish

	cancel context.CancelFunc
	done   chan struct{}

	mu            sync.Mutex
	keys          map[uint32]*fernet.Key   // current epoch and the one before it
	epoch         uint32                   // current epoch; 0 until the first key
	keyReady      chan struct{}            // closed at the first key
	keyChanged    chan struct{}            // closed and replaced when a key is installed or an exchange ends
	inbox         chan *inbound            // accepted messages, to the delivery stage (pipeline.go)
	ckpt          chan transport.Frame     // checkpoint frames, to checkpointLoop
	sendOrder     map[uint64]chan struct{} // Send calls not yet on the wire, by sequence number; closed at its turn
	sendHead      uint64                   // no Send call below this is still in sendOrder
	exchanging    bool
	exchangeDone  chan struct{}       // closed when the running exchange ends
	exchangeEpoch uint32              // the epoch of the running (or last) exchange
	exchangeErr   error               // how the last exchange ended
	nextBob       *pendingExchange    // responder: the exchange to start when this one ends
	links         map[uint32]*qkdLink // running exchange, by epoch
	results       map[uint32]chan keyResult
	sendSeq       uint64
	window        replayWindow
	sinceRekey    int
	lastRekey     time.Time
	history       []*KeyExchange
	closeReason   string
	closeOnce     sync.Once
	ck            ckptState // checkpoint exchanges (checkpoint.go)
	// unannounced holds the IDs of messages on the wire whose message_sent
	// event is not published yet, true once the peer acknowledged one: its
	// delivery event then waits for message_sent (announceSent).
	unannounced map[string]bool

	courier *courier // reliable delivery of the outbox (outbox.go)
}

type loggerish interface {
	Info(msg string, args ...any)
	Warn(msg string, args ...any)
}

func newSession(n *Node, ts *transport.Session, peer Contact, initiator bool) *Session {
	return &Session{
		node:       n,
		ts:         ts,
		peer:       peer,
		initiator:  initiator,
		log:        n.log.With("peer", peer.Fingerprint, "peer_name", peer.Name),
		done:       make(chan struct{}),
		keys:       map[uint32]*fernet.Key{},
		keyReady:   make(chan struct{}),
		keyChanged: make(chan struct{}),
		inbox:      make(chan *inbound, maxInflight),
		ckpt:       make(chan transport.Frame, 16),
		sendOrder:  map[uint64]chan struct{}{},
		links:      map[uint32]*qkdLink{},
		results:    map[uint32]chan keyResult{},
		courier:    newCourier(),

		unannounced: map[string]bool{},
	}
}

// Peer returns the contact at the other end.
func (s *Session) Peer() Contact { return s.peer }

// Initiator reports whether this side dialled (and so plays Alice).
func (s *Session) Initiator() bool { return s.initiator }

// Epoch returns the current key epoch (0 before the first key).
func (s *Session) Epoch() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.epoch
}

// Exchanges returns the BB84 exchanges of this session, oldest first.
func (s *Session) Exchanges() []*KeyExchange {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*KeyExchange(nil), s.history...)
}

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

func (s *Session) event(e Event) {
	e.Peer, e.PeerName, e.PeerRole = s.peer.Fingerprint, s.peer.Name, s.peer.Role
	s.node.publish(e)
}

// run drives the session until the peer leaves, a frame is malformed or
// ctx ends. The first key exchange starts at once.
func (s *Session) run(parent context.Context) {
	ctx, cancel := context.WithCancel(parent)
	s.mu.Lock()
	s.cancel = cancel // read by closeWith, which may run at once
	s.mu.Unlock()
	defer close(s.done)
	defer cancel()

	errc := make(chan error, 4)
	drained := make(chan struct{})
	go func() { errc <- s.readClassical(ctx) }()
	go func() { errc <- s.readQuantum(ctx) }()
	go func() {
		if err := s.checkpointLoop(ctx); err != nil {
			errc <- err
		}
	}()
	go func() {
		defer close(drained)
		if err := s.deliverInbound(ctx); err != nil {
			errc <- err
		}
	}()
	if s.initiator {
		go s.Rekey(ctx)
	}
	go s.rekeyTimer(ctx)
	s.node.wg.Add(1)
	go func() {
		defer s.node.wg.Done()
		s.deliverOutbox(ctx)
	}()

	err := <-errc
	reason := s.reasonFor(err)
	cancel()
	s.ts.Close()
	// Messages accepted before the end still reach the ledger and the user.
	<-drained
	s.failLinks(errors.New("session ended: " + reason))
	s.reportPeerLeftEarly()
	s.log.Info("session ended", "reason", reason)
	s.event(Event{Type: EventDisconnected, Reason: reason})
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
	s.closeWith("closed")
	return nil
}

func (s *Session) closeWith(reason string) {
	s.closeOnce.Do(func() {
		select {
		case <-s.done:
			return // already over (the peer left, or the link died): nothing to exchange
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), finalCheckpointTimeout)
		defer cancel()
		if err := s.finalCheckpoint(ctx); err != nil {
			s.log.Warn("final checkpoint exchange incomplete", "err", err)
			s.event(Event{Type: EventCheckpointIncomplete, Reason: "final checkpoint exchange incomplete: " + err.Error()})
		}
		ctx, cancel = context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		s.mu.Lock()
		s.closeReason = reason
		s.mu.Unlock()
		if s.ts.Send(ctx, transport.Frame{Type: frameBye, Payload: []byte(reason)}) == nil {
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

func (s *Session) send(ctx context.Context, typ transport.FrameType, payload []byte) error {
	return s.ts.Send(ctx, transport.Frame{Type: typ, Payload: payload})
}

// errPeerLeft ends a session whose peer said goodbye.
var errPeerLeft = errors.New("peer left")

// readClassical handles frames from the TLS channel. A frame that does not
// parse ends the session (never the process), with the reason logged.
func (s *Session) readClassical(ctx context.Context) error {
	defer close(s.inbox)
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
			s.event(Event{Type: EventRejected, Reason: err.Error()})
			return err
		}
	}
}

func (s *Session) handleFrame(ctx context.Context, f transport.Frame) error {
	switch f.Type {
	case frameBB84:
		return s.deliverBB84(ctx, f.Payload, false)
	case frameKeyResult:
		var r keyResult
		if err := json.Unmarshal(f.Payload, &r); err != nil {
			return fmt.Errorf("malformed key result: %w", err)
		}
		s.handleKeyResult(ctx, r)
		return nil
	case frameRekeyRequest:
		if s.initiator {
			go s.Rekey(ctx)
		}
		return nil
	case frameChat:
		return s.receiveChat(ctx, f.Payload)
	case frameAck:
		s.acknowledgedChat(string(f.Payload))
		return nil
	case frameCkptRequest, frameCheckpoint, frameCosign, frameCkptRefused:
		// Checkpoints wait for ledger commits: handled off the reader, so
		// that chat frames behind them are not held up; rate-limited.
		return s.admitCheckpointFrame(ctx, f)
	case frameReliable, frameReliableAk, frameChunk, frameChunkAck, frameChunkQuery:
		return s.handleDelivery(ctx, f)
	case frameBye:
		s.mu.Lock()
		s.closeReason = "peer left: " + string(f.Payload)
		s.mu.Unlock()
		return errPeerLeft
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
		if err := s.deliverBB84(ctx, p, true); err != nil {
			// The quantum link is open to anyone; garbage on it spoils the
			// running exchange but does not end the authenticated session.
			s.log.Warn("bad frame on the quantum link", "err", err)
		}
	}
}

// newMessageID returns a random 128-bit message ID in hex.
func newMessageID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Send seals text (and an optional structured body) under the current key,
// records it in the ledger and sends it. It waits for the first key of the
// session if there is none yet.
func (s *Session) Send(ctx context.Context, kind ledger.Kind, caseID, text string, body []byte) (*Message, error) {
	if err := s.waitKey(ctx); err != nil {
		return nil, err
	}
	s.mu.Lock()
	epoch := s.epoch
	key := s.keys[epoch]
	s.sendSeq++
	seq := s.sendSeq
	s.sendOrder[seq] = make(chan struct{})
	s.sinceRekey++
	needRekey := s.sinceRekey >= s.node.opts.RekeyMessages
	s.mu.Unlock()
	defer s.leaveSendOrder(seq)

	now := time.Now()
	m := &Message{ID: newMessageID(), Seq: seq, Epoch: epoch, Kind: kind.String(), CaseID: caseID, Text: text, Body: body,
		Time: now, From: s.node.Fingerprint(), FromName: s.node.profile.Name, To: s.peer.Fingerprint, Outgoing: true}
	tok, err := sealMessage(key, sealed{ID: m.ID, Seq: seq, Epoch: epoch, Kind: m.Kind, CaseID: caseID, Text: text, Body: body}, now)
	if err != nil {
		return nil, err
	}
	tx := &ledger.Transaction{Kind: kind, Sender: s.node.id.Public(), Recipient: s.peer.PublicKey, CaseID: caseID, Time: now, Token: tok}
	if err := tx.Sign(s.node.id); err != nil {
		return nil, err
	}
	rc, err := s.node.ledger.Append(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("record message in ledger: %w", err)
	}
	m.TxID = rc.ID.String()
	s.event(Event{Type: EventLedgerAppend, TxID: m.TxID, Kind: kind.String(), Index: rc.Index})
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	payload := make([]byte, 4+len(raw))
	binary.BigEndian.PutUint32(payload, epoch)
	copy(payload[4:], raw)
	if err := s.awaitSendTurn(ctx, seq); err != nil {
		return m, fmt.Errorf("send message: %w", err)
	}
	s.expectAck(m.ID)
	err = s.send(ctx, frameChat, payload)
	s.leaveSendOrder(seq)
	s.announceSent(m, err == nil)
	if err != nil {
		return m, fmt.Errorf("send message: %w", err)
	}
	if needRekey {
		go s.Rekey(context.WithoutCancel(ctx))
	}
	return m, nil
}

// expectAck notes that message id is going on the wire and its
// message_sent event is still to come.
func (s *Session) expectAck(id string) {
	s.mu.Lock()
	s.unannounced[id] = false
	s.mu.Unlock()
}

// announceSent publishes message_sent for m (if it went out), then its
// delivery if the peer's acknowledgement overtook the announcement: an
// acknowledgement is read on another goroutine and can arrive before Send
// is back from the wire, but subscribers always see sent, then delivered.
func (s *Session) announceSent(m *Message, sent bool) {
	if sent {
		s.event(Event{Type: EventMessageSent, Message: m, MessageID: m.ID, State: Sent, Epoch: m.Epoch})
	}
	s.mu.Lock()
	acked := s.unannounced[m.ID]
	delete(s.unannounced, m.ID)
	s.mu.Unlock()
	if acked {
		s.event(Event{Type: EventDelivery, MessageID: m.ID, State: Delivered})
	}
}

// acknowledgedChat publishes the delivery of a chat message, or leaves it
// to announceSent if the message's message_sent event is still to come.
func (s *Session) acknowledgedChat(id string) {
	s.mu.Lock()
	if _, pending := s.unannounced[id]; pending {
		s.unannounced[id] = true
		s.mu.Unlock()
		return
	}
	s.mu.Unlock()
	s.event(Event{Type: EventDelivery, MessageID: id, State: Delivered})
}

func (s *Session) waitKey(ctx context.Context) error {
	s.mu.Lock()
	ready := s.keyReady
	s.mu.Unlock()
	t := time.NewTimer(s.node.opts.SendTimeout)
	defer t.Stop()
	select {
	case <-ready:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.done:
		return errors.New("session has ended")
	case <-t.C:
		s.mu.Lock()
		running, last := s.exchanging, s.exchangeErr
		s.mu.Unlock()
		switch {
		case running:
			return fmt.Errorf("no key with this peer after %s: the BB84 exchange is still running", s.node.opts.SendTimeout)
		case last != nil:
			return fmt.Errorf("no key with this peer: the BB84 exchange has not succeeded: %w", last)
		}
		return errors.New("no key with this peer yet: the BB84 exchange has not succeeded")
	}
}

func (s *Session) rekeyTimer(ctx context.Context) {
	every := s.node.opts.RekeyInterval
	if every < 0 {
		return
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.Rekey(ctx)
		}
	}
}
