package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"qkdchat/ledger"
)

// newTestNode opens a node with a fresh data directory.
func newTestNode(t *testing.T, name string, role Role, bb84 BB84Settings) *Node {
	t.Helper()
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: name, Role: role}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(Options{Dir: dir, BB84: bb84, SendTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// eventWait is how long waitEvent waits: longer than a key exchange's own
// 60 s limit, so a stuck exchange fails with the abort it reports rather
// than with a bare timeout, and a machine slowed by a parallel test run
// (fsync stalls on a shared disk) is not mistaken for a hang.
const eventWait = 90 * time.Second

// waitEvent reads events until one satisfies ok, or fails the test,
// naming the events (other than progress) it read on the way.
func waitEvent(t *testing.T, ch <-chan Event, what string, ok func(Event) bool) Event {
	t.Helper()
	deadline := time.After(eventWait)
	var seen []string
	for {
		select {
		case e, open := <-ch:
			if !open {
				t.Fatalf("event stream closed while waiting for %s; saw %q", what, seen)
			}
			if ok(e) {
				return e
			}
			if e.Type != EventKeyProgress {
				seen = append(seen, fmt.Sprintf("%s epoch %d %s", e.Type, e.Epoch, e.Reason))
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %s; saw %q", what, seen)
		}
	}
}

func isType(typ EventType) func(Event) bool { return func(e Event) bool { return e.Type == typ } }

// pairNodes starts a listener on b and connects a to it with the right code.
func pairNodes(t *testing.T, ctx context.Context, a, b *Node) (*Session, <-chan Event, <-chan Event) {
	t.Helper()
	aev, cancelA := a.Events()
	t.Cleanup(cancelA)
	bev, cancelB := b.Events()
	t.Cleanup(cancelB)
	addr, code, err := b.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.Connect(ctx, addr.String(), code)
	if err != nil {
		t.Fatal(err)
	}
	return s, aev, bev
}

// pairKeyed pairs a with b (pairNodes) and waits for the first key on
// both sides.
func pairKeyed(t *testing.T, ctx context.Context, a, b *Node) (*Session, <-chan Event, <-chan Event) {
	t.Helper()
	s, aev, bev := pairNodes(t, ctx, a, b)
	waitEvent(t, aev, "the first key", isType(EventKeyEstablished))
	waitEvent(t, bev, "the first key on the other side", isType(EventKeyEstablished))
	return s, aev, bev
}

// sessionWith is n's live session with peer (a name or a fingerprint).
func sessionWith(t *testing.T, n *Node, peer string) *Session {
	t.Helper()
	s, ok := n.Session(peer)
	if !ok {
		t.Fatalf("no session with %s", peer)
	}
	return s
}

// sendDelivered sends a chat message from p to the contact named to and
// waits until the receiver (events rev) recorded it and p (events pev)
// recorded its delivery as the same transaction, whose ID it returns.
func sendDelivered(t *testing.T, ctx context.Context, p *Node, pev, rev <-chan Event, to, caseID, text string) (*Message, string) {
	t.Helper()
	m, err := p.Send(ctx, to, ledger.KindChat, caseID, text, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := waitEvent(t, rev, "the message", func(e Event) bool { return e.Type == EventMessage && e.MessageID == m.ID })
	if got.Message.Text != text {
		t.Fatalf("received %+v", got.Message)
	}
	d := waitEvent(t, pev, "its delivery", func(e Event) bool {
		return e.Type == EventDelivery && e.State == Delivered && e.MessageID == m.ID
	})
	if d.TxID != got.Message.TxID {
		t.Fatalf("sender recorded %s, receiver %s", d.TxID, got.Message.TxID)
	}
	return m, d.TxID
}

func TestSessionKeysAndChatsBothWays(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.02})
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	s, aev, bev := pairNodes(t, ctx, alice, hosp)

	est := waitEvent(t, aev, "key on Alice's side", isType(EventKeyEstablished))
	if est.Epoch != 1 || est.KeyBits != 256 || est.QBER == nil || *est.QBER > 0.11 {
		t.Fatalf("key event: %+v", est)
	}
	waitEvent(t, bev, "key on the hospital's side", isType(EventKeyEstablished))

	if _, err := s.Send(ctx, ledger.KindChat, "chat", "fever since Monday", nil); err != nil {
		t.Fatal(err)
	}
	got := waitEvent(t, bev, "message at the hospital", isType(EventMessage))
	if got.Message.Text != "fever since Monday" || got.Message.FromName != "Alice" || got.Message.Epoch != 1 {
		t.Fatalf("received %+v", got.Message)
	}
	waitEvent(t, aev, "delivery ack", func(e Event) bool { return e.Type == EventDelivery && e.State == Delivered })

	hs, ok := hosp.Session("Alice")
	if !ok {
		t.Fatal("hospital has no session with Alice")
	}
	if _, err := hs.Send(ctx, ledger.KindChat, "chat", "come in at 3pm", nil); err != nil {
		t.Fatal(err)
	}
	back := waitEvent(t, aev, "reply at Alice", isType(EventMessage))
	if back.Message.Text != "come in at 3pm" {
		t.Fatalf("reply %+v", back.Message)
	}

	// Both ledgers hold the same two chat transactions, as ciphertext.
	for _, n := range []*Node{alice, hosp} {
		for i := int64(0); i < n.Ledger().Size(); i++ {
			tx, err := n.Ledger().Tx(i)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(string(tx.Token), "fever") {
				t.Fatalf("%s's ledger holds plaintext", n.Profile().Name)
			}
		}
	}
	if _, _, err := hosp.Ledger().Lookup(mustTxID(t, got.Message.TxID)); err != nil {
		t.Fatalf("hospital ledger lacks the received message: %v", err)
	}
	if _, _, err := alice.Ledger().Lookup(mustTxID(t, got.Message.TxID)); err != nil {
		t.Fatalf("alice's ledger lacks the sent message: %v", err)
	}

	// Rekey on demand moves both sides to epoch 2.
	if err := s.Rekey(ctx); err != nil {
		t.Fatal(err)
	}
	if s.Epoch() != 2 {
		t.Fatalf("epoch after rekey %d", s.Epoch())
	}
	waitEvent(t, bev, "epoch 2 at the hospital", func(e Event) bool { return e.Type == EventKeyEstablished && e.Epoch == 2 })
}

func mustTxID(t *testing.T, s string) ledger.TxID {
	t.Helper()
	id, err := ledger.ParseTxID(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestEavesdropperAbortsKeyExchange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Eve: 1})
	bob := newTestNode(t, "Bob", RoleDoctor, BB84Settings{})
	_, aev, bev := pairNodes(t, ctx, alice, bob)
	for name, ch := range map[string]<-chan Event{"alice": aev, "bob": bev} {
		e := waitEvent(t, ch, name+"'s abort", isType(EventKeyAborted))
		if e.QBER == nil || *e.QBER < 0.15 || !strings.Contains(e.Reason, "QBER") {
			t.Fatalf("%s abort: qber %v reason %q", name, e.QBER, e.Reason)
		}
		// What the exchange measured is the user's to judge: an
		// eavesdropper's errors are never retried by themselves.
		if e.Exchange == nil || e.Exchange.RetryIn != 0 {
			t.Fatalf("%s abort: %+v, want no retry planned", name, e.Exchange)
		}
	}
}

func TestWrongPairingCodeFailsBothSides(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := newTestNode(t, "Alice", RolePatient, BB84Settings{})
	b := newTestNode(t, "Bob", RoleHospital, BB84Settings{})
	bev, cancelB := b.Events()
	defer cancelB()
	addr, _, err := b.Listen(ctx, "127.0.0.1:0", "7-amber-falcon")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.Connect(ctx, addr.String(), "7-amber-hawk")
	if err == nil || !strings.Contains(UserError(err), "pairing failed") {
		t.Fatalf("connect with wrong code: %v", err)
	}
	e := waitEvent(t, bev, "listener's pairing failure", isType(EventPairingFailed))
	if !strings.Contains(e.Reason, "pairing failed") {
		t.Fatalf("listener reason %q", e.Reason)
	}
	if len(b.Sessions()) != 0 || len(a.Sessions()) != 0 {
		t.Fatal("a session exists after a failed pairing")
	}
}

func TestOpenTransactionDecryptsOwnLedger(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := newTestNode(t, "Alice", RolePatient, BB84Settings{})
	b := newTestNode(t, "Bob", RoleHospital, BB84Settings{})
	c := newTestNode(t, "Carol", RoleDoctor, BB84Settings{})
	s, _, bev := pairNodes(t, ctx, a, b)
	if _, err := s.Send(ctx, ledger.KindChat, "case-1", "allergic to penicillin", nil); err != nil {
		t.Fatal(err)
	}
	got := waitEvent(t, bev, "message", isType(EventMessage))
	id := mustTxID(t, got.Message.TxID)
	for _, n := range []*Node{a, b} {
		_, tx, err := n.Ledger().Lookup(id)
		if err != nil {
			t.Fatal(err)
		}
		m, err := n.openTransaction(tx)
		if err != nil || m.Text != "allergic to penicillin" || m.CaseID != "case-1" {
			t.Fatalf("%s: openTransaction = %+v, %v", n.Profile().Name, m, err)
		}
	}
	_, tx, _ := b.Ledger().Lookup(id)
	if _, err := c.openTransaction(tx); !errors.Is(err, ErrNoKey) {
		t.Fatalf("a third party opened the transaction: %v", err)
	}
	// Key events decode for their owner.
	var sawKeyEvent bool
	for i := int64(0); i < a.Ledger().Size(); i++ {
		tx, _ := a.Ledger().Tx(i)
		if tx.Kind == ledger.KindKeyEvent {
			m, err := a.openTransaction(tx)
			if err != nil || !strings.Contains(m.Text, "key established") {
				t.Fatalf("key event: %+v %v", m, err)
			}
			sawKeyEvent = true
		}
	}
	if !sawKeyEvent {
		t.Fatal("no key event recorded")
	}
}

func TestWorkflowKindsRefusedOnPlainChatPath(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := newTestNode(t, "Alice", RolePatient, BB84Settings{})
	b := newTestNode(t, "Bob", RoleHospital, BB84Settings{})
	s, _, bev := pairNodes(t, ctx, a, b)
	before := b.Ledger().Size()
	// A report sent around the workflow (which checks the role rules)
	// must not be recorded by the receiver.
	if _, err := s.Send(ctx, ledger.KindReport, "case-1", "forged report", nil); err != nil {
		t.Fatal(err)
	}
	e := waitEvent(t, bev, "rejection", isType(EventRejected))
	if !strings.Contains(e.Reason, "not allowed on the plain chat path") {
		t.Fatalf("reason %q", e.Reason)
	}
	if _, err := s.Send(ctx, ledger.KindChat, "chat", "still talking", nil); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, bev, "the next chat message", isType(EventMessage))
	for i := before; i < b.Ledger().Size(); i++ {
		tx, _ := b.Ledger().Tx(i)
		if tx.Kind == ledger.KindReport {
			t.Fatal("the receiver recorded a report from the plain chat path")
		}
	}
}

// TestRekeyWaitsForRunningExchange: a Rekey while an exchange runs returns
// only once that exchange has ended, with its result.
func TestRekeyWaitsForRunningExchange(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.02})
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	s, aev, _ := pairNodes(t, ctx, alice, hosp)
	waitEvent(t, aev, "first key", isType(EventKeyEstablished))

	first := make(chan error, 1)
	go func() { first <- s.Rekey(ctx) }()
	// Wait until that exchange is running, then ask again.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s.Exchanging() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first rekey never started")
		}
		time.Sleep(100 * time.Microsecond)
	}
	if err := s.Rekey(ctx); err != nil {
		t.Fatalf("second rekey: %v", err)
	}
	// It returned after the running exchange installed epoch 2 (or after a
	// later one): never before it ended.
	if e := s.Epoch(); e < 2 {
		t.Fatalf("second Rekey returned at epoch %d, before the running exchange ended", e)
	}
	if err := <-first; err != nil {
		t.Fatalf("first rekey: %v", err)
	}
}

// listeningHospital opens a hospital node listening on loopback until ctx
// ends, with its event stream (closed when the test ends).
func listeningHospital(ctx context.Context, t *testing.T) (*Node, <-chan Event, net.Addr, string) {
	t.Helper()
	hosp := newTestNode(t, "Hospital", RoleHospital, BB84Settings{})
	events, stop := hosp.Events()
	t.Cleanup(stop)
	addr, code, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	return hosp, events, addr, code
}
