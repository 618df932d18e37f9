package node

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"qkdchat/ledger"
)

// TestOverlappingSessionsDeliverOnce connects a patient to its hospital
// twice at once, again and again, with messages queued each time: a
// redial racing a manual connect does this. For a moment both sessions
// deliver the same outbox, and the hospital receives each message on both.
// Every message must still be recorded exactly once in each ledger, under
// the same transaction on both sides, and none may be dropped.
func TestOverlappingSessionsDeliverOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	s, pev, _ := pairNodes(t, ctx, p, h)
	waitEvent(t, pev, "key", isType(EventKeyEstablished))
	addr := s.Peer().Addr
	s.Close()
	waitFor(t, "the pairing session to end", func() bool { return len(p.Sessions()) == 0 && len(h.Sessions()) == 0 })

	const rounds, perRound = 4, 8
	sent := 0
	for r := 0; r < rounds; r++ {
		for i := 0; i < perRound; i++ {
			text := fmt.Sprintf("round %d message %d", r, i)
			if _, err := p.Send(ctx, "St Mary", ledger.KindChat, "", text, nil); err != nil {
				t.Fatal(err)
			}
			sent++
		}
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := p.Connect(ctx, addr, ""); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		waitFor(t, "the outbox to empty", func() bool { return outboxEmpty(p) })
		for _, s := range p.Sessions() {
			s.Close()
		}
		waitFor(t, "the sessions to end", func() bool { return len(p.Sessions()) == 0 && len(h.Sessions()) == 0 })
	}

	pc, hc := chatTxIDs(t, p), chatTxIDs(t, h)
	if len(pc) != sent || len(hc) != sent {
		t.Fatalf("%d messages sent: the patient's ledger records %d, the hospital's %d", sent, len(pc), len(hc))
	}
	if !slices.Equal(pc, hc) {
		t.Fatalf("the ledgers record different transactions:\npatient  %v\nhospital %v", pc, hc)
	}
}

// chatTxIDs returns the sorted IDs of the chat transactions in n's ledger.
func chatTxIDs(t *testing.T, n *Node) []string {
	t.Helper()
	var out []string
	for i := int64(0); i < n.Ledger().Size(); i++ {
		tx, err := n.Ledger().Tx(i)
		if err != nil {
			t.Fatal(err)
		}
		if tx.Kind == ledger.KindChat {
			out = append(out, tx.ID().String())
		}
	}
	slices.Sort(out)
	return out
}
