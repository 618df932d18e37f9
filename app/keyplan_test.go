package app

import (
	"context"
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
