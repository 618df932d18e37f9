package node

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"qkdchat/ledger"
	"qkdchat/transport"
)

// frameReliableAck is delivery's acknowledgement frame, sent raw here to
// play a lying peer.
const frameReliableAck transport.FrameType = 0x53

// TestAckOfAnAttemptNoLongerKept: a sender keeps only the last 64 signed
// attempts of a message. When the peer acknowledges a resend with an
// attempt the sender no longer keeps, the peer returns that recorded
// transaction with the acknowledgement, and the sender records it (it is
// its own signature) instead of calling the message delivered with no
// record of what was delivered.
func TestAckOfAnAttemptNoLongerKept(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, h, pev, hev, _ := patientAndHospital(t, ctx)
	m, recorded := sendDelivered(t, ctx, p, pev, hev, "St Mary", "case-0123456789ab", "my prescription ran out")
	psize, hsize := p.Ledger().Size(), h.Ledger().Size()

	// The state after the acknowledgement was lost 64 times: the item is
	// queued again and the attempt the hospital recorded is not kept.
	hc, _ := p.store.Contact(h.Fingerprint())
	it := &outboxItem{ID: m.ID, Kind: ledger.KindChat, CaseID: m.CaseID, Text: m.Text, Created: m.Time}
	if err := p.enqueue(hc, it); err != nil {
		t.Fatal(err)
	}
	again := waitEvent(t, pev, "the acknowledgement of the resend", func(e Event) bool {
		return e.Type == EventDelivery && e.State == Delivered && e.MessageID == m.ID
	})
	if again.TxID != recorded {
		t.Fatalf("the resend was marked delivered as %q, want the transaction both ledgers hold, %s", again.TxID, recorded)
	}
	waitFor(t, "the outbox to empty", func() bool { return outboxEmpty(p) })
	if p.Ledger().Size() != psize || h.Ledger().Size() != hsize {
		t.Fatalf("ledgers grew from %d/%d to %d/%d on a resend", psize, hsize, p.Ledger().Size(), h.Ledger().Size())
	}
}

// TestLyingAckKeepsTheMessageQueued: a peer that acknowledges a message it
// was never sent, naming a transaction the sender never made, does not
// make the sender drop it: it stays queued, is sent as usual, and is
// delivered once the peer really records it.
func TestLyingAckKeepsTheMessageQueued(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, h, pev, hev, hs := patientAndHospital(t, ctx)

	// Queued without waking the courier, so the lies arrive first.
	hfp := h.Fingerprint()
	it := queueQuietly(t, p, hfp, "case-0123456789ab", "results of my blood test?")
	forged, _ := json.Marshal(map[string]any{"id": it.ID, "txid": strings.Repeat("ab", 32)})
	withCopy, _ := json.Marshal(map[string]any{"id": it.ID, "txid": strings.Repeat("cd", 32), "tx": []byte("not a transaction")})
	acksLeaveItQueued(t, ctx, hs, pev, p, hfp, it, forged, withCopy)

	// Woken, the courier sends it; the hospital records it and says so.
	hc, _ := p.store.Contact(hfp)
	if err := p.enqueue(hc, it); err != nil {
		t.Fatal(err)
	}
	rec := waitEvent(t, hev, "the message at the hospital", func(e Event) bool { return e.Type == EventMessage && e.MessageID == it.ID })
	d := waitEvent(t, pev, "its delivery", func(e Event) bool {
		return e.Type == EventDelivery && e.State == Delivered && e.MessageID == it.ID
	})
	if d.TxID != rec.Message.TxID {
		t.Fatalf("delivered as %s, the hospital recorded %s", d.TxID, rec.Message.TxID)
	}
	if _, _, err := p.Ledger().Lookup(mustTxID(t, d.TxID)); err != nil {
		t.Fatalf("the sender's ledger lacks the delivered message: %v", err)
	}
}

// TestAckWithAnotherMessagesCopyKeepsItQueued: a peer that acknowledges a
// queued message with the copy of another message the sender made (its
// own signature, to this peer, same kind and case) does not get the
// queued one marked delivered: only the sender's attempt at that very
// message proves it was recorded.
func TestAckWithAnotherMessagesCopyKeepsItQueued(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, h, pev, hev, hs := patientAndHospital(t, ctx)
	const caseID = "case-0123456789ab"
	_, firstTx := sendDelivered(t, ctx, p, pev, hev, "St Mary", caseID, "my prescription ran out")
	_, held, err := h.Ledger().Lookup(mustTxID(t, firstTx))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := held.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}

	// A second message in the same case, queued without waking the
	// courier; the hospital acknowledges it with the first one's copy.
	hfp := h.Fingerprint()
	it := queueQuietly(t, p, hfp, caseID, "and my blood test?")
	lie, _ := json.Marshal(map[string]any{"id": it.ID, "txid": firstTx, "tx": raw})
	acksLeaveItQueued(t, ctx, hs, pev, p, hfp, it, lie)
}

// queueQuietly puts a chat message for the contact fp in p's outbox
// without waking the courier, so that what the peer sends next arrives
// before the message is sent.
func queueQuietly(t *testing.T, p *Node, fp, caseID, text string) *outboxItem {
	t.Helper()
	it := &outboxItem{ID: newMessageID(), Kind: ledger.KindChat, CaseID: caseID, Text: text, Created: time.Now()}
	if _, err := p.store.Outbox(p.recordKey()).Put(fp, it); err != nil {
		t.Fatal(err)
	}
	return it
}

// acksLeaveItQueued has the peer's session hs send acks (raw delivery
// acknowledgements) for the queued item it, then a chat line, and checks
// that p (events pev) neither marked it delivered nor took it out of its
// outbox for the contact fp. Frames are handled in order: once the chat
// line is in, so are the acks.
func acksLeaveItQueued(t *testing.T, ctx context.Context, hs *Session, pev <-chan Event, p *Node, fp string, it *outboxItem, acks ...[]byte) {
	t.Helper()
	for _, b := range acks {
		if err := hs.SendFrame(ctx, frameReliableAck, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := hs.Send(ctx, ledger.KindChat, "chat", "after the acknowledgements", nil); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, pev, "the chat line after the acknowledgements", func(e Event) bool {
		if e.Type == EventDelivery && e.MessageID == it.ID && e.State == Delivered {
			t.Fatalf("an acknowledgement the sender cannot match marked the message delivered: %+v", e)
		}
		return e.Type == EventMessage
	})
	if q, err := p.store.Outbox(p.recordKey()).Peek(fp, it.ID); err != nil || q == nil {
		t.Fatalf("an acknowledgement the sender cannot match took the message out of the outbox (%v)", err)
	}
}

// patientAndHospital pairs a patient, Pat, with a hospital, St Mary, and
// waits for their first key: the two nodes, their events and the
// hospital's session with Pat.
func patientAndHospital(t *testing.T, ctx context.Context) (p, h *Node, pev, hev <-chan Event, hs *Session) {
	t.Helper()
	p = newTestNode(t, "Pat", RolePatient, BB84Settings{})
	h = newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	_, pev, hev = pairKeyed(t, ctx, p, h)
	return p, h, pev, hev, sessionWith(t, h, "Pat")
}
