package node

import (
	"bytes"
	"context"
	"runtime"
	"testing"
	"time"

	"qkdchat/ledger"
)

// TestPeerRekeyRequestsArePaced: a peer that asks for a new key again and
// again cannot keep the initiator running BB84 back to back. The hospital
// (the responder) asks every 10 ms for 3 s; Alice runs the first exchange
// at once and later ones only after an idle gap of at least a second, so
// at most 1 + 3 s / 1 s exchanges follow the first key. Unpaced, Alice ran
// one exchange after another (69 in 3 s here, under -race). However many
// requests come, at most one waits its turn (beside the one whose
// exchange is running), and none outlives the session.
func TestPeerRekeyRequestsArePaced(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.02})
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	s, _, _ := pairKeyed(t, ctx, alice, hosp)
	hs := sessionWith(t, hosp, "Alice")
	if hs.Initiator() {
		t.Fatal("the hospital should be the responder in this test")
	}

	flood := 3 * time.Second
	start := time.Now()
	most := 0
	for time.Since(start) < flood {
		if err := hs.Rekey(ctx); err != nil {
			t.Fatalf("rekey request: %v", err)
		}
		most = max(most, goroutinesIn("session.(*keyring).servePeerRequest"))
		time.Sleep(10 * time.Millisecond)
	}
	// The requests are served, paced: wait for the first exchange they
	// asked for to end, then count.
	waitFor(t, "an exchange the peer asked for", func() bool { return len(s.Exchanges()) > 1 && !s.Exchanging() })
	elapsed := time.Since(start)
	ran := len(s.Exchanges()) - 1
	limit := 1 + int(elapsed/time.Second)
	if ran > limit {
		t.Fatalf("a peer flooding rekey requests for %v made Alice run %d exchanges (at most %d allowed)", elapsed, ran, limit)
	}
	if most > 2 {
		t.Fatalf("%d goroutines served the peer's requests at once; one waiting and one running is enough", most)
	}
	t.Logf("%d exchanges in %v of requests", ran, elapsed)

	// A request waiting its turn ends with the session.
	if err := hs.Rekey(ctx); err != nil {
		t.Fatalf("rekey request: %v", err)
	}
	s.Close()
	waitFor(t, "the peer's waiting request to end with the session", func() bool {
		return goroutinesIn("session.(*keyring).servePeerRequest") == 0
	})
}

// TestPeerMessagesDoNotRekeyBackToBack: messages the peer sends count
// towards the message-count rekey, so a peer sending as fast as it can
// must not make the initiator run BB84 back to back either: rekeys its
// messages trigger are paced like its requests. Alice rekeys after every
// message (RekeyMessages 1, as every message does with the default once an
// exchange has aborted: the count is reset only by a new key). Unpaced,
// Alice ran an exchange after each one ended (62 in 3 s
// here, under -race).
func TestPeerMessagesDoNotRekeyBackToBack(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	if err := SaveProfile(dir, Profile{Name: "Alice", Role: RolePatient}); err != nil {
		t.Fatal(err)
	}
	alice, err := Open(Options{Dir: dir, BB84: BB84Settings{Noise: 0.02}, RekeyMessages: 1, SendTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	s, _, _ := pairKeyed(t, ctx, alice, hosp)
	hs := sessionWith(t, hosp, "Alice")

	flood := 3 * time.Second
	start := time.Now()
	sent := 0
	for time.Since(start) < flood {
		if _, err := hs.Send(ctx, ledger.KindChat, "chat", "are you there?", nil); err != nil {
			t.Fatalf("message %d: %v", sent, err)
		}
		sent++
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "an exchange the messages asked for", func() bool { return len(s.Exchanges()) > 1 && !s.Exchanging() })
	elapsed := time.Since(start)
	ran := len(s.Exchanges()) - 1
	limit := 1 + int(elapsed/time.Second)
	if ran > limit {
		t.Fatalf("%d messages from the peer in %v made Alice run %d exchanges (at most %d allowed)", sent, elapsed, ran, limit)
	}
	t.Logf("%d messages, %d exchanges in %v", sent, ran, elapsed)
}

// goroutinesIn counts the goroutines whose stack holds fn.
func goroutinesIn(fn string) int {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	n := 0
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte(fn)) {
			n++
		}
	}
	return n
}

// TestPeerRekeyRequestRightAfterAKeyIsServed: a request the responder
// makes as soon as it has the key of an exchange it asked for, while
// Alice's half of that exchange is still finishing, is not swallowed by
// it: it asks for a key after that one, and gets it after the gap.
func TestPeerRekeyRequestRightAfterAKeyIsServed(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.02})
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	_, _, bev := pairKeyed(t, ctx, alice, hosp)
	hs := sessionWith(t, hosp, "Alice")
	if err := hs.Rekey(ctx); err != nil {
		t.Fatalf("rekey request: %v", err)
	}
	waitEvent(t, bev, "the key asked for", func(e Event) bool { return e.Type == EventKeyEstablished && e.Epoch == 2 })
	if err := hs.Rekey(ctx); err != nil {
		t.Fatalf("rekey request: %v", err)
	}
	waitEvent(t, bev, "the key asked for next", func(e Event) bool { return e.Type == EventKeyEstablished && e.Epoch == 3 })
}
