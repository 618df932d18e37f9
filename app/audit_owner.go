package app

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
// dashes and colons ignored) into the form Fingerprint prints.
func ParseFingerprint(s string) (string, error) { return identity.ParseFingerprint(s) }

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
// fingerprint is fp (as Fingerprint prints it); the evidence stays in the
// ledger and the peer's next checkpoint is cosigned as a new starting
// point. It reports whether there was such a conflict. It needs a
// writable ledger: a node's, or OpenAuditor with ReadWrite.
func (a *Auditor) DismissConflict(fp string) (bool, error) {
	pcs, err := a.l.PeerConflicts()
	if err != nil {
		return false, err
	}
	for _, pc := range pcs {
		if identity.Fingerprint(pc.Peer) == fp {
			return a.l.DismissConflict(pc.Peer)
		}
	}
	return false, nil
}

// LossAcknowledgement is what AcknowledgeJournalLoss did.
type LossAcknowledgement struct {
	Acknowledged int                // losses newly acknowledged
	Losses       []LostTransactions // those that were pending
}

// AcknowledgeJournalLoss accepts the acknowledged transactions the
// journal lost, so that Verify and a node accept the ledger again; the
// losses stay listed by Verify, marked acknowledged. It needs OpenAuditor
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
