package delivery

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/fernet/fernet-go"

	"qkdchat/ledger"
	"qkdchat/session"
)

// acknowledged completes the delivery of an outbox item: the attempt the
// peer recorded goes into this node's ledger and the item leaves the
// outbox.
func (c *Courier) acknowledged(ctx context.Context, a reliableAck) {
	c.mu.Lock()
	wasSent := c.sent[a.ID]
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
	tx, err := ackedTransaction(it, a, c.cfg.Fingerprint, c.s.Peer().Fingerprint, c.messageKeys)
	if err != nil {
		// Delivered is a promise that both ledgers hold the message: an
		// acknowledgement that cannot be matched to it leaves it queued.
		// Sent in this session, it is not sent again before the next one
		// (a peer that keeps lying gets no resend loop); never sent, it
		// goes out as usual.
		c.mu.Lock()
		c.sent[a.ID] = wasSent
		first := !c.unmatched[a.ID] // one line per message and session, however many the peer sends
		c.unmatched[a.ID] = true
		c.mu.Unlock()
		if first {
			c.log.Warn("message stays queued: the peer's acknowledgement could not be matched", "message", a.ID, "err", err)
		}
		return
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
}

// messageKeys returns the message keys shared with the peer: those kept
// for the ledger browser (store.Keys), and the session's current one in
// case keeping it failed.
func (c *Courier) messageKeys() []*fernet.Key {
	keys := c.cfg.Store.Keys(c.cfg.RecordKey).List(c.s.Peer().Fingerprint)
	if _, k := c.s.CurrentKey(); k != nil {
		keys = append(keys, k)
	}
	return keys
}

// receiveReliable checks, deduplicates, applies, records and acknowledges
// a reliable message.
func (c *Courier) receiveReliable(ctx context.Context, payload []byte) error {
	epoch, tx, sl, refused, err := c.s.Open(ctx, payload, nil)
	if err != nil || refused {
		return err
	}
	a, err := c.record(ctx, epoch, tx, sl)
	if err != nil || a == nil {
		return err
	}
	b, _ := json.Marshal(a)
	return c.s.SendFrame(ctx, frameReliableAk, b)
}

// record decides what a received message is (new, a resend of one
// recorded, or refused), records and applies a new one, and returns the
// acknowledgement to send (nil for none). It runs for one session at a
// time per contact: a message resent on a replacing session while the
// replaced one still holds it would otherwise be found unseen by both and
// recorded twice. The acknowledgement is sent after, outside the lock, so
// that a stalled link never holds up the contact's other session.
func (c *Courier) record(ctx context.Context, epoch uint32, tx *ledger.Transaction, sl session.Sealed) (*reliableAck, error) {
	defer c.cfg.Receipts.Lock(c.s.Peer().Fingerprint)()
	// A resend of a message already recorded: acknowledge what we hold.
	m := &session.Message{ID: sl.ID, Seq: sl.Seq, Epoch: epoch, Kind: sl.Kind, CaseID: sl.CaseID, Text: sl.Text, Body: sl.Body,
		Time: tx.Time, From: c.s.Peer().Fingerprint, FromName: c.s.Peer().Name, To: c.cfg.Fingerprint, TxID: tx.ID().String()}
	if prev, ok := c.seen.Get(c.s.Peer().Fingerprint, sl.ID); ok {
		if _, held, err := c.cfg.Ledger.Lookup(prev); err == nil {
			// Apply again (it is idempotent) in case a crash came between
			// recording and applying.
			if err := c.cfg.Accept.Apply(ctx, c.s.Peer(), tx, m); err != nil {
				c.log.Warn("re-applying a recorded workflow message", "err", err)
			}
			a := &reliableAck{ID: sl.ID, TxID: prev.String()}
			// Return what was recorded: the sender may no longer keep it.
			if raw, err := held.MarshalBinary(); err == nil && len(raw) <= maxAckTx {
				a.Tx = raw
			}
			return a, nil
		}
	}
	for _, r := range tx.Attachments {
		if c.cfg.NoFile != nil && c.cfg.NoFile(r) {
			continue
		}
		if !c.files.Has(r.SHA256) {
			c.s.Refuse(epoch, tx, fmt.Errorf("attachment %s (%x) did not arrive before the message", r.Name, r.SHA256[:6]))
			return nil, nil
		}
	}
	if err := c.cfg.Accept.Check(ctx, c.s.Peer(), tx, m); err != nil {
		reason := err.Error()
		c.cfg.Refused(Refusal{Peer: c.s.Peer().Fingerprint, PeerName: c.s.Peer().Name, Incoming: true, CaseID: tx.CaseID,
			Action: "receive " + tx.Kind.String(), Reason: reason})
		c.log.Warn("workflow message refused", "kind", tx.Kind.String(), "err", err)
		c.s.Event(session.Event{Type: session.EventRejected, Reason: "refused " + tx.Kind.String() + ": " + reason, CaseID: tx.CaseID, MessageID: sl.ID})
		return &reliableAck{ID: sl.ID, Refused: reason}, nil
	}
	txid := tx.ID()
	if err := c.seen.Mark(c.s.Peer().Fingerprint, sl.ID, txid); err != nil {
		return nil, fmt.Errorf("record message ID: %w", err)
	}
	rc, err := c.cfg.Ledger.Append(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("record received message in ledger: %w", err)
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
	return &reliableAck{ID: sl.ID, TxID: txid.String()}, nil
}
