package ledger

import "testing"

// TestAuditNewKeyIsNotConsistent: A's owner, instead of re-signing the
// rewritten ledger with its key, starts a new ledger under a new key and
// exports that. B's export holds A's messages and A's cosigned
// checkpoint, all under the old key, so the audit compares nothing; it
// must not call the pair consistent.
func TestAuditNewKeyIsNotConsistent(t *testing.T) {
	a, b, a2 := testIdentity(1), testIdentity(2), testIdentity(3)
	la, lb := openTest(t, a, nil), openTest(t, b, nil)
	for _, tx := range fill(t, la, seeded(45), a, b, 6) {
		if _, err := lb.Append(t.Context(), tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	rekeyed := openTest(t, a2, nil)
	fill(t, rekeyed, seeded(46), a2, b, 2)
	av, abad := exportView(t, rekeyed)
	bv, bbad := exportView(t, lb)
	if abad != "" || bbad != "" {
		t.Fatalf("exports do not verify: %q %q", abad, bbad)
	}
	rep := Audit(av, bv, "", "")
	if rep.Consistent {
		t.Fatalf("audit of a ledger under a new key against B, who holds 6 messages and a checkpoint of the old key: consistent, %d compared, %d checked", rep.Compared, rep.Checked)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Kind != FindingNothingCompared {
		t.Fatalf("findings %+v: want one %s", rep.Findings, FindingNothingCompared)
	}
	// The honest pair still audits consistent.
	hv, _ := exportView(t, la)
	if rep := Audit(hv, bv, "", ""); !rep.Consistent {
		t.Fatalf("honest A against B: %+v", rep.Findings)
	}
}
