package audit

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"

	"qkdchat/identity"
	"qkdchat/internal/atomicfile"
	"qkdchat/ledger"
)

// TxID identifies a transaction: the Merkle leaf hash of its signed
// encoding. It prints and marshals as 64 lower-case hex digits.
type TxID = ledger.TxID

// ParseTxID parses a transaction ID as TxID.String prints it.
func ParseTxID(s string) (TxID, error) { return ledger.ParseTxID(s) }

// ErrTxNotFound means the ledger holds no transaction with that ID.
var ErrTxNotFound = ledger.ErrNotFound

// Proof is an inclusion proof of one transaction, checked against the
// ledger's key before it is handed out.
type Proof struct {
	Index       int64  // the transaction's position in the ledger
	TxID        TxID   // the transaction
	PathLen     int    // hashes in its Merkle audit path
	Checkpoint  string // the ledger's signed checkpoint the path leads to
	Fingerprint string // of the ledger's key, which signed the checkpoint
	// JSON is the proof as a file holds it (indented, ending in a
	// newline): anyone checks it offline with CheckProof.
	JSON []byte
}

// Prove builds the inclusion proof of the transaction id against a signed
// checkpoint of the current tree and checks it. An id the ledger does not
// hold gives an error wrapping ErrTxNotFound.
func (a *Auditor) Prove(id TxID) (*Proof, error) {
	p, err := a.l.ProveInclusion(id)
	if err != nil {
		return nil, err
	}
	if err := ledger.VerifyInclusion(p, a.l.Identity().Public()); err != nil {
		return nil, fmt.Errorf("app: the proof of %s does not verify: %w", id, err)
	}
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return &Proof{Index: p.Index, TxID: id, PathLen: len(p.Proof), Checkpoint: p.Checkpoint,
		Fingerprint: a.Fingerprint(), JSON: append(b, '\n')}, nil
}

// WriteFile writes the proof (JSON) to the file at path, whole or not at
// all, readable by all: a proof holds nothing secret.
func (p *Proof) WriteFile(path string) error {
	return atomicfile.WriteFile(path, p.JSON, 0o644, atomicfile.Replace)
}

// ProofFormatError means bytes given to CheckProof are not an inclusion
// proof at all. Its message completes a sentence naming the file ("FILE
// is not an inclusion proof: ...").
type ProofFormatError struct {
	Reason string
	Err    error
}

func (e *ProofFormatError) Error() string { return e.Reason }
func (e *ProofFormatError) Unwrap() error { return e.Err }

// ProofCheck is what CheckProof found.
type ProofCheck struct {
	Index       int64  // the transaction's claimed position
	TxID        TxID   // the transaction's ID (zero if it does not decode)
	Fingerprint string // of the key the proof names: compare it with the owner's
	// Err is nil when the proof holds: the checkpoint is signed by the key
	// the proof names, the transaction by its sender, and the audit path
	// leads from it to the checkpoint's root. Otherwise it says why not.
	Err error
}

// SignedBy reports whether fp (from ParseFingerprint) names the key the
// proof names: its full fingerprint, or the 16 digits an older qkdchat
// printed for it, which check only 64 bits of it (IsShortFingerprint).
func (c *ProofCheck) SignedBy(fp string) bool { return identity.SameKey(fp, c.Fingerprint) }

// CheckProof checks an inclusion proof (Proof.JSON) offline against the
// key it names. Bytes that are not a proof give a *ProofFormatError; a
// proof that does not hold is a ProofCheck with Err set. The caller
// compares Fingerprint with the ledger owner's, obtained out of band.
func CheckProof(data []byte) (*ProofCheck, error) {
	var p ledger.InclusionProof
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, &ProofFormatError{Reason: fmt.Sprintf("is not an inclusion proof: %v", err), Err: err}
	}
	if len(p.Key) != ed25519.PublicKeySize {
		return nil, &ProofFormatError{Reason: "names no ledger key", Err: errors.New("malformed key")}
	}
	var tx ledger.Transaction
	_ = tx.UnmarshalBinary(p.Tx) // a bad encoding fails VerifyInclusion below
	return &ProofCheck{Index: p.Index, TxID: tx.ID(), Fingerprint: identity.Fingerprint(p.Key),
		Err: ledger.VerifyInclusion(&p, p.Key)}, nil
}
