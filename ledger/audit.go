package ledger

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
)

// An offline audit of two exports: A's (the ledger under audit) and B's
// (a peer's, holding what A sent it and what A signed). It finds what A's
// owner can no longer hide once B has cosigned: transactions B holds that
// A's export lacks, and A's checkpoints that B cosigned (or kept as
// conflict evidence) that A's export does not extend.

// ExportView is what an audit reads from an export: the owner, the
// transactions (not their tokens) and the tree they make, and the peer
// checkpoints and conflicts the owner keeps.
type ExportView struct {
	Origin    string
	Key       ed25519.PublicKey
	Txs       []ExportTx
	Peers     []ExportPeer // the last checkpoint of each peer the owner cosigned
	Conflicts []Conflict   // conflicting checkpoint pairs of peers the owner kept

	ids    map[TxID]int64
	hashes hashList // the stored hashes of the tree over Txs
}

// ExportTx is one transaction of an export.
type ExportTx struct {
	Index     int64
	ID        TxID
	Kind      Kind
	Sender    ed25519.PublicKey
	Recipient ed25519.PublicKey
	Time      time.Time
}

// ExportPeer is a peer's checkpoint cosigned by the export's owner.
type ExportPeer struct {
	Key  ed25519.PublicKey
	Note string
}

// ReadHashes implements tlog.HashReader over the export's tree.
func (v *ExportView) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	return v.hashes.ReadHashes(indexes)
}

// Size returns the number of transactions in the export.
func (v *ExportView) Size() int64 { return int64(len(v.Txs)) }

// Extends reports whether the export's tree extends the checkpoint c:
// same origin, at least c.Size transactions, and the same root at c.Size.
func (v *ExportView) Extends(c Checkpoint) bool {
	if c.Origin != v.Origin || c.Size > v.Size() {
		return false
	}
	root, err := tlog.TreeHash(c.Size, v)
	return err == nil && root == c.Root
}

// ReadExport reads the records of an export that an audit compares. It
// checks the form of every line it uses, not the signatures: run
// VerifyExport on the same export for that.
func ReadExport(ctx context.Context, r io.Reader) (*ExportView, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxExportLine)
	sc.Split(splitLines)
	v := &ExportView{ids: map[TxID]int64{}}
	line := 0
	for sc.Scan() {
		line++
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var rec exportRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if line == 1 {
			if rec.Type != "header" || rec.Format != ExportFormat || len(rec.Key) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("line 1: not a %s header", ExportFormat)
			}
			v.Origin, v.Key = rec.Origin, ed25519.PublicKey(rec.Key)
			continue
		}
		switch rec.Type {
		case "tx":
			var tx Transaction
			if err := tx.UnmarshalBinary(rec.Tx); err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			id := txIDOf(rec.Tx)
			n := int64(len(v.Txs))
			if rec.Index != n {
				return nil, fmt.Errorf("line %d: transaction %d where %d was due", line, rec.Index, n)
			}
			hs, err := tlog.StoredHashesForRecordHash(n, tlog.Hash(id), v)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", line, err)
			}
			v.hashes = append(v.hashes, hs...)
			v.ids[id] = n
			v.Txs = append(v.Txs, ExportTx{Index: n, ID: id, Kind: tx.Kind, Sender: tx.Sender, Recipient: tx.Recipient, Time: tx.Time})
		case "peer":
			if len(rec.Key) != ed25519.PublicKeySize {
				return nil, fmt.Errorf("line %d: peer record with a malformed key", line)
			}
			v.Peers = append(v.Peers, ExportPeer{Key: ed25519.PublicKey(rec.Key), Note: rec.Note})
		case "conflict":
			if rec.Conflict == nil {
				return nil, fmt.Errorf("line %d: empty conflict record", line)
			}
			v.Conflicts = append(v.Conflicts, *rec.Conflict)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", line+1, err)
	}
	if line == 0 {
		return nil, errors.New("empty file, not an export")
	}
	return v, nil
}

// Kinds of audit finding.
const (
	FindingMissingTx     = "missing_tx"          // B holds a transaction with A that A's export lacks
	FindingNotExtended   = "not_extended"        // A's export does not extend a checkpoint of A that B holds
	FindingConflict      = "conflict"            // B holds two conflicting checkpoints signed by A
	FindingInvalidExport = "invalid_export"      // an export does not verify
	FindingUnsigned      = "checkpoint_unsigned" // B's copy of A's checkpoint is not signed by A
	// FindingNothingCompared: B holds no transaction with A's key, no
	// checkpoint and no conflict of it, so the audit vouches for nothing
	// (A's export may be of a new ledger under another key).
	FindingNothingCompared = "nothing_compared"
)

// AuditFinding is one thing an audit found against A.
type AuditFinding struct {
	Kind   string `json:"kind"`
	Detail string `json:"detail"` // in words

	TxID      string `json:"txid,omitempty"`
	Index     int64  `json:"index,omitempty"` // in B's export
	TxKind    string `json:"tx_kind,omitempty"`
	Sender    string `json:"sender,omitempty"` // fingerprint
	Recipient string `json:"recipient,omitempty"`
	Size      int64  `json:"size,omitempty"` // of the checkpoint
	Root      string `json:"root,omitempty"`
	CosignedB bool   `json:"cosigned_by_b,omitempty"` // B cosigned that checkpoint
}

// AuditReport is the result of Audit.
type AuditReport struct {
	A          string         `json:"a"` // fingerprint of A's key
	B          string         `json:"b"`
	ASize      int64          `json:"a_size"`
	BSize      int64          `json:"b_size"`
	Compared   int            `json:"compared_txs"`        // B's transactions with A that were looked up
	Checked    int            `json:"checked_checkpoints"` // A's checkpoints held by B that were checked
	Consistent bool           `json:"consistent"`
	Findings   []AuditFinding `json:"findings"`
}

// localRecord reports whether a kind is a record of its ledger's owner
// alone (a key event, a checkpoint), which the peer never holds.
func localRecord(k Kind) bool { return k == KindKeyEvent || k == KindCheckpoint }

// Audit compares A's export with B's. It reports every transaction
// between A and B that B holds and A's export lacks, every checkpoint of
// A that B cosigned or kept as evidence that A's export does not extend,
// and every conflict B holds against A. Exports that VerifyExport
// rejected are passed as invalid (aBad, bBad: the reason, "" if valid).
// A chat message that B sent and A never received also counts as lacking:
// the export cannot tell it from one A deleted.
func Audit(a, b *ExportView, aBad, bBad string) *AuditReport {
	rep := &AuditReport{A: identity.Fingerprint(a.Key), B: identity.Fingerprint(b.Key), ASize: a.Size(), BSize: b.Size(), Findings: []AuditFinding{}}
	if aBad != "" {
		rep.Findings = append(rep.Findings, AuditFinding{Kind: FindingInvalidExport, Detail: "A's export does not verify: " + aBad})
	}
	if bBad != "" {
		rep.Findings = append(rep.Findings, AuditFinding{Kind: FindingInvalidExport, Detail: "B's export does not verify: " + bBad})
	}
	for _, tx := range b.Txs {
		withA := tx.Sender.Equal(a.Key) || tx.Recipient.Equal(a.Key)
		if !withA || localRecord(tx.Kind) {
			continue
		}
		rep.Compared++
		if _, ok := a.ids[tx.ID]; ok {
			continue
		}
		rep.Findings = append(rep.Findings, AuditFinding{Kind: FindingMissingTx, TxID: tx.ID.String(), Index: tx.Index,
			TxKind: tx.Kind.String(), Sender: identity.Fingerprint(tx.Sender), Recipient: identity.Fingerprint(tx.Recipient),
			Detail: fmt.Sprintf("B holds %s transaction %d (%s, from %s to %s, %s) that A's export lacks",
				tx.Kind, tx.Index, tx.ID.String()[:16], identity.Fingerprint(tx.Sender), identity.Fingerprint(tx.Recipient), tx.Time.Format(time.RFC3339))})
	}
	seen := map[Checkpoint]bool{}
	check := func(msg string, cosigned bool, what string) {
		sc, err := OpenCheckpoint([]byte(msg), a.Key)
		if err != nil {
			rep.Findings = append(rep.Findings, AuditFinding{Kind: FindingUnsigned, CosignedB: cosigned,
				Detail: fmt.Sprintf("%s is not a checkpoint signed by A: %v", what, err)})
			return
		}
		if seen[sc.Checkpoint] {
			return
		}
		seen[sc.Checkpoint] = true
		rep.Checked++
		if a.Extends(sc.Checkpoint) {
			return
		}
		why := "its tree at that size has another root: transactions were deleted, reordered or changed"
		switch {
		case sc.Origin != a.Origin:
			why = fmt.Sprintf("it is of ledger %q, the export of %q", sc.Origin, a.Origin)
		case sc.Size > a.Size():
			why = fmt.Sprintf("the export holds only %d transactions: the ledger was truncated", a.Size())
		}
		rep.Findings = append(rep.Findings, AuditFinding{Kind: FindingNotExtended, Size: sc.Size, Root: sc.Root.String(), CosignedB: cosigned,
			Detail: fmt.Sprintf("A signed a checkpoint at size %d (%s); A's export does not extend it: %s", sc.Size, what, why)})
	}
	for _, p := range b.Peers {
		if p.Key.Equal(a.Key) {
			check(p.Note, true, "cosigned by B")
		}
	}
	for _, c := range b.Conflicts {
		if !c.Peer.Equal(a.Key) {
			continue
		}
		rep.Findings = append(rep.Findings, AuditFinding{Kind: FindingConflict,
			Detail: fmt.Sprintf("B holds two conflicting checkpoints signed by A (%s), found %s", c.Kind, c.Time.Format(time.RFC3339))})
		check(c.OldNote, true, "cosigned by B, kept as conflict evidence")
		check(c.NewNote, false, "offered to B later, kept as conflict evidence")
	}
	if rep.Compared == 0 && rep.Checked == 0 && len(rep.Findings) == 0 {
		rep.Findings = append(rep.Findings, AuditFinding{Kind: FindingNothingCompared,
			Detail: fmt.Sprintf("B's export holds no transaction with A's key %s and no checkpoint of it, so nothing was compared; %s",
				rep.A, otherKeys(b))})
	}
	rep.Consistent = len(rep.Findings) == 0
	return rep
}

// otherKeys says which keys other than its owner's B's export holds
// transactions or checkpoints with: the key A's owner used before, if
// A's export is of a new ledger.
func otherKeys(b *ExportView) string {
	var keys []string
	seen := map[string]bool{identity.Fingerprint(b.Key): true}
	add := func(k ed25519.PublicKey) {
		if fp := identity.Fingerprint(k); !seen[fp] && len(keys) < 8 {
			seen[fp] = true
			keys = append(keys, fp)
		}
	}
	for _, tx := range b.Txs {
		add(tx.Sender)
		add(tx.Recipient)
	}
	for _, p := range b.Peers {
		add(p.Key)
	}
	if len(keys) == 0 {
		return "B's export holds no other key"
	}
	return "B's export holds transactions or checkpoints with " + strings.Join(keys, ", ")
}
