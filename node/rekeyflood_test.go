package node

import (
	"context"
	"testing"
	"time"
)

// TestPeerRekeyRequestsArePaced: a peer that asks for a new key again and
// again cannot keep the initiator running BB84 back to back. The hospital
// (the responder) asks every 10 ms for 3 s; Alice runs the first exchange
// at once and later ones only after an idle gap of at least a second, so
// at most 1 + 3 s / 1 s exchanges follow the first key. Unpaced, Alice ran
// one exchange after another (69 in 3 s here, under -race).
func TestPeerRekeyRequestsArePaced(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.02})
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	s, aev, bev := pairNodes(t, ctx, alice, hosp)
	waitEvent(t, aev, "first key", isType(EventKeyEstablished))
	waitEvent(t, bev, "first key at the hospital", isType(EventKeyEstablished))
	hs, ok := hosp.Session("Alice")
	if !ok {
		t.Fatal("hospital has no session with Alice")
	}
	if hs.Initiator() {
		t.Fatal("the hospital should be the responder in this test")
	}

	flood := 3 * time.Second
	start := time.Now()
	for time.Since(start) < flood {
		if err := hs.Rekey(ctx); err != nil {
			t.Fatalf("rekey request: %v", err)
		}
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
	t.Logf("%d exchanges in %v of requests", ran, elapsed)
}
