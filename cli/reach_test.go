package cli

import (
	"testing"
	"time"

	"qkdchat/node"
)

// TestPresenceLines: what connect says as its peer goes offline, is
// redialled and comes back.
func TestPresenceLines(t *testing.T) {
	c := &console{offline: map[string]bool{}}
	ev := func(p node.Presence) node.Event {
		return node.Event{Type: node.EventPresence, Peer: "fp", PeerName: "St. Mary's", Presence: &p}
	}
	now := time.Now()
	for i, tc := range []struct {
		p    node.Presence
		want string
	}{
		{node.Presence{Online: true}, ""},
		{node.Presence{Redialling: true}, ""}, // dropped, first redial under way
		{node.Presence{Redialling: true, Failures: 1, NextTry: now.Add(4 * time.Second)}, "St. Mary's went offline; trying again in 4 s"},
		{node.Presence{Redialling: true, Failures: 2, NextTry: now.Add(8 * time.Second)}, "St. Mary's is still offline; trying again in 8 s"},
		{node.Presence{Online: true}, "St. Mary's is back online"},
		{node.Presence{}, "St. Mary's went offline"}, // not redialled
		{node.Presence{}, ""},
	} {
		if got := c.presenceLine(ev(tc.p)); got != tc.want {
			t.Errorf("step %d %+v: %q, want %q", i, tc.p, got, tc.want)
		}
	}
}
