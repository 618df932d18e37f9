package ledger

import (
	"bytes"
	"context"
	"slices"
	"testing"
)

// exportView exports l and reads it back as an audit does.
func exportView(t *testing.T, l *Ledger) (*ExportView, string) {
	t.Helper()
	var buf bytes.Buffer
	if err := l.Export(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	rep, err := VerifyExport(context.Background(), bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	bad := ""
	if !rep.OK {
		bad = rep.Reason
	}
	v, err := ReadExport(context.Background(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	return v, bad
}

// TestAuditFindsOwnerRewrite builds A's and B's ledgers holding the same
// messages, lets B cosign A's checkpoint, then rewrites A's ledger as its
// owner can (same key, transactions deleted, reordered or truncated,
// cosignatures gone) and audits the two exports.
func TestAuditFindsOwnerRewrite(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		rewrite  func([]*Transaction) []*Transaction
		missing  int // transactions B holds that the rewrite lacks
		findings int
	}{
		{"honest", func(txs []*Transaction) []*Transaction { return txs }, 0, 0},
		{"honest-and-grown", nil, 0, 0},
		{"delete", func(txs []*Transaction) []*Transaction { return slices.Delete(slices.Clone(txs), 3, 4) }, 1, 2},
		{"reorder", func(txs []*Transaction) []*Transaction {
			out := slices.Clone(txs)
			out[2], out[5] = out[5], out[2]
			return out
		}, 0, 1},
		{"truncate", func(txs []*Transaction) []*Transaction { return txs[:4] }, 4, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			la, lb := openTest(t, a, nil), openTest(t, b, nil)
			txs := fill(t, la, seeded(41), a, b, 8)
			for _, tx := range txs {
				if _, err := lb.Append(ctx, tx); err != nil {
					t.Fatal(err)
				}
			}
			if err := exchange(t, la, lb); err != nil {
				t.Fatal(err)
			}
			audited := la
			if tc.rewrite != nil {
				audited = openTest(t, a, nil)
				for _, tx := range tc.rewrite(txs) {
					if _, err := audited.Append(ctx, tx); err != nil {
						t.Fatal(err)
					}
				}
			} else {
				fill(t, la, seeded(42), a, b, 3)
			}
			av, abad := exportView(t, audited)
			bv, bbad := exportView(t, lb)
			if abad != "" || bbad != "" {
				t.Fatalf("exports do not verify: %q %q", abad, bbad)
			}
			rep := Audit(av, bv, abad, bbad)
			missing := 0
			for _, f := range rep.Findings {
				if f.Kind == FindingMissingTx {
					missing++
				}
			}
			if len(rep.Findings) != tc.findings || missing != tc.missing || rep.Consistent != (tc.findings == 0) {
				t.Fatalf("audit: %d findings (%d missing), consistent=%v; want %d (%d missing): %+v",
					len(rep.Findings), missing, rep.Consistent, tc.findings, tc.missing, rep.Findings)
			}
			if rep.Compared != 8 || rep.Checked != 1 {
				t.Fatalf("compared %d transactions and %d checkpoints, want 8 and 1", rep.Compared, rep.Checked)
			}
		})
	}
}

// TestAuditReportsConflictEvidence: B refused A's rewritten checkpoint and
// kept the evidence; the audit reports it and the cosigned checkpoint that
// A's export no longer extends.
func TestAuditReportsConflictEvidence(t *testing.T) {
	a, b := testIdentity(1), testIdentity(2)
	la, lb := openTest(t, a, nil), openTest(t, b, nil)
	fill(t, la, seeded(43), a, b, 6)
	if err := exchange(t, la, lb); err != nil {
		t.Fatal(err)
	}
	rewritten := openTest(t, a, nil)
	fill(t, rewritten, seeded(44), a, b, 6)
	if err := exchange(t, rewritten, lb); err == nil {
		t.Fatal("fork cosigned")
	}
	av, _ := exportView(t, rewritten)
	bv, _ := exportView(t, lb)
	rep := Audit(av, bv, "", "")
	kinds := map[string]int{}
	for _, f := range rep.Findings {
		kinds[f.Kind]++
	}
	if rep.Consistent || kinds[FindingConflict] != 1 || kinds[FindingNotExtended] != 1 {
		t.Fatalf("findings %v", kinds)
	}
	// The honest ledger is not extended by the fork B also holds.
	hv, _ := exportView(t, la)
	// (the conflict, and the fork's checkpoint).
	if rep := Audit(hv, bv, "", ""); len(rep.Findings) != 2 {
		t.Fatalf("honest A against B's evidence: %+v", rep.Findings)
	}
}

func TestReadExportRejectsNonExports(t *testing.T) {
	for _, in := range []string{"", "{}\n", "not json\n", `{"type":"header","format":"other"}` + "\n", "no newline"} {
		if _, err := ReadExport(context.Background(), bytes.NewReader([]byte(in))); err == nil {
			t.Errorf("ReadExport(%q) accepted", in)
		}
	}
}
