package node

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"qkdchat/ledger"
	"qkdchat/transport"
)

// TestPeerLeavingWithoutFinalExchangeIsReported: the side that stays is
// the one that catches the leaver's later rewrite, so it must hold the
// leaver's checkpoint at the size the session ended at. A lying patient
// whose ledger the hospital cosigned at size 1 appends to its ledger
// (size 2) and says goodbye without the final exchange, or asks for the
// hospital's final checkpoint but never answers the hospital's request
// for its own. Either way the hospital's view of the patient's ledger
// stays at size 1 (so the patient could later rewrite its second
// transaction unseen at reconnect); the hospital must say so.
func TestPeerLeavingWithoutFinalExchangeIsReported(t *testing.T) {
	for _, tc := range []struct {
		name    string
		askOurs bool // the patient sends a final request and cosigns the answer
	}{{"bye only", false}, {"final request, no answer", true}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			hosp, hev, addr, code := listeningHospital(ctx, t)
			bad := newTestNode(t, "Mallory", RolePatient, BB84Settings{})
			hid := *hosp.id
			l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), bad.id, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if _, err := l.Append(ctx, signedTx(t, bad.id, hid, "first")); err != nil {
				t.Fatal(err)
			}
			note1, _, err := l.Checkpoint()
			if err != nil {
				t.Fatal(err)
			}
			offer1, _ := json.Marshal(checkpointOffer{Note: note1})

			ts, err := transport.Connect(ctx, addr.String(), connector{bad}.config(code))
			if err != nil {
				t.Fatal(err)
			}
			defer ts.Close()
			cosigned := make(chan struct{})
			go func() { // Mallory cosigns what she is offered, answers no request
				for {
					f, err := ts.Recv(ctx)
					if err != nil {
						return
					}
					if f.Type == frameCheckpoint {
						var o checkpointOffer
						if json.Unmarshal(f.Payload, &o) != nil {
							return
						}
						cs, err := bad.Ledger().CosignPeer(o.Note, hid.Public(), o.FromSize, o.Proof)
						if err == nil {
							ts.Send(ctx, transport.Frame{Type: frameCosign, Payload: cs})
						}
						close(cosigned)
					}
				}
			}()
			waitFor(t, "the session", func() bool { return len(hosp.Sessions()) == 1 })
			if err := ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: offer1}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "Mallory's checkpoint at size 1 cosigned", func() bool {
				return hosp.Ledger().PeerCheckpointSize(bad.id.Public()) == 1
			})
			if _, err := l.Append(ctx, signedTx(t, bad.id, hid, "second")); err != nil {
				t.Fatal(err)
			}
			if tc.askOurs {
				req := append(make([]byte, 8), ckptFinal)
				if err := ts.Send(ctx, transport.Frame{Type: frameCkptRequest, Payload: req}); err != nil {
					t.Fatal(err)
				}
				<-cosigned
			}
			if err := ts.Send(ctx, transport.Frame{Type: frameBye, Payload: []byte("closed")}); err != nil {
				t.Fatal(err)
			}
			incomplete := incompleteAtEnd(t, hev)
			if incomplete == nil {
				t.Fatal("the patient left without giving its final checkpoint, the hospital's view of its ledger stays at size 1, and the session ended without a word")
			}
			if !strings.Contains(incomplete.Reason, "size 1") {
				t.Fatalf("reason %q: want the size the view stays at", incomplete.Reason)
			}
		})
	}
}

// TestHonestLeaverGivesNoIncompleteReport: a peer that leaves with the
// final exchange in both directions leaves neither side an incomplete
// report (run several times: the goodbye races the last checkpoint
// frames).
func TestHonestLeaverGivesNoIncompleteReport(t *testing.T) {
	for i := range 4 {
		ctx, cancel := context.WithCancel(context.Background())
		pat := newTestNode(t, "Pat", RolePatient, BB84Settings{})
		hosp := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
		s, pev, hev := pairNodes(t, ctx, pat, hosp)
		waitEvent(t, hev, "the key", isType(EventKeyEstablished))
		if _, err := s.Send(ctx, ledger.KindChat, "chat", "hello", nil); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, pev, "the ack", func(e Event) bool { return e.Type == EventDelivery && e.State == Delivered })
		go s.Close()
		for _, ev := range []<-chan Event{hev, pev} {
			waitEvent(t, ev, "the session's end", func(e Event) bool {
				if e.Type == EventCheckpointIncomplete {
					t.Fatalf("run %d: an honest session ended with %q", i, e.Reason)
				}
				return e.Type == EventDisconnected
			})
		}
		if got, want := hosp.Ledger().PeerCheckpointSize(pat.id.Public()), pat.Ledger().Size(); got != want {
			t.Fatalf("run %d: the hospital's view of the patient's ledger at %d, the ledger at %d", i, got, want)
		}
		cancel()
	}
}

// incompleteAtEnd waits for the session's end and returns the first
// checkpoint_incomplete event before it, or nil.
func incompleteAtEnd(t *testing.T, events <-chan Event) *Event {
	t.Helper()
	var incomplete *Event
	waitEvent(t, events, "the session's end", func(e Event) bool {
		if e.Type == EventCheckpointIncomplete && incomplete == nil {
			incomplete = &e
		}
		return e.Type == EventDisconnected
	})
	return incomplete
}
