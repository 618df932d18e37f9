package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"qkdchat/ledger"
	"qkdchat/transport"
)

// TestFinalCheckpointStaleAnswerIsReported: a lying peer whose ledger
// checkpoint at size 2 was cosigned answers the final checkpoint request
// with its older checkpoint at size 1 (a genuine prefix, with a valid
// proof), then asks for ours and cosigns it as an honest peer would. The
// stale checkpoint is refused, so the leaving side does not hold the
// peer's checkpoint at the size the session ended at: Close must say the
// final exchange is incomplete rather than end as if it had completed.
func TestFinalCheckpointStaleAnswerIsReported(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hosp, hev, addr, code := listeningHospital(ctx, t)
	bad := newTestNode(t, "Mallory", RolePatient, BB84Settings{})
	hid := *hosp.id

	// Mallory's ledger at size 1 and at size 2, and the proof 1 -> 2.
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), bad.id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	offerAt := func(text string) []byte {
		if _, err := l.Append(ctx, signedTx(t, bad.id, hid, text)); err != nil {
			t.Fatal(err)
		}
		note, _, err := l.Checkpoint()
		if err != nil {
			t.Fatal(err)
		}
		return note
	}
	note1, note2 := offerAt("first"), offerAt("second")
	proof, err := l.ConsistencyProof(1, 2)
	if err != nil {
		t.Fatal(err)
	}
	honest, _ := json.Marshal(checkpointOffer{Note: note2})
	stale, _ := json.Marshal(checkpointOffer{Note: note1, FromSize: 2, Proof: proof})

	ts, err := transport.Connect(ctx, addr.String(), connector{bad}.config(code))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	go func() { // Mallory: honest except for the answer to the final request
		for {
			f, err := ts.Recv(ctx)
			if err != nil {
				return
			}
			switch f.Type {
			case frameCkptRequest:
				if len(f.Payload) == 9 && f.Payload[8]&ckptFinal != 0 {
					ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: stale})
					req := binary.BigEndian.AppendUint64(nil, 0)
					ts.Send(ctx, transport.Frame{Type: frameCkptRequest, Payload: append(req, ckptCounter)})
					continue
				}
				ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: honest})
			case frameCheckpoint:
				var o checkpointOffer
				if json.Unmarshal(f.Payload, &o) != nil {
					return
				}
				cs, err := bad.Ledger().CosignPeer(o.Note, hid.Public(), o.FromSize, o.Proof)
				if err != nil {
					t.Errorf("Mallory could not cosign the hospital's checkpoint: %v", err)
					return
				}
				ts.Send(ctx, transport.Frame{Type: frameCosign, Payload: cs})
			}
		}
	}()
	waitFor(t, "the session", func() bool { return len(hosp.Sessions()) == 1 })
	if err := ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: honest}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Mallory's checkpoint at size 2 cosigned", func() bool {
		return hosp.Ledger().PeerCheckpointSize(bad.id.Public()) == 2
	})
	go hosp.Sessions()[0].Close()
	incomplete := incompleteAtEnd(t, hev)
	if incomplete == nil {
		t.Fatal("the peer answered the final request with a stale checkpoint, which was refused, and the session ended without reporting the final exchange incomplete")
	}
	if !strings.Contains(incomplete.Reason, "size 1") {
		t.Fatalf("reason %q: want the refused checkpoint's size named", incomplete.Reason)
	}
}

// TestOwnerEmptiedLedgerDetectedAtReconnect: the hospital's owner deletes
// its ledger (the identity key stays) and the node starts an empty one;
// the patient, who cosigned the hospital's checkpoint at the end of the
// last session, reconnects with nothing to send. The empty ledger is a
// rollback, shown to the patient as a conflict.
func TestOwnerEmptiedLedgerDetectedAtReconnect(t *testing.T) {
	pdir, hdir := t.TempDir(), t.TempDir()
	hsize := shortSession(t, pdir, hdir, 2)
	path := filepath.Join(hdir, LedgerFile)
	for _, suffix := range []string{"", "-journal.0", "-journal.1"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := openDir(t, pdir, "Pat", RolePatient)
	defer p.Close()
	h := openDir(t, hdir, "St Mary", RoleHospital)
	defer h.Close()
	pev, pstop := p.Events()
	defer pstop()
	addr, _, err := h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Connect(ctx, addr.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	var conflict *Event
	go s.Close()
	waitEvent(t, pev, "the end of the session", func(e Event) bool {
		if e.Type == EventConflict && !e.Reported && conflict == nil {
			conflict = &e
		}
		return e.Type == EventDisconnected
	})
	if conflict == nil {
		t.Fatalf("the hospital's ledger, cosigned at size %d, was emptied; the patient reconnected and left without a conflict", hsize)
	}
	if pcs, err := p.Ledger().PeerConflicts(); err != nil || len(pcs) != 1 || pcs[0].Kind != ledger.ConflictRollback {
		t.Fatalf("standing conflicts at the patient: %+v %v", pcs, err)
	}
}
