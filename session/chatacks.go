package session

import "sync"

// chatAcks orders the events of chat messages sent on the plain path.
// unannounced holds the IDs of messages on the wire whose message_sent
// event is not published yet, true once the peer acknowledged one: its
// delivery event then waits for message_sent (announceSent).
type chatAcks struct {
	mu          sync.Mutex
	unannounced map[string]bool
}

func newChatAcks() *chatAcks { return &chatAcks{unannounced: map[string]bool{}} }

// expect notes that message id is going on the wire and its
// message_sent event is still to come.
func (a *chatAcks) expect(id string) {
	a.mu.Lock()
	a.unannounced[id] = false
	a.mu.Unlock()
}

// announceSent publishes message_sent for m (if it went out), then its
// delivery if the peer's acknowledgement overtook the announcement: an
// acknowledgement is read on another goroutine and can arrive before Send
// is back from the wire, but subscribers always see sent, then delivered.
func (a *chatAcks) announceSent(s *Session, m *Message, sent bool) {
	if sent {
		s.Event(Event{Type: EventMessageSent, Message: m, MessageID: m.ID, State: Sent, Epoch: m.Epoch})
	}
	a.mu.Lock()
	acked := a.unannounced[m.ID]
	delete(a.unannounced, m.ID)
	a.mu.Unlock()
	if acked {
		s.Event(Event{Type: EventDelivery, MessageID: m.ID, State: Delivered})
	}
}

// acknowledged publishes the delivery of a chat message, or leaves it to
// announceSent if the message's message_sent event is still to come.
func (a *chatAcks) acknowledged(s *Session, id string) {
	a.mu.Lock()
	if _, pending := a.unannounced[id]; pending {
		a.unannounced[id] = true
		a.mu.Unlock()
		return
	}
	a.mu.Unlock()
	s.Event(Event{Type: EventDelivery, MessageID: id, State: Delivered})
}
