package ledger

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
)

// Checkpoint is the content of a signed checkpoint note, in the C2SP
// tlog-checkpoint text format:
//
//	<origin>
//	<tree size, decimal>
//	<tree root, base64>
//
// followed by a blank line and one signature line per signer
// ("— <key name> <base64(key hash || Ed25519 signature)>").
type Checkpoint struct {
	Origin string
	Size   int64
	Root   tlog.Hash
}

// Text returns the checkpoint's note text.
func (c Checkpoint) Text() string {
	return fmt.Sprintf("%s\n%d\n%s\n", c.Origin, c.Size, c.Root)
}

// Tree returns the tree head the checkpoint commits to.
func (c Checkpoint) Tree() tlog.Tree { return tlog.Tree{N: c.Size, Hash: c.Root} }

// maxNoteLen bounds the checkpoint notes the ledger accepts.
const maxNoteLen = 64 << 10

// ParseCheckpoint parses a note's text (without signatures) in the format
// written by Checkpoint.Text. Only the canonical form is accepted; extension
// lines are not.
func ParseCheckpoint(text string) (Checkpoint, error) {
	var c Checkpoint
	lines := strings.SplitAfter(text, "\n")
	if len(lines) != 4 || lines[3] != "" {
		return c, errors.New("ledger: checkpoint: want three lines")
	}
	c.Origin = strings.TrimSuffix(lines[0], "\n")
	if !validOrigin(c.Origin) {
		return c, fmt.Errorf("ledger: checkpoint: invalid origin %q", truncate(c.Origin, 80))
	}
	size := strings.TrimSuffix(lines[1], "\n")
	n, err := strconv.ParseInt(size, 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != size {
		return c, fmt.Errorf("ledger: checkpoint: invalid tree size %q", truncate(size, 40))
	}
	c.Size = n
	root := strings.TrimSuffix(lines[2], "\n")
	h, err := tlog.ParseHash(root)
	if err != nil || h.String() != root {
		return c, fmt.Errorf("ledger: checkpoint: invalid tree root %q", truncate(root, 80))
	}
	c.Root = h
	return c, nil
}

// validOrigin reports whether s may be a checkpoint origin, which is also
// the name of the signing key: printable, no spaces, no '+'.
func validOrigin(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for _, r := range s {
		if r <= ' ' || r == '+' || r == 0x7f || r > 0x7e {
			return false
		}
	}
	return true
}

// SignedCheckpoint is a checkpoint note whose signature by an expected key
// has been verified.
type SignedCheckpoint struct {
	Checkpoint
	Note []byte     // the whole note, as received
	Sigs *note.Note // the parsed note, with its verified signatures
}

// OpenCheckpoint parses a signed checkpoint note and verifies that one of
// keys signed it. Signatures by other keys are kept but not verified.
func OpenCheckpoint(msg []byte, keys ...ed25519.PublicKey) (*SignedCheckpoint, error) {
	if len(msg) > maxNoteLen {
		return nil, fmt.Errorf("ledger: checkpoint note is %d bytes, limit %d", len(msg), maxNoteLen)
	}
	if err := checkCanonicalNote(msg); err != nil {
		return nil, err
	}
	n, err := note.Open(msg, keyVerifiers(keys))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			return nil, fmt.Errorf("ledger: checkpoint: %w: not signed by the expected key", ErrBadSignature)
		}
		var invalid *note.InvalidSignatureError
		if errors.As(err, &invalid) {
			return nil, fmt.Errorf("ledger: checkpoint: %w: %v", ErrBadSignature, err)
		}
		return nil, fmt.Errorf("ledger: checkpoint: %w", err)
	}
	c, err := ParseCheckpoint(n.Text)
	if err != nil {
		return nil, err
	}
	return &SignedCheckpoint{Checkpoint: c, Note: append([]byte(nil), msg...), Sigs: n}, nil
}

// SignedBy reports whether the note carries a valid signature by pub.
func (s *SignedCheckpoint) SignedBy(pub ed25519.PublicKey) bool {
	_, err := note.Open(s.Note, keyVerifiers{pub})
	return err == nil
}

// checkCanonicalNote rejects notes whose signature lines use non-canonical
// base64, so a note has exactly one byte representation per content.
func checkCanonicalNote(msg []byte) error {
	i := bytes.LastIndex(msg, []byte("\n\n"))
	if i < 0 {
		return errors.New("ledger: checkpoint: malformed note")
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(msg[i+2:]), "\n"), "\n") {
		_, b64, ok := strings.Cut(strings.TrimPrefix(line, "— "), " ")
		if !ok {
			return errors.New("ledger: checkpoint: malformed signature line")
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || base64.StdEncoding.EncodeToString(raw) != b64 {
			return errors.New("ledger: checkpoint: malformed signature line")
		}
	}
	return nil
}

// signCheckpoint signs c with id under the key name c.Origin.
func signCheckpoint(id *identity.Identity, c Checkpoint) ([]byte, error) {
	s, err := newNoteSigner(id, c.Origin)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(&note.Note{Text: c.Text()}, s)
	if err != nil {
		return nil, fmt.Errorf("ledger: sign checkpoint: %w", err)
	}
	return msg, nil
}

// cosign adds id's signature (under the key name origin) to a verified note.
func cosign(id *identity.Identity, origin string, n *note.Note) ([]byte, error) {
	s, err := newNoteSigner(id, origin)
	if err != nil {
		return nil, err
	}
	msg, err := note.Sign(n, s)
	if err != nil {
		return nil, fmt.Errorf("ledger: cosign checkpoint: %w", err)
	}
	return msg, nil
}
