package audit

import (
	"context"
	"crypto/ed25519"
	"errors"
	"os"
	"time"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// Hash is a SHA-256 hash of the ledger (a block hash, a Merkle root); it
// prints and marshals as hex.
type Hash = ledger.Hash

// LostTransactions is one stretch of acknowledged transactions a damaged
// journal lost (plain data; its String says it in words).
type LostTransactions = ledger.JournalLoss

// VerifyReport is the verdict of a full check of a ledger or of an audit
// export. Its JSON is the one `qkdchat ledger verify --json` prints.
type VerifyReport struct {
	// OK is true when the ledger itself is intact: every block hash, tree
	// hash and signature checks out and the ledger extends every
	// checkpoint it signed. Conflicts of peers do not clear it.
	OK          bool              `json:"ok"`
	Origin      string            `json:"origin"`
	Key         ed25519.PublicKey `json:"key"`
	Fingerprint string            `json:"fingerprint"`
	Size        int64             `json:"size"`   // transactions checked
	Blocks      int64             `json:"blocks"` // blocks checked
	Root        Hash              `json:"root"`   // Merkle root over the checked transactions
	// FirstBadHeight is the first block found bad, or -1; BadIndex the
	// first bad transaction, or -1.
	FirstBadHeight int64  `json:"first_bad_height"`
	BadIndex       int64  `json:"bad_index"`
	Reason         string `json:"reason,omitempty"`
	Checkpoints    int    `json:"checkpoints"`  // own signed checkpoints checked
	Cosignatures   int    `json:"cosignatures"` // peers' cosignatures checked
	// Conflicts are proofs that a peer rewrote or truncated its ledger.
	Conflicts []ConflictEvidence `json:"conflicts,omitempty"`
	// JournalLoss lists the acknowledged transactions the journal lost
	// that nobody has acknowledged yet; any clears OK.
	JournalLoss []LostTransactions `json:"journal_loss,omitempty"`
}

// Clean reports whether the ledger is intact and no peer conflict is known.
func (r *VerifyReport) Clean() bool { return r.OK && len(r.Conflicts) == 0 }

// SignedBy reports whether fp (from ParseFingerprint) names the key the
// report found: its full fingerprint, or the 16 digits an older qkdchat
// printed for it, which check only 64 bits of it (IsShortFingerprint).
func (r *VerifyReport) SignedBy(fp string) bool { return identity.Matches(fp, r.Key) }

// ConflictEvidence is a pair of checkpoints a peer signed that cannot
// both describe one append-only ledger.
type ConflictEvidence struct {
	Peer    ed25519.PublicKey `json:"peer"`
	Kind    string            `json:"kind"` // fork, rollback, inconsistent or origin
	OldNote string            `json:"old_note"`
	NewNote string            `json:"new_note"`
	Proof   [][]byte          `json:"proof"` // the consistency proof the peer offered
	Time    time.Time         `json:"time"`  // when it was detected

	PeerFingerprint string   `json:"-"`
	Old             TreeHead `json:"-"` // what OldNote commits to
	New             TreeHead `json:"-"` // what NewNote commits to
}

// TreeHead is what a signed checkpoint commits to: a tree size and its
// Merkle root (base64, as in the note).
type TreeHead struct {
	Size int64
	Root string
}

// verifyReport converts the ledger's report into the facade's.
func verifyReport(r *ledger.VerifyReport) *VerifyReport {
	if r == nil {
		return nil
	}
	out := &VerifyReport{OK: r.OK, Origin: r.Origin, Key: r.Key, Fingerprint: r.Fingerprint, Size: r.Size,
		Blocks: r.Blocks, Root: r.Root, FirstBadHeight: r.FirstBadHeight, BadIndex: r.BadIndex, Reason: r.Reason,
		Checkpoints: r.Checkpoints, Cosignatures: r.Cosignatures, JournalLoss: r.JournalLoss}
	for _, c := range r.Conflicts {
		ev := ConflictEvidence{Peer: c.Peer, Kind: string(c.Kind), OldNote: c.OldNote, NewNote: c.NewNote, Time: c.Time,
			PeerFingerprint: identity.Fingerprint(c.Peer),
			Old:             TreeHead{Size: c.Old.Size, Root: c.Old.Root.String()},
			New:             TreeHead{Size: c.New.Size, Root: c.New.Root.String()}}
		if c.Proof != nil {
			ev.Proof = make([][]byte, len(c.Proof))
			for i, h := range c.Proof {
				ev.Proof[i] = h[:]
			}
		}
		out.Conflicts = append(out.Conflicts, ev)
	}
	return out
}

// Verify checks the whole ledger: every signature, Merkle hash, block
// hash, signed checkpoint and peer cosignature. progress, if not nil, is
// called with the transactions checked so far. A bad ledger is a report
// with OK false, not an error; the error is a failure to check.
func (a *Auditor) Verify(ctx context.Context, progress func(done, total int64)) (*VerifyReport, error) {
	rep, err := a.l.Verify(ctx, progress)
	if err != nil {
		return nil, err
	}
	return verifyReport(rep), nil
}

// VerifyDataDir checks the ledger of the data directory dir read-only,
// with no node running, and returns the report and the ledger's path. A
// journal that lost acknowledged transactions and is not yet recovered is
// a verdict (a report listing the losses), not an error; a missing ledger
// (ErrNoLedger) or a damaged file (*datadir.DamagedFileError) is an error.
func VerifyDataDir(ctx context.Context, dir string) (*VerifyReport, string, error) {
	a, err := Open(dir, ReadOnly)
	var le *ledger.JournalLossError
	switch {
	case errors.As(err, &le):
		return &VerifyReport{FirstBadHeight: -1, BadIndex: -1, Reason: le.Summary(), JournalLoss: le.Losses}, le.Path, nil
	case err != nil:
		return nil, "", err
	}
	defer a.Close()
	rep, err := a.Verify(ctx, nil)
	return rep, a.Path(), err
}

// VerifyExportFile checks the audit export (from Export) in the file at
// path as Verify checks a ledger: offline, by anyone. An error opening
// the file is returned as the os package gives it.
func VerifyExportFile(ctx context.Context, path string) (*VerifyReport, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	rep, err := ledger.VerifyExport(ctx, f)
	if err != nil {
		return nil, err
	}
	return verifyReport(rep), nil
}

// JournalLossSummary says in a few words how many acknowledged
// transactions the losses are ("3 acknowledged transactions were lost
// from its journal").
func JournalLossSummary(losses []LostTransactions) string {
	return (&ledger.JournalLossError{Losses: losses}).Summary()
}
