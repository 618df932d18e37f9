package ledger

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/tlog"

	"qkdchat/identity"
)

// Kind says what a transaction records.
type Kind uint8

// The kinds of transaction. The zero Kind is invalid.
const (
	KindChat       Kind = 1 // a chat message
	KindPHR        Kind = 2 // a personal health record
	KindReferral   Kind = 3 // a hospital's referral of a case to a doctor
	KindReport     Kind = 4 // a doctor's report on a case
	KindKeyEvent   Kind = 5 // a key exchange or rekey event
	KindCheckpoint Kind = 6 // an exchanged ledger checkpoint
)

var kindNames = [...]string{
	KindChat:       "chat",
	KindPHR:        "phr",
	KindReferral:   "referral",
	KindReport:     "report",
	KindKeyEvent:   "key-event",
	KindCheckpoint: "checkpoint",
}

// String returns the kind's name ("chat", "phr", "referral", "report",
// "key-event" or "checkpoint").
func (k Kind) String() string {
	if k.Valid() {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Valid reports whether k is one of the defined kinds.
func (k Kind) Valid() bool { return k >= KindChat && k <= KindCheckpoint }

// ParseKind returns the Kind named s (as printed by Kind.String).
func ParseKind(s string) (Kind, error) {
	for k := KindChat; k <= KindCheckpoint; k++ {
		if kindNames[k] == s {
			return k, nil
		}
	}
	return 0, fmt.Errorf("ledger: unknown transaction kind %q", s)
}

// needsFernet reports whether transactions of kind k carry message content,
// which must be a Fernet token so that plaintext never reaches the ledger.
func (k Kind) needsFernet() bool { return k >= KindChat && k <= KindReport }

// AttachmentRef names an attachment stored outside the ledger. The ledger
// commits to its size and SHA-256 digest, not to its content.
type AttachmentRef struct {
	Name   string   `json:"name"`
	Size   int64    `json:"size"`
	SHA256 [32]byte `json:"sha256"`
}

// Limits of the canonical encoding. Decoding rejects anything larger.
const (
	MaxCaseIDLen     = 1024     // bytes of Transaction.CaseID
	MaxTokenLen      = 16 << 20 // bytes of Transaction.Token
	MaxAttachments   = 256      // entries of Transaction.Attachments
	MaxAttachNameLen = 255      // bytes of AttachmentRef.Name
)

// txVersion is the first byte of every canonical transaction encoding.
const txVersion = 1

// txSigContext is prepended to the unsigned encoding before signing, so a
// transaction signature can never be confused with any other signature made
// by the same identity key.
const txSigContext = "qkdchat ledger transaction v1\n"

// Transaction is one entry of the ledger: an encrypted message or event,
// signed by its sender. Only ciphertext is ever stored: for chat, PHR,
// referral and report transactions Token must be a Fernet token.
type Transaction struct {
	Kind        Kind
	Sender      ed25519.PublicKey // who signed it
	Recipient   ed25519.PublicKey // who it is for
	CaseID      string            // the conversation or case it belongs to
	Time        time.Time         // when the sender created it (nanosecond precision, UTC after decoding)
	Token       []byte            // the Fernet token: ciphertext only
	Attachments []AttachmentRef   // optional references to encrypted attachments
	Signature   []byte            // Ed25519 signature by Sender over the canonical encoding

	// checked is the signed message and signature (txSigContext || body
	// || signature) that last passed Sign or Verify. Append skips the
	// Ed25519 check when the transaction still encodes to exactly these
	// bytes, so a message signed or verified on its way in is not
	// verified twice.
	checked []byte
}

// TxID identifies a transaction: the RFC 6962 leaf hash of its canonical
// signed encoding, SHA-256(0x00 || MarshalBinary()). It is also the
// transaction's leaf in the ledger's Merkle tree, so two ledgers that hold
// the same signed transaction hold the same TxID.
type TxID [32]byte

// String returns the ID in lower-case hex.
func (id TxID) String() string { return hex.EncodeToString(id[:]) }

// MarshalText encodes the ID as lower-case hex.
func (id TxID) MarshalText() ([]byte, error) { return []byte(id.String()), nil }

// UnmarshalText decodes a hex ID (64 lower-case hex digits).
func (id *TxID) UnmarshalText(b []byte) error {
	v, err := ParseTxID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// ParseTxID parses the 64-digit hex form printed by TxID.String.
func ParseTxID(s string) (TxID, error) {
	var id TxID
	if len(s) != 2*len(id) || strings.ToLower(s) != s {
		return id, fmt.Errorf("ledger: transaction ID %q: want 64 lower-case hex digits", truncate(s, 80))
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("ledger: transaction ID %q: %w", truncate(s, 80), err)
	}
	return id, nil
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// minTime and maxTime bound the timestamps a transaction may carry: the
// canonical encoding stores nanoseconds since 1970 as a positive int64.
var (
	minTime = time.Unix(0, 1).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// check validates every field except the signature.
func (t *Transaction) check() error {
	switch {
	case !t.Kind.Valid():
		return fmt.Errorf("ledger: transaction: invalid kind %d", uint8(t.Kind))
	case len(t.Sender) != ed25519.PublicKeySize:
		return fmt.Errorf("ledger: transaction: sender key is %d bytes, want %d", len(t.Sender), ed25519.PublicKeySize)
	case len(t.Recipient) != ed25519.PublicKeySize:
		return fmt.Errorf("ledger: transaction: recipient key is %d bytes, want %d", len(t.Recipient), ed25519.PublicKeySize)
	case len(t.CaseID) > MaxCaseIDLen:
		return fmt.Errorf("ledger: transaction: case ID is %d bytes, limit %d", len(t.CaseID), MaxCaseIDLen)
	case !utf8.ValidString(t.CaseID):
		return errors.New("ledger: transaction: case ID is not valid UTF-8")
	case t.Time.Before(minTime) || t.Time.After(maxTime):
		return fmt.Errorf("ledger: transaction: time %v outside 1970..2262", t.Time)
	case len(t.Token) > MaxTokenLen:
		return fmt.Errorf("ledger: transaction: token is %d bytes, limit %d", len(t.Token), MaxTokenLen)
	case len(t.Attachments) > MaxAttachments:
		return fmt.Errorf("ledger: transaction: %d attachments, limit %d", len(t.Attachments), MaxAttachments)
	}
	if t.Kind.needsFernet() && !isFernetToken(t.Token) {
		return fmt.Errorf("ledger: transaction: %s token is not a Fernet token (the ledger stores ciphertext only)", t.Kind)
	}
	for i, a := range t.Attachments {
		switch {
		case a.Name == "" || len(a.Name) > MaxAttachNameLen || !utf8.ValidString(a.Name):
			return fmt.Errorf("ledger: transaction: attachment %d: name must be 1..%d bytes of UTF-8", i, MaxAttachNameLen)
		case a.Size < 0:
			return fmt.Errorf("ledger: transaction: attachment %d: negative size", i)
		}
	}
	return nil
}

// isFernetToken reports whether tok is a well-formed Fernet token, either in
// its usual URL-safe base64 form or as the raw decoded bytes: version 0x80,
// 8-byte timestamp, 16-byte IV, a whole number of AES blocks, 32-byte HMAC.
func isFernetToken(tok []byte) bool {
	raw := tok
	if len(tok) > 0 && tok[0] != 0x80 {
		dec := make([]byte, base64.URLEncoding.DecodedLen(len(tok)))
		n, err := base64.URLEncoding.Strict().Decode(dec, tok)
		if err != nil {
			return false
		}
		raw = dec[:n]
	}
	const overhead = 1 + 8 + 16 + 32
	return len(raw) >= overhead+16 && raw[0] == 0x80 && (len(raw)-overhead)%16 == 0
}

// appendBody appends the canonical encoding of everything but the signature.
func (t *Transaction) appendBody(b []byte) []byte {
	b = append(b, txVersion, byte(t.Kind))
	b = append(b, t.Sender...)
	b = append(b, t.Recipient...)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Time.UnixNano()))
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.CaseID)))
	b = append(b, t.CaseID...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(t.Token)))
	b = append(b, t.Token...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(t.Attachments)))
	for _, a := range t.Attachments {
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.Name)))
		b = append(b, a.Name...)
		b = binary.BigEndian.AppendUint64(b, uint64(a.Size))
		b = append(b, a.SHA256[:]...)
	}
	return b
}

func (t *Transaction) encodedLen() int {
	n := 2 + 2*ed25519.PublicKeySize + 8 + 2 + len(t.CaseID) + 4 + len(t.Token) + 2 + ed25519.SignatureSize
	for _, a := range t.Attachments {
		n += 2 + len(a.Name) + 8 + 32
	}
	return n
}

// signedMessage returns the bytes the sender signs.
func (t *Transaction) signedMessage() []byte {
	b := make([]byte, 0, len(txSigContext)+t.encodedLen())
	b = append(b, txSigContext...)
	return t.appendBody(b)
}

// Sign fills in Sender with id's public key and Signature with id's
// signature over the canonical encoding.
func (t *Transaction) Sign(id *identity.Identity) error {
	if id == nil {
		return errors.New("ledger: sign transaction: no identity")
	}
	t.Sender = id.Public()
	if err := t.check(); err != nil {
		return err
	}
	msg := t.signedMessage()
	t.Signature = id.Sign(msg)
	t.checked = append(msg, t.Signature...)
	return nil
}

// Verify checks the transaction's fields and that Signature is Sender's
// signature over its canonical encoding.
func (t *Transaction) Verify() error {
	if err := t.check(); err != nil {
		return err
	}
	if len(t.Signature) != ed25519.SignatureSize {
		return fmt.Errorf("ledger: transaction: %w: signature is %d bytes, want %d", ErrBadSignature, len(t.Signature), ed25519.SignatureSize)
	}
	msg := t.signedMessage()
	if !ed25519.Verify(t.Sender, msg, t.Signature) {
		return fmt.Errorf("ledger: transaction from %s: %w", identity.Fingerprint(t.Sender), ErrBadSignature)
	}
	t.checked = append(msg, t.Signature...)
	return nil
}

// alreadyChecked reports whether signed (txSigContext || body) and the
// current Signature are exactly what last passed Sign or Verify.
func (t *Transaction) alreadyChecked(signed []byte) bool {
	n := len(signed)
	return len(t.checked) == n+ed25519.SignatureSize && bytes.Equal(t.checked[:n], signed) && bytes.Equal(t.checked[n:], t.Signature)
}

// MarshalBinary returns the canonical encoding of a signed transaction:
//
//	version(1)=1 kind(1) sender(32) recipient(32) time(8, ns since 1970)
//	caseLen(2) case  tokenLen(4) token  nAttach(2) { nameLen(2) name size(8) sha256(32) }
//	signature(64)
//
// All integers are big-endian. The encoding is the transaction's identity:
// its leaf hash is its TxID.
func (t *Transaction) MarshalBinary() ([]byte, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	if len(t.Signature) != ed25519.SignatureSize {
		return nil, fmt.Errorf("ledger: transaction: not signed (signature is %d bytes)", len(t.Signature))
	}
	b := make([]byte, 0, t.encodedLen())
	b = t.appendBody(b)
	return append(b, t.Signature...), nil
}

// ID returns the transaction's TxID, or the zero TxID if it cannot be
// encoded (unsigned or invalid).
func (t *Transaction) ID() TxID {
	b, err := t.MarshalBinary()
	if err != nil {
		return TxID{}
	}
	return TxID(tlog.RecordHash(b))
}

// txIDOf returns the TxID of a canonical encoding.
func txIDOf(enc []byte) TxID { return TxID(tlog.RecordHash(enc)) }

// errTxEncoding is wrapped by every decoding error.
var errTxEncoding = errors.New("malformed transaction encoding")

// UnmarshalBinary decodes a canonical encoding produced by MarshalBinary.
// It accepts exactly the canonical form (no trailing bytes, valid fields) but
// does not check the signature; call Verify for that.
func (t *Transaction) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	ver := d.byte()
	kind := Kind(d.byte())
	if d.err == nil && ver != txVersion {
		return fmt.Errorf("ledger: %w: version %d, want %d", errTxEncoding, ver, txVersion)
	}
	var nt Transaction
	nt.Kind = kind
	nt.Sender = ed25519.PublicKey(d.clone(ed25519.PublicKeySize))
	nt.Recipient = ed25519.PublicKey(d.clone(ed25519.PublicKeySize))
	ns := d.uint64()
	if d.err == nil && (ns == 0 || ns > math.MaxInt64) {
		return fmt.Errorf("ledger: %w: time out of range", errTxEncoding)
	}
	nt.Time = time.Unix(0, int64(ns)).UTC()
	nt.CaseID = string(d.bytes(int(d.uint16())))
	if n := d.uint32(); n > MaxTokenLen {
		d.fail("token too long")
	} else {
		nt.Token = d.clone(int(n))
	}
	if n := int(d.uint16()); n > MaxAttachments {
		d.fail("too many attachments")
	} else if n > 0 && d.err == nil {
		nt.Attachments = make([]AttachmentRef, 0, min(n, d.remaining()/42+1))
		for i := 0; i < n && d.err == nil; i++ {
			var a AttachmentRef
			a.Name = string(d.bytes(int(d.uint16())))
			size := d.uint64()
			if size > math.MaxInt64 {
				d.fail("attachment size out of range")
			}
			a.Size = int64(size)
			copy(a.SHA256[:], d.bytes(32))
			nt.Attachments = append(nt.Attachments, a)
		}
	}
	nt.Signature = d.clone(ed25519.SignatureSize)
	if d.err != nil {
		return fmt.Errorf("ledger: %w: %v", errTxEncoding, d.err)
	}
	if d.remaining() != 0 {
		return fmt.Errorf("ledger: %w: %d trailing bytes", errTxEncoding, d.remaining())
	}
	if err := nt.check(); err != nil {
		return fmt.Errorf("%w (%w)", err, errTxEncoding)
	}
	*t = nt
	return nil
}

// decoder reads big-endian fields and remembers the first error.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New(msg)
	}
}

func (d *decoder) remaining() int { return len(d.b) }

func (d *decoder) bytes(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > len(d.b) {
		d.fail("truncated")
		return nil
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) clone(n int) []byte {
	v := d.bytes(n)
	if v == nil {
		return nil
	}
	return append([]byte(nil), v...)
}

func (d *decoder) byte() byte {
	if v := d.bytes(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) uint16() uint16 {
	if v := d.bytes(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) uint32() uint32 {
	if v := d.bytes(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) uint64() uint64 {
	if v := d.bytes(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// hashSum is SHA-256, named for the call sites that hash block headers.
func hashSum(b []byte) [32]byte { return sha256.Sum256(b) }
