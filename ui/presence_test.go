package ui

import (
	"testing"
	"time"

	"qkdchat/node"
)

func TestContactPresence(t *testing.T) {
	now := time.Date(2026, 11, 30, 15, 0, 0, 0, time.Local)
	paired := time.Date(2026, 11, 2, 9, 30, 0, 0, time.Local)
	cases := []struct {
		online          bool
		left, connected time.Time
		want            string
	}{
		{true, time.Time{}, paired, "online now"},
		{false, now.Add(-time.Hour), paired, "last seen 14:00"},
		{false, time.Time{}, paired, "last connected 2 Nov 09:30"},
		{false, time.Time{}, paired.AddDate(-1, 0, 0), "last connected 2 Nov 2025"},
		{false, time.Time{}, time.Time{}, ""},
	}
	for _, c := range cases {
		if got := contactPresence(c.online, c.left, c.connected, now); got != c.want {
			t.Errorf("contactPresence(%v, %v, %v) = %q, want %q", c.online, c.left, c.connected, got, c.want)
		}
	}
}

// TestRejectedStatusNeverBlank: a refusal of the user's own action has no
// peer and must not read "Refused a message from : …"; a peer's refused
// message names it.
func TestRejectedStatusNeverBlank(t *testing.T) {
	name := func(fp string) string { return map[string]string{"fp1": "Mercy"}[fp] + "" }
	cases := []struct {
		e    node.Event
		want string
	}{
		{node.Event{Type: node.EventRejected, Reason: "a hospital cannot refer a case: case case-1 is already referred"},
			"Not done: a hospital cannot refer a case: case case-1 is already referred"},
		{node.Event{Type: node.EventRejected, Reason: "a doctor cannot submit a PHR: only a patient submits a PHR"},
			"Not done: a doctor cannot submit a health record: only a patient submits a health record"},
		{node.Event{Type: node.EventRejected, Peer: "fp1", Reason: "replayed frame"}, "Refused a message from Mercy: replayed frame"},
		{node.Event{Type: node.EventRejected, Peer: "fp2", PeerName: "Dr Who", Reason: "bad token"}, "Refused a message from Dr Who: bad token"},
	}
	for _, c := range cases {
		if got := rejectedStatus(c.e, name); got != c.want {
			t.Errorf("rejectedStatus(%+v) = %q, want %q", c.e, got, c.want)
		}
	}
}
