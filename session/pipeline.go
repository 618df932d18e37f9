package session

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"qkdchat/ledger"
)

// Chat messages go through pipelines on both sides, so that the durable
// ledger append of one message does not hold up the next: concurrent
// appends are committed together by the ledger (group commit).
//
// Sending: concurrent Send calls take sequence numbers in order, seal,
// sign and append concurrently, and then put their frames on the wire in
// sequence order (sendorder.Order.AwaitTurn). The receiver's replay window therefore
// never sees a message overtaken by later ones, however many are in flight.
//
// Receiving is a two-stage pipeline:
//
//  1. The classical reader (receive) parses the frame, checks the
//     signature, decrypts and authenticates the token, checks its age and
//     the replay window, all in arrival order. An accepted message starts
//     its ledger append at once, concurrently with the appends of the
//     messages before it, which the ledger commits together (group commit).
//  2. The delivery stage (deliver) takes the accepted messages in
//     arrival order, waits for each one's append, then publishes its events
//     and acknowledges it. Events and acks therefore keep the sender's order,
//     and nothing is acknowledged before it is on disk.
//
// At most maxInflight messages are between the stages; beyond that the
// reader waits, which pushes back on the sender through TCP.

// maxInflight bounds the accepted messages whose appends may be in flight.
const maxInflight = 256

// chatIn is a session's receive pipeline of chat messages.
type chatIn struct {
	s     *Session
	inbox chan *inbound // accepted messages, to the delivery stage
}

// inbound is one accepted message on its way through the delivery stage.
type inbound struct {
	m     *Message
	epoch uint32
	done  chan struct{} // closed when the append has ended
	rc    ledger.Receipt
	err   error
}

// receive checks, decrypts and accepts a chat frame, and hands it to
// the delivery stage. Refused messages are reported as events and do not
// end the session: a replayed or stale token is the sender's (or an
// attacker's) problem, not a protocol violation of the channel. A frame
// that does not parse ends the session.
func (c *chatIn) receive(ctx context.Context, payload []byte) error {
	s := c.s
	epoch, tx, sl, refused, err := s.Open(ctx, payload, func(k ledger.Kind) error {
		if k != ledger.KindChat {
			// Health records, referrals and reports travel only on the
			// reliable path, where the role rules are checked.
			return fmt.Errorf("%s is not allowed on the plain chat path", k)
		}
		return nil
	})
	if err != nil || refused {
		return err
	}
	needRekey := s.keys.countMessage()

	in := &inbound{
		m: &Message{ID: sl.ID, Seq: sl.Seq, Epoch: epoch, Kind: sl.Kind, CaseID: sl.CaseID, Text: sl.Text, Body: sl.Body,
			Time: tx.Time, From: s.peer.Fingerprint, FromName: s.peer.Name, To: s.cfg.Identity.Fingerprint()},
		epoch: epoch,
		done:  make(chan struct{}),
	}
	go func() {
		defer close(in.done)
		// The message is accepted (the window has moved past it), so
		// its append must not be dropped by the session ending now.
		in.rc, in.err = s.cfg.Ledger.Append(context.WithoutCancel(ctx), tx)
	}()
	select {
	case c.inbox <- in:
	case <-ctx.Done():
		return ctx.Err()
	}
	if needRekey {
		if s.initiator {
			// The peer's messages reached the count: a rekey the peer
			// can cause at will, paced like its requests (peerrekey.go).
			s.keys.peerRequested(ctx)
		} else {
			go s.Rekey(context.WithoutCancel(ctx)) // asks the initiator
		}
	}
	return nil
}

// Open parses a message frame (4-byte key epoch, signed transaction)
// and makes the checks every received message must pass, in arrival order:
// the sender's signature, that it is from this peer to this node, that
// allowKind accepts its kind, the Fernet token (tampering and age) under
// the epoch's key, that the sealed header matches the transaction, and the
// replay window, which then moves past it. A refused message is reported
// as an event and gives refused = true with a nil error, because a bad
// message is the sender's (or an attacker's) problem, not a broken
// channel; a frame that does not parse gives an error, which ends the
// session.
func (s *Session) Open(ctx context.Context, payload []byte, allowKind func(ledger.Kind) error) (epoch uint32, tx *ledger.Transaction, sl Sealed, refused bool, err error) {
	epoch, tx, err = parseChatFrame(payload)
	if err != nil {
		return 0, nil, sl, false, err
	}
	check := func() error {
		if err := tx.Verify(); err != nil {
			return fmt.Errorf("bad signature: %w", err)
		}
		if !tx.Sender.Equal(s.peer.PublicKey) || !tx.Recipient.Equal(s.cfg.Identity.Public()) {
			return errors.New("not from this peer to this node")
		}
		if allowKind != nil {
			if err := allowKind(tx.Kind); err != nil {
				return err
			}
		}
		key, err := s.keys.keyFor(ctx, epoch)
		if err != nil {
			return err
		}
		if sl, _, err = OpenMessage(key, tx.Token, s.cfg.Settings.TokenTTL, time.Now()); err != nil {
			return err
		}
		if sl.Epoch != epoch || sl.Kind != tx.Kind.String() || sl.CaseID != tx.CaseID || !ValidMessageID(sl.ID) {
			return errors.New("sealed header does not match the frame")
		}
		return s.window.admit(sl.Seq)
	}
	if err := check(); err != nil {
		s.Refuse(epoch, tx, err)
		return epoch, tx, sl, true, nil
	}
	return epoch, tx, sl, false, nil
}

// Refuse logs and reports a received message that is not accepted.
func (s *Session) Refuse(epoch uint32, tx *ledger.Transaction, err error) {
	s.log.Warn("message rejected", "reason", err)
	s.Event(Event{Type: EventRejected, Reason: "message rejected: " + err.Error(), Epoch: epoch, CaseID: tx.CaseID})
}

// parseChatFrame splits a chat frame into its key epoch and the signed
// transaction it carries.
func parseChatFrame(payload []byte) (uint32, *ledger.Transaction, error) {
	if len(payload) < 4 {
		return 0, nil, errors.New("chat frame too short")
	}
	tx := new(ledger.Transaction)
	if err := tx.UnmarshalBinary(payload[4:]); err != nil {
		return 0, nil, fmt.Errorf("chat frame: %w", err)
	}
	return binary.BigEndian.Uint32(payload), tx, nil
}

// deliver is the delivery stage: it publishes and acknowledges
// accepted messages in order once they are in the ledger. It returns nil
// when the reader has closed the inbox and every message is through, or
// the error of a failed append, which ends the session.
func (c *chatIn) deliver(ctx context.Context) error {
	s := c.s
	for in := range c.inbox {
		<-in.done
		if in.err != nil {
			return fmt.Errorf("record received message in ledger: %w", in.err)
		}
		m := in.m
		m.TxID = in.rc.ID.String()
		s.Event(Event{Type: EventLedgerAppend, TxID: m.TxID, Kind: m.Kind, Index: in.rc.Index})
		s.Event(Event{Type: EventMessage, Message: m, MessageID: m.ID, Epoch: in.epoch})
		if err := s.SendFrame(ctx, FrameAck, []byte(m.ID)); err != nil && ctx.Err() == nil {
			return fmt.Errorf("acknowledge message: %w", err)
		}
	}
	return nil
}
