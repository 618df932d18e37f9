package node

import (
	"context"
	"strings"
	"testing"
)

// TestLaserPeerVanishesMidPulsesThenRekeys: the peer of a live laser link
// goes away (its sessions end without a goodbye) while Alice's pulses are
// on their way. Alice's exchange ends at once with a reason in words, not
// a Go error's, her session ends, and when the peer is back the next
// session makes a laser key from scratch.
func TestLaserPeerVanishesMidPulsesThenRekeys(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	alice := newTestNode(t, "Alice", RolePatient, BB84Settings{FiberKm: 50, Laser: true, Decoys: true})
	hosp := newTestNode(t, "St. Mary's", RoleHospital, BB84Settings{})
	aev, stopA := alice.Events()
	defer stopA()
	hctx, hkill := context.WithCancel(ctx)
	defer hkill()
	addr, code, err := hosp.Listen(hctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Connect(ctx, addr.String(), code); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, aev, "pulses on the way", func(e Event) bool {
		return e.Type == EventKeyProgress && e.Phase == "transmit" && e.Sent > 0
	})
	hkill() // the hospital's sessions end without a goodbye
	ab := waitEvent(t, aev, "Alice's exchange to end", func(e Event) bool {
		return e.Type == EventKeyAborted || e.Type == EventKeyEstablished
	})
	if ab.Type != EventKeyAborted || ab.Epoch != 1 {
		t.Fatalf("the peer vanished mid-run, Alice's exchange: %s epoch %d", ab.Type, ab.Epoch)
	}
	for _, raw := range []string{"context canceled", "EOF", "use of closed", "broken pipe", "reset by peer"} {
		if ab.Reason == "" || strings.Contains(ab.Reason, raw) {
			t.Errorf("the abort's reason %q is not in words", ab.Reason)
			break
		}
	}
	t.Logf("Alice: key exchange aborted: %s", ab.Reason)
	waitFor(t, "Alice's session to end", func() bool { return len(alice.Sessions()) == 0 })

	addr2, _, err := hosp.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := alice.Connect(ctx, addr2.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a key on the new session", func() bool { return s.Epoch() >= 1 })
	xs := s.Exchanges()
	if len(xs) == 0 || xs[len(xs)-1].Report == nil || xs[len(xs)-1].Report.Source != SourceWCP {
		t.Fatalf("the new session's exchanges %+v, want a laser key", xs)
	}
}
