package audit

import (
	"errors"

	"qkdchat/identity"
	"qkdchat/ledger"
)

// PeerConflict is the standing conflict with one peer, as the ledger
// stores it (plain data).
type PeerConflict = ledger.PeerConflict

// StandingConflict is a standing conflict with a peer: it signed
// conflicting checkpoints (or reports that this ledger's owner did). Its
// JSON is the one `qkdchat ledger conflicts --json` prints.
type StandingConflict struct {
	PeerConflict
	PeerFingerprint string `json:"-"`
}

// ParseFingerprint parses a fingerprint as a user types it (spaces,
// dashes and colons ignored) into the form Fingerprint prints. The
// 16-digit fingerprint of an older qkdchat is accepted too, in its own
// printed form (IsShortFingerprint): it names a key only as the start of
// its full fingerprint, as VerifyReport.SignedBy, ProofCheck.SignedBy and
// Auditor.DismissConflict match it.
func ParseFingerprint(s string) (string, error) { return identity.ParseFingerprint(s) }

// IsShortFingerprint reports whether fp, as ParseFingerprint returns it,
// is the 16-digit fingerprint of an older qkdchat, which checks only 64
// bits of a key.
func IsShortFingerprint(fp string) bool { return identity.IsShort(fp) }

// Conflicts returns the standing (undismissed) conflicts with peers.
func (a *Auditor) Conflicts() ([]StandingConflict, error) {
	pcs, err := a.l.PeerConflicts()
	if err != nil {
		return nil, err
	}
	var out []StandingConflict
	for _, pc := range pcs {
		out = append(out, StandingConflict{PeerConflict: pc, PeerFingerprint: identity.Fingerprint(pc.Peer)})
	}
	return out, nil
}

// DismissConflict ends the standing conflict with the peer whose
// fingerprint is fp (as Fingerprint prints it, or the 16 digits an older
// qkdchat printed when they start exactly one standing conflict's peer
// fingerprint); the evidence stays in the ledger and the peer's next
// checkpoint is cosigned as a new starting point. It returns the peer's
// full fingerprint, or "" when there was no such conflict; 16 digits that
// start more than one give an error wrapping
// identity.ErrAmbiguousFingerprint. It needs a writable ledger: a node's,
// or Open with ReadWrite.
func (a *Auditor) DismissConflict(fp string) (string, error) {
	pcs, err := a.l.PeerConflicts()
	if err != nil {
		return "", err
	}
	known := make([]string, len(pcs))
	for i, pc := range pcs {
		known[i] = identity.Fingerprint(pc.Peer)
	}
	peer, err := identity.Resolve(fp, known)
	switch {
	case errors.Is(err, identity.ErrUnknownFingerprint):
		return "", nil
	case err != nil:
		return "", err
	}
	for i, pc := range pcs {
		if known[i] != peer {
			continue
		}
		found, err := a.l.DismissConflict(pc.Peer)
		if !found {
			return "", err
		}
		return peer, err
	}
	return "", nil
}

// LossAcknowledgement is what AcknowledgeJournalLoss did.
type LossAcknowledgement struct {
	Acknowledged int                // losses newly acknowledged
	Losses       []LostTransactions // those that were pending
}

// AcknowledgeJournalLoss accepts the acknowledged transactions the
// journal lost, so that Verify and a node accept the ledger again; the
// losses stay listed by Verify, marked acknowledged. It needs Open
// with ReadWrite (whose open recovers the journal, recording any loss).
func (a *Auditor) AcknowledgeJournalLoss() (LossAcknowledgement, error) {
	var ack LossAcknowledgement
	var le *ledger.JournalLossError
	if err := a.l.CheckJournalLoss(); errors.As(err, &le) {
		ack.Losses = le.Losses
	} else if err != nil {
		return ack, err
	}
	n, err := a.l.AcknowledgeJournalLoss()
	ack.Acknowledged = n
	return ack, err
}

// SignedCheckpoint is a checkpoint of the ledger signed by its owner.
type SignedCheckpoint struct {
	Origin      string // the ledger's name in the note
	Size        int64  // transactions it covers
	Fingerprint string // of the key that signed it
	Note        string // the signed note, as peers and auditors read it
}

// Checkpoint signs a checkpoint of the ledger's current tree; on a
// writable ledger it is also stored, so Verify later checks the ledger
// against it.
func (a *Auditor) Checkpoint() (SignedCheckpoint, error) {
	note, size, err := a.l.Checkpoint()
	if err != nil {
		return SignedCheckpoint{}, err
	}
	return SignedCheckpoint{Origin: a.l.Origin(), Size: size, Fingerprint: a.Fingerprint(), Note: string(note)}, nil
}
