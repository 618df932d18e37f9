package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"qkdchat/ledger"
	"qkdchat/telehealth"
)

// openDir opens (or reopens) the node in dir.
func openDir(t *testing.T, dir, name string, role Role) *Node {
	t.Helper()
	if err := SaveProfile(dir, Profile{Name: name, Role: role}); err != nil {
		t.Fatal(err)
	}
	n, err := Open(Options{Dir: dir, SendTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestRestartMidTransferDeliversOnce kills one side of a PHR upload in
// the middle of its attachment (its sessions end without a goodbye, as
// when the process dies), restarts it on the same data directory and
// checks that the attachment resumes where it stopped and that the PHR
// is delivered, and recorded in both ledgers, exactly once.
func TestRestartMidTransferDeliversOnce(t *testing.T) {
	for _, victim := range []string{"receiver", "sender"} {
		t.Run("kill "+victim, func(t *testing.T) {
			pdir, hdir := t.TempDir(), t.TempDir()
			p := openDir(t, pdir, "Pat", RolePatient)
			h := openDir(t, hdir, "St Mary", RoleHospital)
			defer func() { p.Close(); h.Close() }()

			pctx, pkill := context.WithCancel(context.Background())
			hctx, hkill := context.WithCancel(context.Background())
			defer pkill()
			defer hkill()
			pev, pstop := p.Events()
			defer pstop()
			hev, hstop := h.Events()
			addr, code, err := h.Listen(hctx, "127.0.0.1:0", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := p.Connect(pctx, addr.String(), code); err != nil {
				t.Fatal(err)
			}
			waitEvent(t, pev, "key", isType(EventKeyEstablished))

			path, content := writeFile(t, "mri.pdf", 10*AttachmentChunkSize+17, 7)
			c, err := p.Clinic().SubmitPHR(pctx, "St Mary", PHR{PatientName: "Pat Doe"}, []string{path})
			if err != nil {
				t.Fatal(err)
			}
			e := waitEvent(t, hev, "part of the attachment at the hospital", func(e Event) bool {
				return e.Type == EventTransfer && e.Done > 0 && e.Done < e.Total
			})
			hstop()
			total := e.Total

			// Kill one side: its sessions end at once, mid-transfer, and
			// it closes its databases as a dying process would leave them.
			if victim == "receiver" {
				hkill()
				h.Close()
				h = openDir(t, hdir, "St Mary", RoleHospital)
				hctx, hkill = context.WithCancel(context.Background())
				defer hkill()
			} else {
				pstop()
				pkill()
				p.Close()
				p = openDir(t, pdir, "Pat", RolePatient)
				pev, pstop = p.Events()
				defer pstop()
				pctx, pkill = context.WithCancel(context.Background())
				defer pkill()
			}
			waitFor(t, "the old session to end", func() bool { return len(p.Sessions()) == 0 && len(h.Sessions()) == 0 })
			if victim == "receiver" {
				addr, _, err = h.Listen(hctx, "127.0.0.1:0", "")
				if err != nil {
					t.Fatal(err)
				}
			}
			// Reconnect as pinned contacts (no code) and rekey, watching
			// only what happens from now on.
			pstop()
			pev, pstop = p.Events()
			defer pstop()
			if _, err := p.Connect(pctx, addr.String(), ""); err != nil {
				t.Fatal(err)
			}
			first := waitEvent(t, pev, "the resumed transfer", func(e Event) bool { return e.Type == EventTransfer })
			if first.Done == 0 || first.Done >= total || first.Name != "mri.pdf" {
				t.Fatalf("after restart the transfer starts at %d of %d bytes (%q), want a resumption", first.Done, total, first.Name)
			}
			waitFor(t, "the case at the hospital", func() bool { return caseStatus(h, c.ID) == telehealth.CaseSubmitted })
			waitFor(t, "the outbox to empty", func() bool { return outboxEmpty(p) })

			ptx, htx := ledgerTxs(t, p, ledger.KindPHR, c.ID), ledgerTxs(t, h, ledger.KindPHR, c.ID)
			if len(ptx) != 1 || len(htx) != 1 || ptx[0].ID() != htx[0].ID() {
				t.Fatalf("PHR transactions: patient %d, hospital %d (want one, the same)", len(ptx), len(htx))
			}
			sum := sha256.Sum256(content)
			got, err := h.Clinic().ReadAttachment(hex.EncodeToString(sum[:]))
			if err != nil || !bytes.Equal(got, content) {
				t.Fatalf("hospital's attachment after the restart: %v", err)
			}
			if cs, _ := h.Clinic().Cases(); len(cs) != 1 {
				t.Fatalf("hospital has %d cases", len(cs))
			}
			for _, n := range []*Node{p, h} {
				if _, err := n.Ledger().Verify(context.Background(), nil); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestResendAfterLostAckIsNotDuplicated recreates the state a sender is in
// when it crashed after its message was recorded by the peer but before
// the acknowledgement reached it: the item is still queued, with the
// attempt the peer holds. The resend (re-sealed under the current key, so
// a different transaction) must be acknowledged with the original TxID
// and recorded nowhere a second time.
func TestResendAfterLostAckIsNotDuplicated(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := newTestNode(t, "Pat", RolePatient, BB84Settings{})
	h := newTestNode(t, "St Mary", RoleHospital, BB84Settings{})
	_, pev, hev := pairKeyed(t, ctx, p, h)
	m, recorded := sendDelivered(t, ctx, p, pev, hev, "St Mary", "case-0123456789ab", "is the clinic open on Sunday?")
	_, tx, err := p.Ledger().Lookup(mustTxID(t, recorded))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := tx.MarshalBinary()
	psize, hsize := p.Ledger().Size(), h.Ledger().Size()

	// The crash state: the item back in the outbox with its first attempt.
	hc, _ := p.store.Contact(h.Fingerprint())
	it := &outboxItem{ID: m.ID, Kind: ledger.KindChat, CaseID: m.CaseID, Text: m.Text, Created: m.Time, Attempts: [][]byte{raw}}
	if err := p.enqueue(hc, it); err != nil {
		t.Fatal(err)
	}
	again := waitEvent(t, pev, "the second acknowledgement", func(e Event) bool {
		return e.Type == EventDelivery && e.State == Delivered && e.MessageID == m.ID
	})
	if again.TxID != recorded {
		t.Fatalf("resend acknowledged as %s, want the original %s", again.TxID, recorded)
	}
	waitFor(t, "the outbox to empty", func() bool { return outboxEmpty(p) })
	if p.Ledger().Size() != psize || h.Ledger().Size() != hsize {
		t.Fatalf("ledgers grew from %d/%d to %d/%d on a resend", psize, hsize, p.Ledger().Size(), h.Ledger().Size())
	}
	// The receiver showed the message once: the next message it shows is
	// a new one.
	m2, err := p.Send(ctx, "St Mary", ledger.KindChat, "case-0123456789ab", "thanks", nil)
	if err != nil {
		t.Fatal(err)
	}
	if next := waitEvent(t, hev, "the next message", isType(EventMessage)); next.Message.ID != m2.ID {
		t.Fatalf("the receiver showed %q again", next.Message.Text)
	}
}
