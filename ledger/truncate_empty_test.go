package ledger

import (
	"errors"
	"testing"
)

// TestTruncatedToEmptyIsAConflict: A's owner deletes its whole ledger and
// starts an empty one under the same key; at reconnect it offers its
// checkpoint of size 0. B cosigned A's checkpoint at size 5: an empty
// ledger under that key is a rollback, not a stale checkpoint to shrug
// off.
func TestTruncatedToEmptyIsAConflict(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	la, lb := openTest(t, a, nil), openTest(t, b, nil)
	fill(t, la, seeded(47), a, b, 5)
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	empty := openTest(t, a, nil)
	msg, size, err := empty.Checkpoint()
	if err != nil {
		t.Fatal(err)
	}
	_, err = lb.CosignPeer(msg, a.Public(), 0, nil)
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("B cosigned A at size 5, then A offers its emptied ledger at size %d: %v, want a conflict", size, err)
	}
	if pcs, _ := lb.PeerConflicts(); len(pcs) != 1 || pcs[0].Kind != ConflictRollback {
		t.Fatalf("standing conflicts %+v, want one rollback", pcs)
	}
}
