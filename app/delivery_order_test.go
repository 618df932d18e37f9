package app

import (
	"testing"
	"time"
)

// TestDeliveryNeverOvertakesMessageSent: the peer's acknowledgement of a
// chat message is read on the session's reader goroutine and can arrive
// while Send is still coming back from the wire. Subscribers must still
// see message_sent before delivery for that message (a consumer that
// counts unacknowledged messages by ID would otherwise count it forever).
func TestDeliveryNeverOvertakesMessageSent(t *testing.T) {
	n := newTestNode(t, "Alice", RolePatient, BB84Settings{})
	s := newSession(n, nil, Contact{Fingerprint: "hosp", Name: "Hospital", Role: RoleHospital}, true)
	events, cancel := n.Events()
	defer cancel()

	// m1: on the wire, acknowledged before Send announced it.
	s.expectAck("m1")
	s.acknowledgedChat("m1")
	n.publish(Event{Type: EventError, Reason: "marker"})
	s.announceSent(&Message{ID: "m1", Epoch: 1}, true)
	// m2: acknowledged after its announcement, as usual.
	s.expectAck("m2")
	s.announceSent(&Message{ID: "m2", Epoch: 1}, true)
	s.acknowledgedChat("m2")
	// m3: the write failed, yet the peer acknowledged it.
	s.expectAck("m3")
	s.acknowledgedChat("m3")
	s.announceSent(&Message{ID: "m3", Epoch: 1}, false)

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
	s.mu.Lock()
	left := len(s.unannounced)
	s.mu.Unlock()
	if left != 0 {
		t.Errorf("%d message IDs left waiting for their announcement", left)
	}
}
