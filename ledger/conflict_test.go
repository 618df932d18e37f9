package ledger

import (
	"errors"
	"testing"

	"golang.org/x/mod/sumdb/tlog"
)

// TestConflictEvidenceStoredOnceAndCapped sends the same fork 200 times
// and then many different forks: the evidence is stored once each, within
// the peer's quota, and the standing conflict refuses every later
// checkpoint of the peer until it is dismissed.
func TestConflictEvidenceStoredOnceAndCapped(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	la := openTest(t, a, nil)
	lb := openTest(t, b, nil)
	r := seeded(31)
	fill(t, la, r, a, b, 5)
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	origin := la.Origin()
	fork := func(seed byte) []byte {
		t.Helper()
		var root tlog.Hash
		for i := range root {
			root[i] = seed ^ byte(i)
		}
		msg, err := signCheckpoint(a, Checkpoint{Origin: origin, Size: 5, Root: root})
		if err != nil {
			t.Fatal(err)
		}
		return msg
	}
	same := fork(1)
	for i := range 200 {
		_, err := lb.CosignPeer(same, a.Public(), 5, nil)
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Conflict.Kind != ConflictFork {
			t.Fatalf("send %d: %v, want a fork conflict", i, err)
		}
		if ce.Duplicate != (i > 0) || ce.Dropped {
			t.Fatalf("send %d: duplicate=%v dropped=%v", i, ce.Duplicate, ce.Dropped)
		}
	}
	cs, err := lb.Conflicts()
	if err != nil || len(cs) != 1 {
		t.Fatalf("the same fork sent 200 times is stored %d times (%v), want once", len(cs), err)
	}
	for i := range 60 {
		_, err := lb.CosignPeer(fork(byte(i+2)), a.Public(), 5, nil)
		if !errors.Is(err, ErrConflict) {
			t.Fatalf("fork %d: %v", i, err)
		}
	}
	cs, _ = lb.Conflicts()
	if len(cs) != MaxConflictsPerPeer {
		t.Fatalf("61 different forks stored as %d records, want the cap %d", len(cs), MaxConflictsPerPeer)
	}
	pcs, err := lb.PeerConflicts()
	if err != nil || len(pcs) != 1 {
		t.Fatalf("standing conflicts: %d %v", len(pcs), err)
	}
	pc := pcs[0]
	if !pc.Peer.Equal(a.Public()) || pc.Kind != ConflictFork || pc.Detections != 260 || pc.Stored != MaxConflictsPerPeer || pc.Dropped != 61-MaxConflictsPerPeer {
		t.Fatalf("standing conflict %+v", pc)
	}
	mustVerify(t, lb)

	// A's honest next checkpoint is refused while the conflict stands.
	fill(t, la, r, a, b, 2)
	err = exchange(t, la, lb)
	var pe *PeerConflictError
	if !errors.As(err, &pe) || !errors.Is(err, ErrConflict) {
		t.Fatalf("checkpoint during a standing conflict: %v, want PeerConflictError", err)
	}
	if got := lb.PeerCheckpointSize(a.Public()); got != 5 {
		t.Fatalf("cosigned view moved to %d during the conflict", got)
	}
	if ok, err := lb.DismissConflict(a.Public()); !ok || err != nil {
		t.Fatalf("dismiss: %v %v", ok, err)
	}
	if ok, _ := lb.DismissConflict(a.Public()); ok {
		t.Fatal("dismissed twice")
	}
	if err := exchange(t, la, lb); err != nil {
		t.Fatalf("after dismissal: %v", err)
	}
	if got := lb.PeerCheckpointSize(a.Public()); got != 7 {
		t.Fatalf("after dismissal the cosigned view is %d, want 7", got)
	}
	if cs, _ := lb.Conflicts(); len(cs) != MaxConflictsPerPeer {
		t.Fatalf("dismissal removed evidence: %d records", len(cs))
	}

	// A conflict reported by the peer stands too, until dismissed.
	if err := la.RecordReportedConflict(b.Public(), "peer says: fork"); err != nil {
		t.Fatal(err)
	}
	if pcs, _ := la.PeerConflicts(); len(pcs) != 1 || !pcs[0].Reported {
		t.Fatalf("reported conflict: %+v", pcs)
	}
	// It does not make A refuse B's checkpoints: B accuses, A is accused.
	if err := exchange(t, lb, la); err != nil {
		t.Fatalf("B's checkpoint while B reports a conflict with A: %v", err)
	}
	if ok, err := la.DismissConflict(b.Public()); !ok || err != nil {
		t.Fatal(ok, err)
	}
}

// TestReportedConflictDoesNotShieldAFoundOne: a peer that first claims a
// conflict against us (its own words, cheap to send) and then signs a
// fork must still have its later checkpoints refused until the user
// dismisses the conflict found here.
func TestReportedConflictDoesNotShieldAFoundOne(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	la := openTest(t, a, nil)
	lb := openTest(t, b, nil)
	r := seeded(37)
	fill(t, la, r, a, b, 5)
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	// A accuses B first: B records a reported conflict with A.
	if err := lb.RecordReportedConflict(a.Public(), "you rewrote your ledger"); err != nil {
		t.Fatal(err)
	}
	// Then A signs a fork of its own ledger at the size B cosigned.
	var root tlog.Hash
	root[0] = 0xff
	msg, err := signCheckpoint(a, Checkpoint{Origin: la.Origin(), Size: 5, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lb.CosignPeer(msg, a.Public(), 5, nil); !errors.Is(err, ErrConflict) {
		t.Fatalf("fork: %v, want a conflict", err)
	}
	pcs, err := lb.PeerConflicts()
	if err != nil || len(pcs) != 1 || pcs[0].Reported || pcs[0].Kind != ConflictFork {
		t.Fatalf("standing conflict after a fork found here: %+v %v, want a found fork", pcs, err)
	}
	// A's next checkpoint is refused while the found conflict stands.
	fill(t, la, r, a, b, 2)
	var pe *PeerConflictError
	if err := exchange(t, la, lb); !errors.As(err, &pe) {
		t.Fatalf("checkpoint after a found fork: %v, want PeerConflictError", err)
	}
	if got := lb.PeerCheckpointSize(a.Public()); got != 5 {
		t.Fatalf("cosigned view moved to %d during the conflict", got)
	}
}
