package node

import (
	"context"
	"strings"
	"testing"
)

// TestKeyExchangeDesignNoisyLinkMakesKeys is the regression of planning
// from a fixed 2%: on a link whose own noise is 5% (configured, as a
// demo's slider or `bench chat --noise 0.05` sets it) the first exchange
// and a rekey must make keys, not abort for lack of key.
func TestKeyExchangeDesignNoisyLinkMakesKeys(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.05})
	bob := newTestNode(t, "Bob", RoleHospital, BB84Settings{})
	s, aev, _ := pairNodes(t, ctx, alice, bob)
	outcome := func(e Event) bool { return e.Type == EventKeyEstablished || e.Type == EventKeyAborted }
	first := waitEvent(t, aev, "first key outcome", outcome)
	if first.Type != EventKeyEstablished {
		t.Fatalf("first exchange at 5%% noise: %s (%s)", first.Type, first.Reason)
	}
	for i := range 2 {
		if err := s.Rekey(ctx); err != nil {
			t.Fatalf("rekey %d at 5%% noise: %v", i+1, err)
		}
	}
}

// TestKeyExchangeDesignTooNoisyLinkSaysSo: at 10% intrinsic noise no
// 256-bit key fits in one run (it would take more than qkd.MaxQubits
// photons, and already did before planning ignored the channel). Alice
// says so in words before sending a photon, on both sides.
func TestKeyExchangeDesignTooNoisyLinkSaysSo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.10})
	bob := newTestNode(t, "Bob", RoleHospital, BB84Settings{})
	_, aev, bev := pairNodes(t, ctx, alice, bob)
	outcome := func(e Event) bool { return e.Type == EventKeyEstablished || e.Type == EventKeyAborted }
	a := waitEvent(t, aev, "Alice's outcome", outcome)
	b := waitEvent(t, bev, "Bob's outcome", outcome)
	want := "no 256-bit key is possible at the link's configured noise (10.0%)"
	if a.Type != EventKeyAborted || !strings.Contains(a.Reason, want) || a.Exchange == nil || a.Exchange.Report != nil {
		t.Fatalf("Alice: %s %q, want an abort before any photon naming %q", a.Type, a.Reason, want)
	}
	if p := a.Exchange.Plan; p == nil || p.Source != PlanCalibration || p.DesignQBER != 0.10 {
		t.Fatalf("Alice's plan %+v", p)
	}
	if b.Type != EventKeyAborted || !strings.Contains(b.Reason, want) {
		t.Fatalf("Bob: %s %q", b.Type, b.Reason)
	}
}

// exchangeOf runs one simulated exchange as Alice would plan it after
// past, on the channel of b, with a fixed seed.
func TestKeyExchangeDesignHiddenEveProxy(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{Noise: 0.01})
	b := newTestNode(t, "Bob", RoleDoctor, BB84Settings{})
	aev, ca := alice.Events()
	defer ca()
	addr, code, err := b.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	seed := uint64(5)
	eve, err := NewEve(EveOptions{Listen: "127.0.0.1:0", Forward: addr.String(), Intercept: 0.28, Seed: &seed})
	if err != nil {
		t.Fatal(err)
	}
	go eve.Serve(ctx)
	s, err := alice.Connect(ctx, eve.Addr().String(), code)
	if err != nil {
		t.Fatal(err)
	}
	outcome := func(e Event) bool { return e.Type == EventKeyEstablished || e.Type == EventKeyAborted }
	first := waitEvent(t, aev, "first outcome", outcome)
	if first.Type != EventKeyAborted || first.QBER == nil || !(*first.QBER > 0.04 && *first.QBER < 0.11) {
		t.Fatalf("first exchange: %s %q QBER %v, want an abort for lack of key near 8%%", first.Type, first.Reason, first.QBER)
	}
	if p := first.Exchange.Plan; p == nil || p.Source != PlanConfigured || p.DesignQBER != 0.02 {
		t.Fatalf("first plan %+v", p)
	}
	// Rekey until a key is made. A Rekey while the aborted exchange is
	// still finishing joins it and returns its abort, so count exchanges,
	// not calls. Eve's share of errors fluctuates from run to run, so a
	// plan made from the last runs may still fall short once; within four
	// exchanges the plan has caught up.
	for len(s.Exchanges()) < 5 {
		if s.Rekey(ctx) == nil {
			break
		}
	}
	hist := s.Exchanges()
	last := hist[len(hist)-1]
	if !last.OK {
		for _, kx := range hist {
			t.Logf("exchange %d ok %v plan %+v reason %s", kx.Epoch, kx.OK, *kx.Plan, kx.Reason)
		}
		t.Fatalf("no key after %d exchanges with Eve at 28%%", len(hist))
	}
	var sources []PlanSource
	for _, kx := range hist {
		sources = append(sources, kx.Plan.Source)
	}
	t.Logf("plans: %v", sources)
	// Every plan after the first is the one the earlier disclosed QBERs
	// give: measured, or a probe when the measured QBER (Eve's share
	// fluctuates, ~8% here) asks for more photons than one run may send.
	for i := 1; i < len(hist); i++ {
		want, _ := PlanExchange(alice.BB84(), hist[:i])
		p := hist[i].Plan
		if (p.Source != PlanMeasured && p.Source != PlanProbe) || p.Measured == 0 || *p != want || p.Qubits != hist[i].Report.QubitsSent {
			t.Fatalf("exchange %d plan %+v, want %+v from the measured QBERs before it", i+1, *p, want)
		}
	}
	if st := eve.Stats(); st.Intercepted == 0 {
		t.Fatalf("Eve intercepted nothing: %+v", st)
	}
}
