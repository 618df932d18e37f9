package ui

import (
	"context"
	"testing"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/widgets"
)

// entryState reports the delivery state of message id in the shell's
// conversation with peer, and whether the shell shows it at all.
func entryState(s *Shell, peer, id string) (widgets.DeliveryState, bool) {
	c, ok := s.inbox.convs[convKey{Peer: peer}]
	if !ok {
		return 0, false
	}
	e, ok := c.byID[id]
	if !ok {
		return 0, false
	}
	return e.msg.State, true
}

// Issue 15: a delivered message came back as "✓ sent" after a restart,
// and one still queued did not come back at all.
func TestDeliveryStateSurvivesRestart(t *testing.T) {
	a := test.NewTempApp(t)
	ctx := context.Background()
	alice, adir := nodetest.New(t, "Alice", node.RolePatient, node.BB84Settings{})
	bob, _ := nodetest.New(t, "Bob", node.RoleHospital, node.BB84Settings{})
	nodetest.Pair(t, alice, bob)
	aev, stop := alice.Events()
	defer stop()

	sent, err := alice.Send(ctx, bob.Fingerprint(), node.KindChat, "", "acknowledged before the restart", nil)
	if err != nil {
		t.Fatal(err)
	}
	nodetest.WaitEvent(t, aev, "Bob's acknowledgement", func(e node.Event) bool {
		return e.Type == node.EventDelivery && e.MessageID == sent.ID && e.State == node.Delivered
	})
	// Bob goes away: the next message waits in Alice's outbox.
	if err := bob.Close(); err != nil {
		t.Fatal(err)
	}
	nodetest.WaitEvent(t, aev, "Bob's disconnection", nodetest.IsType(node.EventDisconnected))
	queued, err := alice.Send(ctx, bob.Fingerprint(), node.KindChat, "", "still waiting for Bob", nil)
	if err != nil {
		t.Fatal(err)
	}
	stop()

	p := alice.Profile()
	if err := alice.Close(); err != nil {
		t.Fatal(err)
	}
	o := nodetest.Options(node.BB84Settings{})
	o.Dir = adir
	again, _ := nodetest.Open(t, p, o)

	th := &Thread{}
	s, _ := newTestShell(t, a, again, adir, th)
	debugState = func() string {
		st, ok := entryState(s, bob.Fingerprint(), sent.ID)
		qst, qok := entryState(s, bob.Fingerprint(), queued.ID)
		return "delivered message: " + st.String() + " shown " + map[bool]string{true: "yes", false: "no"}[ok] +
			"\nqueued message: " + qst.String() + " shown " + map[bool]string{true: "yes", false: "no"}[qok]
	}
	defer func() { debugState = func() string { return "" } }()
	eventually(t, th, "the acknowledged message shown as delivered", func() bool {
		st, ok := entryState(s, bob.Fingerprint(), sent.ID)
		return ok && st == widgets.StateDelivered
	})
	eventually(t, th, "the queued message shown, not as delivered", func() bool {
		st, ok := entryState(s, bob.Fingerprint(), queued.ID)
		return ok && st == widgets.StateQueued
	})
}
