package ui

import (
	"time"

	"qkdchat/node"
	"qkdchat/ui/cases"
)

// markLeft records when a peer's session ended: the last time this app
// was in contact with it.
func (p *peers) markLeft(fp string, t time.Time) {
	if p.left == nil {
		p.left = map[string]time.Time{}
	}
	p.left[fp] = t
}

// Left is when the peer's last session in this run of the app ended, or
// zero.
func (p *peers) Left(fp string) time.Time { return p.left[fp] }

// contactPresence says when a contact was last in contact, for the
// contact list: "online now" during a session; "last seen …" with the end
// of the last session this run saw; "last connected …" with the start of
// the last session, which is all the node keeps across restarts; nothing
// when neither is known.
func contactPresence(online bool, left, connected, now time.Time) string {
	switch {
	case online:
		return "online now"
	case !left.IsZero():
		return "last seen " + shortWhen(left, now)
	case !connected.IsZero():
		return "last connected " + shortWhen(connected, now)
	}
	return ""
}

// shortWhen is "14:05" today, "30 Nov 14:05" this year, "30 Nov 2025"
// before.
func shortWhen(t, now time.Time) string {
	t = t.In(now.Location())
	y, m, d := t.Date()
	ny, nm, nd := now.Date()
	switch {
	case y == ny && m == nm && d == nd:
		return t.Format("15:04")
	case y == ny:
		return t.Format("2 Jan 15:04")
	}
	return t.Format("2 Jan 2006")
}

// rejectedStatus is the status line of an node.EventRejected. A peer's
// refused message names the peer; a refusal of the user's own action
// (no peer: the workflow's role rules) says that it was not done.
func rejectedStatus(e node.Event, name func(fp string) string) string {
	reason := cases.PlainWords(e.Reason)
	if e.Peer == "" {
		return "Not done: " + reason
	}
	who := e.PeerName
	if who == "" {
		who = name(e.Peer)
	}
	return "Refused a message from " + who + ": " + reason
}
