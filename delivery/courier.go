package delivery

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
	"qkdchat/session"
	"qkdchat/store"
	"qkdchat/transport"
)

// Ledger is what delivery needs of the node's ledger (*ledger.Ledger).
type Ledger interface {
	Append(ctx context.Context, tx *ledger.Transaction) (ledger.Receipt, error)
	Lookup(id ledger.TxID) (int64, *ledger.Transaction, error)
}

// Acceptor decides about the reliable messages a peer sends; the node
// implements it with the telehealth rules. Check reports whether a message
// may be recorded, changing nothing; its error is the refusal, told to the
// peer in its words. Apply applies a message once it is recorded; it is
// idempotent, because a resend after a crash may apply one twice.
type Acceptor interface {
	Check(ctx context.Context, peer store.Contact, tx *ledger.Transaction, m *session.Message) error
	Apply(ctx context.Context, peer store.Contact, tx *ledger.Transaction, m *session.Message) error
}

// Refusal is a message or attachment refused, by the peer or by this
// node's Acceptor, for the node's record of refused actions.
type Refusal struct {
	Peer, PeerName string
	Incoming       bool // the peer sent it (else it was ours, refused by the peer)
	CaseID         string
	Action         string
	Reason         string
}

// maxAttempts bounds the signed attempts kept per outbox item.
const maxAttempts = 64

// Config is what a courier needs of the node.
type Config struct {
	Store         *store.Store
	RecordKey     *fernet.Key // seals the outbox and the attachment files
	Ledger        Ledger
	Accept        Acceptor
	Refused       func(Refusal) // records a refusal
	MaxAttachment int64         // largest attachment accepted, in bytes
	// NoFile reports the attachment references of a transaction that
	// travel without a file (a digest the ledger commits to).
	NoFile            func(ledger.AttachmentRef) bool
	Fingerprint, Name string // this node's
	Log               *slog.Logger
}

// Courier is a session's reliable delivery: it implements
// session.Handler for the frames of reliable delivery.
type Courier struct {
	s      *session.Session
	cfg    Config
	log    *slog.Logger
	outbox store.Outbox
	files  store.Attachments
	seen   store.Seen

	kick chan struct{}
	acks chan chunkAck
	mu   sync.Mutex
	sent map[string]bool // message IDs sent in this session, awaiting their ack
}

// New makes the courier of session s.
func New(s *session.Session, cfg Config) *Courier {
	p := s.Peer()
	return &Courier{
		s: s, cfg: cfg,
		log:    cfg.Log.With("peer", p.Fingerprint, "peer_name", p.Name),
		outbox: cfg.Store.Outbox(cfg.RecordKey),
		files:  cfg.Store.Attachments(cfg.RecordKey),
		seen:   cfg.Store.Seen(),
		kick:   make(chan struct{}, 1),
		acks:   make(chan chunkAck, 8),
		sent:   map[string]bool{},
	}
}

// Kick has the outbox sent again (something was queued).
func (c *Courier) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

// Run is the session's courier: once the first key exists it sends the
// outbox, and again whenever something is queued or a new key is made.
func (c *Courier) Run(ctx context.Context) {
	select {
	case <-c.s.KeyReady():
	case <-ctx.Done():
		return
	}
	for {
		if err := c.flushOutbox(ctx); err != nil && ctx.Err() == nil {
			c.log.Warn("outbox delivery interrupted", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-c.kick:
		}
	}
}

func (c *Courier) flushOutbox(ctx context.Context) error {
	items, err := c.outbox.List(c.s.Peer().Fingerprint)
	if err != nil {
		return err
	}
	for _, e := range items {
		c.mu.Lock()
		done := c.sent[e.Item.ID]
		c.mu.Unlock()
		if done {
			continue
		}
		if err := c.sendItem(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// sendItem transfers the item's attachments, then seals, records and sends
// the message itself.
func (c *Courier) sendItem(ctx context.Context, e store.OutboxEntry) error {
	it := e.Item
	for _, f := range it.Files {
		if err := c.sendAttachment(ctx, it.ID, f); err != nil {
			var refused *refusedError
			if errors.As(err, &refused) {
				c.outbox.Take(c.s.Peer().Fingerprint, it.ID)
				c.cfg.Refused(Refusal{Peer: c.s.Peer().Fingerprint, PeerName: c.s.Peer().Name, CaseID: it.CaseID,
					Action: "send " + f.Name, Reason: refused.Error()})
				c.s.Event(session.Event{Type: session.EventRejected, MessageID: it.ID, CaseID: it.CaseID, Reason: refused.Error()})
				return nil
			}
			return err
		}
	}
	refs, err := it.Refs()
	if err != nil {
		return err
	}
	tx, epoch, err := c.s.Seal(it.Kind, it.CaseID, session.Sealed{ID: it.ID, Kind: it.Kind.String(), CaseID: it.CaseID, Text: it.Text, Body: it.Body}, refs)
	if err != nil {
		return err
	}
	raw, err := tx.MarshalBinary()
	if err != nil {
		return err
	}
	if len(it.Attempts) >= maxAttempts {
		it.Attempts = it.Attempts[1:]
	}
	it.Attempts = append(it.Attempts, raw)
	if err := c.outbox.Update(c.s.Peer().Fingerprint, e.Key, it); err != nil {
		return fmt.Errorf("record send attempt: %w", err)
	}
	payload := make([]byte, 4+len(raw))
	binary.BigEndian.PutUint32(payload, epoch)
	copy(payload[4:], raw)
	c.mu.Lock()
	c.sent[it.ID] = true
	c.mu.Unlock()
	// Announce before sending: the acknowledgement may overtake the
	// announcement otherwise.
	m := &session.Message{ID: it.ID, Epoch: epoch, Kind: it.Kind.String(), CaseID: it.CaseID, Text: it.Text, Body: it.Body,
		Time: tx.Time, From: c.cfg.Fingerprint, FromName: c.cfg.Name, To: c.s.Peer().Fingerprint,
		TxID: tx.ID().String(), Outgoing: true}
	c.s.Event(session.Event{Type: session.EventMessageSent, Message: m, MessageID: m.ID, State: session.Sent, Epoch: epoch, CaseID: it.CaseID})
	if err := c.s.SendFrame(ctx, frameReliable, payload); err != nil {
		return fmt.Errorf("send message: %w", err)
	}
	return nil
}

// HandleFrame handles the frames of reliable delivery.
func (c *Courier) HandleFrame(ctx context.Context, f transport.Frame) error {
	switch f.Type {
	case frameReliable:
		return c.receiveReliable(ctx, f.Payload)
	case frameReliableAk:
		a, err := parseReliableAck(f.Payload)
		if err != nil {
			return err
		}
		c.acknowledged(ctx, a)
		return nil
	case frameChunk:
		return c.receiveChunkFrame(ctx, f.Payload)
	case frameChunkAck:
		a, err := parseChunkAck(f.Payload)
		if err != nil {
			return err
		}
		select {
		case c.acks <- a:
		default: // nobody waits for it: stale
		}
		return nil
	case frameChunkQuery:
		return c.answerChunkQuery(ctx, f.Payload)
	}
	return fmt.Errorf("unknown frame type 0x%02x", f.Type)
}

// acknowledged completes the delivery of an outbox item: the attempt the
// peer recorded goes into this node's ledger and the item leaves the
// outbox.
func (c *Courier) acknowledged(ctx context.Context, a reliableAck) {
	c.mu.Lock()
	delete(c.sent, a.ID)
	c.mu.Unlock()
	it, err := c.outbox.Peek(c.s.Peer().Fingerprint, a.ID)
	if err != nil || it == nil {
		return // a duplicate acknowledgement
	}
	// The item leaves the outbox only once its transaction is recorded: a
	// crash in between resends it, and the peer acknowledges it again.
	// It leaves before the events, so that whoever they wake sees it gone.
	take := func() { c.outbox.Take(c.s.Peer().Fingerprint, a.ID) }
	if a.Refused != "" {
		take()
		reason := fmt.Sprintf("%s refused %s: %s", c.s.Peer().Name, it.Kind, a.Refused)
		c.cfg.Refused(Refusal{Peer: c.s.Peer().Fingerprint, PeerName: c.s.Peer().Name, CaseID: it.CaseID,
			Action: "send " + it.Kind.String(), Reason: reason})
		c.log.Warn("message refused by peer", "kind", it.Kind.String())
		c.s.Event(session.Event{Type: session.EventRejected, MessageID: a.ID, CaseID: it.CaseID, Reason: reason})
		return
	}
	for _, raw := range it.Attempts {
		tx := new(ledger.Transaction)
		if tx.UnmarshalBinary(raw) != nil || tx.ID().String() != a.TxID {
			continue
		}
		rc, err := c.cfg.Ledger.Append(context.WithoutCancel(ctx), tx)
		if err != nil {
			// Stay queued: the next session resends and the peer
			// acknowledges again.
			c.log.Warn("could not record a delivered message", "err", err)
			return
		}
		take()
		if !rc.Duplicate {
			c.s.Event(session.Event{Type: session.EventLedgerAppend, TxID: a.TxID, Kind: tx.Kind.String(), Index: rc.Index, CaseID: tx.CaseID})
		}
		c.s.Event(session.Event{Type: session.EventDelivery, MessageID: a.ID, State: session.Delivered, TxID: a.TxID, CaseID: it.CaseID, Kind: it.Kind.String()})
		return
	}
	c.log.Warn("peer acknowledged a transaction this node never sent", "message", a.ID)
	take()
	c.s.Event(session.Event{Type: session.EventDelivery, MessageID: a.ID, State: session.Delivered, CaseID: it.CaseID, Kind: it.Kind.String()})
}

// receiveReliable checks, deduplicates, applies, records and acknowledges
// a reliable message.
func (c *Courier) receiveReliable(ctx context.Context, payload []byte) error {
	epoch, tx, sl, refused, err := c.s.Open(ctx, payload, nil)
	if err != nil || refused {
		return err
	}

	ack := func(a reliableAck) error {
		b, _ := json.Marshal(a)
		return c.s.SendFrame(ctx, frameReliableAk, b)
	}
	// A resend of a message already recorded: acknowledge what we hold.
	m := &session.Message{ID: sl.ID, Seq: sl.Seq, Epoch: epoch, Kind: sl.Kind, CaseID: sl.CaseID, Text: sl.Text, Body: sl.Body,
		Time: tx.Time, From: c.s.Peer().Fingerprint, FromName: c.s.Peer().Name, To: c.cfg.Fingerprint, TxID: tx.ID().String()}
	if prev, ok := c.seen.Get(c.s.Peer().Fingerprint, sl.ID); ok {
		if _, _, err := c.cfg.Ledger.Lookup(prev); err == nil {
			// Apply again (it is idempotent) in case a crash came between
			// recording and applying.
			if err := c.cfg.Accept.Apply(ctx, c.s.Peer(), tx, m); err != nil {
				c.log.Warn("re-applying a recorded workflow message", "err", err)
			}
			return ack(reliableAck{ID: sl.ID, TxID: prev.String()})
		}
	}
	for _, r := range tx.Attachments {
		if c.cfg.NoFile != nil && c.cfg.NoFile(r) {
			continue
		}
		if !c.files.Has(r.SHA256) {
			c.s.Refuse(epoch, tx, fmt.Errorf("attachment %s (%x) did not arrive before the message", r.Name, r.SHA256[:6]))
			return nil
		}
	}
	if err := c.cfg.Accept.Check(ctx, c.s.Peer(), tx, m); err != nil {
		reason := err.Error()
		c.cfg.Refused(Refusal{Peer: c.s.Peer().Fingerprint, PeerName: c.s.Peer().Name, Incoming: true, CaseID: tx.CaseID,
			Action: "receive " + tx.Kind.String(), Reason: reason})
		c.log.Warn("workflow message refused", "kind", tx.Kind.String(), "err", err)
		c.s.Event(session.Event{Type: session.EventRejected, Reason: "refused " + tx.Kind.String() + ": " + reason, CaseID: tx.CaseID, MessageID: sl.ID})
		return ack(reliableAck{ID: sl.ID, Refused: reason})
	}
	txid := tx.ID()
	if err := c.seen.Mark(c.s.Peer().Fingerprint, sl.ID, txid); err != nil {
		return fmt.Errorf("record message ID: %w", err)
	}
	rc, err := c.cfg.Ledger.Append(ctx, tx)
	if err != nil {
		return fmt.Errorf("record received message in ledger: %w", err)
	}
	if err := c.cfg.Accept.Apply(ctx, c.s.Peer(), tx, m); err != nil {
		// Allowed a moment ago; something changed in between (another
		// message about the same case). Recorded, not applied: say so.
		c.cfg.Refused(Refusal{Peer: c.s.Peer().Fingerprint, PeerName: c.s.Peer().Name, Incoming: true, CaseID: tx.CaseID,
			Action: "apply " + tx.Kind.String(), Reason: err.Error()})
		c.s.Event(session.Event{Type: session.EventRejected, Reason: "recorded but not applied: " + err.Error(), CaseID: tx.CaseID, MessageID: sl.ID})
	}
	c.s.Event(session.Event{Type: session.EventLedgerAppend, TxID: m.TxID, Kind: m.Kind, Index: rc.Index, CaseID: m.CaseID})
	c.s.Event(session.Event{Type: session.EventMessage, Message: m, MessageID: m.ID, Epoch: epoch, CaseID: m.CaseID})
	return ack(reliableAck{ID: sl.ID, TxID: txid.String()})
}
