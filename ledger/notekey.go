package ledger

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"golang.org/x/mod/sumdb/note"

	"qkdchat/identity"
)

// Checkpoint note keys: the origin that names a ledger's signing key, and
// the note signers and verifiers of Ed25519 identities. The identity key
// files and fingerprints live in package identity.

// DefaultOrigin is the checkpoint origin of a ledger owned by pub, used
// when Options.Origin is empty: "qkdchat/" followed by the hex of the
// first 8 bytes of SHA-256(pub). It is the name of the checkpoint signing
// key, fixed in every existing ledger and signed checkpoint, so it keeps
// this length; people compare identity.Fingerprint instead.
func DefaultOrigin(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return "qkdchat/" + hex.EncodeToString(sum[:8])
}

// noteSigner signs checkpoint notes with an identity under a key name.
type noteSigner struct {
	id   *identity.Identity
	name string
	hash uint32
}

func newNoteSigner(id *identity.Identity, name string) (note.Signer, error) {
	v, err := newNoteVerifier(name, id.Public())
	if err != nil {
		return nil, err
	}
	return &noteSigner{id: id, name: name, hash: v.KeyHash()}, nil
}

func (s *noteSigner) Name() string                    { return s.name }
func (s *noteSigner) KeyHash() uint32                 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) { return s.id.Sign(msg), nil }

// newNoteVerifier returns the note verifier of an Ed25519 key under a name.
func newNoteVerifier(name string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := note.NewEd25519VerifierKey(name, pub)
	if err != nil {
		return nil, fmt.Errorf("ledger: note key %q: %w", name, err)
	}
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return nil, fmt.Errorf("ledger: note key %q: %w", name, err)
	}
	return v, nil
}

// keyVerifiers verifies note signatures made by any of a set of Ed25519
// keys, whatever key name the signer used.
type keyVerifiers []ed25519.PublicKey

func (ks keyVerifiers) Verifier(name string, hash uint32) (note.Verifier, error) {
	for _, k := range ks {
		v, err := newNoteVerifier(name, k)
		if err != nil {
			continue // invalid name: unknown
		}
		if v.KeyHash() == hash {
			return v, nil
		}
	}
	return nil, &note.UnknownVerifierError{Name: name, KeyHash: hash}
}
