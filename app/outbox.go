package app

import (
	"context"
	"fmt"
	"time"

	"qkdchat/delivery"
	"qkdchat/ledger"
	"qkdchat/store"
)

// Reliable delivery (package delivery): Node.Send and the workflow put
// each message in a persistent per-contact outbox in state.db first; the
// courier of a session with the contact delivers it, exactly once.

// outboxItem is one queued message (package store).
type outboxItem = store.OutboxItem

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

// Outbox lists the messages queued for every contact, oldest first per
// contact.
func (n *Node) Outbox() ([]QueuedMessage, error) {
	cs, err := n.store.Contacts()
	if err != nil {
		return nil, err
	}
	var out []QueuedMessage
	for _, c := range cs {
		items, err := n.store.Outbox(n.recordKey()).List(c.Fingerprint)
		if err != nil {
			return nil, err
		}
		for _, e := range items {
			st := Queued
			if len(e.Item.Attempts) > 0 {
				st = Sent
			}
			out = append(out, QueuedMessage{Peer: c.Fingerprint, PeerName: c.Name, ID: e.Item.ID, Kind: e.Item.Kind.String(),
				CaseID: e.Item.CaseID, Text: e.Item.Text, Files: len(e.Item.Files), Created: e.Item.Created,
				Attempts: len(e.Item.Attempts), State: st})
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
	if c, err := n.store.ContactByFingerprint(ref); err == nil {
		return c, nil
	}
	return Contact{}, fmt.Errorf("no contact %q: pair with them first", ref)
}

// enqueue puts it in c's outbox and wakes the session with c, if any.
func (n *Node) enqueue(c Contact, it *outboxItem) error {
	added, err := n.store.Outbox(n.recordKey()).Put(c.Fingerprint, it)
	if err != nil {
		return err
	}
	if added {
		n.publish(Event{Type: EventDelivery, Peer: c.Fingerprint, PeerName: c.Name, PeerRole: c.Role, MessageID: it.ID,
			State: Queued, CaseID: it.CaseID, Kind: it.Kind.String()})
	}
	if s, ok := n.Session(c.Fingerprint); ok {
		if cr, ok := courierOf(s); ok {
			cr.Kick()
		}
	}
	return nil
}

// workflowAcceptor hands the reliable messages a peer sends to the
// workflow's rules (delivery.Acceptor).
type workflowAcceptor struct{ n *Node }

func (a workflowAcceptor) Check(ctx context.Context, peer Contact, tx *ledger.Transaction, m *Message) error {
	return a.n.clinic.checkWorkflow(ctx, peer, tx, m)
}

func (a workflowAcceptor) Apply(ctx context.Context, peer Contact, tx *ledger.Transaction, m *Message) error {
	return a.n.clinic.acceptWorkflow(ctx, peer, tx, m)
}

// refused keeps a refusal of the delivery layer as a Violation.
func (a workflowAcceptor) refused(r delivery.Refusal) {
	a.n.clinic.recordViolation(Violation{Peer: r.Peer, PeerName: r.PeerName, Incoming: r.Incoming, CaseID: r.CaseID,
		Action: r.Action, Reason: r.Reason})
}
