package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fernet/fernet-go"

	"qkdchat/identity"
	"qkdchat/ledger"
	"qkdchat/transport"
)

// shortSession runs what `connect` does with piped lines: the patient
// connects to the hospital, sends lines, waits for their acks and leaves
// (Node.Close, which says goodbye after the final checkpoint exchange).
// It checks that each side's cosigned view of the other's ledger is at
// the size that ledger ended at, and returns the hospital's size.
func shortSession(t *testing.T, pdir, hdir string, lines int) int64 {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := openDir(t, pdir, "Pat", RolePatient)
	h := openDir(t, hdir, "St Mary", RoleHospital)
	defer h.Close()
	pev, pstop := p.Events()
	defer pstop()
	addr, code, err := h.Listen(ctx, "127.0.0.1:0", "")
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Connect(ctx, addr.String(), code)
	if err != nil || s == nil {
		t.Fatalf("connect: %v", err)
	}
	sent := map[string]bool{}
	for i := range lines {
		m, err := s.Send(ctx, ledger.KindChat, "", fmt.Sprintf("line %d", i), nil)
		if err != nil {
			t.Fatal(err)
		}
		sent[m.ID] = true
	}
	for len(sent) > 0 {
		e := waitEvent(t, pev, "acks", func(e Event) bool { return e.Type == EventDelivery && e.State == Delivered })
		delete(sent, e.MessageID)
	}
	psize := p.Ledger().Size()
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the hospital's session to end", func() bool { return len(h.Sessions()) == 0 })
	if got := h.Ledger().PeerCheckpointSize(p.id.Public()); got != psize {
		t.Fatalf("after the short session the hospital's cosigned view of the patient's ledger is at size %d, the ledger at %d", got, psize)
	}
	return h.Ledger().Size()
}

// rewriteLedger does to a closed ledger what its owner can: rebuild it
// from its own transactions with one deleted, two swapped, or the last
// ones cut off, signed with the same identity key, the peers'
// cosignatures and the old checkpoints gone.
func rewriteLedger(t *testing.T, dir, how string) {
	t.Helper()
	id, txs := closedLedgerTxs(t, dir)
	var chats []int // the patient's messages
	for i, tx := range txs {
		if tx.Kind == ledger.KindChat && !tx.Sender.Equal(id.Public()) {
			chats = append(chats, i)
		}
	}
	if len(chats) < 2 {
		t.Fatalf("the hospital's ledger holds %d of the patient's messages", len(chats))
	}
	switch how {
	case "delete":
		txs = slices.Delete(txs, chats[0], chats[0]+1)
	case "reorder":
		txs[chats[0]], txs[chats[1]] = txs[chats[1]], txs[chats[0]]
	case "truncate":
		txs = txs[:chats[len(chats)-1]]
	default:
		t.Fatalf("unknown rewrite %q", how)
	}
	rebuildLedger(t, dir, id, txs, true)
}

// closedLedgerTxs reads the identity and every transaction of the closed
// ledger in dir.
func closedLedgerTxs(t *testing.T, dir string) (*identity.Identity, []*ledger.Transaction) {
	t.Helper()
	id, err := identity.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	l, err := ledger.Open(filepath.Join(dir, LedgerFile), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	txs, err := l.Txs(0, l.Size())
	l.Close()
	if err != nil {
		t.Fatal(err)
	}
	return id, txs
}

// rebuildLedger replaces the ledger in dir (and its journal) by a new one
// holding txs, signed by id as its owner can; with checkpoint, a signed
// checkpoint of the new tree is stored too.
func rebuildLedger(t *testing.T, dir string, id *identity.Identity, txs []*ledger.Transaction, checkpoint bool) {
	t.Helper()
	path := filepath.Join(dir, LedgerFile)
	for _, suffix := range []string{"", "-journal.0", "-journal.1"} {
		os.Remove(path + suffix)
	}
	nl, err := ledger.Open(path, id, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tx := range txs {
		if _, err := nl.Append(context.Background(), tx); err != nil {
			t.Fatal(err)
		}
	}
	if checkpoint {
		if _, _, err := nl.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}
	if err := nl.Close(); err != nil {
		t.Fatal(err)
	}
}

// exportOf writes n's ledger export and reads it back as an auditor does.
func exportOf(t *testing.T, n *Node) (*ledger.ExportView, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := n.Ledger().Export(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	rep, err := ledger.VerifyExport(context.Background(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	bad := ""
	if !rep.OK {
		bad = rep.Reason
	}
	v, err := ledger.ReadExport(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	return v, bad
}

// TestOwnerRewriteDetectedAtReconnect is issue 12 item 5: after a short
// session the patient must hold the hospital's checkpoint at the size the
// hospital's ledger ended at; the hospital's owner then deletes, reorders
// or truncates the patient's messages and re-signs; at the reconnect the
// patient finds the conflict (event, standing conflict, stored evidence),
// the hospital hears of it, and an audit of the two exports finds it.
// The full 20 trials: go test -run TestOwnerRewriteDetectedAtReconnect -count=1 ./app/
func TestOwnerRewriteDetectedAtReconnect(t *testing.T) {
	trials := 20
	if testing.Short() || raceEnabled {
		trials = 6
	}
	hows := []string{"delete", "reorder", "truncate"}
	detected := map[string]int{}
	for i := range trials {
		how := hows[i%len(hows)]
		t.Run(fmt.Sprintf("%02d-%s", i, how), func(t *testing.T) {
			pdir, hdir := t.TempDir(), t.TempDir()
			hsize := shortSession(t, pdir, hdir, 3)

			p := openDir(t, pdir, "Pat", RolePatient)
			hid, err := identity.Load(hdir)
			if err != nil {
				t.Fatal(err)
			}
			hkey := hid.Public()
			if got := p.Ledger().PeerCheckpointSize(hkey); got != hsize {
				t.Fatalf("after the short session the patient's cosigned view of the hospital's ledger is at size %d, the ledger at %d", got, hsize)
			}
			p.Close()

			rewriteLedger(t, hdir, how)

			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			p = openDir(t, pdir, "Pat", RolePatient)
			defer p.Close()
			h := openDir(t, hdir, "St Mary", RoleHospital)
			defer h.Close()
			pev, pstop := p.Events()
			defer pstop()
			hev, hstop := h.Events()
			defer hstop()
			addr, _, err := h.Listen(ctx, "127.0.0.1:0", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Connect(ctx, addr.String(), ""); err != nil {
				t.Fatal(err)
			}
			e := waitEvent(t, pev, "the patient's conflict event", func(e Event) bool { return e.Type == EventConflict && !e.Reported })
			if e.Kind == "" {
				t.Fatalf("conflict event without a kind: %+v", e)
			}
			waitEvent(t, hev, "the hospital's conflict event", func(e Event) bool { return e.Type == EventConflict && e.Reported })
			cs, err := p.Ledger().Conflicts()
			if err != nil || len(cs) == 0 || !bytes.Equal(cs[0].Peer, hkey) {
				t.Fatalf("stored evidence: %d records, %v", len(cs), err)
			}
			if pcs, err := p.StandingConflicts(); err != nil || len(pcs) != 1 {
				t.Fatalf("standing conflicts at the patient: %+v", pcs)
			}

			hv, hbad := exportOf(t, h)
			pv, pbad := exportOf(t, p)
			rep := ledger.Audit(hv, pv, hbad, pbad)
			notExtended := 0
			for _, f := range rep.Findings {
				if f.Kind == ledger.FindingNotExtended && f.CosignedB {
					notExtended++
				}
			}
			if rep.Consistent || notExtended == 0 {
				t.Fatalf("the audit of the two exports misses the rewrite: %+v", rep.Findings)
			}
			detected[how]++
		})
	}
	total := 0
	for _, n := range detected {
		total += n
	}
	t.Logf("detected %d of %d rewrites (%v) at reconnect and by the audit", total, trials, detected)
	if total != trials {
		t.Fatalf("detected %d of %d rewrites", total, trials)
	}
}

// signedTx returns a key-event transaction signed by id, as a ledger
// entry for checkpoint tests.
func signedTx(t *testing.T, id *identity.Identity, to identity.Identity, text string) *ledger.Transaction {
	t.Helper()
	tok, err := fernet.EncryptAndSign([]byte(text), fernet.MustDecodeKeys("cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=")[0])
	if err != nil {
		t.Fatal(err)
	}
	tx := &ledger.Transaction{Kind: ledger.KindKeyEvent, Sender: id.Public(), Recipient: to.Public(), CaseID: "session", Time: time.Now(), Token: tok}
	if err := tx.Sign(id); err != nil {
		t.Fatal(err)
	}
	return tx
}

// checkpointOf returns an offer of a ledger of id holding one transaction
// with the given text (different texts: different ledgers, same size).
func checkpointOf(t *testing.T, id *identity.Identity, to identity.Identity, text string) []byte {
	t.Helper()
	l, err := ledger.Open(filepath.Join(t.TempDir(), "ledger.db"), id, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if _, err := l.Append(context.Background(), signedTx(t, id, to, text)); err != nil {
		t.Fatal(err)
	}
	note, _, err := l.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(checkpointOffer{Note: note})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCheckpointFloodStoredOnceAndRateLimited is issue 12 item 8: a peer
// sends the same conflicting checkpoint 200 times. The evidence is stored
// once, the conflict announced once, the excess frames dropped and
// counted; a longer flood ends the session.
func TestCheckpointFloodStoredOnceAndRateLimited(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hosp, hev, addr, code := listeningHospital(ctx, t)
	bad := newTestNode(t, "Mallory", RolePatient, BB84Settings{})
	ts, err := transport.Connect(ctx, addr.String(), bad.transportConfig(code))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	go func() { // the hospital's answers are not read
		for {
			if _, err := ts.Recv(ctx); err != nil {
				return
			}
		}
	}()
	hid := *hosp.Identity()
	if err := ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: checkpointOf(t, bad.Identity(), hid, "honest")}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first checkpoint cosigned", func() bool { return hosp.Ledger().PeerCheckpointSize(bad.Identity().Public()) == 1 })
	fork := checkpointOf(t, bad.Identity(), hid, "rewritten")
	for range 200 {
		if err := ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: fork}); err != nil {
			t.Fatal(err)
		}
	}
	waitEvent(t, hev, "the conflict", isType(EventConflict))
	waitEvent(t, hev, "dropped frames reported", func(e Event) bool {
		return e.Type == EventRejected && strings.Contains(e.Reason, "over the rate limit")
	})
	// Let the admitted frames be handled: a chat frame behind them would
	// not wait for them, so wait on the ledger's state.
	waitFor(t, "the admitted frames handled", func() bool {
		pcs, _ := hosp.StandingConflicts()
		return len(pcs) == 1 && pcs[0].Detections >= ckptBurst/2
	})
	cs, err := hosp.Ledger().Conflicts()
	if err != nil || len(cs) != 1 {
		t.Fatalf("the same fork sent 200 times left %d evidence records (%v), want 1", len(cs), err)
	}
	pcs, _ := hosp.StandingConflicts()
	t.Logf("200 frames: %d handled as conflicts, %d stored", pcs[0].Detections, pcs[0].Stored)
	if pcs[0].Detections >= 200 || pcs[0].Stored != 1 {
		t.Fatalf("standing conflict %+v: want the flood rate-limited and one record", pcs[0])
	}
	// A flood ends the session.
	for range 2 * ckptFloodLimit {
		if ts.Send(ctx, transport.Frame{Type: frameCheckpoint, Payload: fork}) != nil {
			break
		}
	}
	e := waitEvent(t, hev, "the flooding session's end", isType(EventDisconnected))
	if !strings.Contains(e.Reason, "flooded") {
		t.Fatalf("session ended with %q, want the flood named", e.Reason)
	}
	if cs, _ := hosp.Ledger().Conflicts(); len(cs) != 1 {
		t.Fatalf("after the flood %d evidence records", len(cs))
	}
}

// TestFinalCheckpointIncompleteIsReported: the peer hangs up when asked
// for the final checkpoint; Close says why the exchange did not complete.
func TestFinalCheckpointIncompleteIsReported(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hosp, hev, addr, code := listeningHospital(ctx, t)
	peer := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	ts, err := transport.Connect(ctx, addr.String(), peer.transportConfig(code))
	if err != nil {
		t.Fatal(err)
	}
	defer ts.Close()
	waitFor(t, "the session", func() bool { return len(hosp.Sessions()) == 1 })
	go hosp.Sessions()[0].Close()
	for {
		f, err := ts.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == frameCkptRequest && len(f.Payload) == 9 && f.Payload[8]&ckptFinal != 0 {
			break
		}
	}
	ts.Close()
	e := waitEvent(t, hev, "the incomplete final exchange", isType(EventCheckpointIncomplete))
	if !strings.Contains(e.Reason, "final checkpoint") {
		t.Fatalf("reason %q", e.Reason)
	}
}
