package ui

import (
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"qkdchat/node"
	"qkdchat/nodetest"
	"qkdchat/qkd"
	"qkdchat/ui/widgets"
)

// fixedExchanges are two exchanges with known numbers: a key, then an
// abort with Eve on the line.
func fixedExchanges() []*node.KeyExchange {
	trace := make([]qkd.TracedQubit, 8)
	for i := range trace {
		q := qkd.TracedQubit{Index: i, AliceBit: uint8(i % 2), AliceBasis: qkd.Basis(i / 2 % 2), Detected: i != 5,
			BobBasis: qkd.Basis(i % 3 % 2)}
		q.BasesMatch = q.AliceBasis == q.BobBasis
		q.Kept = q.Detected && q.BasesMatch
		if q.Detected {
			q.BobBit = q.AliceBit
			if i == 6 {
				q.BobBit ^= 1
				q.Error = q.Kept
			}
		}
		trace[i] = q
	}
	ok := &qkd.Report{QubitsSent: 8000, QubitsDetected: 7900, Matches: 3950, Sifted: 3950, SampleSize: 1200,
		QBEREstimate: 0.0125, QBERZ: 0.0117, QBERX: 0.0133, SampleErrors: 15, LeakedEC: 340, KeyBits: 256, Trace: trace}
	bad := &qkd.Report{QubitsSent: 8000, QubitsDetected: 7900, Matches: 3960, Sifted: 3960, SampleSize: 1200,
		QBEREstimate: 0.248, QBERZ: 0.245, QBERX: 0.251, SampleErrors: 298, Aborted: true, AbortReason: "QBER above threshold", Trace: trace}
	t0 := time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)
	return []*node.KeyExchange{
		{Epoch: 1, Role: "alice", Time: t0, OK: true, Report: ok, KeyBits: 256},
		{Epoch: 0, Role: "alice", Time: t0.Add(time.Minute), OK: false, Reason: "QBER 24.8% above threshold 11%", Report: bad},
	}
}

// TestGoldenPanes renders every tab of a shell with fixed content and
// compares it with the markup in testdata/. To update a file on purpose,
// delete it, run the test, and move the new file from testdata/failed/.
func TestGoldenPanes(t *testing.T) {
	a := test.NewTempApp(t)
	n, dir := nodetest.New(t, "Alice", node.RolePatient, node.BB84Settings{})
	th := &Thread{}
	s, w := newTestShell(t, a, n, dir, th)
	eventually(t, th, "the ledger page", func() bool {
		s.ledger.RefreshIfStale()
		return s.ledger.Page() != ""
	})
	const bob = "b0b0 b0b0 b0b0 b0b0"
	t0 := time.Date(2026, 1, 2, 10, 5, 0, 0, time.UTC)
	th.Run(func() {
		s.names[bob] = "Bob"
		s.exchanges[bob] = fixedExchanges()
		s.fileMessage(&node.Message{ID: "m1", Epoch: 1, Kind: "chat", Text: "Hello Bob, is the key ready?", Time: t0,
			From: n.Fingerprint(), FromName: "Alice", To: bob, Outgoing: true}, widgets.StateSent)
		s.fileMessage(&node.Message{ID: "m2", Epoch: 1, Kind: "chat", Text: "Yes: 256 bits, QBER 1.25%.", Time: t0.Add(time.Minute),
			From: bob, FromName: "Bob", To: n.Fingerprint()}, widgets.StateSent)
		s.inbox.setDelivery("m1", node.Delivered)
		s.selectConversation(convKey{Peer: bob})
		s.bb84.SelectExchange(0)
		s.setStatus("")
	})
	for _, tab := range []string{TabConnect, TabChat, TabBB84, TabLedger, TabRole, TabSettings} {
		th.Run(func() {
			s.ShowTab(tab)
			test.AssertRendersToMarkup(t, "shell_"+tab+".xml", w.Canvas())
		})
	}
	// The aborted exchange.
	th.Run(func() {
		s.ShowTab(TabBB84)
		s.bb84.SelectExchange(1)
		test.AssertRendersToMarkup(t, "shell_bb84_aborted.xml", w.Canvas())
	})
}
