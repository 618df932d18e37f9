package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fernet/fernet-go"
	bolt "go.etcd.io/bbolt"

	"qkdchat/ledger"
	"qkdchat/transport"
)

// Reliable delivery. Node.Send and the workflow (PHR, referral, report)
// put each message in a persistent per-contact outbox in state.db first
// (state queued). Whenever a session with the contact has a key, the
// session's courier sends the outbox in order: first each attachment, in
// acknowledged chunks that resume where the peer's copy ends, then the
// message, sealed under the current epoch key and signed (state sent).
// Every signed attempt is kept in the outbox item, as ciphertext.
//
// The receiver records the message ID as seen (with the TxID it is about
// to append), appends the transaction to its ledger and acknowledges with
// the message ID and that TxID. The sender then appends the very attempt
// the peer recorded to its own ledger and deletes the item (delivered),
// so both ledgers hold one identical transaction per message. A resend
// after a crash carries the same message ID: the receiver acknowledges it
// with the TxID it already holds and appends nothing.
//
// The plain Session.Send path stays as it was: immediate, not queued.

var (
	bucketOutbox = []byte("outbox") // peer fingerprint -> { 8-byte seq -> sealed outboxItem }
	bucketSeen   = []byte("seen")   // peer fingerprint "/" message ID -> TxID of the appended transaction
)

// Frames of reliable delivery.
const (
	frameReliable   transport.FrameType = 0x52 // 4-byte epoch + signed ledger transaction; acked with frameReliableAck
	frameReliableAk transport.FrameType = 0x53 // JSON reliableAck
	frameChunk      transport.FrameType = 0x54 // chunkHeader + Fernet token of one attachment chunk
	frameChunkAck   transport.FrameType = 0x55 // digest(32) next(4) status(1)
	frameChunkQuery transport.FrameType = 0x56 // digest(32) size(8): how much of this attachment do you hold?
)

// Chunk acknowledgement status.
const (
	chunkOK      = 0
	chunkRefused = 1 // too large for the receiver: give up
	chunkReset   = 2 // the receiver discarded its copy: start again
)

// chunkTimeout bounds the wait for one chunk acknowledgement.
const chunkTimeout = 30 * time.Second

// outboxItem is one queued message. Body and attempts are sealed on disk
// under the node's record key, with the rest of the item.
type outboxItem struct {
	ID       string                 `json:"id"`
	Kind     ledger.Kind            `json:"kind"`
	CaseID   string                 `json:"case,omitempty"`
	Text     string                 `json:"text"`
	Body     json.RawMessage        `json:"body,omitempty"`
	Files    []AttachmentInfo       `json:"files,omitempty"` // sent before the message
	Extra    []ledger.AttachmentRef `json:"extra,omitempty"` // digests committed to without a file
	Created  time.Time              `json:"created"`
	Attempts [][]byte               `json:"attempts,omitempty"` // signed transactions sent so far
}

// maxAttempts bounds the attempts kept per item.
const maxAttempts = 64

// refs returns the attachment references the item's transaction carries.
// Files are named file-1, file-2, ... in the ledger: real names travel
// only in the sealed body.
func (it *outboxItem) refs() ([]ledger.AttachmentRef, error) {
	out := make([]ledger.AttachmentRef, 0, len(it.Files)+len(it.Extra))
	for i, f := range it.Files {
		d, err := parseDigest(f.SHA256)
		if err != nil {
			return nil, err
		}
		out = append(out, ledger.AttachmentRef{Name: fmt.Sprintf("file-%d", i+1), Size: f.Size, SHA256: d})
	}
	return append(out, it.Extra...), nil
}

// QueuedMessage describes a message waiting in an outbox.
type QueuedMessage struct {
	Peer     string        `json:"peer"`
	PeerName string        `json:"peer_name,omitempty"`
	ID       string        `json:"id"`
	Kind     string        `json:"kind"`
	CaseID   string        `json:"case,omitempty"`
	Text     string        `json:"text"`
	Files    int           `json:"files,omitempty"`
	Created  time.Time     `json:"created"`
	Attempts int           `json:"attempts"`
	State    DeliveryState `json:"state"`
}

func sealRecord(record *fernet.Key, v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return fernet.EncryptAndSign(b, record)
}

func openRecord(record *fernet.Key, tok []byte, v any) error {
	b := fernet.VerifyAndDecrypt(tok, 0, []*fernet.Key{record})
	if b == nil {
		return errors.New("record fails authentication under this node's record key")
	}
	return json.Unmarshal(b, v)
}

// putOutbox queues it for peer. An item whose ID is already queued is left
// alone (added reports false).
func (s *Store) putOutbox(record *fernet.Key, peer string, it *outboxItem) (added bool, err error) {
	v, err := sealRecord(record, it)
	if err != nil {
		return false, err
	}
	err = s.update(func(tx *bolt.Tx) error {
		b, err := tx.Bucket(bucketOutbox).CreateBucketIfNotExists([]byte(peer))
		if err != nil {
			return err
		}
		if k, _ := findOutboxIn(record, b, it.ID); k != nil {
			return nil
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		added = true
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), v)
	})
	if err != nil {
		return false, fmt.Errorf("app: queue message in %s: %w", s.path, err)
	}
	return added, nil
}

func findOutboxIn(record *fernet.Key, b *bolt.Bucket, id string) ([]byte, *outboxItem) {
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		var it outboxItem
		if openRecord(record, v, &it) == nil && it.ID == id {
			return append([]byte(nil), k...), &it
		}
	}
	return nil, nil
}

type outboxEntry struct {
	key  []byte
	item *outboxItem
}

// outbox returns peer's queued items in order.
func (s *Store) outbox(record *fernet.Key, peer string) ([]outboxEntry, error) {
	var out []outboxEntry
	err := s.view(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox).Bucket([]byte(peer))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			it := new(outboxItem)
			if err := openRecord(record, v, it); err != nil {
				return fmt.Errorf("outbox item %x: %w", k, err)
			}
			out = append(out, outboxEntry{key: append([]byte(nil), k...), item: it})
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("app: read outbox in %s: %w", s.path, err)
	}
	return out, nil
}

// updateOutbox rewrites the item at key, if it is still queued.
func (s *Store) updateOutbox(record *fernet.Key, peer string, key []byte, it *outboxItem) error {
	v, err := sealRecord(record, it)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox).Bucket([]byte(peer))
		if b == nil || b.Get(key) == nil {
			return nil
		}
		return b.Put(key, v)
	})
}

// takeOutbox removes and returns the item with message ID id.
func (s *Store) takeOutbox(record *fernet.Key, peer, id string) (*outboxItem, error) {
	var it *outboxItem
	err := s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketOutbox).Bucket([]byte(peer))
		if b == nil {
			return nil
		}
		var k []byte
		k, it = findOutboxIn(record, b, id)
		if k == nil {
			return nil
		}
		return b.Delete(k)
	})
	return it, err
}

// peekOutbox returns the item with message ID id, leaving it queued.
func (s *Store) peekOutbox(record *fernet.Key, peer, id string) (*outboxItem, error) {
	var it *outboxItem
	err := s.view(func(tx *bolt.Tx) error {
		if b := tx.Bucket(bucketOutbox).Bucket([]byte(peer)); b != nil {
			_, it = findOutboxIn(record, b, id)
		}
		return nil
	})
	return it, err
}

func seenKey(peer, id string) []byte { return []byte(peer + "/" + id) }

// seen returns the TxID recorded for a message ID received from peer.
func (s *Store) seen(peer, id string) (ledger.TxID, bool) {
	var txid ledger.TxID
	ok := false
	s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketSeen).Get(seenKey(peer, id)); len(v) == len(txid) {
			copy(txid[:], v)
			ok = true
		}
		return nil
	})
	return txid, ok
}

func (s *Store) markSeen(peer, id string, txid ledger.TxID) error {
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketSeen).Put(seenKey(peer, id), txid[:])
	})
}

// Outbox lists the messages queued for every contact, oldest first per
// contact.
func (n *Node) Outbox() ([]QueuedMessage, error) {
	cs, err := n.store.Contacts()
	if err != nil {
		return nil, err
	}
	var out []QueuedMessage
	for _, c := range cs {
		items, err := n.store.outbox(n.recordKey(), c.Fingerprint)
		if err != nil {
			return nil, err
		}
		for _, e := range items {
			st := Queued
			if len(e.item.Attempts) > 0 {
				st = Sent
			}
			out = append(out, QueuedMessage{Peer: c.Fingerprint, PeerName: c.Name, ID: e.item.ID, Kind: e.item.Kind.String(),
				CaseID: e.item.CaseID, Text: e.item.Text, Files: len(e.item.Files), Created: e.item.Created,
				Attempts: len(e.item.Attempts), State: st})
		}
	}
	return out, nil
}

// Send queues a message for the contact whose fingerprint or name is peer
// and returns at once: it is delivered, exactly once, as soon as a session
// with that contact has a key, now or after a reconnect (even across
// restarts of either side). Delivery events report its progress.
func (n *Node) Send(ctx context.Context, peer string, kind ledger.Kind, caseID, text string, body []byte) (*Message, error) {
	c, err := n.contactByRef(peer)
	if err != nil {
		return nil, err
	}
	if kind != ledger.KindChat {
		return nil, fmt.Errorf("app: Send queues chat messages; use SubmitPHR, Refer or SubmitReport for %s", kind)
	}
	it := &outboxItem{ID: newMessageID(), Kind: kind, CaseID: caseID, Text: text, Body: body, Created: time.Now()}
	if err := n.enqueue(c, it); err != nil {
		return nil, err
	}
	return &Message{ID: it.ID, Kind: kind.String(), CaseID: caseID, Text: text, Body: body, Time: it.Created,
		From: n.Fingerprint(), FromName: n.profile.Name, To: c.Fingerprint, Outgoing: true}, nil
}

// contactByRef finds a pinned contact by fingerprint or name.
func (n *Node) contactByRef(ref string) (Contact, error) {
	if c, ok := n.store.Contact(ref); ok {
		return c, nil
	}
	cs, err := n.store.Contacts()
	if err != nil {
		return Contact{}, err
	}
	for _, c := range cs {
		if c.Name == ref {
			return c, nil
		}
	}
	if c, err := n.store.contactByFingerprint(ref); err == nil {
		return c, nil
	}
	return Contact{}, fmt.Errorf("no contact %q: pair with them first", ref)
}

// enqueue puts it in c's outbox and wakes the session with c, if any.
func (n *Node) enqueue(c Contact, it *outboxItem) error {
	added, err := n.store.putOutbox(n.recordKey(), c.Fingerprint, it)
	if err != nil {
		return err
	}
	if added {
		n.publish(Event{Type: EventDelivery, Peer: c.Fingerprint, PeerName: c.Name, PeerRole: c.Role, MessageID: it.ID,
			State: Queued, CaseID: it.CaseID, Kind: it.Kind.String()})
	}
	if s, ok := n.Session(c.Fingerprint); ok {
		s.kickOutbox()
	}
	return nil
}

// courier is a session's state of reliable delivery.
type courier struct {
	kick  chan struct{}
	acks  chan chunkAck
	mu    sync.Mutex
	sent  map[string]bool // message IDs sent in this session, awaiting their ack
	alive bool
}

func newCourier() *courier {
	return &courier{kick: make(chan struct{}, 1), acks: make(chan chunkAck, 8), sent: map[string]bool{}}
}

func (s *Session) kickOutbox() {
	select {
	case s.courier.kick <- struct{}{}:
	default:
	}
}

// deliverOutbox is the session's courier: once the first key exists it
// sends the outbox, and again whenever something is queued or a new key
// is made.
func (s *Session) deliverOutbox(ctx context.Context) {
	s.mu.Lock()
	ready := s.keyReady
	s.mu.Unlock()
	select {
	case <-ready:
	case <-ctx.Done():
		return
	}
	for {
		if err := s.flushOutbox(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("outbox delivery interrupted", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.courier.kick:
		}
	}
}

func (s *Session) flushOutbox(ctx context.Context) error {
	items, err := s.node.store.outbox(s.node.recordKey(), s.peer.Fingerprint)
	if err != nil {
		return err
	}
	for _, e := range items {
		s.courier.mu.Lock()
		done := s.courier.sent[e.item.ID]
		s.courier.mu.Unlock()
		if done {
			continue
		}
		if err := s.sendItem(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// sendItem transfers the item's attachments, then seals, records and sends
// the message itself.
func (s *Session) sendItem(ctx context.Context, e outboxEntry) error {
	it := e.item
	for _, f := range it.Files {
		if err := s.sendAttachment(ctx, it.ID, f); err != nil {
			var refused *refusedError
			if errors.As(err, &refused) {
				s.node.store.takeOutbox(s.node.recordKey(), s.peer.Fingerprint, it.ID)
				s.node.recordViolation(Violation{Peer: s.peer.Fingerprint, PeerName: s.peer.Name, CaseID: it.CaseID,
					Action: "send " + f.Name, Reason: refused.Error()})
				s.event(Event{Type: EventRejected, MessageID: it.ID, CaseID: it.CaseID, Reason: refused.Error()})
				return nil
			}
			return err
		}
	}
	refs, err := it.refs()
	if err != nil {
		return err
	}
	tx, epoch, err := s.sealTx(it.Kind, it.CaseID, sealed{ID: it.ID, Kind: it.Kind.String(), CaseID: it.CaseID, Text: it.Text, Body: it.Body}, refs)
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
	if err := s.node.store.updateOutbox(s.node.recordKey(), s.peer.Fingerprint, e.key, it); err != nil {
		return fmt.Errorf("record send attempt: %w", err)
	}
	payload := make([]byte, 4+len(raw))
	binary.BigEndian.PutUint32(payload, epoch)
	copy(payload[4:], raw)
	s.courier.mu.Lock()
	s.courier.sent[it.ID] = true
	s.courier.mu.Unlock()
	// Announce before sending: the acknowledgement may overtake the
	// announcement otherwise.
	m := &Message{ID: it.ID, Epoch: epoch, Kind: it.Kind.String(), CaseID: it.CaseID, Text: it.Text, Body: it.Body,
		Time: tx.Time, From: s.node.Fingerprint(), FromName: s.node.profile.Name, To: s.peer.Fingerprint,
		TxID: tx.ID().String(), Outgoing: true}
	s.event(Event{Type: EventMessageSent, Message: m, MessageID: m.ID, State: Sent, Epoch: epoch, CaseID: it.CaseID})
	if err := s.send(ctx, frameReliable, payload); err != nil {
		return fmt.Errorf("send message: %w", err)
	}
	return nil
}

// sealTx seals sl under the current key with the next sequence number and
// signs the transaction that carries it.
func (s *Session) sealTx(kind ledger.Kind, caseID string, sl sealed, refs []ledger.AttachmentRef) (*ledger.Transaction, uint32, error) {
	s.mu.Lock()
	epoch := s.epoch
	key := s.keys[epoch]
	s.sendSeq++
	seq := s.sendSeq
	s.sinceRekey++
	needRekey := s.sinceRekey >= s.node.opts.RekeyMessages
	s.mu.Unlock()
	if key == nil {
		return nil, 0, errors.New("no key with this peer yet")
	}
	if needRekey {
		go s.Rekey(context.Background())
	}
	now := time.Now()
	sl.Seq, sl.Epoch = seq, epoch
	tok, err := sealMessage(key, sl, now)
	if err != nil {
		return nil, 0, err
	}
	tx := &ledger.Transaction{Kind: kind, Sender: s.node.id.Public(), Recipient: s.peer.PublicKey, CaseID: caseID,
		Time: now, Token: tok, Attachments: refs}
	if err := tx.Sign(s.node.id); err != nil {
		return nil, 0, err
	}
	return tx, epoch, nil
}

// reliableAck answers a reliable message: recorded as TxID, or refused.
type reliableAck struct {
	ID      string `json:"id"`
	TxID    string `json:"txid,omitempty"`
	Refused string `json:"refused,omitempty"`
}

func parseReliableAck(b []byte) (reliableAck, error) {
	var a reliableAck
	if err := json.Unmarshal(b, &a); err != nil {
		return a, fmt.Errorf("malformed delivery acknowledgement: %w", err)
	}
	if !validMessageID(a.ID) {
		return a, errors.New("malformed delivery acknowledgement: bad message ID")
	}
	if a.Refused == "" {
		if _, err := ledger.ParseTxID(a.TxID); err != nil {
			return a, fmt.Errorf("malformed delivery acknowledgement: %w", err)
		}
	}
	return a, nil
}

// validMessageID accepts the 32 lower-case hex digits of newMessageID.
func validMessageID(id string) bool {
	if len(id) != 32 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// derivedMessageID is the ID of a message made because of another one (a
// relay): a resend of the cause yields the same ID, so the final recipient
// drops the duplicate.
func derivedMessageID(purpose, id string) string {
	h := sha256.Sum256([]byte("qkdchat " + purpose + "\x00" + id))
	return hex.EncodeToString(h[:16])
}

// handleDelivery dispatches the frames of reliable delivery.
func (s *Session) handleDelivery(ctx context.Context, f transport.Frame) error {
	switch f.Type {
	case frameReliable:
		return s.receiveReliable(ctx, f.Payload)
	case frameReliableAk:
		a, err := parseReliableAck(f.Payload)
		if err != nil {
			return err
		}
		s.acknowledged(ctx, a)
		return nil
	case frameChunk:
		return s.receiveChunkFrame(ctx, f.Payload)
	case frameChunkAck:
		a, err := parseChunkAck(f.Payload)
		if err != nil {
			return err
		}
		select {
		case s.courier.acks <- a:
		default: // nobody waits for it: stale
		}
		return nil
	case frameChunkQuery:
		return s.answerChunkQuery(ctx, f.Payload)
	}
	return fmt.Errorf("unknown frame type 0x%02x", f.Type)
}

// acknowledged completes the delivery of an outbox item: the attempt the
// peer recorded goes into this node's ledger and the item leaves the
// outbox.
func (s *Session) acknowledged(ctx context.Context, a reliableAck) {
	s.courier.mu.Lock()
	delete(s.courier.sent, a.ID)
	s.courier.mu.Unlock()
	it, err := s.node.store.peekOutbox(s.node.recordKey(), s.peer.Fingerprint, a.ID)
	if err != nil || it == nil {
		return // a duplicate acknowledgement
	}
	// The item leaves the outbox only once its transaction is recorded: a
	// crash in between resends it, and the peer acknowledges it again.
	// It leaves before the events, so that whoever they wake sees it gone.
	take := func() { s.node.store.takeOutbox(s.node.recordKey(), s.peer.Fingerprint, a.ID) }
	if a.Refused != "" {
		take()
		reason := fmt.Sprintf("%s refused %s: %s", s.peer.Name, it.Kind, a.Refused)
		s.node.recordViolation(Violation{Peer: s.peer.Fingerprint, PeerName: s.peer.Name, CaseID: it.CaseID,
			Action: "send " + it.Kind.String(), Reason: reason})
		s.log.Warn("message refused by peer", "kind", it.Kind.String())
		s.event(Event{Type: EventRejected, MessageID: a.ID, CaseID: it.CaseID, Reason: reason})
		return
	}
	for _, raw := range it.Attempts {
		tx := new(ledger.Transaction)
		if tx.UnmarshalBinary(raw) != nil || tx.ID().String() != a.TxID {
			continue
		}
		rc, err := s.node.ledger.Append(context.WithoutCancel(ctx), tx)
		if err != nil {
			// Stay queued: the next session resends and the peer
			// acknowledges again.
			s.log.Warn("could not record a delivered message", "err", err)
			return
		}
		take()
		if !rc.Duplicate {
			s.event(Event{Type: EventLedgerAppend, TxID: a.TxID, Kind: tx.Kind.String(), Index: rc.Index, CaseID: tx.CaseID})
		}
		s.event(Event{Type: EventDelivery, MessageID: a.ID, State: Delivered, TxID: a.TxID, CaseID: it.CaseID, Kind: it.Kind.String()})
		return
	}
	s.log.Warn("peer acknowledged a transaction this node never sent", "message", a.ID)
	take()
	s.event(Event{Type: EventDelivery, MessageID: a.ID, State: Delivered, CaseID: it.CaseID, Kind: it.Kind.String()})
}

// receiveReliable checks, deduplicates, applies, records and acknowledges
// a reliable message.
func (s *Session) receiveReliable(ctx context.Context, payload []byte) error {
	epoch, tx, sl, refused, err := s.openFrame(ctx, payload, nil)
	if err != nil || refused {
		return err
	}

	ack := func(a reliableAck) error {
		b, _ := json.Marshal(a)
		return s.send(ctx, frameReliableAk, b)
	}
	// A resend of a message already recorded: acknowledge what we hold.
	m := &Message{ID: sl.ID, Seq: sl.Seq, Epoch: epoch, Kind: sl.Kind, CaseID: sl.CaseID, Text: sl.Text, Body: sl.Body,
		Time: tx.Time, From: s.peer.Fingerprint, FromName: s.peer.Name, To: s.node.Fingerprint(), TxID: tx.ID().String()}
	if prev, ok := s.node.store.seen(s.peer.Fingerprint, sl.ID); ok {
		if _, _, err := s.node.ledger.Lookup(prev); err == nil {
			// Apply again (it is idempotent) in case a crash came between
			// recording and applying.
			if err := s.node.acceptWorkflow(ctx, s.peer, tx, m); err != nil {
				s.log.Warn("re-applying a recorded workflow message", "err", err)
			}
			return ack(reliableAck{ID: sl.ID, TxID: prev.String()})
		}
	}
	for _, r := range tx.Attachments {
		if r.Name == reportDigestRef {
			continue
		}
		if !s.node.store.hasAttachment(r.SHA256) {
			s.refuse(epoch, tx, fmt.Errorf("attachment %s (%x) did not arrive before the message", r.Name, r.SHA256[:6]))
			return nil
		}
	}
	if err := s.node.checkWorkflow(ctx, s.peer, tx, m); err != nil {
		reason := err.Error()
		s.node.recordViolation(Violation{Peer: s.peer.Fingerprint, PeerName: s.peer.Name, Incoming: true, CaseID: tx.CaseID,
			Action: "receive " + tx.Kind.String(), Reason: reason})
		s.log.Warn("workflow message refused", "kind", tx.Kind.String(), "err", err)
		s.event(Event{Type: EventRejected, Reason: "refused " + tx.Kind.String() + ": " + reason, CaseID: tx.CaseID, MessageID: sl.ID})
		return ack(reliableAck{ID: sl.ID, Refused: reason})
	}
	txid := tx.ID()
	if err := s.node.store.markSeen(s.peer.Fingerprint, sl.ID, txid); err != nil {
		return fmt.Errorf("record message ID: %w", err)
	}
	rc, err := s.node.ledger.Append(ctx, tx)
	if err != nil {
		return fmt.Errorf("record received message in ledger: %w", err)
	}
	if err := s.node.acceptWorkflow(ctx, s.peer, tx, m); err != nil {
		// Allowed a moment ago; something changed in between (another
		// message about the same case). Recorded, not applied: say so.
		s.node.recordViolation(Violation{Peer: s.peer.Fingerprint, PeerName: s.peer.Name, Incoming: true, CaseID: tx.CaseID,
			Action: "apply " + tx.Kind.String(), Reason: err.Error()})
		s.event(Event{Type: EventRejected, Reason: "recorded but not applied: " + err.Error(), CaseID: tx.CaseID, MessageID: sl.ID})
	}
	s.event(Event{Type: EventLedgerAppend, TxID: m.TxID, Kind: m.Kind, Index: rc.Index, CaseID: m.CaseID})
	s.event(Event{Type: EventMessage, Message: m, MessageID: m.ID, Epoch: epoch, CaseID: m.CaseID})
	return ack(reliableAck{ID: sl.ID, TxID: txid.String()})
}

// refusedError means the peer refuses an attachment outright.
type refusedError struct{ msg string }

func (e *refusedError) Error() string { return e.msg }

type chunkAck struct {
	digest [32]byte
	next   uint32
	status byte
}

func parseChunkAck(b []byte) (chunkAck, error) {
	var a chunkAck
	if len(b) != 32+4+1 {
		return a, fmt.Errorf("malformed chunk acknowledgement (%d bytes)", len(b))
	}
	copy(a.digest[:], b)
	a.next = binary.BigEndian.Uint32(b[32:])
	a.status = b[36]
	if a.status > chunkReset {
		return a, fmt.Errorf("malformed chunk acknowledgement: status %d", a.status)
	}
	return a, nil
}

func (a chunkAck) marshal() []byte {
	b := append(a.digest[:0:0], a.digest[:]...)
	b = binary.BigEndian.AppendUint32(b, a.next)
	return append(b, a.status)
}

// chunkHeader precedes the token in a chunk frame.
type chunkHeader struct {
	epoch  uint32
	digest [32]byte
	size   int64
	index  uint32
}

const chunkHeaderLen = 4 + 32 + 8 + 4

func parseChunkFrame(b []byte) (chunkHeader, []byte, error) {
	var h chunkHeader
	if len(b) < chunkHeaderLen+1 {
		return h, nil, errors.New("chunk frame too short")
	}
	h.epoch = binary.BigEndian.Uint32(b)
	copy(h.digest[:], b[4:36])
	size := binary.BigEndian.Uint64(b[36:44])
	h.index = binary.BigEndian.Uint32(b[44:48])
	if size == 0 || size > 1<<40 {
		return h, nil, fmt.Errorf("chunk frame: attachment size %d out of range", size)
	}
	h.size = int64(size)
	if int64(h.index) >= int64(chunkCount(h.size)) {
		return h, nil, fmt.Errorf("chunk frame: index %d beyond the %d chunks", h.index, chunkCount(h.size))
	}
	return h, b[chunkHeaderLen:], nil
}

func parseChunkQuery(b []byte) ([32]byte, int64, error) {
	var d [32]byte
	if len(b) != 40 {
		return d, 0, fmt.Errorf("malformed attachment query (%d bytes)", len(b))
	}
	copy(d[:], b)
	size := binary.BigEndian.Uint64(b[32:])
	if size > 1<<40 {
		return d, 0, fmt.Errorf("attachment query: size %d out of range", size)
	}
	return d, int64(size), nil
}

// chunkPlainHeader binds a chunk's position to its sealed content.
func chunkPlainHeader(d [32]byte, index uint32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), d[:]...), index)
}

// sendAttachment transfers f unless the peer already holds it, resuming
// after the chunks the peer has. Each chunk waits for its acknowledgement.
func (s *Session) sendAttachment(ctx context.Context, msgID string, f AttachmentInfo) error {
	d, err := parseDigest(f.SHA256)
	if err != nil {
		return err
	}
	q := binary.BigEndian.AppendUint64(append([]byte(nil), d[:]...), uint64(f.Size))
	if err := s.send(ctx, frameChunkQuery, q); err != nil {
		return err
	}
	a, err := s.awaitChunkAck(ctx, d)
	if err != nil {
		return err
	}
	count := chunkCount(f.Size)
	stalls := 0
	for {
		switch a.status {
		case chunkRefused:
			return &refusedError{msg: fmt.Sprintf("%s refused attachment %s (%s): too large for them", s.peer.Name, f.Name, humanBytes(f.Size))}
		case chunkReset:
			stalls++
		}
		next := int(a.next)
		done := min(int64(next)*AttachmentChunkSize, f.Size)
		s.event(Event{Type: EventTransfer, MessageID: msgID, Name: f.Name, Done: done, Total: f.Size})
		if next >= count {
			return nil
		}
		if stalls > 3 {
			return fmt.Errorf("attachment %s: the peer keeps discarding it", f.Name)
		}
		chunk, err := s.node.store.attachmentChunk(s.node.recordKey(), d, next)
		if err != nil {
			return err
		}
		s.mu.Lock()
		epoch := s.epoch
		key := s.keys[epoch]
		s.mu.Unlock()
		tok, err := fernet.EncryptAndSign(append(chunkPlainHeader(d, uint32(next)), chunk...), key)
		if err != nil {
			return err
		}
		h := make([]byte, 0, chunkHeaderLen+len(tok))
		h = binary.BigEndian.AppendUint32(h, epoch)
		h = append(h, d[:]...)
		h = binary.BigEndian.AppendUint64(h, uint64(f.Size))
		h = binary.BigEndian.AppendUint32(h, uint32(next))
		if err := s.send(ctx, frameChunk, append(h, tok...)); err != nil {
			return err
		}
		prev := next
		if a, err = s.awaitChunkAck(ctx, d); err != nil {
			return err
		}
		if int(a.next) <= prev {
			stalls++
		}
	}
}

func (s *Session) awaitChunkAck(ctx context.Context, d [32]byte) (chunkAck, error) {
	t := time.NewTimer(chunkTimeout)
	defer t.Stop()
	for {
		select {
		case a := <-s.courier.acks:
			if a.digest == d {
				return a, nil
			}
		case <-ctx.Done():
			return chunkAck{}, ctx.Err()
		case <-s.done:
			return chunkAck{}, errors.New("session ended")
		case <-t.C:
			return chunkAck{}, errors.New("attachment transfer: no acknowledgement from the peer")
		}
	}
}

func (s *Session) answerChunkQuery(ctx context.Context, payload []byte) error {
	d, size, err := parseChunkQuery(payload)
	if err != nil {
		return err
	}
	a := chunkAck{digest: d}
	switch {
	case size > s.node.opts.MaxAttachment:
		a.status = chunkRefused
	case size == 0:
		if d != sha256.Sum256(nil) {
			a.status = chunkRefused
		} else if err := s.node.store.storeEmptyAttachment(d); err != nil {
			return err
		}
	default:
		next, err := s.node.store.partialNext(d, size)
		if err != nil {
			return err
		}
		a.next = uint32(next)
	}
	return s.send(ctx, frameChunkAck, a.marshal())
}

func (s *Session) receiveChunkFrame(ctx context.Context, payload []byte) error {
	h, tok, err := parseChunkFrame(payload)
	if err != nil {
		return err
	}
	a := chunkAck{digest: h.digest}
	if h.size > s.node.opts.MaxAttachment {
		a.status = chunkRefused
		return s.send(ctx, frameChunkAck, a.marshal())
	}
	s.mu.Lock()
	key := s.keys[h.epoch]
	s.mu.Unlock()
	var plain []byte
	if key != nil {
		plain = fernet.VerifyAndDecrypt(tok, 0, []*fernet.Key{key})
	}
	hdr := chunkPlainHeader(h.digest, h.index)
	if plain == nil || len(plain) < len(hdr) || string(plain[:len(hdr)]) != string(hdr) {
		s.event(Event{Type: EventRejected, Reason: "attachment chunk failed authentication"})
		next, err := s.node.store.partialNext(h.digest, h.size)
		if err != nil {
			return err
		}
		a.next = uint32(next)
		return s.send(ctx, frameChunkAck, a.marshal())
	}
	next, err := s.node.store.receiveChunk(s.node.recordKey(), h.digest, h.size, int(h.index), plain[len(hdr):])
	if err != nil {
		s.log.Warn("attachment chunk discarded", "err", err)
		s.event(Event{Type: EventRejected, Reason: err.Error()})
		a.status = chunkReset
	}
	a.next = uint32(next)
	s.event(Event{Type: EventTransfer, Name: hex.EncodeToString(h.digest[:6]), Done: min(int64(next)*AttachmentChunkSize, h.size), Total: h.size})
	return s.send(ctx, frameChunkAck, a.marshal())
}
