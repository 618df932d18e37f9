package audit

import (
	"context"
	"fmt"
	"io"
	"os"

	"qkdchat/identity"
	"qkdchat/internal/atomicfile"
	"qkdchat/ledger"
)

// AuditReport is the result of comparing a ledger's export with a peer's
// (AuditExports): plain data, its JSON the one `qkdchat ledger audit
// --json` prints.
type AuditReport = ledger.AuditReport

// AuditFinding is one thing an audit found against the audited ledger.
type AuditFinding = ledger.AuditFinding

// Export writes the self-contained JSON Lines audit export of the ledger
// to w; VerifyExportFile checks it offline.
func (a *Auditor) Export(ctx context.Context, w io.Writer) error {
	return a.l.Export(ctx, w)
}

// ExportFile writes the audit export to the file at path, whole or not
// at all: it is written to a temporary file beside path and renamed over
// it when complete (internal/atomicfile).
func (a *Auditor) ExportFile(ctx context.Context, path string) error {
	f, err := atomicfile.Create(path, 0o600, atomicfile.Replace)
	if err != nil {
		return err
	}
	defer f.Abort()
	if err := a.l.Export(ctx, f); err != nil {
		return err
	}
	return f.Commit()
}

// ExportsOfOneOwnerError means the two exports given to AuditExports are
// of the same ledger owner, so there is no peer to compare with.
type ExportsOfOneOwnerError struct {
	A, B        string // the files
	Fingerprint string // their owner's
}

func (e *ExportsOfOneOwnerError) Error() string {
	return fmt.Sprintf("%s and %s are exports of the same ledger owner (%s): give A's and a peer's", e.A, e.B, e.Fingerprint)
}

// AuditExports compares the export of ledger A (the file aPath) with the
// export of a peer B's ledger (bPath): what B holds that A lacks, A's
// checkpoints B cosigned that A does not extend. An export that does not
// verify is a finding, not an error; a file that is not an export is.
func AuditExports(ctx context.Context, aPath, bPath string) (*AuditReport, error) {
	a, abad, err := readAuditExport(ctx, aPath)
	if err != nil {
		return nil, err
	}
	b, bbad, err := readAuditExport(ctx, bPath)
	if err != nil {
		return nil, err
	}
	if a.Key.Equal(b.Key) {
		return nil, &ExportsOfOneOwnerError{A: aPath, B: bPath, Fingerprint: identity.Fingerprint(a.Key)}
	}
	return ledger.Audit(a, b, abad, bbad), nil
}

// readAuditExport verifies an export and reads what an audit compares.
// bad is why the export does not verify ("" if it does).
func readAuditExport(ctx context.Context, path string) (v *ledger.ExportView, bad string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read export %s: %w", path, err)
	}
	defer f.Close()
	rep, err := ledger.VerifyExport(ctx, f)
	if err != nil {
		return nil, "", fmt.Errorf("cannot read export %s: %w", path, err)
	}
	if !rep.OK {
		bad = rep.Reason
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", fmt.Errorf("cannot read export %s: %w", path, err)
	}
	if v, err = ledger.ReadExport(ctx, f); err != nil {
		return nil, "", fmt.Errorf("%s is not a ledger export (from 'qkdchat ledger export'): %w", path, err)
	}
	return v, bad, nil
}
