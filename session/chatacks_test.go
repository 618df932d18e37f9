package session

import (
	"testing"
	"time"

	"qkdchat/store"
)

// TestDeliveryNeverOvertakesMessageSent: the peer's acknowledgement of a
// chat message is read on the session's reader goroutine and can arrive
// while Send is still coming back from the wire. Subscribers must still
// see message_sent before delivery for that message (a consumer that
// counts unacknowledged messages by ID would otherwise count it forever).
func TestDeliveryNeverOvertakesMessageSent(t *testing.T) {
	events := make(chan Event, 16)
	s := &Session{peer: store.Contact{Fingerprint: "hosp", Name: "Hospital", Role: "hospital"},
		cfg: Config{Publish: func(e Event) { events <- e }}}
	a := newChatAcks()

	// m1: on the wire, acknowledged before Send announced it.
	a.expect("m1")
	a.acknowledged(s, "m1")
	s.cfg.Publish(Event{Type: EventError, Reason: "marker"})
	a.announceSent(s, &Message{ID: "m1", Epoch: 1}, true)
	// m2: acknowledged after its announcement, as usual.
	a.expect("m2")
	a.announceSent(s, &Message{ID: "m2", Epoch: 1}, true)
	a.acknowledged(s, "m2")
	// m3: the write failed, yet the peer acknowledged it.
	a.expect("m3")
	a.acknowledged(s, "m3")
	a.announceSent(s, &Message{ID: "m3", Epoch: 1}, false)

	want := []struct {
		typ EventType
		id  string
	}{
		{EventError, ""},
		{EventMessageSent, "m1"}, {EventDelivery, "m1"},
		{EventMessageSent, "m2"}, {EventDelivery, "m2"},
		{EventDelivery, "m3"},
	}
	for i, w := range want {
		var e Event
		select {
		case e = <-events:
		case <-time.After(30 * time.Second):
			t.Fatalf("event %d (%s %q) never came", i, w.typ, w.id)
		}
		if e.Type != w.typ || e.MessageID != w.id {
			t.Fatalf("event %d: %s %q, want %s %q", i, e.Type, e.MessageID, w.typ, w.id)
		}
		if e.Type == EventDelivery && (e.State != Delivered || e.Peer != "hosp") {
			t.Errorf("event %d: delivery %+v", i, e)
		}
	}
	a.mu.Lock()
	left := len(a.unannounced)
	a.mu.Unlock()
	if left != 0 {
		t.Errorf("%d message IDs left waiting for their announcement", left)
	}
}
