package ui

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/ui/widgets"
)

// benchShell opens Alice's node with default options and her shell on
// tab in a headless window, closed when the benchmark ends.
func benchShell(b *testing.B, tab string) (*node.Node, *Shell, *Thread) {
	b.Helper()
	a := test.NewTempApp(b)
	n, _ := nodetest.Open(b, node.Profile{Name: "Alice", Role: node.RolePatient}, node.Options{})
	th := &Thread{}
	w := test.NewTempWindow(b, nil)
	var s *Shell
	th.Run(func() {
		s = NewShell(a, w, n, ShellOptions{Thread: th})
		w.SetContent(s.Content())
		w.Resize(DefaultWindowSize)
		s.ShowTab(tab)
	})
	b.Cleanup(func() { s.Close(); s.Wait() })
	return n, s, th
}

// BenchmarkBB84PanelShow measures the UI side of a finished exchange: the
// panel redraws the qubit table, counts, gauge and the history of 100
// exchanges.
func BenchmarkBB84PanelShow(b *testing.B) {
	_, s, th := benchShell(b, TabBB84)
	fixed := fixedExchanges()
	xs := make([]*node.KeyExchange, 100)
	for i := range xs {
		xs[i] = fixed[i%2]
	}
	b.ResetTimer()
	for b.Loop() {
		th.Run(func() { s.bb84.Show("Bob", xs, true) })
	}
}

// BenchmarkChatFileMessage measures filing one incoming message into the
// open conversation that already shows 500 bubbles.
func BenchmarkChatFileMessage(b *testing.B) {
	n, s, th := benchShell(b, TabChat)
	const bob = "b0b0"
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	msg := func(i int) *node.Message {
		return &node.Message{ID: fmt.Sprint(i), Epoch: 1, Kind: "chat", Text: "message number " + fmt.Sprint(i), Time: t0, From: bob, FromName: "Bob", To: n.Fingerprint()}
	}
	th.Run(func() {
		s.names[bob] = "Bob"
		for i := range 500 {
			s.fileMessage(msg(i), widgets.StateSent)
		}
		s.selectConversation(convKey{Peer: bob})
	})
	i := 500
	b.ResetTimer()
	for b.Loop() {
		i++
		th.Run(func() { s.fileMessage(msg(i), widgets.StateSent) })
	}
}
