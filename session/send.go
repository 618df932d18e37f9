package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
)

// Send seals text (and an optional structured body) under the current key,
// records it in the ledger and sends it. It waits for the first key of the
// session if there is none yet.
func (s *Session) Send(ctx context.Context, kind ledger.Kind, caseID, text string, body []byte) (*Message, error) {
	if err := s.keys.waitKey(ctx); err != nil {
		return nil, err
	}
	epoch, key := s.keys.current()
	seq := s.order.Enter()
	needRekey := s.keys.countMessage()
	defer s.order.Leave(seq)

	now := time.Now()
	m := &Message{ID: NewMessageID(), Seq: seq, Epoch: epoch, Kind: kind.String(), CaseID: caseID, Text: text, Body: body,
		Time: now, From: s.cfg.Identity.Fingerprint(), FromName: s.cfg.LocalName, To: s.peer.Fingerprint, Outgoing: true}
	tok, err := SealMessage(key, Sealed{ID: m.ID, Seq: seq, Epoch: epoch, Kind: m.Kind, CaseID: caseID, Text: text, Body: body}, now)
	if err != nil {
		return nil, err
	}
	tx := &ledger.Transaction{Kind: kind, Sender: s.cfg.Identity.Public(), Recipient: s.peer.PublicKey, CaseID: caseID, Time: now, Token: tok}
	if err := tx.Sign(s.cfg.Identity); err != nil {
		return nil, err
	}
	rc, err := s.cfg.Ledger.Append(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("record message in ledger: %w", err)
	}
	m.TxID = rc.ID.String()
	s.Event(Event{Type: EventLedgerAppend, TxID: m.TxID, Kind: kind.String(), Index: rc.Index})
	raw, err := tx.MarshalBinary()
	if err != nil {
		return nil, err
	}
	payload := make([]byte, 4+len(raw))
	binary.BigEndian.PutUint32(payload, epoch)
	copy(payload[4:], raw)
	if err := s.order.AwaitTurn(ctx, seq, s.done); err != nil {
		return m, fmt.Errorf("send message: %w", err)
	}
	s.acks.expect(m.ID)
	err = s.SendFrame(ctx, FrameChat, payload)
	s.order.Leave(seq)
	s.acks.announceSent(s, m, err == nil)
	if err != nil {
		return m, fmt.Errorf("send message: %w", err)
	}
	if needRekey {
		go s.Rekey(context.WithoutCancel(ctx))
	}
	return m, nil
}

// Seal seals sl under the current key with the next sequence number and
// signs the transaction that carries it, with refs. It is the reliable
// path's (package delivery) way to send.
func (s *Session) Seal(kind ledger.Kind, caseID string, sl Sealed, refs []ledger.AttachmentRef) (*ledger.Transaction, uint32, error) {
	epoch, key := s.keys.current()
	seq := s.order.Next()
	needRekey := s.keys.countMessage()
	if key == nil {
		return nil, 0, errors.New("no key with this peer yet")
	}
	if needRekey {
		go s.Rekey(context.Background())
	}
	now := time.Now()
	sl.Seq, sl.Epoch = seq, epoch
	tok, err := SealMessage(key, sl, now)
	if err != nil {
		return nil, 0, err
	}
	tx := &ledger.Transaction{Kind: kind, Sender: s.cfg.Identity.Public(), Recipient: s.peer.PublicKey, CaseID: caseID,
		Time: now, Token: tok, Attachments: refs}
	if err := tx.Sign(s.cfg.Identity); err != nil {
		return nil, 0, err
	}
	return tx, epoch, nil
}

// CurrentKey returns the current epoch and its key (nil before the first).
func (s *Session) CurrentKey() (uint32, *fernet.Key) { return s.keys.current() }

// Key returns the key of epoch, or nil if this side holds none.
func (s *Session) Key(epoch uint32) *fernet.Key { return s.keys.key(epoch) }

// KeyFor returns the key of epoch as an incoming message gets it: while
// this side's half of that exchange is still finishing (the peer switched
// to the key as soon as it had both results), it waits for it, up to the
// exchange's timeout.
func (s *Session) KeyFor(ctx context.Context, epoch uint32) (*fernet.Key, error) {
	return s.keys.keyFor(ctx, epoch)
}

// Rekey runs a new BB84 exchange now, or, if one is running, waits for it.
// On the responder's side it asks the initiator to start one. It returns
// when this side's exchange has ended; an abort is reported as an error
// and as an event.
func (s *Session) Rekey(ctx context.Context) error { return s.keys.rekey(ctx) }
