package node

import (
	"context"
	"math"
	"testing"
)

// connectThroughEve pairs a with b via an Eve proxy that intercepts the
// given fraction of photons, and returns both sides' first key outcome.
func connectThroughEve(t *testing.T, intercept float64) (aRes, bRes Event, stats EveStats) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.01})
	b := newTestNode(t, "Bob", RoleDoctor, BB84Settings{})
	aev, ca := a.Events()
	defer ca()
	bev, cb := b.Events()
	defer cb()
	addr, code, err := b.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(42)
	eve, err := NewEve(EveOptions{Listen: "127.0.0.1:0", Forward: addr.String(), Intercept: intercept, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	go eve.Serve(ctx)
	if _, err := a.Connect(ctx, eve.Addr().String(), code); err != nil {
		t.Fatalf("pairing through a relaying Eve must work (she relays TLS unread): %v", err)
	}
	keyOutcome := func(e Event) bool { return e.Type == EventKeyEstablished || e.Type == EventKeyAborted }
	aRes = waitEvent(t, aev, "alice's key outcome", keyOutcome)
	bRes = waitEvent(t, bev, "bob's key outcome", keyOutcome)
	return aRes, bRes, eve.Stats()
}

func TestEveProxyFullInterceptAborts(t *testing.T) {
	a, b, st := connectThroughEve(t, 1)
	for _, e := range []Event{a, b} {
		if e.Type != EventKeyAborted {
			t.Fatalf("%s: %s, want an abort", e.PeerName, e.Type)
		}
		// 1% noise plus Eve's 25%: about 25.5%.
		if e.QBER == nil || math.Abs(*e.QBER-0.255) > 0.05 {
			t.Fatalf("QBER %v, want about 25%%", e.QBER)
		}
	}
	if st.Links != 1 || st.Relayed != 1 || st.Photons == 0 || st.Intercepted != st.Photons {
		t.Fatalf("eve stats %+v", st)
	}
	// She picks the right basis about half the time.
	if r := float64(st.BasisMatched) / float64(st.Intercepted); math.Abs(r-0.5) > 0.05 {
		t.Fatalf("eve basis match ratio %.3f", r)
	}
}

func TestEveProxyPassiveLetsKeyThrough(t *testing.T) {
	a, b, st := connectThroughEve(t, 0)
	if a.Type != EventKeyEstablished || b.Type != EventKeyEstablished {
		t.Fatalf("outcomes %s / %s (%s %s)", a.Type, b.Type, a.Reason, b.Reason)
	}
	if st.Intercepted != 0 || st.Photons == 0 {
		t.Fatalf("eve stats %+v", st)
	}
}
