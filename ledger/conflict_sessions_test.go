package ledger

import (
	"errors"
	"path/filepath"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestConflictCapHoldsAcrossSessionsAndDismissals: a peer sends 10
// different forks per session over 5 sessions (the ledger closed and
// reopened between them), and the user dismisses the conflict after each
// (so the peer's next checkpoint is cosigned as a new start, and it forks
// that). The evidence stays within the per-peer cap in records and bytes.
func TestConflictCapHoldsAcrossSessionsAndDismissals(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	la := openTest(t, a, nil)
	fill(t, la, seeded(62), a, b, 5)
	path := filepath.Join(t.TempDir(), "ledger.db")
	origin := la.Origin()
	fork := func(session, i int) []byte {
		var root tlog.Hash
		for k := range root {
			root[k] = byte(session*31+i) ^ byte(k*7)
		}
		msg, err := signCheckpoint(a, Checkpoint{Origin: origin, Size: 5, Root: root})
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	conflicts := 0
	for session := range 5 {
		lb, err := Open(path, b, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := exchange(t, la, lb); err != nil && !errors.Is(err, ErrConflict) {
			t.Fatal(err)
		}
		for i := range 10 {
			if _, err := lb.CosignPeer(fork(session, i), a.Public(), 5, nil); errors.Is(err, ErrConflict) {
				conflicts++
			}
		}
		if ok, err := lb.DismissConflict(a.Public()); err != nil || !ok {
			t.Fatalf("session %d: dismiss: %v %v", session, ok, err)
		}
		if err := lb.Close(); err != nil {
			t.Fatal(err)
		}
	}
	lb, err := Open(path, b, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	cs, err := lb.Conflicts()
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, c := range cs {
		size += len(c.OldNote) + len(c.NewNote)
	}
	t.Logf("50 forks over 5 sessions: %d refused as conflicts, %d stored (%d bytes of notes)", conflicts, len(cs), size)
	if conflicts < 45 || len(cs) != MaxConflictsPerPeer || size > MaxConflictBytesPerPeer {
		t.Fatalf("%d conflicts, %d records of %d bytes: want the cap %d records, %d bytes", conflicts, len(cs), size, MaxConflictsPerPeer, MaxConflictBytesPerPeer)
	}
}
