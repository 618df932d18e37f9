package node

import (
	"testing"
	"time"
)

// TestEventsAreTimeStamped: an event published without a time reaches
// subscribers stamped with the time it was published; one with a time
// keeps it.
func TestEventsAreTimeStamped(t *testing.T) {
	n := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	ch, stop := n.Events()
	defer stop()
	before := time.Now()
	given := time.Date(2026, 11, 30, 9, 0, 0, 0, time.UTC)
	n.publish(Event{Type: EventError, Reason: "unstamped"})
	n.publish(Event{Type: EventError, Reason: "stamped", Time: given})
	got := waitEvent(t, ch, "the unstamped event", func(e Event) bool { return e.Reason == "unstamped" })
	if got.Time.Before(before) || got.Time.After(time.Now()) {
		t.Fatalf("published between %v and now, stamped %v", before, got.Time)
	}
	if got := waitEvent(t, ch, "the stamped event", func(e Event) bool { return e.Reason == "stamped" }); !got.Time.Equal(given) {
		t.Fatalf("an event's own time %v became %v", given, got.Time)
	}
}
