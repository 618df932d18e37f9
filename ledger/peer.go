package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
)

// ConflictKind says how two signed checkpoints of one peer conflict.
type ConflictKind string

// The kinds of conflict. A fork is self-evident to anyone holding the two
// notes. For a rollback or an inconsistency the evidence is the two notes
// plus the failed proof: the peer cannot produce a valid consistency proof
// between them.
const (
	ConflictFork         ConflictKind = "fork"         // same size, different roots
	ConflictRollback     ConflictKind = "rollback"     // a smaller tree that is not a prefix of one already cosigned
	ConflictInconsistent ConflictKind = "inconsistent" // a larger tree without a valid consistency proof
	ConflictOrigin       ConflictKind = "origin"       // the same key signed a checkpoint of another ledger
)

// Conflict is stored evidence that a peer signed two checkpoints that
// cannot both describe one append-only ledger: it has rewritten or
// truncated its ledger.
type Conflict struct {
	Peer    ed25519.PublicKey `json:"peer"`
	Kind    ConflictKind      `json:"kind"`
	OldNote string            `json:"old_note"` // the checkpoint cosigned before
	NewNote string            `json:"new_note"` // the conflicting checkpoint
	Proof   tlog.TreeProof    `json:"proof"`    // the consistency proof the peer offered
	Time    time.Time         `json:"time"`     // when it was detected

	Old Checkpoint `json:"-"` // parsed OldNote
	New Checkpoint `json:"-"` // parsed NewNote
}

// check re-verifies the evidence: both notes are signed by the peer and
// do conflict as Kind says.
func (c *Conflict) check() error {
	if len(c.Peer) != ed25519.PublicKeySize {
		return errors.New("ledger: conflict: malformed peer key")
	}
	old, err := OpenCheckpoint([]byte(c.OldNote), c.Peer)
	if err != nil {
		return fmt.Errorf("ledger: conflict: old checkpoint: %w", err)
	}
	nw, err := OpenCheckpoint([]byte(c.NewNote), c.Peer)
	if err != nil {
		return fmt.Errorf("ledger: conflict: new checkpoint: %w", err)
	}
	c.Old, c.New = old.Checkpoint, nw.Checkpoint
	if kind, ok := classify(c.Old, c.New, c.Proof); !ok || kind != c.Kind {
		return fmt.Errorf("ledger: conflict: the two checkpoints do not show a %s", c.Kind)
	}
	return nil
}

// classify compares a peer's new checkpoint with the one cosigned before.
// It returns ok=false when new may follow old (a conflict kind otherwise),
// and kind "" with ok=false for a stale checkpoint.
func classify(old, nw Checkpoint, proof tlog.TreeProof) (ConflictKind, bool) {
	switch {
	case old.Origin != nw.Origin:
		return ConflictOrigin, true
	case nw.Size == old.Size:
		if nw.Root != old.Root {
			return ConflictFork, true
		}
		return "", false
	case nw.Size > old.Size:
		if old.Size == 0 || tlog.CheckTree(proof, nw.Size, nw.Root, old.Size, old.Root) == nil {
			return "", false
		}
		return ConflictInconsistent, true
	default: // older than what was cosigned
		// An empty tree is a prefix of any, but the peer offering it now
		// says its ledger holds nothing: a rollback to zero.
		if nw.Size > 0 && tlog.CheckTree(proof, old.Size, old.Root, nw.Size, nw.Root) == nil {
			return "", false
		}
		return ConflictRollback, true
	}
}

// peerRecord is the last checkpoint of a peer that the ledger cosigned.
type peerRecord struct {
	Note string `json:"note"` // the peer's note with our cosignature
}

func (l *Ledger) loadPeer(btx *bolt.Tx, peer ed25519.PublicKey) (*SignedCheckpoint, error) {
	v := btx.Bucket(bucketPeer).Get(peer)
	if v == nil {
		return nil, nil
	}
	var rec peerRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("ledger: stored checkpoint of peer %s: %w", identity.Fingerprint(peer), err)
	}
	sc, err := OpenCheckpoint([]byte(rec.Note), peer)
	if err != nil {
		return nil, fmt.Errorf("ledger: stored checkpoint of peer %s: %w", identity.Fingerprint(peer), err)
	}
	return sc, nil
}

// PeerCheckpointSize returns the tree size of the newest checkpoint of peer
// that this ledger cosigned, or 0 if none (or it cannot be read).
func (l *Ledger) PeerCheckpointSize(peer ed25519.PublicKey) int64 {
	var n int64
	_ = l.view(func(btx *bolt.Tx) error {
		sc, err := l.loadPeer(btx, peer)
		if sc != nil && err == nil {
			n = sc.Size
		}
		return nil
	})
	return n
}

// CosignPeer verifies a peer's checkpoint note (signed by peer) and, if it
// is consistent with the last checkpoint of that peer cosigned here,
// stores it and returns the note with this ledger's signature added. proof
// is the peer's ConsistencyProof from fromSize, which must be the size
// PeerCheckpointSize reported (fromSize 0 with no proof when there is
// nothing to prove).
//
// Two conflicting checkpoints are stored as evidence and reported by
// Verify; CosignPeer then returns a *ConflictError (errors.Is ErrConflict).
// A checkpoint older than the last one cosigned returns ErrStale; a proof
// from another size than the last cosigned one returns ErrBadProof and
// records nothing.
func (l *Ledger) CosignPeer(msg []byte, peer ed25519.PublicKey, fromSize int64, proofHashes [][]byte) ([]byte, error) {
	if len(peer) != ed25519.PublicKeySize {
		return nil, errors.New("ledger: cosign: malformed peer key")
	}
	proof, err := treeProof(proofHashes)
	if err != nil {
		return nil, err
	}
	if peer.Equal(l.id.Public()) {
		return nil, errors.New("ledger: cosign: that checkpoint is this ledger's own")
	}
	sc, err := OpenCheckpoint(msg, peer)
	if err != nil {
		return nil, fmt.Errorf("ledger: cosign checkpoint of %s: %w", identity.Fingerprint(peer), err)
	}
	var (
		out      []byte
		conflict *ConflictError
		stale    bool
		held     *PeerConflict
		wrong    int64 = -1
	)
	now := time.Now().UTC().Round(0)
	err = l.update(func(btx *bolt.Tx) error {
		old, err := l.loadPeer(btx, peer)
		if err != nil {
			return err
		}
		if old != nil && old.Origin == sc.Origin && sc.Size > old.Size && old.Size > 0 && fromSize != old.Size {
			wrong = old.Size // a proof from the wrong size proves nothing either way
			return nil
		}
		if old != nil {
			kind, isConflict := classify(old.Checkpoint, sc.Checkpoint, proof)
			switch {
			case isConflict:
				c := Conflict{Peer: peer, Kind: kind, OldNote: string(old.Note), NewNote: string(sc.Note),
					Proof: proof, Time: now, Old: old.Checkpoint, New: sc.Checkpoint}
				conflict = &ConflictError{Conflict: c}
				conflict.Duplicate, conflict.Dropped, err = storeConflict(btx, &c)
				if err != nil {
					return err
				}
				return markConflict(btx, peer, kind, now, !conflict.Duplicate && !conflict.Dropped, conflict.Dropped)
			case sc.Size < old.Size:
				stale = true
				return nil
			}
		}
		if held, err = loadPeerConflict(btx, peer); held != nil && held.Reported {
			held = nil // the peer accuses us: its checkpoints are still cosigned
		}
		if err != nil || held != nil {
			if held != nil {
				held.Refused++
				err = putPeerConflict(btx, held)
			}
			return err
		}
		if out, err = cosign(l.id, l.origin, sc.Sigs); err != nil {
			return err
		}
		rec, err := json.Marshal(peerRecord{Note: string(out)})
		if err != nil {
			return err
		}
		return btx.Bucket(bucketPeer).Put(peer, rec)
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("ledger: cosign checkpoint of %s: %w", identity.Fingerprint(peer), err)
	case conflict != nil:
		return nil, conflict
	case stale:
		return nil, fmt.Errorf("ledger: cosign checkpoint of %s at size %d: %w", identity.Fingerprint(peer), sc.Size, ErrStale)
	case wrong >= 0:
		return nil, fmt.Errorf("ledger: cosign checkpoint of %s: %w: it starts at size %d, the last cosigned size is %d", identity.Fingerprint(peer), ErrBadProof, fromSize, wrong)
	case held != nil:
		return nil, &PeerConflictError{State: *held}
	}
	return out, nil
}

// Limits on the conflict evidence one peer can make a ledger store. A
// peer that signs many different forks fills its quota and no more; the
// conflict is still reported and the peer's state still records it.
const (
	MaxConflictsPerPeer     = 16
	MaxConflictBytesPerPeer = 512 << 10
)

// conflictDigest identifies a piece of evidence by the content of its two
// checkpoints (origin, size, root), so the same fork sent again, with
// other signatures or none, is stored once.
func conflictDigest(c *Conflict) [32]byte {
	h := sha256.New()
	h.Write(c.Peer)
	h.Write([]byte(c.Kind + "\n"))
	h.Write([]byte(c.Old.Text()))
	h.Write([]byte(c.New.Text()))
	return [32]byte(h.Sum(nil))
}

// storeConflict stores c unless the same evidence is already stored
// (duplicate) or the peer's quota is full (dropped).
func storeConflict(btx *bolt.Tx, c *Conflict) (duplicate, dropped bool, err error) {
	b := btx.Bucket(bucketConflict)
	v, err := json.Marshal(c)
	if err != nil {
		return false, false, err
	}
	want := conflictDigest(c)
	records, size := 0, 0
	err = b.ForEach(func(_, sv []byte) error {
		var s Conflict
		if json.Unmarshal(sv, &s) != nil || !s.Peer.Equal(c.Peer) {
			return nil
		}
		records++
		size += len(sv)
		if old, err := ParseCheckpoint(noteText(s.OldNote)); err == nil {
			s.Old = old
		}
		if nw, err := ParseCheckpoint(noteText(s.NewNote)); err == nil {
			s.New = nw
		}
		if conflictDigest(&s) == want {
			duplicate = true
		}
		return nil
	})
	switch {
	case err != nil:
		return false, false, err
	case duplicate:
		return true, false, nil
	case records >= MaxConflictsPerPeer || size+len(v) > MaxConflictBytesPerPeer:
		return false, true, nil
	}
	seq, err := b.NextSequence()
	if err != nil {
		return false, false, err
	}
	return false, false, b.Put(be64(int64(seq)), v)
}

// PeerConflict is the standing conflict with one peer: set when a
// conflicting checkpoint of the peer is found, kept until the user
// dismisses it (DismissConflict). While it stands every checkpoint of the
// peer is refused (not cosigned), unless the conflict is one the peer
// Reported against this ledger.
type PeerConflict struct {
	Peer       ed25519.PublicKey `json:"peer"`
	Kind       ConflictKind      `json:"kind"`                  // of the first conflict found
	Since      time.Time         `json:"since"`                 // when the first was found
	Last       time.Time         `json:"last"`                  // when the last was found
	Detections int               `json:"detections"`            // conflicting checkpoints received, duplicates included
	Stored     int               `json:"stored"`                // new pieces of evidence stored
	Dropped    int               `json:"dropped"`               // pieces not stored: over the peer's quota
	Refused    int               `json:"refused"`               // other checkpoints refused while it stood
	Reported   bool              `json:"reported"`              // by the peer (it refused our checkpoint), not found here
	ReportNote string            `json:"report_note,omitempty"` // the peer's reason, when Reported
}

// PeerConflictError is returned by CosignPeer for a peer whose conflict
// has not been dismissed. It wraps ErrConflict.
type PeerConflictError struct{ State PeerConflict }

func (e *PeerConflictError) Error() string {
	return fmt.Sprintf("ledger: checkpoint of %s not cosigned: a conflict (%s) found %s stands until it is dismissed",
		identity.Fingerprint(e.State.Peer), e.State.Kind, e.State.Since.Format(time.RFC3339))
}

// Unwrap returns ErrConflict.
func (e *PeerConflictError) Unwrap() error { return ErrConflict }

// bucketPeerConflict holds the standing conflicts: peer key (32) ->
// PeerConflict (JSON). It is created on first use, so ledgers written
// before it open unchanged.
var bucketPeerConflict = []byte("peerconflict")

func loadPeerConflict(btx *bolt.Tx, peer ed25519.PublicKey) (*PeerConflict, error) {
	b := btx.Bucket(bucketPeerConflict)
	if b == nil {
		return nil, nil
	}
	v := b.Get(peer)
	if v == nil {
		return nil, nil
	}
	var pc PeerConflict
	if err := json.Unmarshal(v, &pc); err != nil {
		return nil, fmt.Errorf("ledger: stored conflict state of %s: %w", identity.Fingerprint(peer), err)
	}
	return &pc, nil
}

func putPeerConflict(btx *bolt.Tx, pc *PeerConflict) error {
	b, err := btx.CreateBucketIfNotExists(bucketPeerConflict)
	if err != nil {
		return err
	}
	v, err := json.Marshal(pc)
	if err != nil {
		return err
	}
	return b.Put(pc.Peer, v)
}

// markConflict sets or updates the standing conflict with peer after a
// conflicting checkpoint of the peer was found here.
func markConflict(btx *bolt.Tx, peer ed25519.PublicKey, kind ConflictKind, now time.Time, stored, dropped bool) error {
	pc, err := loadPeerConflict(btx, peer)
	if err != nil {
		return err
	}
	if pc == nil {
		pc = &PeerConflict{Peer: bytes.Clone(peer), Kind: kind, Since: now}
	}
	if pc.Reported {
		// A conflict found here outranks the peer's accusation, which
		// would otherwise keep its checkpoints cosigned: the peer's words
		// cannot shield its own fork.
		pc.Reported, pc.Kind, pc.Since = false, kind, now
	}
	pc.Last = now
	pc.Detections++
	if stored {
		pc.Stored++
	}
	if dropped {
		pc.Dropped++
	}
	return putPeerConflict(btx, pc)
}

// maxReportNote bounds the reason kept from a peer's conflict report.
const maxReportNote = 512

// RecordReportedConflict records that peer reports a conflict in this
// ledger's checkpoints (it refused to cosign one): the standing conflict
// is shown to the user like one found here. reason is the peer's words,
// kept truncated; it is not evidence.
func (l *Ledger) RecordReportedConflict(peer ed25519.PublicKey, reason string) error {
	if len(peer) != ed25519.PublicKeySize {
		return errors.New("ledger: conflict report: malformed peer key")
	}
	err := l.update(func(btx *bolt.Tx) error {
		pc, err := loadPeerConflict(btx, peer)
		if err != nil {
			return err
		}
		if pc != nil {
			return nil // one standing conflict is enough
		}
		now := time.Now().UTC().Round(0)
		return putPeerConflict(btx, &PeerConflict{Peer: bytes.Clone(peer), Since: now, Last: now,
			Reported: true, ReportNote: truncate(reason, maxReportNote)})
	})
	if err != nil {
		return fmt.Errorf("ledger: record conflict report of %s: %w", identity.Fingerprint(peer), err)
	}
	return nil
}

// PeerConflicts returns the standing (undismissed) conflicts.
func (l *Ledger) PeerConflicts() ([]PeerConflict, error) {
	var out []PeerConflict
	err := l.view(func(btx *bolt.Tx) error {
		b := btx.Bucket(bucketPeerConflict)
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			var pc PeerConflict
			if err := json.Unmarshal(v, &pc); err != nil {
				return fmt.Errorf("ledger: stored conflict state %x: %w", k, err)
			}
			out = append(out, pc)
			return nil
		})
	})
	return out, err
}

// DismissConflict ends the standing conflict with peer: the user has seen
// it and decided to go on. The evidence stays stored. The peer's last
// cosigned checkpoint is forgotten, so its next checkpoint is cosigned as
// a new starting point (otherwise the same conflict would be found at
// once again). It reports whether there was a conflict to dismiss.
func (l *Ledger) DismissConflict(peer ed25519.PublicKey) (bool, error) {
	var found bool
	err := l.update(func(btx *bolt.Tx) error {
		pc, err := loadPeerConflict(btx, peer)
		if err != nil || pc == nil {
			return err
		}
		found = true
		if err := btx.Bucket(bucketPeerConflict).Delete(peer); err != nil {
			return err
		}
		if pc.Reported {
			return nil // the peer's view of our ledger, not ours of theirs
		}
		return btx.Bucket(bucketPeer).Delete(peer)
	})
	if err != nil {
		return false, fmt.Errorf("ledger: dismiss conflict with %s: %w", identity.Fingerprint(peer), err)
	}
	return found, nil
}

// Conflicts returns the conflicting checkpoint pairs stored so far.
func (l *Ledger) Conflicts() ([]Conflict, error) {
	var out []Conflict
	err := l.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketConflict).ForEach(func(k, v []byte) error {
			var c Conflict
			if err := json.Unmarshal(v, &c); err != nil {
				return fmt.Errorf("ledger: stored conflict %x: %w", k, err)
			}
			if old, err := ParseCheckpoint(noteText(c.OldNote)); err == nil {
				c.Old = old
			}
			if nw, err := ParseCheckpoint(noteText(c.NewNote)); err == nil {
				c.New = nw
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// noteText returns the text part of a signed note.
func noteText(msg string) string {
	if i := bytes.LastIndex([]byte(msg), []byte("\n\n")); i >= 0 {
		return msg[:i+1]
	}
	return msg
}

// StoreCosignature stores a peer's cosignature of one of this ledger's
// checkpoints and returns the checkpoint's tree size: cosigned must carry
// this ledger's signature and at least one valid signature by another key.
// The cosigner's key is looked up among peers (if given), the peers whose
// checkpoints were cosigned here and the keys of the ledger's transactions.
func (l *Ledger) StoreCosignature(cosigned []byte, peers ...ed25519.PublicKey) (int64, error) {
	sc, err := OpenCheckpoint(cosigned, l.id.Public())
	if err != nil {
		return 0, fmt.Errorf("ledger: store cosignature: %w", err)
	}
	if sc.Origin != l.origin {
		return 0, fmt.Errorf("ledger: store cosignature: checkpoint of %q, not of this ledger (%q)", sc.Origin, l.origin)
	}
	var stored int
	err = l.update(func(btx *bolt.Tx) error {
		st, err := readState(btx)
		if err != nil {
			return err
		}
		if sc.Size > st.size {
			return fmt.Errorf("ledger: store cosignature: checkpoint of size %d, but the ledger has %d transactions", sc.Size, st.size)
		}
		root, err := tlog.TreeHash(sc.Size, hashReader{btx.Bucket(bucketHash)})
		if err != nil {
			return err
		}
		if root != sc.Root {
			return fmt.Errorf("ledger: store cosignature: checkpoint root at size %d is not this ledger's", sc.Size)
		}
		cands := append([]ed25519.PublicKey(nil), peers...)
		for _, name := range [][]byte{bucketPeer, bucketKey} {
			err := btx.Bucket(name).ForEach(func(k, _ []byte) error {
				if len(k) == ed25519.PublicKeySize {
					cands = append(cands, ed25519.PublicKey(bytes.Clone(k)))
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
		for _, sig := range sc.Sigs.UnverifiedSigs {
			for _, k := range cands {
				if k.Equal(l.id.Public()) {
					continue
				}
				v, err := newNoteVerifier(sig.Name, k)
				if err != nil || v.KeyHash() != sig.Hash {
					continue
				}
				pn, err := note.Open(cosigned, note.VerifierList(v))
				if err != nil {
					return fmt.Errorf("ledger: store cosignature by %s: %w", identity.Fingerprint(k), err)
				}
				// Keep our signature and this peer's, not the lines of
				// unknown keys it may have padded the note with.
				kept := keepSignatures(cosigned, append(slices.Clone(sc.Sigs.Sigs), pn.Sigs...))
				key := append(be64(sc.Size), k...)
				if err := btx.Bucket(bucketCosig).Put(key, kept); err != nil {
					return err
				}
				stored++
				break
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("ledger: store cosignature in %s: %w", l.path, err)
	}
	if stored == 0 {
		return 0, errors.New("ledger: store cosignature: no valid signature by a known peer")
	}
	return sc.Size, nil
}

// keepSignatures returns the note msg with only the signature lines
// sigs, in that order, each once.
func keepSignatures(msg []byte, sigs []note.Signature) []byte {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	out := bytes.Clone(msg[:i+2])
	seen := map[note.Signature]bool{}
	for _, s := range sigs {
		if !seen[s] {
			seen[s] = true
			out = fmt.Appendf(out, "— %s %s\n", s.Name, s.Base64)
		}
	}
	return out
}

// LastCosignedSize returns the largest tree size of this ledger's
// checkpoints that peer has cosigned (0 if none): the size a consistency
// proof for that peer starts from.
func (l *Ledger) LastCosignedSize(peer ed25519.PublicKey) int64 {
	var n int64
	_ = l.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketCosig).ForEach(func(k, _ []byte) error {
			if len(k) == 8+ed25519.PublicKeySize && bytes.Equal(k[8:], peer) {
				n = max(n, int64(beUint(k[:8])))
			}
			return nil
		})
	})
	return n
}

// Cosignature is a peer's cosignature of one of this ledger's checkpoints.
type Cosignature struct {
	Peer ed25519.PublicKey `json:"peer"`
	Size int64             `json:"size"`
	Note string            `json:"note"`
}

// Cosignatures returns the stored cosignatures, by tree size.
func (l *Ledger) Cosignatures() ([]Cosignature, error) {
	var out []Cosignature
	err := l.view(func(btx *bolt.Tx) error {
		return btx.Bucket(bucketCosig).ForEach(func(k, v []byte) error {
			if len(k) != 8+ed25519.PublicKeySize {
				return fmt.Errorf("ledger: malformed cosignature key %x", k)
			}
			out = append(out, Cosignature{Peer: bytes.Clone(k[8:]), Size: int64(beUint(k[:8])), Note: string(v)})
			return nil
		})
	})
	return out, err
}
