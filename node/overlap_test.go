package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	p, h, addr := pairedApart(t, ctx)

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
		deliverOnTwoSessions(t, ctx, p, h, addr)
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

// TestOverlappingSessionsDeliverAttachmentOnce: as above, with PHRs whose
// attachments span several chunks, so that both sessions transfer the
// same file to the hospital at once, each from where the hospital says it
// stands, and answer each other's chunk queries while chunks are stored.
// Each PHR is recorded once on both sides, under the same transaction,
// with its attachment whole, and the hospital holds one case per PHR.
func TestOverlappingSessionsDeliverAttachmentOnce(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p, h, addr := pairedApart(t, ctx)

	rounds := 3
	if testing.Short() || raceEnabled {
		rounds = 2
	}
	var contents [][]byte
	var cases []string
	for r := range rounds {
		path, content := writeFile(t, fmt.Sprintf("scan-%d.pdf", r), 8*AttachmentChunkSize+r+1, uint64(r+3))
		c, err := p.Clinic().SubmitPHR(ctx, "St Mary", PHR{PatientName: "Pat Doe"}, []string{path})
		if err != nil {
			t.Fatal(err)
		}
		contents, cases = append(contents, content), append(cases, c.ID)
		deliverOnTwoSessions(t, ctx, p, h, addr)
	}
	for i, id := range cases {
		ptx, htx := ledgerTxs(t, p, ledger.KindPHR, id), ledgerTxs(t, h, ledger.KindPHR, id)
		if len(ptx) != 1 || len(htx) != 1 || ptx[0].ID() != htx[0].ID() {
			t.Fatalf("PHR %d: the patient's ledger records %d, the hospital's %d; want one, the same", i, len(ptx), len(htx))
		}
		sum := sha256.Sum256(contents[i])
		got, err := h.Clinic().ReadAttachment(hex.EncodeToString(sum[:]))
		if err != nil || !bytes.Equal(got, contents[i]) {
			t.Fatalf("PHR %d: the hospital's attachment reads back %d bytes, %v; want the %d sent", i, len(got), err, len(contents[i]))
		}
	}
	if cs, _ := h.Clinic().Cases(); len(cs) != len(cases) {
		t.Fatalf("the hospital has %d cases, want %d", len(cs), len(cases))
	}
}

// pairedApart pairs a patient with its hospital, waits for their key and
// closes the pairing session, returning both and the hospital's address.
func pairedApart(t *testing.T, ctx context.Context) (p, h *Node, addr string) {
	t.Helper()
	p = newTestNode(t, "Pat", RolePatient, BB84Settings{})
	h = newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	s, pev, _ := pairNodes(t, ctx, p, h)
	waitEvent(t, pev, "key", isType(EventKeyEstablished))
	addr = s.Peer().Addr
	s.Close()
	endSessions(t, p, h)
	return p, h, addr
}

// endSessions closes p's sessions until neither node has one. Closing once
// is not enough: while p's outbox was not empty its redialer wanted h, and
// a session it dialled may come up after the sessions were listed, or
// after a close, before the last delivery tells it h is no longer needed.
func endSessions(t *testing.T, p, h *Node) {
	t.Helper()
	waitFor(t, "the sessions to end", func() bool {
		for _, s := range p.Sessions() {
			go s.Close() // the final checkpoint exchange may take a while
		}
		return len(p.Sessions()) == 0 && len(h.Sessions()) == 0
	})
}

// deliverOnTwoSessions connects p to h at addr twice at once (a redial
// racing a manual connect; p's own redialer may dial a third), waits for
// p's outbox to empty and ends every session.
func deliverOnTwoSessions(t *testing.T, ctx context.Context, p, h *Node, addr string) {
	t.Helper()
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
	endSessions(t, p, h)
}
