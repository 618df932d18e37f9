package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// Files of an identity inside a data directory.
const (
	IdentityKeyFile = "identity.key" // PEM PKCS #8 Ed25519 private key, mode 0600
	IdentityPubFile = "identity.pub" // PEM PKIX Ed25519 public key
)

// Identity is an Ed25519 key pair stored in a data directory: identity.key
// (mode 0600) and identity.pub. It signs transactions and checkpoints.
type Identity struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

func newIdentity(priv ed25519.PrivateKey) *Identity {
	return &Identity{priv: priv, pub: priv.Public().(ed25519.PublicKey)}
}

// LoadOrCreateIdentity loads the identity in dir, creating dir (mode 0700)
// and a new key pair if there is none yet. A damaged identity.key gives a
// *KeyFileError and is never replaced.
func LoadOrCreateIdentity(dir string) (*Identity, error) {
	id, err := LoadIdentity(dir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ledger: create identity directory %s: %w", dir, err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("ledger: generate identity: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("ledger: encode identity: %w", err)
	}
	keyPath := filepath.Join(dir, IdentityKeyFile)
	if err := writeNewFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process created it first
			return LoadIdentity(dir)
		}
		return nil, err
	}
	created := newIdentity(priv)
	if err := created.writePub(dir); err != nil {
		return nil, err
	}
	return created, nil
}

// LoadIdentity loads the identity in dir. The error wraps fs.ErrNotExist
// when dir holds no identity.key. A private key file readable by group or
// others is refused.
func LoadIdentity(dir string) (*Identity, error) {
	keyPath := filepath.Join(dir, IdentityKeyFile)
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("ledger: read identity: %w", err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(keyPath)
		if err != nil {
			return nil, fmt.Errorf("ledger: read identity: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("ledger: identity key %s has mode %04o: it must be private to its owner (chmod 600)", keyPath, fi.Mode().Perm())
		}
	}
	priv, reason := parseKeyFile(b)
	if reason != "" {
		return nil, &KeyFileError{Path: keyPath, Reason: reason}
	}
	id := newIdentity(priv)
	// identity.pub is a convenience copy; rewrite it when missing or stale.
	pubPath := filepath.Join(dir, IdentityPubFile)
	if pb, err := os.ReadFile(pubPath); err != nil || !id.pubMatches(pb) {
		if err := id.writePub(dir); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// CheckIdentity reads the identity key of dir without writing anything:
// it returns an error wrapping fs.ErrNotExist when there is none, and a
// *KeyFileError when it does not decode.
func CheckIdentity(dir string) error {
	keyPath := filepath.Join(dir, IdentityKeyFile)
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return fmt.Errorf("ledger: read identity: %w", err)
	}
	if _, reason := parseKeyFile(b); reason != "" {
		return &KeyFileError{Path: keyPath, Reason: reason}
	}
	return nil
}

// KeyFileError reports an identity.key that exists but holds no usable
// Ed25519 private key: cut short, blank, empty or overwritten. It is never
// replaced by a new key, which would change the identity's fingerprint.
type KeyFileError struct {
	Path   string
	Reason string // what is wrong, e.g. "it is empty (0 bytes)"
}

func (e *KeyFileError) Error() string {
	return fmt.Sprintf("ledger: identity key %s is damaged: %s", e.Path, e.Reason)
}

// parseKeyFile decodes the content of identity.key, or says in words why
// it cannot.
func parseKeyFile(b []byte) (ed25519.PrivateKey, string) {
	if len(b) == 0 {
		return nil, "it is empty (0 bytes)"
	}
	if len(bytes.Trim(b, "\x00")) == 0 {
		return nil, fmt.Sprintf("it is blank (%d zero bytes)", len(b))
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Sprintf("it does not hold a PEM private key (%d bytes: cut short or overwritten)", len(b))
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Sprintf("its key does not decode (%v)", err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Sprintf("it holds a %T, not an Ed25519 key", k)
	}
	return priv, ""
}

func (id *Identity) pubMatches(pemBytes []byte) bool {
	blk, _ := pem.Decode(pemBytes)
	if blk == nil || blk.Type != "PUBLIC KEY" {
		return false
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return false
	}
	pub, ok := k.(ed25519.PublicKey)
	return ok && pub.Equal(id.pub)
}

func (id *Identity) writePub(dir string) error {
	der, err := x509.MarshalPKIXPublicKey(id.pub)
	if err != nil {
		return fmt.Errorf("ledger: encode public key: %w", err)
	}
	path := filepath.Join(dir, IdentityPubFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644); err != nil {
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	return nil
}

// writeNewFile writes data to a new file at path, fsynced, failing with an
// error wrapping fs.ErrExist if path already exists. The file appears
// complete or not at all.
func writeNewFile(path string, data []byte, perm fs.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		f.Close()
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("ledger: write %s: %w", path, err)
	}
	return nil
}

// Public returns the identity's public key.
func (id *Identity) Public() ed25519.PublicKey { return id.pub }

// Fingerprint returns the short human-comparable form of the public key.
func (id *Identity) Fingerprint() string { return Fingerprint(id.pub) }

// PrivateKey returns the identity's private key, for the transport's
// identity proofs. Callers must not log or store it.
func (id *Identity) PrivateKey() ed25519.PrivateKey { return id.priv }

// Sign returns the Ed25519 signature of msg.
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.priv, msg) }

// Fingerprint returns a short, human-comparable form of an Ed25519 public
// key: the first 8 bytes of its SHA-256 in four groups of hex digits, such
// as "3f2a 9c01 77be 04d5".
func Fingerprint(pub ed25519.PublicKey) string {
	h := hex.EncodeToString(fingerprintBytes(pub))
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16]
}

func fingerprintBytes(pub ed25519.PublicKey) []byte {
	sum := sha256.Sum256(pub)
	return sum[:8]
}

// ParseFingerprint normalises a fingerprint typed by a person (any case,
// spaces, dashes or colons between the digits) to the form printed by
// Fingerprint.
func ParseFingerprint(s string) (string, error) {
	h := strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', ':':
			return -1
		}
		return r
	}, strings.ToLower(s))
	if len(h) != 16 {
		return "", fmt.Errorf("ledger: fingerprint %q: want 16 hex digits", truncate(s, 40))
	}
	if _, err := hex.DecodeString(h); err != nil {
		return "", fmt.Errorf("ledger: fingerprint %q: %w", truncate(s, 40), err)
	}
	return h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16], nil
}

// DefaultOrigin is the checkpoint origin of a ledger owned by pub, used
// when Options.Origin is empty: "qkdchat/" followed by the fingerprint's
// hex digits.
func DefaultOrigin(pub ed25519.PublicKey) string {
	return "qkdchat/" + hex.EncodeToString(fingerprintBytes(pub))
}

// noteSigner signs checkpoint notes with an identity under a key name.
type noteSigner struct {
	id   *Identity
	name string
	hash uint32
}

func (id *Identity) noteSigner(name string) (note.Signer, error) {
	v, err := newNoteVerifier(name, id.pub)
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
