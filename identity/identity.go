package identity

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"

	"qkdchat/internal/atomicfile"
)

// Files of an identity inside a data directory.
const (
	KeyFile = "identity.key" // PEM PKCS #8 Ed25519 private key, mode 0600
	PubFile = "identity.pub" // PEM PKIX Ed25519 public key
)

// Identity is an Ed25519 key pair, usually stored in a data directory:
// identity.key (mode 0600) and identity.pub. It signs ledger transactions,
// checkpoints, reports and the transport's identity proofs.
type Identity struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
}

// New returns the identity of a private key (which it does not copy).
func New(priv ed25519.PrivateKey) *Identity {
	return &Identity{priv: priv, pub: priv.Public().(ed25519.PublicKey)}
}

// LoadOrCreate loads the identity in dir, creating dir (mode 0700) and a
// new key pair if there is none yet. A damaged identity.key gives a
// *KeyFileError and is never replaced.
func LoadOrCreate(dir string) (*Identity, error) {
	id, err := Load(dir)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return id, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("identity: create directory %s: %w", dir, err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("identity: generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("identity: encode key: %w", err)
	}
	keyPath := filepath.Join(dir, KeyFile)
	// CreateOnly: two processes starting at once must not each write a
	// key and end up with different identities.
	if err := atomicfile.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600, atomicfile.CreateOnly); err != nil {
		if errors.Is(err, fs.ErrExist) { // another process created it first
			return Load(dir)
		}
		return nil, fmt.Errorf("identity: %w", err)
	}
	created := New(priv)
	if err := created.writePub(dir); err != nil {
		return nil, err
	}
	return created, nil
}

// Load loads the identity in dir. The error wraps fs.ErrNotExist when dir
// holds no identity.key. A private key file readable by group or others
// is refused.
func Load(dir string) (*Identity, error) {
	keyPath := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("identity: read key: %w", err)
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(keyPath)
		if err != nil {
			return nil, fmt.Errorf("identity: read key: %w", err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("identity: key %s has mode %04o: it must be private to its owner (chmod 600)", keyPath, fi.Mode().Perm())
		}
	}
	priv, reason := parseKeyFile(b)
	if reason != "" {
		return nil, &KeyFileError{Path: keyPath, Reason: reason}
	}
	id := New(priv)
	// identity.pub is a convenience copy; rewrite it when missing or stale.
	pubPath := filepath.Join(dir, PubFile)
	if pb, err := os.ReadFile(pubPath); err != nil || !id.pubMatches(pb) {
		if err := id.writePub(dir); err != nil {
			return nil, err
		}
	}
	return id, nil
}

// Check reads the identity key of dir without writing anything: it
// returns an error wrapping fs.ErrNotExist when there is none, and a
// *KeyFileError when it does not decode.
func Check(dir string) error {
	keyPath := filepath.Join(dir, KeyFile)
	b, err := os.ReadFile(keyPath)
	if err != nil {
		return fmt.Errorf("identity: read key: %w", err)
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
	return fmt.Sprintf("identity: key %s is damaged: %s", e.Path, e.Reason)
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

// pubMatches reports whether pemBytes (the content of identity.pub) holds
// this identity's public key.
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
		return fmt.Errorf("identity: encode public key: %w", err)
	}
	path := filepath.Join(dir, PubFile)
	if err := atomicfile.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), 0o644, atomicfile.Replace); err != nil {
		return fmt.Errorf("identity: %w", err)
	}
	return nil
}

// Public returns the identity's public key.
func (id *Identity) Public() ed25519.PublicKey { return id.pub }

// Fingerprint returns the fingerprint of the public key (see Fingerprint).
func (id *Identity) Fingerprint() string { return Fingerprint(id.pub) }

// PrivateKey returns the identity's private key, for the transport's
// identity proofs. Callers must not log or store it.
func (id *Identity) PrivateKey() ed25519.PrivateKey { return id.priv }

// Sign returns the Ed25519 signature of msg.
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.priv, msg) }
