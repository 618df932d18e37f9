package delivery

import (
	"context"
	"encoding/binary"
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
	// Receipts serialises the receipt of each contact's messages across
	// the node's sessions; nil gives the courier a lock of its own, which
	// is enough only while a contact never has two sessions at once.
	Receipts *PeerLocks
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
	// unmatched: message IDs whose acknowledgement could not be matched
	// in this session (logged once each).
	unmatched map[string]bool
}

// New makes the courier of session s.
func New(s *session.Session, cfg Config) *Courier {
	p := s.Peer()
	if cfg.Receipts == nil {
		cfg.Receipts = new(PeerLocks)
	}
	return &Courier{
		s: s, cfg: cfg,
		log:    cfg.Log.With("peer", p.Fingerprint, "peer_name", p.Name),
		outbox: cfg.Store.Outbox(cfg.RecordKey),
		files:  cfg.Store.Attachments(cfg.RecordKey),
		seen:   cfg.Store.Seen(),
		kick:   make(chan struct{}, 1),
		acks:   make(chan chunkAck, 8),
		sent:   map[string]bool{},

		unmatched: map[string]bool{},
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
	if err := c.outbox.AddAttempt(c.s.Peer().Fingerprint, e.Key, raw, maxAttempts); err != nil {
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
