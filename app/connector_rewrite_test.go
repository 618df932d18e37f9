package app

import (
	"context"
	"slices"
	"testing"

	"qkdchat/ledger"
)

// TestConnectorRewriteDetectedAtReconnect is the owner's rewrite with the
// roles swapped: the patient, who connects and leaves, deletes one of its
// own sent messages from its ledger (same key, re-signed) and reconnects.
// The hospital, which cosigned the patient's ledger at the end of the
// last session, must find the conflict, and the patient be told.
func TestConnectorRewriteDetectedAtReconnect(t *testing.T) {
	pdir, hdir := t.TempDir(), t.TempDir()
	shortSession(t, pdir, hdir, 3)

	pid, txs := closedLedgerTxs(t, pdir)
	i := slices.IndexFunc(txs, func(tx *ledger.Transaction) bool {
		return tx.Kind == ledger.KindChat && tx.Sender.Equal(pid.Public())
	})
	if i < 0 {
		t.Fatal("the patient's ledger holds none of its messages")
	}
	rebuildLedger(t, pdir, pid, slices.Delete(txs, i, i+1), false)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	p := openDir(t, pdir, "Pat", RolePatient)
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
	s, err := p.Connect(ctx, addr.String(), "")
	if err != nil {
		t.Fatal(err)
	}
	waitEvent(t, hev, "the hospital's conflict event", func(e Event) bool { return e.Type == EventConflict && !e.Reported })
	waitEvent(t, pev, "the patient told of it", func(e Event) bool { return e.Type == EventConflict && e.Reported })
	s.Close()
	if pcs, err := h.Ledger().PeerConflicts(); err != nil || len(pcs) != 1 {
		t.Fatalf("standing conflicts at the hospital: %+v %v", pcs, err)
	}
}
